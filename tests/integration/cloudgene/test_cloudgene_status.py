"""Every Cloudgene job state as the backend reports it, plus cancel and logs."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from genoflow_desktop.core.domain import JobState
from genoflow_desktop.core.jobs.backend import RemoteStatus
from genoflow_desktop.core.services import credentials
from genoflow_desktop.core.services.cloudgene import CloudgeneBackend
from genoflow_desktop.core.services.cloudgene.status import RETIRED_ERROR
from tests.integration.cloudgene.conftest import FakeCloudgene, Runner, job_spec

pytestmark = pytest.mark.integration


@pytest.fixture
def job_id(run: Runner, vcf: Path) -> str:
    async def action(backend: CloudgeneBackend) -> str:
        return await backend.submit(job_spec(vcf))

    return run(action)


def status(run: Runner, job_id: str) -> RemoteStatus:
    async def action(backend: CloudgeneBackend) -> RemoteStatus:
        return await backend.status(job_id)

    return run(action)


def test_waiting_jobs_show_their_place_in_the_queue(run: Runner, vcf: Path, job_id: str) -> None:
    async def second(backend: CloudgeneBackend) -> str:
        return await backend.submit(job_spec(vcf, job_id="local-2"))

    later = run(second)
    first, queued = status(run, job_id), status(run, later)
    assert (first.state, first.queue_position, first.messages) == (JobState.QUEUED, 0, ())
    assert (queued.state, queued.queue_position) == (JobState.QUEUED, 1)


def test_running_exporting_and_success(run: Runner, cloudgene: FakeCloudgene, job_id: str) -> None:
    cloudgene.set_state(job_id, 2)
    running = status(run, job_id)
    assert (running.state, running.remote_state) == (JobState.RUNNING, "running")
    assert running.messages[0].step == "Input Validation" and running.messages[0].level == "ok"
    assert running.messages[0].text.startswith("1 valid VCF file(s) found.")
    assert (
        running.messages[-1].text == "Imputation (0/1)" and running.messages[-1].level == "running"
    )
    assert running.progress == 0.0 and running.started_at is not None

    cloudgene.set_state(job_id, 3)
    exporting = status(run, job_id)
    assert (exporting.state, exporting.remote_state) == (JobState.RUNNING, "exporting")
    assert exporting.messages[-1].text == "Compression and Encryption (0/1)"

    cloudgene.set_state(job_id, 4)
    done = status(run, job_id)
    assert done.state is JobState.COMPLETED and done.error is None
    assert sorted(o.name for o in done.outputs) == [
        "chr_20.zip",
        "qc_report.txt",
        "quality-control.html",
        "statistics/snps-excluded.txt",
    ]
    assert all(
        o.downloads_left == 10 and o.url and o.url.startswith(cloudgene.url) for o in done.outputs
    )
    password = credentials.get_job_password("local-1")
    assert done.messages[-1].step == "Summary"
    assert done.result_password == password  # announced by the server, kept out of the text
    assert password not in done.messages[-1].text
    assert done.finished_at is not None and done.results_expire_at == done.finished_at + timedelta(
        days=7
    )


def test_qc_failure_gives_the_error_messages_and_the_qc_files(
    run: Runner, cloudgene: FakeCloudgene, job_id: str
) -> None:
    cloudgene.set_state(job_id, 2)
    cloudgene.set_state(job_id, 5, failure="qc")
    failed = status(run, job_id)
    assert failed.state is JobState.FAILED
    assert failed.error is not None
    assert "More than 100 obvious strand flips have been detected" in failed.error
    assert "Pipeline execution failed." in failed.error and "<b>" not in failed.error
    assert sorted(o.name for o in failed.outputs) == [
        "qc_report.txt",
        "quality-control.html",
        "statistics/snps-excluded.txt",
    ]


def test_cancel(run: Runner, job_id: str) -> None:
    async def action(backend: CloudgeneBackend) -> RemoteStatus:
        await backend.cancel(job_id)
        return await backend.status(job_id)

    canceled = run(action)
    assert (canceled.state, canceled.remote_state) == (JobState.CANCELED, "canceled")


@pytest.mark.parametrize(
    ("state", "expected", "word"),
    [
        (7, JobState.FAILED, "retired"),
        (8, JobState.COMPLETED, "success (deletion notice sent)"),
        (9, JobState.FAILED, "failed (deletion notice sent)"),
        (-1, JobState.FAILED, "dead"),
    ],
)
def test_late_states(
    run: Runner, cloudgene: FakeCloudgene, job_id: str, state: int, expected: JobState, word: str
) -> None:
    cloudgene.set_state(job_id, 2)
    cloudgene.set_state(job_id, 4)
    cloudgene.set_state(job_id, state)
    seen = status(run, job_id)
    assert (seen.state, seen.remote_state) == (expected, word)
    if state == 7:
        assert seen.error == RETIRED_ERROR
    if state == 8:
        # deletedOn is set: the expiry comes from it (two days ahead in the fake).
        assert seen.results_expire_at is not None
        assert abs(seen.results_expire_at - (datetime.now(UTC) + timedelta(days=2))) < timedelta(
            minutes=1
        )


def test_unknown_panel_fails_at_once_without_steps(run: Runner) -> None:
    async def action(backend: CloudgeneBackend) -> RemoteStatus:
        job = await backend.client.submit(
            "imputationserver2", [("refpanel", "apps@nope@1.0.0")], []
        )
        return await backend.status(job)

    failed = run(action)
    assert failed.state is JobState.FAILED and failed.messages == ()
    assert failed.error is not None and "unknown reference panel" in failed.error


def test_logs(run: Runner, job_id: str) -> None:
    async def action(backend: CloudgeneBackend) -> str:
        return await backend.logs(job_id)

    text = run(action)
    assert text.startswith("job.txt:") and "std.out:" in text and job_id in text


def test_a_job_runs_to_the_end_on_its_own(
    run: Runner, cloudgene: FakeCloudgene, job_id: str
) -> None:
    cloudgene.control("config", {"auto_advance_s": 0.05})

    async def action(backend: CloudgeneBackend) -> list[JobState]:
        seen: list[JobState] = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            state = (await backend.status(job_id)).state
            if not seen or seen[-1] is not state:
                seen.append(state)
            if state.is_final:
                break
            await asyncio.sleep(0.02)
        return seen

    seen = run(action)
    assert seen[-1] is JobState.COMPLETED
    assert seen == sorted(seen, key=lambda s: s.rank)
