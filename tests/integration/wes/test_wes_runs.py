"""The whole client flow on both real servers: submit with attachments, poll, read outputs."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from genoflow_desktop.core.domain import JobState
from genoflow_desktop.core.jobs.backend import DownloadedFile, RemoteStatus
from tests.integration.wes.conftest import (
    EXPECTED_SUMMARY,
    FAILURE_MESSAGE,
    backend_for,
    count_lines_job,
    single_tool_job,
    wait_until_final,
)
from tests.peers.wes_peers import WesPeer

pytestmark = pytest.mark.integration


@pytest.fixture(params=["wes_service", "sapporo"])
def peer(request: pytest.FixtureRequest) -> WesPeer:
    server: WesPeer = request.getfixturevalue(request.param)
    return server


def test_probe_and_validate(peer: WesPeer) -> None:
    async def flow() -> str:
        backend = backend_for(peer)
        try:
            await backend.validate(count_lines_job())
            return await backend.probe()
        finally:
            await backend.aclose()

    line = asyncio.run(flow())
    assert "CWL v1.0, v1.1, v1.2" in line
    assert ("cwltool" if peer.name == "sapporo" else "cwl-runner") in line


def test_two_step_workflow_runs_to_completion(peer: WesPeer, tmp_path: Path) -> None:
    job = count_lines_job()

    async def flow() -> tuple[str, list[str], RemoteStatus, list[DownloadedFile]]:
        backend = backend_for(peer)
        try:
            run_id = await backend.submit(job)
            seen: list[str] = []
            status = await wait_until_final(backend, run_id, seen=seen)
            files = list(await backend.download(job, status, tmp_path / "results"))
            return run_id, seen, status, files
        finally:
            await backend.aclose()

    run_id, seen, status, files = asyncio.run(flow())
    assert status.state is JobState.COMPLETED, status
    assert seen[-1] == "COMPLETE"
    assert set(seen) <= {"QUEUED", "INITIALIZING", "RUNNING", "UNKNOWN", "COMPLETE"}
    (output,) = status.outputs
    assert output.name == "summary.txt"
    written = {f.name: f for f in files}
    assert "run-log.json" in written and "stderr.txt" in written
    if peer.name == "sapporo":
        # Fetched over HTTP with the token (sapporo refuses output downloads without one).
        assert output.url == f"{peer.base_url}/runs/{run_id}/outputs/summary.txt"
        assert written["summary.txt"].path.read_text() == EXPECTED_SUMMARY
    else:
        # wes-service only knows its own disk: the location is recorded, not fetched. The
        # server is on this machine, so the test (only the test) can read the file there.
        assert output.url is None
        assert output.location is not None and output.location.startswith("file:///")
        assert Path(urlsplit(output.location).path).read_text() == EXPECTED_SUMMARY
        assert "summary.txt" not in written
        listing = written["server-outputs.tsv"].path.read_text()
        assert f"summary.txt\t{output.location}\n" in listing


def test_failing_workflow_shows_its_stderr(peer: WesPeer) -> None:
    async def flow() -> tuple[RemoteStatus, str]:
        backend = backend_for(peer)
        try:
            run_id = await backend.submit(single_tool_job("fail.cwl", "job-fail"))
            status = await wait_until_final(backend, run_id)
            return status, await backend.logs(run_id)
        finally:
            await backend.aclose()

    status, logs = asyncio.run(flow())
    assert status.state is JobState.FAILED
    assert status.remote_state == "EXECUTOR_ERROR"
    assert status.outputs == ()
    assert status.error is not None
    assert status.error.startswith(f"The workflow run failed on {peer.name} (EXECUTOR_ERROR")
    assert FAILURE_MESSAGE in status.error
    assert FAILURE_MESSAGE in logs
