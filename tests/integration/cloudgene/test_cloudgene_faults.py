"""Maintenance, proxy error pages and token trouble, as the orchestrator will meet them."""

from __future__ import annotations

from pathlib import Path

import pytest

from genoflow_desktop.core.domain import JobState
from genoflow_desktop.core.jobs.backend import RemoteStatus
from genoflow_desktop.core.services.cloudgene import CloudgeneBackend
from genoflow_desktop.core.services.errors import (
    AccessDenied,
    AuthenticationFailed,
    ServiceUnavailable,
)
from tests.integration.cloudgene.conftest import FakeCloudgene, Runner, job_spec

pytestmark = pytest.mark.integration


@pytest.fixture
def job_id(run: Runner, vcf: Path) -> str:
    async def action(backend: CloudgeneBackend) -> str:
        return await backend.submit(job_spec(vcf))

    return run(action)


def status(run: Runner, job_id: str, token: str | None = None) -> RemoteStatus:
    async def action(backend: CloudgeneBackend) -> RemoteStatus:
        return await backend.status(job_id)

    return run(action, token=token)


def test_maintenance_is_unavailable_with_the_servers_message(
    run: Runner, cloudgene: FakeCloudgene, vcf: Path, job_id: str
) -> None:
    cloudgene.control("maintenance", {"on": True})
    with pytest.raises(ServiceUnavailable, match="currently under maintenance") as caught:
        status(run, job_id)
    assert caught.value.retryable and "maintenance" in caught.value.hint
    assert cloudgene.requests()[f"GET /api/v2/jobs/{job_id}/status"] == 4  # GETs are retried

    async def resubmit(backend: CloudgeneBackend) -> str:
        return await backend.client.submit(
            "imputationserver2", [("refpanel", "apps@hapmap-2@2.0.0")], [vcf]
        )

    with pytest.raises(ServiceUnavailable, match="maintenance"):
        run(resubmit)
    assert cloudgene.requests()["POST /api/v2/jobs/submit/imputationserver2"] == 2  # never retried
    cloudgene.control("maintenance", {"on": False})
    assert status(run, job_id).state is JobState.QUEUED


def test_proxy_error_pages_are_retried_until_they_clear(
    run: Runner, cloudgene: FakeCloudgene, job_id: str
) -> None:
    cloudgene.control("proxy-errors", {"count": 2, "status": 503})
    assert status(run, job_id).state is JobState.QUEUED
    assert cloudgene.requests()[f"GET /api/v2/jobs/{job_id}/status"] == 3


def test_proxy_error_pages_that_stay_become_unavailable(
    run: Runner, cloudgene: FakeCloudgene, job_id: str
) -> None:
    cloudgene.control("proxy-errors", {"count": 10, "status": 502})
    with pytest.raises(
        ServiceUnavailable, match=r"web page \('503 Service Temporarily Unavailable'\)"
    ):
        status(run, job_id)
    assert cloudgene.requests()[f"GET /api/v2/jobs/{job_id}/status"] == 4


def test_token_trouble_does_not_touch_the_job(
    run: Runner, cloudgene: FakeCloudgene, job_id: str
) -> None:
    cloudgene.set_state(job_id, 2)
    cloudgene.control("tokens", {"token": cloudgene.token, "state": "expired"})
    with pytest.raises(AuthenticationFailed):
        status(run, job_id)
    cloudgene.control("tokens", {"token": cloudgene.token, "state": "revoked"})
    with pytest.raises(AccessDenied):
        status(run, job_id)
    cloudgene.control("tokens", {"token": cloudgene.token, "state": "valid"})
    assert status(run, job_id).state is JobState.RUNNING
    # Someone else's token sees "Access denied." for this job, not its data.
    cloudgene.control("tokens", {"token": "bob-token", "username": "bob"})
    with pytest.raises(AccessDenied, match="Access denied"):
        status(run, job_id, token="bob-token")
