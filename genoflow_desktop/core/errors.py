"""The error types the rest of the app is allowed to show to a user.

A :class:`UserError` is something the user can act on: bad input, a refused token, a full disk,
a server that is down. It carries a plain-words ``message``, a ``hint`` saying what to do, and
whether retrying later could help. Any other exception is a bug: it is logged with its traceback
and reported through the crash handler, never shown raw in a table cell or a terminal.

Library errors are translated into these where they occur, so callers never need to know that
SQLite, boto3 or httpx were involved.
"""

from __future__ import annotations


class GenoflowError(Exception):
    """Base class of all errors raised on purpose by GenoFlow."""


class UserError(GenoflowError):
    """A problem the user can understand and fix; shown as message + hint, never as a traceback."""

    def __init__(self, message: str, *, hint: str = "", retryable: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.retryable = retryable

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


class IncompatibleStoreError(UserError):
    """The local database cannot be used by this version of the app (and was left untouched)."""


class SecretStoreUnavailable(UserError):
    """No usable OS keychain: secrets cannot be stored, and we never fall back to plain text."""


class Cancelled(GenoflowError):
    """Raised inside long-running work when its :class:`~genoflow_desktop.core.progress.CancelToken` fires."""
