"""The Cloudgene client's requests and its reading of answers, against httpx.MockTransport."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from genoflow_desktop.core.services.cloudgene.client import CloudgeneClient
from genoflow_desktop.core.services.errors import (
    AccessDenied,
    AuthenticationFailed,
    JobLimitReached,
    MissingCredential,
    RequestRejected,
    ServiceUnavailable,
)

T = TypeVar("T")
BASE = "https://cg.example.org/base/"
MICRONAUT_401 = {
    "message": "Unauthorized",
    "_links": {"self": [{"href": "/api/v2/jobs/x/status", "templated": False}]},
    "_embedded": {"errors": [{"message": "Unauthorized"}]},
}


def call(
    handler: Callable[[httpx.Request], httpx.Response],
    action: Callable[[CloudgeneClient], Awaitable[T]],
    token: str | None = "tok.en",
) -> T:
    async def scenario() -> T:
        client = CloudgeneClient(
            "MIS", BASE, token, transport=httpx.MockTransport(handler), retry_backoff_s=0.001
        )
        try:
            return await action(client)
        finally:
            await client.aclose()

    return asyncio.run(scenario())


def test_token_goes_raw_in_x_auth_token_and_base_path_is_kept() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"name": "MIS", "apps": []})

    call(handler, lambda c: c.server_info())
    assert seen[0].url == "https://cg.example.org/base/api/v2/server"
    assert seen[0].headers["X-Auth-Token"] == "tok.en"
    assert "Authorization" not in seen[0].headers


def test_submit_streams_files_as_multipart_with_exact_names(tmp_path: Path) -> None:
    first, second = tmp_path / "chr1.vcf.gz", tmp_path / "chr2.vcf.gz"
    first.write_bytes(b"one")
    second.write_bytes(b"two")
    bodies: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/base/api/v2/jobs/submit/imputationserver2"
        assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
        bodies.append(request.read())
        return httpx.Response(
            200,
            json={
                "success": True,
                "message": "Your job was successfully added to the job queue.",
                "id": "job-20260301-100000-001",
            },
        )

    fields = [("refpanel", "apps@hapmap-2@2.0.0"), ("aesEncryption", "true"), ("job-name", "n")]
    job_id = call(handler, lambda c: c.submit("imputationserver2", fields, [first, second]))
    assert job_id == "job-20260301-100000-001"
    body = bodies[0]
    assert b'name="refpanel"\r\n\r\napps@hapmap-2@2.0.0' in body
    assert b'name="aesEncryption"\r\n\r\ntrue' in body
    assert b'name="files"; filename="chr1.vcf.gz"' in body and b"\r\n\r\none\r\n" in body
    assert b'name="files"; filename="chr2.vcf.gz"' in body and b"\r\n\r\ntwo\r\n" in body


def test_job_limit_becomes_job_limit_reached(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            400,
            json={
                "message": "Only 3 jobs per user can be executed simultaneously.",
                "success": False,
            },
        )

    with pytest.raises(JobLimitReached) as caught:
        call(handler, lambda c: c.submit("imputationserver2", [], []))
    assert caught.value.limit == 3 and caught.value.retryable


def test_other_rejections_keep_the_servers_message() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            400, json={"message": "Parameter 'files-source' not found.", "success": False}
        )

    with pytest.raises(RequestRejected, match="Parameter 'files-source' not found"):
        call(handler, lambda c: c.submit("imputationserver2", [("files-source", "upload")], []))


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (401, MICRONAUT_401, AuthenticationFailed),
        (403, {**MICRONAUT_401, "message": "Forbidden"}, AccessDenied),
    ],
)
def test_auth_failures(status: int, body: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        call(lambda r: httpx.Response(status, json=body), lambda c: c.job("job-1"))


def test_maintenance_is_unavailable_with_the_servers_message() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return httpx.Response(
            503,
            json={
                "message": "This functionality is currently under maintenance.",
                "success": False,
            },
        )

    with pytest.raises(ServiceUnavailable, match="under maintenance") as caught:
        call(handler, lambda c: c.job("job-1"))
    assert "maintenance" in caught.value.hint
    assert len(calls) == 4  # a GET: retried by http.send before giving up


def test_a_web_page_instead_of_json_is_unavailable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, text="<html>Sign in to the Wi-Fi</html>", headers={"Content-Type": "text/html"}
        )

    with pytest.raises(ServiceUnavailable, match="did not answer"):
        call(handler, lambda c: c.server_info())


def test_verify_token_posts_the_token_and_reads_epoch_millis() -> None:
    forms: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        forms.append(request.read())
        # Cloudgene 2 sends the expiry as epoch milliseconds.
        return httpx.Response(
            200, json={"valid": True, "message": "ok", "username": "bob", "expire": 1772359200000}
        )

    check = call(handler, lambda c: c.verify_token())
    assert forms == [b"token=tok.en"]
    assert check.valid and check.username == "bob"
    assert check.expires_at == datetime(2026, 3, 1, 10, tzinfo=UTC)


def test_verify_token_without_token_sends_nothing() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no request expected")

    with pytest.raises(MissingCredential):
        call(handler, lambda c: c.verify_token(), token=None)


def test_jobs_reads_page_response_data_and_cancel_is_a_get() -> None:
    seen: list[tuple[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, str(request.url)))
        if request.url.path.endswith("/cancel"):
            return httpx.Response(200, json={"id": "job-1", "state": 6})
        return httpx.Response(200, json={"count": 1, "page": 2, "data": [{"id": "job-1"}]})

    async def both(client: CloudgeneClient) -> tuple[list[dict[str, object]], dict[str, object]]:
        return await client.jobs(page=2), await client.cancel("job-1")

    jobs, canceled = call(handler, both)
    assert jobs == [{"id": "job-1"}] and canceled["state"] == 6
    assert seen == [
        ("GET", "https://cg.example.org/base/api/v2/jobs?page=2"),
        ("GET", "https://cg.example.org/base/api/v2/jobs/job-1/cancel"),
    ]
