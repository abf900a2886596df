"""wes-service (WES 1.0): its run list comes under "workflows", not "runs"."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from genoflow_desktop.core.services.wes.models import RunSummary
from tests.integration.wes.conftest import backend_for, single_tool_job, wait_until_final
from tests.peers.wes_peers import WesPeer

pytestmark = pytest.mark.integration


def test_listing_reads_the_workflows_key(wes_service: WesPeer) -> None:
    async def flow() -> tuple[str, list[RunSummary]]:
        backend = backend_for(wes_service)
        try:
            run_id = await backend.submit(single_tool_job("fail.cwl", "job-list"))
            await wait_until_final(backend, run_id)
            return run_id, await backend.client.list_runs(page_size=1)
        finally:
            await backend.aclose()

    run_id, runs = asyncio.run(flow())
    raw = httpx.get(f"{wes_service.base_url}/runs", trust_env=False).json()
    assert "workflows" in raw and "runs" not in raw  # so the fallback is what read it
    assert {"run_id": run_id, "state": "EXECUTOR_ERROR"} in raw["workflows"]
    assert any(run.run_id == run_id and run.state == "EXECUTOR_ERROR" for run in runs)
    assert len(runs) == len(raw["workflows"])  # page_size is ignored: one page holds all
