"""WesClient against scripted answers (httpx.MockTransport) shaped like the real servers'."""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import hashlib
import json
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from genoflow_desktop.core.services.errors import (
    AuthenticationFailed,
    NotFound,
    RequestRejected,
    ServiceUnavailable,
)
from genoflow_desktop.core.services.wes.client import WesClient
from genoflow_desktop.core.services.wes.models import Attachment, LogRef, RunRequest

BASE = "http://wes.test/ga4gh/wes/v1"
TOKEN = "tok-123"
T = TypeVar("T")

SERVICE_INFO_1_0 = {
    "workflow_type_versions": {"CWL": {"workflow_type_version": ["v1.0", "v1.2"]}},
    "supported_wes_versions": ["1.0.0"],
    "workflow_engine_versions": {"cwl-runner": "b''"},
}
SERVICE_INFO_1_1 = {
    "workflow_type_versions": {"CWL": {"workflow_type_version": ["v1.2"]}},
    "supported_wes_versions": ["sapporo-wes-2.1.0"],
    "workflow_engine_versions": {
        "cwltool": {"workflow_engine_version": ["3.3"]},
        "toil": {"workflow_engine_version": ["9.5.0"]},
    },
}

Handler = Callable[[httpx.Request], httpx.Response]


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


class Recorder:
    """A MockTransport that remembers every request and answers through ``route``."""

    def __init__(self, route: Handler) -> None:
        self.requests: list[httpx.Request] = []
        self._route = route
        self.transport = httpx.MockTransport(self._handle)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self._route(request)

    def client(self, token: str | None = TOKEN, base: str = BASE) -> WesClient:
        return WesClient("Lab WES", base, token, transport=self.transport)


def form_parts(request: httpx.Request) -> list[tuple[str, str | None, bytes]]:
    """(field name, filename, content) of every part of a multipart/form-data request."""
    content_type = request.headers["content-type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + request.content
    )
    parts = []
    for part in message.iter_parts():
        disposition = part.get_params(header="content-disposition")
        assert disposition is not None
        params = dict(disposition[1:])
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        parts.append((params["name"], params.get("filename"), payload))
    return parts


def test_base_url_is_normalised_and_the_token_goes_on_every_api_call() -> None:
    def route(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/service-info"):
            return httpx.Response(200, json=SERVICE_INFO_1_0)
        if path.endswith("/status"):
            return httpx.Response(200, json={"run_id": "r1", "state": "RUNNING"})
        if path.endswith("/cancel"):
            return httpx.Response(200, json={"run_id": "r1"})
        if path.endswith("/runs/r1"):
            return httpx.Response(200, json={"run_id": "r1", "state": "RUNNING"})
        return httpx.Response(200, json={"runs": [], "next_page_token": ""})

    recorder = Recorder(route)

    async def calls() -> None:
        client = recorder.client(base=BASE + "//")
        await client.service_info()
        await client.status("r1")
        await client.run_log("r1")
        await client.cancel("r1")
        await client.list_runs()
        await client.aclose()

    run(calls())
    assert [(r.method, r.url.path) for r in recorder.requests] == [
        ("GET", "/ga4gh/wes/v1/service-info"),
        ("GET", "/ga4gh/wes/v1/runs/r1/status"),
        ("GET", "/ga4gh/wes/v1/runs/r1"),
        ("POST", "/ga4gh/wes/v1/runs/r1/cancel"),
        ("GET", "/ga4gh/wes/v1/runs"),
    ]
    assert {r.headers.get("authorization") for r in recorder.requests} == {f"Bearer {TOKEN}"}


def test_no_authorization_header_without_a_token() -> None:
    recorder = Recorder(lambda request: httpx.Response(200, json=SERVICE_INFO_1_0))
    run(recorder.client(token=None).service_info())
    assert "authorization" not in recorder.requests[0].headers


def test_run_ids_are_quoted_whole() -> None:
    recorder = Recorder(lambda request: httpx.Response(200, json={"state": "QUEUED"}))
    assert run(recorder.client().status("a/../b c")) == "QUEUED"
    assert recorder.requests[0].url.raw_path == b"/ga4gh/wes/v1/runs/a%2F..%2Fb%20c/status"
    with pytest.raises(ValueError):
        run(recorder.client().status(" "))


def _submit(
    service_info: dict[str, Any], request: RunRequest
) -> tuple[str, list[tuple[str, str | None, bytes]], Recorder]:
    def route(http_request: httpx.Request) -> httpx.Response:
        if http_request.url.path.endswith("/service-info"):
            return httpx.Response(200, json=service_info)
        assert http_request.method == "POST"
        return httpx.Response(200, json={"run_id": "run-7"})

    recorder = Recorder(route)
    run_id = run(recorder.client().submit(request))
    return run_id, form_parts(recorder.requests[-1]), recorder


def test_submit_sends_multipart_with_repeated_named_attachments(tmp_path: Path) -> None:
    (tmp_path / "wf.cwl").write_text("cwlVersion: v1.2\n")
    (tmp_path / "step.cwl").write_text("class: CommandLineTool\n")
    (tmp_path / "sample.vcf").write_bytes(b"##fileformat=VCFv4.2\n" * 1000)
    request = RunRequest(
        workflow_url="wf.cwl",
        workflow_type="CWL",
        workflow_type_version="v1.2",
        workflow_params={"vcf": {"class": "File", "location": "sample.vcf"}},
        tags={"genoflow_job_id": "job-1"},
        workflow_engine_parameters={"--parallel": ""},
        attachments=tuple(
            Attachment(name, tmp_path / name) for name in ("wf.cwl", "step.cwl", "sample.vcf")
        ),
    )
    run_id, parts, _ = _submit(SERVICE_INFO_1_0, request)
    assert run_id == "run-7"
    fields = {name: content for name, filename, content in parts if filename is None}
    assert json.loads(fields.pop("workflow_params")) == {
        "vcf": {"class": "File", "location": "sample.vcf"}
    }
    assert json.loads(fields.pop("tags")) == {"genoflow_job_id": "job-1"}
    assert json.loads(fields.pop("workflow_engine_parameters")) == {"--parallel": ""}
    # A WES 1.0 server (engines as {name: "version"}) gets no workflow_engine field.
    assert fields == {
        "workflow_type": b"CWL",
        "workflow_type_version": b"v1.2",
        "workflow_url": b"wf.cwl",
    }
    attachments = [(name, filename, content) for name, filename, content in parts if filename]
    assert attachments == [
        ("workflow_attachment", "wf.cwl", b"cwlVersion: v1.2\n"),
        ("workflow_attachment", "step.cwl", b"class: CommandLineTool\n"),
        ("workflow_attachment", "sample.vcf", b"##fileformat=VCFv4.2\n" * 1000),
    ]


def test_submit_names_the_engine_only_for_wes_1_1_engine_lists() -> None:
    request = RunRequest("https://h/wf.cwl", "CWL", "v1.2")
    _, parts, _ = _submit(SERVICE_INFO_1_1, request)
    fields = {name: content for name, _, content in parts}
    assert fields["workflow_engine"] == b"cwltool"  # the first one listed
    assert "workflow_engine_parameters" not in fields

    _, parts, _ = _submit(
        SERVICE_INFO_1_1, RunRequest("wf.cwl", "CWL", "v1.2", workflow_engine="toil")
    )
    assert dict((name, content) for name, _, content in parts)["workflow_engine"] == b"toil"

    _, parts, _ = _submit(
        SERVICE_INFO_1_0, RunRequest("wf.cwl", "CWL", "v1.2", workflow_engine="toil")
    )
    assert "workflow_engine" not in {name for name, _, _ in parts}


def test_submit_without_attachments_is_still_multipart() -> None:
    _, parts, recorder = _submit(SERVICE_INFO_1_0, RunRequest("file:///srv/wf.cwl", "CWL", "v1.2"))
    assert recorder.requests[-1].headers["content-type"].startswith("multipart/form-data")
    assert {name for name, _, _ in parts} == {
        "workflow_params",
        "workflow_type",
        "workflow_type_version",
        "workflow_url",
        "tags",
    }


def test_submit_is_not_retried_after_a_server_error() -> None:
    def route(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/service-info"):
            return httpx.Response(200, json=SERVICE_INFO_1_0)
        return httpx.Response(500, json={"msg": "boom", "status_code": 500})

    recorder = Recorder(route)
    with pytest.raises(ServiceUnavailable, match="boom"):
        run(recorder.client().submit(RunRequest("wf.cwl", "CWL", "v1.2")))
    assert [r.method for r in recorder.requests] == ["GET", "POST"]


def test_list_runs_reads_workflows_when_runs_is_missing() -> None:
    recorder = Recorder(
        lambda request: httpx.Response(
            200,
            json={
                "workflows": [
                    {"run_id": "a1", "state": "COMPLETE"},
                    {"run_id": "b2", "state": "RUNNING"},
                ],
                "next_page_token": "",
            },
        )
    )
    runs = run(recorder.client().list_runs(page_size=50))
    assert [(r.run_id, r.state) for r in runs] == [("a1", "COMPLETE"), ("b2", "RUNNING")]
    assert recorder.requests[0].url.params["page_size"] == "50"
    assert len(recorder.requests) == 1


def test_list_runs_follows_page_tokens_until_empty() -> None:
    pages = {
        "": ({"run_id": "r3", "state": "QUEUED", "tags": {"k": "v"}}, "t1"),
        "t1": ({"run_id": "r2", "state": "RUNNING", "start_time": "2026-01-01T00:00:00Z"}, "t2"),
        "t2": ({"run_id": "r1", "state": "COMPLETE"}, ""),
    }

    def route(request: httpx.Request) -> httpx.Response:
        item, next_token = pages[request.url.params.get("page_token", "")]
        return httpx.Response(
            200, json={"runs": [item], "next_page_token": next_token, "total_runs": 3}
        )

    recorder = Recorder(route)
    runs = run(recorder.client().list_runs(page_size=1))
    assert [r.run_id for r in runs] == ["r3", "r2", "r1"]
    assert runs[0].tags == {"k": "v"}
    assert runs[1].start_time is not None
    assert [r.url.params.get("page_token") for r in recorder.requests] == [None, "t1", "t2"]
    assert {r.url.params["page_size"] for r in recorder.requests} == {"1"}


def test_list_runs_stops_on_a_repeated_token() -> None:
    recorder = Recorder(
        lambda request: httpx.Response(
            200, json={"runs": [{"run_id": "x", "state": "RUNNING"}], "next_page_token": "same"}
        )
    )
    assert len(run(recorder.client().list_runs())) == 2
    assert len(recorder.requests) == 2


def test_relative_log_links_resolve_against_the_run_url_with_the_token() -> None:
    def route(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/toil/wes/v1/logs/run-1/stderr"
        return httpx.Response(200, text="Traceback: boom\n")

    recorder = Recorder(route)
    ref = LogRef(url="../../../../toil/wes/v1/logs/run-1/stderr")
    assert run(recorder.client().log_text("run-1", ref)) == "Traceback: boom\n"
    assert recorder.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert run(recorder.client().log_text("run-1", LogRef(text="inline"))) == "inline"
    assert len(recorder.requests) == 1  # inline text needs no request


def test_download_streams_to_the_part_file_with_the_token(tmp_path: Path) -> None:
    body = b"chr1\t100\n" * 50_000

    def route(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"content-length": str(len(body))})

    recorder = Recorder(route)
    part = tmp_path / "summary.txt.part"
    seen: list[tuple[int, int | None]] = []
    size, sha256 = run(
        recorder.client().download(
            f"{BASE}/runs/r1/outputs/summary.txt",
            part,
            on_chunk=lambda done, total: seen.append((done, total)),
        )
    )
    assert (size, sha256) == (len(body), hashlib.sha256(body).hexdigest())
    assert part.read_bytes() == body
    assert seen[-1] == (len(body), len(body))
    assert recorder.requests[0].headers["authorization"] == f"Bearer {TOKEN}"


def test_download_from_another_host_gets_no_token(tmp_path: Path) -> None:
    recorder = Recorder(lambda request: httpx.Response(200, content=b"x"))
    run(
        recorder.client().download(
            "https://bucket.s3.test/out.txt?X-Amz-Signature=1", tmp_path / "p"
        )
    )
    assert "authorization" not in recorder.requests[0].headers


def test_failed_download_leaves_no_part_file(tmp_path: Path) -> None:
    recorder = Recorder(lambda request: httpx.Response(404, json={"msg": "Output not found."}))
    part = tmp_path / "out.txt.part"
    with pytest.raises(NotFound, match="Output not found"):
        run(recorder.client().download(f"{BASE}/runs/r1/outputs/out.txt", part))
    assert not part.exists()


@pytest.mark.parametrize(
    ("response", "error", "text"),
    [
        # WES ErrorResponse (sapporo, Toil)
        (
            httpx.Response(404, json={"msg": "Run ID 5a9c not found.", "status_code": 404}),
            NotFound,
            "Run ID 5a9c not found.",
        ),
        (
            httpx.Response(400, json={"msg": "Invalid run_id format", "status_code": 400}),
            RequestRejected,
            "Invalid run_id format",
        ),
        # connexion's RFC 7807 problem+json (wes-service)
        (
            httpx.Response(
                400,
                json={
                    "type": "about:blank",
                    "title": "Bad Request",
                    "detail": "'abc' is not of type 'integer'",
                    "status": 400,
                },
                headers={"content-type": "application/problem+json"},
            ),
            RequestRejected,
            "'abc' is not of type 'integer'",
        ),
        (
            httpx.Response(401, json={"msg": "Not authenticated", "status_code": 401}),
            AuthenticationFailed,
            "did not accept your token",
        ),
    ],
)
def test_error_bodies_become_service_errors(
    response: httpx.Response, error: type[Exception], text: str
) -> None:
    recorder = Recorder(lambda request: response)
    with pytest.raises(error) as raised:
        run(recorder.client().run_log("5a9c"))
    assert text in str(raised.value)


def test_a_non_wes_address_is_explained() -> None:
    recorder = Recorder(lambda request: httpx.Response(404, text="Not Found"))
    with pytest.raises(ServiceUnavailable) as raised:
        run(recorder.client(base="http://wes.test").service_info())
    assert "/ga4gh/wes/v1" in raised.value.hint

    recorder = Recorder(lambda request: httpx.Response(200, json={"status": "ok"}))
    with pytest.raises(ServiceUnavailable, match="does not look like a WES server"):
        run(recorder.client().service_info())


def test_service_info_is_kept_until_refreshed() -> None:
    recorder = Recorder(lambda request: httpx.Response(200, json=SERVICE_INFO_1_1))
    client = recorder.client()

    async def calls() -> None:
        await client.service_info()
        await client.service_info()
        await client.service_info(refresh=True)

    run(calls())
    assert len(recorder.requests) == 2
