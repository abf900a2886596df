"""Which S3 failures are worth retrying, how long to wait, and what to tell the user otherwise.

Transient: 5xx replies, throttling (SlowDown, 503), request timeouts, connections refused, reset
or timed out. They are retried per part with exponential backoff and jitter. Everything else
(access denied, no such bucket, wrong keys, an unreadable file) stops the upload at once with a
plain message; its journal is kept, so it resumes once the cause is fixed.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from genoflow_desktop.core.errors import Cancelled, UserError
from genoflow_desktop.core.services.errors import EXIT_SERVICE

T = TypeVar("T")

TRANSIENT_CODES = frozenset(
    {
        "InternalError",
        "ServiceUnavailable",
        "SlowDown",
        "SlowDownWrite",
        "Throttling",
        "ThrottlingException",
        "RequestLimitExceeded",
        "TooManyRequests",
        "RequestTimeout",
        "RequestTimeoutException",
        "OperationAborted",
        "IncompleteBody",
        # The bytes arrived damaged: sending them again is the cure.
        "BadDigest",
        "XAmzContentSHA256Mismatch",
        "InvalidDigest",
    }
)


class TransferError(UserError):
    """An upload failed. ``code`` is the S3 error code when there is one."""

    def __init__(
        self,
        message: str,
        *,
        hint: str = "",
        retryable: bool = False,
        code: str = "",
        service: bool = True,
    ) -> None:
        super().__init__(message, hint=hint, retryable=retryable)
        self.code = code
        # Read by cli.main: 3 for problems of the service or the credentials, 1 otherwise.
        self.exit_code = EXIT_SERVICE if service else 1


class NoSuchUpload(TransferError):
    """The multipart upload is gone from the server (completed, aborted, or expired by a rule)."""


@dataclass(frozen=True, slots=True)
class Where:
    """What a request was about, to make error messages specific."""

    bucket: str
    endpoint: str
    operation: str = ""


def _permanent_client_error(code: str, status: int, message: str, where: Where) -> TransferError:
    bucket, endpoint = where.bucket, where.endpoint
    if code in ("AccessDenied", "AllAccessDisabled", "AccountProblem", "Forbidden") or (
        status == 403 and not code
    ):
        return TransferError(
            f"Access denied by {endpoint} for bucket '{bucket}'"
            f"{f' ({where.operation})' if where.operation else ''}.",
            hint="Check that the profile's key may write to this bucket and prefix "
            "(s3:PutObject, s3:ListMultipartUploadParts, s3:AbortMultipartUpload, "
            "s3:PutObjectTagging, s3:GetObjectTagging), then resume the upload.",
            code=code or "AccessDenied",
        )
    if code == "NoSuchBucket":
        return TransferError(
            f"The bucket '{bucket}' does not exist at {endpoint}.",
            hint="Check the bucket name and endpoint of the profile ('genoflow s3 profiles').",
            code=code,
        )
    if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch"):
        what = "access key id" if code == "InvalidAccessKeyId" else "secret key"
        return TransferError(
            f"{endpoint} does not accept the profile's {what}.",
            hint="Store the right key pair with 'genoflow s3 add-profile NAME ... --replace', "
            "then resume the upload.",
            code=code,
        )
    if code in ("ExpiredToken", "InvalidToken", "TokenRefreshRequired", "ExpiredTokenException"):
        return TransferError(
            "The temporary AWS credentials have expired.",
            hint="Refresh them (for example 'aws sso login'), then resume the upload.",
            code=code,
        )
    if code.startswith("KMS") or code in ("KMS.NotFoundException", "KMS.DisabledException"):
        return TransferError(
            f"The KMS key of the profile cannot be used for bucket '{bucket}' ({message or code}).",
            hint="Check the profile's --kms-key-id and the key's policy, or use --sse AES256.",
            code=code,
        )
    if code == "NoSuchUpload":
        return NoSuchUpload(
            "The multipart upload no longer exists on the server.",
            hint="It was completed, cancelled, or removed by a clean-up or lifecycle rule.",
            code=code,
        )
    return TransferError(
        f"{endpoint} refused the request{f' ({where.operation})' if where.operation else ''}: "
        f"{message or code or f'HTTP {status}'}.",
        hint="Check the profile's settings; the upload can be resumed once this is fixed.",
        code=code,
    )


def classify(error: BaseException, where: Where) -> tuple[bool, TransferError]:
    """(transient, error as the user should see it) for an exception raised by a boto3 call."""
    from botocore import exceptions as bx

    if isinstance(error, bx.ClientError):
        info: dict[str, Any] = error.response.get("Error", {})
        code = str(info.get("Code", ""))
        message = str(info.get("Message", ""))
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        if code in TRANSIENT_CODES or status >= 500 or status == 429:
            return True, TransferError(
                f"{where.endpoint} kept failing "
                f"({code or f'HTTP {status}'}: {message or 'no details'}).",
                hint="The server or the network is having trouble; resume the upload later.",
                retryable=True,
                code=code,
            )
        return False, _permanent_client_error(code, status, message, where)
    if isinstance(
        error,
        (
            bx.NoCredentialsError,
            bx.PartialCredentialsError,
            bx.CredentialRetrievalError,
            bx.TokenRetrievalError,
        ),
    ):
        return False, TransferError(
            f"No usable credentials for {where.endpoint}: {error}.",
            hint="Store a key with 'genoflow s3 add-profile', or set up the AWS credential "
            "chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, ~/.aws/credentials or "
            "'aws sso login').",
        )
    if isinstance(error, bx.SSLError):
        return False, TransferError(
            f"The TLS connection to {where.endpoint} failed: {error}.",
            hint="If the server uses a private certificate authority, point AWS_CA_BUNDLE at it.",
        )
    if isinstance(error, bx.ProxyConnectionError):
        return True, TransferError(
            f"The proxy could not be reached: {error}.",
            hint="Check HTTPS_PROXY/HTTP_PROXY/NO_PROXY (or the system proxy settings).",
            retryable=True,
        )
    # botocore's ConnectionError (refused, DNS, connect timeout) is not the builtin one.
    if isinstance(
        error,
        (
            bx.HTTPClientError,
            bx.ConnectionError,
            bx.IncompleteReadError,
            ConnectionError,
            TimeoutError,
        ),
    ):
        return True, TransferError(
            f"The connection to {where.endpoint} kept failing ({error}).",
            hint="Check the network; the upload resumes where it stopped.",
            retryable=True,
        )
    raise error  # not an S3 or network problem: a bug, with its traceback


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with jitter: attempt n waits between d/2 and d, d = min(cap, base x 2^n).

    Half of the delay is random so that parts failing together (a 503 burst) do not come back
    together; the other half guarantees the wait really grows.
    """

    attempts: int = 8
    base: float = 0.5
    cap: float = 30.0

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        ceiling = min(self.cap, self.base * (2 ** (attempt - 1)))
        uniform = rng.uniform if rng is not None else random.uniform
        return float(ceiling / 2 + uniform(0, ceiling / 2))


def call_with_retry(
    call: Callable[[], T],
    *,
    where: Where,
    backoff: Backoff,
    stop: threading.Event | None = None,
    on_retry: Callable[[int, TransferError], None] | None = None,
    rng: random.Random | None = None,
) -> T:
    """Run ``call`` until it succeeds, a permanent error occurs, or the attempts run out.

    Raises:
        TransferError: permanent, or transient on every attempt (then ``retryable`` is True).
        Cancelled: ``stop`` was set while waiting before a new attempt.
    """
    attempt = 0
    while True:
        attempt += 1
        try:
            return call()
        except Exception as exc:  # classified below; bugs are re-raised by classify()
            transient, error = classify(exc, where)
            if not transient or attempt >= backoff.attempts:
                raise error from exc
            if on_retry is not None:
                on_retry(attempt, error)
            wait = backoff.delay(attempt, rng)
            if stop is not None:
                if stop.wait(wait):
                    raise Cancelled("stopped while waiting to retry") from exc
            else:
                threading.Event().wait(wait)
