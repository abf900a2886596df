"""Errors of remote services, in the user's words.

Every failure of a Cloudgene or WES server reaches the rest of the app as one of these. They are
:class:`~genoflow_desktop.core.errors.UserError`\\ s, so the command line prints them as
``error:``/``hint:`` with exit code 3 and the views show them inline on the job or service.
"""

from __future__ import annotations

from genoflow_desktop.core.errors import UserError

#: The command line's exit code for a service or authentication error.
EXIT_SERVICE = 3


class ServiceError(UserError):
    """A remote service refused or failed a request."""

    exit_code = EXIT_SERVICE

    def __init__(
        self, message: str, *, hint: str = "", retryable: bool = False, status: int | None = None
    ) -> None:
        super().__init__(message, hint=hint, retryable=retryable)
        self.status = status


class MissingCredential(ServiceError):
    """No token is stored for a service that needs one; raised before anything is sent."""


class AuthenticationFailed(ServiceError):
    """HTTP 401: the token is missing, wrong or expired. Jobs keep their state; ask for a new one."""


class AccessDenied(ServiceError):
    """HTTP 403: the token is valid but not allowed (revoked API token, someone else's job)."""


class NotFound(ServiceError):
    """HTTP 404: the job, run, app or file does not exist (or is no longer kept) on the server."""


class RequestRejected(ServiceError):
    """HTTP 400/415/422: the server refused what we sent; the message says why."""


class JobLimitReached(RequestRejected):
    """Cloudgene's "Only N jobs per user can be executed simultaneously": wait for a free slot."""

    def __init__(self, message: str, *, limit: int | None, status: int | None = 400) -> None:
        super().__init__(
            message,
            hint="The job waits here and is submitted as soon as one of your jobs on this "
            "server finishes.",
            retryable=True,
            status=status,
        )
        self.limit = limit


class ServiceUnavailable(ServiceError):
    """The server could not be reached, timed out, is in maintenance or answered 5xx. Retryable."""

    def __init__(self, message: str, *, hint: str = "", status: int | None = None) -> None:
        super().__init__(
            message,
            hint=hint or "Check your network connection; GenoFlow retries on its own.",
            retryable=True,
            status=status,
        )
