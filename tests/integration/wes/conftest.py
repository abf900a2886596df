"""Real WES servers for the WES client's integration tests: wes-service 5.0 and sapporo 2.4.0.

One server of each kind per test session (a run takes 2-4 s; starting a server ~1.5 s). Their
virtualenvs are built under .peers/ on first use (~25 s each), see tests/peers/wes_peers.py.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from genoflow_desktop.core.jobs.backend import JobSpec, RemoteStatus
from genoflow_desktop.core.services.wes import WesBackend
from tests.peers.wes_peers import WesPeer, start_sapporo, start_wes_service

WORKFLOWS = Path(__file__).resolve().parents[2] / "data" / "workflows"
#: What count_lines_wf.cwl writes for sample.vcf (three data lines).
EXPECTED_SUMMARY = "GenoFlow summary: variants\t3\n"
FAILURE_MESSAGE = "GENOFLOW-TEST-FAILURE: the input is not a VCF"


@pytest.fixture(scope="session")
def wes_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WesPeer]:
    peer = start_wes_service(tmp_path_factory.mktemp("wes-service"))
    try:
        yield peer
    finally:
        peer.stop()


@pytest.fixture(scope="session")
def sapporo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WesPeer]:
    peer = start_sapporo(tmp_path_factory.mktemp("sapporo"))
    try:
        yield peer
    finally:
        peer.stop()


def backend_for(peer: WesPeer, token: str | None = None) -> WesBackend:
    return WesBackend(name=peer.name, base_url=peer.base_url, token=token or peer.token)


def count_lines_job(job_id: str = "job-count") -> JobSpec:
    return JobSpec(
        job_id=job_id,
        name="count VCF lines",
        params={
            "workflow_url": "count_lines_wf.cwl",
            "workflow_type": "CWL",
            "workflow_type_version": "v1.2",
            "workflow_params": json.loads((WORKFLOWS / "count_lines_wf.params.json").read_text()),
            "tags": {"purpose": "integration test"},
        },
        attachments=tuple(
            WORKFLOWS / name
            for name in ("count_lines_wf.cwl", "count_lines.cwl", "summarise.cwl", "sample.vcf")
        ),
    )


def single_tool_job(tool: str, job_id: str) -> JobSpec:
    return JobSpec(
        job_id=job_id,
        name=tool,
        params={"workflow_url": tool, "workflow_type_version": "v1.2", "workflow_params": {}},
        attachments=(WORKFLOWS / tool,),
    )


async def wait_until_final(
    backend: WesBackend,
    run_id: str,
    *,
    timeout_s: float = 120,
    seen: list[str] | None = None,
) -> RemoteStatus:
    """Poll like the orchestrator does (faster), recording every remote state seen."""
    deadline = time.monotonic() + timeout_s
    while True:
        status = await backend.status(run_id)
        if seen is not None and (not seen or seen[-1] != status.remote_state):
            seen.append(status.remote_state)
        if status.state.is_final:
            return status
        if time.monotonic() > deadline:
            raise AssertionError(f"run {run_id} still {status.remote_state} after {timeout_s} s")
        await asyncio.sleep(0.2)
