"""Retry decisions: what is transient, how long to wait, and the messages for the rest."""

from __future__ import annotations

import random
import threading

import pytest
from botocore import exceptions as bx
from hypothesis import given
from hypothesis import strategies as st

from genoflow_desktop.core.errors import Cancelled
from genoflow_desktop.core.transfer.retry import (
    EXIT_SERVICE,
    Backoff,
    NoSuchUpload,
    TransferError,
    Where,
    call_with_retry,
    classify,
)

WHERE = Where("lab-bucket", "http://s3.example", "UploadPart")


def client_error(code: str, status: int, message: str = "msg") -> bx.ClientError:
    return bx.ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        "UploadPart",
    )


@given(attempt=st.integers(1, 30), seed=st.integers(0, 2**32))
def test_delay_grows_exponentially_with_jitter_and_a_cap(attempt: int, seed: int) -> None:
    backoff = Backoff(base=0.5, cap=30)
    ceiling = min(30, 0.5 * 2 ** (attempt - 1))
    delay = backoff.delay(attempt, random.Random(seed))
    assert ceiling / 2 <= delay <= ceiling


def test_jitter_spreads_parts_that_failed_together() -> None:
    rng = random.Random(7)
    delays = {round(Backoff().delay(4, rng), 6) for _ in range(20)}
    assert len(delays) == 20


@pytest.mark.parametrize(
    "error",
    [
        client_error("InternalError", 500),
        client_error("SlowDown", 503),
        client_error("", 502),
        client_error("RequestTimeout", 400),
        client_error("BadDigest", 400),
        client_error("Throttling", 400),
        client_error("", 429),
        bx.EndpointConnectionError(endpoint_url="http://s3.example"),
        bx.ConnectionClosedError(endpoint_url="http://s3.example"),
        bx.ReadTimeoutError(endpoint_url="http://s3.example"),
        bx.ConnectTimeoutError(endpoint_url="http://s3.example"),
        ConnectionResetError(104, "Connection reset by peer"),
    ],
)
def test_transient_errors(error: Exception) -> None:
    transient, translated = classify(error, WHERE)
    assert transient and translated.retryable


@pytest.mark.parametrize(
    ("error", "text"),
    [
        (client_error("AccessDenied", 403), "Access denied"),
        (client_error("", 403), "Access denied"),
        (client_error("NoSuchBucket", 404), "does not exist"),
        (client_error("InvalidAccessKeyId", 403), "access key id"),
        (client_error("SignatureDoesNotMatch", 403), "secret key"),
        (client_error("ExpiredToken", 400), "expired"),
        (client_error("KMS.NotFoundException", 400), "KMS key"),
        (client_error("EntityTooSmall", 400), "refused the request"),
        (bx.NoCredentialsError(), "No usable credentials"),
    ],
)
def test_permanent_errors_have_plain_messages(error: Exception, text: str) -> None:
    transient, translated = classify(error, WHERE)
    assert not transient and not translated.retryable
    assert text in translated.message and translated.hint
    assert "Traceback" not in str(translated)


def test_auth_errors_exit_with_the_service_code() -> None:
    assert classify(client_error("AccessDenied", 403), WHERE)[1].exit_code == EXIT_SERVICE
    assert isinstance(classify(client_error("NoSuchUpload", 404), WHERE)[1], NoSuchUpload)


def test_other_exceptions_are_bugs_and_propagate() -> None:
    with pytest.raises(KeyError):
        classify(KeyError("x"), WHERE)


def test_retry_until_success() -> None:
    outcomes: list[Exception | str] = [client_error("SlowDown", 503), ConnectionResetError(), "ok"]
    retries: list[int] = []

    def call() -> str:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    result = call_with_retry(
        call,
        where=WHERE,
        backoff=Backoff(base=0.001, cap=0.002),
        on_retry=lambda attempt, error: retries.append(attempt),
    )
    assert result == "ok" and retries == [1, 2]


def test_permanent_error_is_not_retried() -> None:
    calls = []

    def call() -> None:
        calls.append(1)
        raise client_error("AccessDenied", 403)

    with pytest.raises(TransferError, match="Access denied"):
        call_with_retry(call, where=WHERE, backoff=Backoff(base=0.001))
    assert len(calls) == 1


def test_attempts_run_out_with_a_retryable_error() -> None:
    calls = []

    def call() -> None:
        calls.append(1)
        raise client_error("ServiceUnavailable", 503)

    with pytest.raises(TransferError) as caught:
        call_with_retry(call, where=WHERE, backoff=Backoff(attempts=3, base=0.001, cap=0.001))
    assert len(calls) == 3 and caught.value.retryable


def test_stop_interrupts_the_wait_between_attempts() -> None:
    stop = threading.Event()

    def call() -> None:
        stop.set()  # e.g. the user paused while this attempt was failing
        raise client_error("SlowDown", 503)

    with pytest.raises(Cancelled):
        call_with_retry(call, where=WHERE, backoff=Backoff(base=60, cap=60), stop=stop)
