"""Logging set-up: a rotating file in the user's log folder plus the console, with secrets masked.

Secrets must never reach a log file, even when a library logs a request header or a URL with a
token in it. Every handler formats through :class:`RedactingFormatter`, which masks

* every value registered with :func:`register_secret` (tokens and keys as they are loaded from
  the keychain), wherever it appears, and
* well-known secret shapes: auth headers, ``token=``/``password=`` parameters, JSON web tokens.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
import sys
import threading
from pathlib import Path

LOG_FILE_NAME = "genoflow.log"
MASK = "********"

_SECRET_PATTERNS = [
    # Header-style secrets: X-Auth-Token: abc, Authorization: Bearer abc
    re.compile(
        r"(?i)((?:x-auth-token|authorization|x-amz-security-token)['\"]?\s*[:=]\s*['\"]?"
        r"(?:bearer\s+|basic\s+)?)[^\s'\",}]+"
    ),
    # key=value secrets in URLs, forms and repr()s
    re.compile(
        r"(?i)((?:token|password|passwd|secret|secret_access_key|api_key)['\"]?\s*[=:]\s*['\"]?)"
        r"[^\s&'\",}]+"
    ),
    # JSON web tokens (Cloudgene API tokens are JWTs)
    re.compile(r"()eyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}"),
]


class SecretRegistry:
    """The set of secret values currently known to the process, masked in every log line."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()

    def add(self, value: str) -> None:
        # Very short values would mask ordinary words; real tokens and keys are long.
        if len(value) >= 6:
            with self._lock:
                self._values.add(value)

    def redact(self, text: str) -> str:
        # Patterns first: a registered value that also occurs in a key's name (a secret key
        # "secret" in "aws_secret_access_key=...") must not break the pattern that masks the
        # key's value.
        for pattern in _SECRET_PATTERNS:
            text = pattern.sub(lambda m: m.group(1) + MASK, text)
        with self._lock:
            values = sorted(self._values, key=len, reverse=True)
        for value in values:
            if value in text:
                text = text.replace(value, MASK)
        return text


#: Logging is process-global by nature, and so is the list of secrets it must mask.
SECRETS = SecretRegistry()


def register_secret(value: str) -> None:
    """Mask ``value`` in every log line from now on."""
    SECRETS.add(value)


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return SECRETS.redact(super().format(record))


class ConsoleFormatter(RedactingFormatter):
    """One line per record: tracebacks belong in the log file, not in the user's terminal."""

    def format(self, record: logging.LogRecord) -> str:
        return SECRETS.redact(f"{record.levelname.lower()}: {record.getMessage()}")


def _not_file_only(record: logging.LogRecord) -> bool:
    return not getattr(record, "file_only", False)


#: Pass as ``extra=FILE_ONLY`` for records the user is told about in another way.
FILE_ONLY = {"file_only": True}


FILE_FORMAT = "%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s"


def setup_logging(
    log_dir: Path | None,
    *,
    file_level: str = "INFO",
    console_level: str = "WARNING",
) -> Path | None:
    """Route all logging to a rotating file in ``log_dir`` and warnings to stderr.

    Returns the log file path (None when ``log_dir`` is None). Calling it again replaces the
    handlers it installed before, so tests and the CLI can call it freely.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_genoflow", False):
            root.removeHandler(handler)
            handler.close()
    root.setLevel(logging.DEBUG)

    console = logging.StreamHandler(sys.stderr)
    console.setLevel(console_level)
    console.setFormatter(ConsoleFormatter())
    console.addFilter(_not_file_only)
    handlers: list[logging.Handler] = [console]

    log_file = None
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        log_file = log_dir / LOG_FILE_NAME
        file_handler = logging.handlers.RotatingFileHandler(
            log_file, maxBytes=5 * 1024 * 1024, backupCount=5, encoding="utf-8", delay=True
        )
        file_handler.setLevel(file_level)
        file_handler.setFormatter(RedactingFormatter(FILE_FORMAT))
        handlers.append(file_handler)

    for handler in handlers:
        handler._genoflow = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    # Chatty libraries: their DEBUG output would drown ours and may echo request details.
    # httpx logs every request URL at INFO; download links are capabilities, so not those either.
    for name in ("botocore", "boto3", "s3transfer", "urllib3", "httpx", "httpcore", "asyncio"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return log_file
