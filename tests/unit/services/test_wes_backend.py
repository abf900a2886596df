"""WesBackend: a WES server as the orchestrator sees it, against scripted answers."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from genoflow_desktop.core.domain import JobState
from genoflow_desktop.core.errors import UserError
from genoflow_desktop.core.jobs.backend import JobBackend, JobSpec, RemoteOutput, RemoteStatus
from genoflow_desktop.core.services.errors import AuthenticationFailed
from genoflow_desktop.core.services.wes.backend import WesBackend, run_request, safe_relative_path

BASE = "http://wes.test/ga4gh/wes/v1"
TOKEN = "tok-123"
SERVICE_INFO = {
    "id": "sapporo-service",
    "name": "sapporo-service",
    "version": "2.4.0",
    "workflow_type_versions": {"cwl": {"workflow_type_version": ["v1.0", "v1.2"]}},
    "supported_wes_versions": ["sapporo-wes-2.1.0"],
    "workflow_engine_versions": {"cwltool": {"workflow_engine_version": ["3.3"]}},
}


def backend_for(
    route: Callable[[httpx.Request], httpx.Response], seen: list[httpx.Request] | None = None
) -> WesBackend:
    def handle(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        if request.url.path.endswith("/service-info"):
            return httpx.Response(200, json=SERVICE_INFO)
        return route(request)

    return WesBackend(
        name="Lab WES", base_url=BASE, token=TOKEN, transport=httpx.MockTransport(handle)
    )


def spec(tmp_path: Path, **params: Any) -> JobSpec:
    workflow = tmp_path / "wf.cwl"
    workflow.write_text("cwlVersion: v1.2\n")
    base: dict[str, Any] = {
        "workflow_url": "wf.cwl",
        "workflow_type_version": "v1.2",
        "workflow_params": {"n": 1},
    }
    return JobSpec(
        job_id="job-1", name="count lines", params={**base, **params}, attachments=(workflow,)
    )


def test_it_is_a_job_backend() -> None:
    backend: JobBackend = backend_for(lambda request: httpx.Response(500))
    assert isinstance(backend, WesBackend)


def test_run_request_defaults_and_tags(tmp_path: Path) -> None:
    request = run_request(spec(tmp_path, tags={"project": "afr", "batch": 3}))
    assert request.workflow_type == "CWL"
    assert request.tags == {"project": "afr", "batch": "3", "genoflow_job_id": "job-1"}
    assert [(a.name, a.path) for a in request.attachments] == [("wf.cwl", tmp_path / "wf.cwl")]
    assert request.workflow_engine is None


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"workflow_url": ""}, "has no workflow_url"),
        ({"workflow_type_version": None}, "has no workflow_type_version"),
        ({"workflow_params": [1, 2]}, "workflow_params of workflow job 'count lines' must be"),
        ({"workflow_params": {"when": object()}}, "cannot be sent as JSON"),
        ({"workflow_type": "WDL"}, "does not run WDL workflows (it offers: CWL)"),
        ({"workflow_type_version": "v1.1"}, "does not run CWL v1.1 (it offers: v1.0, v1.2)"),
        ({"workflow_engine": "nextflow"}, "has no workflow engine 'nextflow'"),
    ],
)
def test_validate_refuses(tmp_path: Path, params: dict[str, Any], message: str) -> None:
    backend = backend_for(lambda request: httpx.Response(500))
    with pytest.raises(UserError) as raised:
        asyncio.run(backend.validate(spec(tmp_path, **params)))
    assert message in raised.value.message


def test_validate_accepts_any_case_of_the_workflow_type(tmp_path: Path) -> None:
    backend = backend_for(lambda request: httpx.Response(500))
    asyncio.run(backend.validate(spec(tmp_path, workflow_type="cwl")))
    asyncio.run(backend.validate(spec(tmp_path, workflow_type="CWL", workflow_engine="cwltool")))


def test_validate_checks_attachments(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    backend = backend_for(lambda request: httpx.Response(500))
    job = spec(tmp_path)
    missing = JobSpec("j", "n", job.params, attachments=(tmp_path / "gone.vcf",))
    with pytest.raises(UserError, match="does not exist"):
        asyncio.run(backend.validate(missing))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "wf.cwl").write_text("other")
    twice = JobSpec("j", "n", job.params, attachments=(*job.attachments, tmp_path / "sub/wf.cwl"))
    with pytest.raises(UserError, match=r"Two attachments of job 'n' are named 'wf\.cwl'"):
        asyncio.run(backend.validate(twice))
    elsewhere = JobSpec("j", "n", {**job.params, "workflow_url": "tools/main.cwl"})
    asyncio.run(backend.validate(elsewhere))  # only a warning
    assert "no attachment has that name" in caplog.text


def run_log(state: str, **extra: Any) -> dict[str, Any]:
    return {"run_id": "r1", "state": state, "request": {}, "outputs": {}, **extra}


def test_running_status_asks_only_for_the_state() -> None:
    seen: list[httpx.Request] = []
    backend = backend_for(
        lambda request: httpx.Response(200, json={"run_id": "r1", "state": "CANCELING"}), seen
    )
    status = asyncio.run(backend.status("r1"))
    assert (status.state, status.remote_state) == (JobState.RUNNING, "CANCELING")
    assert [r.url.path for r in seen] == ["/ga4gh/wes/v1/runs/r1/status"]


def test_complete_status_carries_outputs_and_times() -> None:
    def route(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/status"):
            return httpx.Response(200, json={"run_id": "r1", "state": "COMPLETE"})
        return httpx.Response(
            200,
            json=run_log(
                "COMPLETE",
                run_log={"start_time": "2026-01-01T10:00:00Z", "end_time": "2026-01-01T10:00:03"},
                outputs=[{"file_name": "s.txt", "file_url": f"{BASE}/runs/r1/outputs/s.txt"}],
            ),
        )

    status = asyncio.run(backend_for(route).status("r1"))
    assert status.state is JobState.COMPLETED
    assert status.outputs == (
        RemoteOutput(
            "s.txt", url=f"{BASE}/runs/r1/outputs/s.txt", location=f"{BASE}/runs/r1/outputs/s.txt"
        ),
    )
    assert status.started_at is not None and status.finished_at is not None
    assert status.error is None


def test_failed_status_shows_the_end_of_stderr() -> None:
    stderr = "".join(f"line {n}\n" for n in range(1, 101)) + "count: input is not a VCF\n"

    def route(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/status"):
            return httpx.Response(200, json={"run_id": "r1", "state": "EXECUTOR_ERROR"})
        return httpx.Response(
            200,
            json=run_log(
                "EXECUTOR_ERROR",
                run_log={"stderr": stderr, "exit_code": 1},
                outputs={"x": {"class": "File", "location": "http://h/x"}},
            ),
        )

    status = asyncio.run(backend_for(route).status("r1"))
    assert status.state is JobState.FAILED
    assert status.outputs == ()
    assert status.error is not None
    assert status.error.startswith(
        "The workflow run failed on Lab WES (EXECUTOR_ERROR, exit code 1)."
    )
    assert status.error.endswith("line 100\ncount: input is not a VCF")
    assert "line 71\n" not in status.error and "line 72\n" in status.error  # the last 30 lines


def test_failed_status_fetches_a_relative_stderr_link() -> None:
    seen: list[httpx.Request] = []

    def route(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/status"):
            return httpx.Response(200, json={"run_id": "run-1", "state": "SYSTEM_ERROR"})
        if request.url.path.endswith("/logs/run-1/stderr"):
            return httpx.Response(200, text="toil: worker lost\n")
        return httpx.Response(
            200,
            json=run_log(
                "SYSTEM_ERROR", run_log={"stderr": "../../../../toil/wes/v1/logs/run-1/stderr"}
            ),
        )

    status = asyncio.run(backend_for(route, seen).status("run-1"))
    assert status.error is not None and status.error.endswith("toil: worker lost")
    assert seen[-1].url.path == "/toil/wes/v1/logs/run-1/stderr"
    assert seen[-1].headers["authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize("state", ["CANCELED", "DELETED"])
def test_canceled_states(state: str) -> None:
    def route(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/status"):
            return httpx.Response(200, json={"run_id": "r1", "state": state})
        return httpx.Response(200, json=run_log(state))

    status = asyncio.run(backend_for(route).status("r1"))
    assert (status.state, status.remote_state, status.error) == (JobState.CANCELED, state, None)


def test_download_fetches_http_outputs_lists_server_files_and_saves_logs(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []
    summary = b"lines\t3\n"

    def route(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/status"):
            return httpx.Response(200, json={"run_id": "r1", "state": "COMPLETE"})
        if path.endswith("/outputs/summary.txt"):
            return httpx.Response(200, content=summary)
        if path.endswith("/outputs/stderr.txt"):
            return httpx.Response(200, content=b"an output that is called stderr.txt")
        return httpx.Response(
            200,
            json=run_log(
                "COMPLETE",
                run_log={"stderr": "INFO done\n", "stdout": '{"summary": {}}'},
                outputs={
                    "summary": {"class": "File", "location": f"{BASE}/runs/r1/outputs/summary.txt"},
                    "clash": {"class": "File", "location": f"{BASE}/runs/r1/outputs/stderr.txt"},
                    "big": {"class": "File", "location": "file:///srv/runs/r1/big.bam"},
                },
            ),
        )

    backend = backend_for(route, seen)
    job = JobSpec("job-1", "count", {})
    progress: list[tuple[str, int, int | None]] = []

    async def go() -> list[Any]:
        status = await backend.status("r1")
        return list(
            await backend.download(
                job, status, tmp_path / "out", progress=lambda *a: progress.append(a)
            )
        )

    files = asyncio.run(go())
    out = tmp_path / "out"
    assert {f.name: f.path for f in files} == {
        "summary.txt": out / "summary.txt",
        "output-stderr.txt": out / "output-stderr.txt",
        "server-outputs.tsv": out / "server-outputs.tsv",
        "run-log.json": out / "run-log.json",
        "stderr.txt": out / "stderr.txt",
        "stdout.txt": out / "stdout.txt",
    }
    by_name = {f.name: f for f in files}
    assert (out / "summary.txt").read_bytes() == summary
    assert by_name["summary.txt"].sha256 == hashlib.sha256(summary).hexdigest()
    assert (out / "server-outputs.tsv").read_text() == (
        "name\tlocation\nbig.bam\tfile:///srv/runs/r1/big.bam\n"
    )
    assert json.loads((out / "run-log.json").read_text())["state"] == "COMPLETE"
    assert (out / "stderr.txt").read_text() == "INFO done\n"
    assert not list(out.glob("*.part"))
    assert ("summary.txt", len(summary), len(summary)) in progress
    downloads = [r for r in seen if "/outputs/" in r.url.path]
    assert {r.headers["authorization"] for r in downloads} == {f"Bearer {TOKEN}"}

    # Again: files already whole on disk are not fetched a second time.
    seen.clear()
    again = asyncio.run(go())
    assert not [r for r in seen if "/outputs/" in r.url.path]
    assert {f.name: f.sha256 for f in again} == {f.name: f.sha256 for f in files}


@pytest.mark.parametrize("name", ["../evil.txt", "/etc/passwd", "a/../../b", "C:/x", ".."])
def test_unsafe_output_names_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(UserError, match="outside the job's folder"):
        safe_relative_path(name)
    backend = backend_for(lambda request: httpx.Response(200, content=b"x"))
    status = RemoteStatus(
        JobState.COMPLETED, "COMPLETE", outputs=(RemoteOutput(name, url=f"{BASE}/x"),)
    )
    with pytest.raises(UserError):
        asyncio.run(backend.download(JobSpec("j", "n", {}), status, tmp_path / "out"))
    assert not (tmp_path / "evil.txt").exists()


def test_check_credentials() -> None:
    ok = backend_for(lambda request: httpx.Response(200, json={"runs": [], "next_page_token": ""}))
    check = asyncio.run(ok.check_credentials())
    assert check.valid and "accepted the token" in check.message

    refused = backend_for(
        lambda request: httpx.Response(401, json={"msg": "Invalid token", "status_code": 401})
    )
    check = asyncio.run(refused.check_credentials())
    assert not check.valid
    assert "did not accept your token" in check.message


def test_probe_describes_the_server_in_one_line() -> None:
    line = asyncio.run(backend_for(lambda request: httpx.Response(500)).probe())
    assert line == (
        "sapporo-service 2.4.0 | WES sapporo-wes-2.1.0 | runs CWL v1.0, v1.2 | engines cwltool 3.3"
    )


def test_logs_join_stderr_and_stdout() -> None:
    backend = backend_for(
        lambda request: httpx.Response(
            200, json=run_log("RUNNING", run_log={"stderr": "working\n", "stdout": ""})
        )
    )
    assert asyncio.run(backend.logs("r1")) == "== stderr ==\nworking"


def test_probe_still_answers_when_the_token_is_refused() -> None:
    def route(request: httpx.Request) -> httpx.Response:
        if "authorization" in request.headers:
            return httpx.Response(401, json={"msg": "Invalid token", "status_code": 401})
        return httpx.Response(200, json=SERVICE_INFO)

    backend = WesBackend(
        name="Lab WES", base_url=BASE, token="bad", transport=httpx.MockTransport(route)
    )
    assert asyncio.run(backend.probe()).startswith("sapporo-service 2.4.0")
    assert not asyncio.run(backend.check_credentials()).valid
    anonymous = WesBackend(
        name="Lab WES",
        base_url=BASE,
        token=None,
        transport=httpx.MockTransport(lambda request: httpx.Response(401)),
    )
    with pytest.raises(AuthenticationFailed):
        asyncio.run(anonymous.probe())


def test_check_credentials_without_a_token_says_one_is_needed() -> None:
    backend = WesBackend(
        name="Lab WES",
        base_url=BASE,
        token=None,
        transport=httpx.MockTransport(
            lambda request: httpx.Response(401, json={"msg": "Not authenticated"})
        ),
    )
    check = asyncio.run(backend.check_credentials())
    assert not check.valid
    assert check.message.startswith("Lab WES needs a token, and none is saved.")
