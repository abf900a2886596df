"""The job state machine, driven by a scripted backend.

These tests pin the orchestrator's own rules (history rows, restarts, refused tokens, full
queues, retention reminders). The same flows run against a Cloudgene server and real WES
servers in tests/integration.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from genoflow_desktop.core.domain import JobState
from genoflow_desktop.core.jobs.backend import (
    CredentialCheck,
    DownloadedFile,
    JobSpec,
    RemoteOutput,
    RemoteStatus,
)
from genoflow_desktop.core.jobs.notify import Notifier
from genoflow_desktop.core.jobs.orchestrator import JobOrchestrator
from genoflow_desktop.core.services import catalog, credentials
from genoflow_desktop.core.services.backends import ServiceRef
from genoflow_desktop.core.services.errors import (
    AuthenticationFailed,
    JobLimitReached,
    MissingCredential,
    RequestRejected,
    ServiceUnavailable,
)
from genoflow_desktop.core.settings import Settings
from genoflow_desktop.core.store import open_store
from genoflow_desktop.core.store.models import Job, Notification, utcnow

SERVICE = "Michigan Imputation Server 2"


class ScriptedBackend:
    """Answers status calls from a list of states/errors; records what it was asked."""

    def __init__(self, script: list[RemoteStatus | Exception]) -> None:
        self.script = script
        self.submitted: list[JobSpec] = []
        self.submit_errors: list[Exception] = []
        self.cancelled: list[str] = []
        self.downloads = 0

    async def probe(self) -> str:
        return "scripted"

    async def check_credentials(self) -> CredentialCheck:
        return CredentialCheck(True, "ok")

    async def validate(self, spec: JobSpec) -> None:
        if spec.params.get("refpanel") == "nope":
            raise RequestRejected("Reference panel 'nope' is not offered.")

    async def submit(self, spec: JobSpec) -> str:
        if self.submit_errors:
            raise self.submit_errors.pop(0)
        self.submitted.append(spec)
        return f"job-{len(self.submitted)}"

    async def status(self, remote_id: str) -> RemoteStatus:
        item = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(item, Exception):
            raise item
        return item

    async def cancel(self, remote_id: str) -> None:
        self.cancelled.append(remote_id)

    async def download(
        self, spec: JobSpec, status: RemoteStatus, destination: Path, **_: object
    ) -> Sequence[DownloadedFile]:
        self.downloads += 1
        destination.mkdir(parents=True, exist_ok=True)
        files = []
        for output in status.outputs:
            path = destination / output.name
            path.write_text(output.name)
            files.append(DownloadedFile(output.name, path, path.stat().st_size, "0" * 64))
        return files

    async def logs(self, remote_id: str) -> str:
        return "log"

    async def aclose(self) -> None:
        pass


def running(position: int | None = None) -> RemoteStatus:
    if position is not None:
        return RemoteStatus(JobState.QUEUED, "1", queue_position=position)
    return RemoteStatus(JobState.RUNNING, "2")


DONE = RemoteStatus(
    JobState.COMPLETED, "4", outputs=(RemoteOutput("chr_20.zip"), RemoteOutput("qc_report.txt"))
)


@pytest.fixture
def store(app_dirs):  # type: ignore[no-untyped-def]
    store = open_store(app_dirs.database)
    with store.session() as session:
        catalog.ensure_builtin_services(session)
        credentials.set_token(session, SERVICE, "token-1")
    yield store
    store.close()


def orchestrator(store, backend, tmp_path: Path, notes: list | None = None) -> JobOrchestrator:  # type: ignore[no-untyped-def]
    desktop = (
        (lambda level, title, body: notes.append((level, title))) if notes is not None else None
    )
    return JobOrchestrator(
        store,
        results_root=tmp_path / "results",
        poll_interval_s=0.01,
        notifier=Notifier(Settings(), desktop),
        backend_factory=lambda ref, token: backend,
    )


def submit(orch: JobOrchestrator, tmp_path: Path, **params: object) -> str:
    vcf = tmp_path / "chr20.vcf.gz"
    vcf.write_bytes(b"x")
    return asyncio.run(
        orch.submit_new(service=SERVICE, name="cohort 1", params=dict(params), files=[vcf])
    )


def history(store, job_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    with store.session() as session:
        job = session.get(Job, job_id)
        return [event.state for event in job.history]


def test_job_runs_to_completion_with_one_history_row_per_change(store, tmp_path: Path) -> None:
    backend = ScriptedBackend([running(2), running(0), running(), running(), DONE])
    notes: list = []
    orch = orchestrator(store, backend, tmp_path, notes)
    job_id = submit(orch, tmp_path, refpanel="hapmap-2")

    assert asyncio.run(orch.follow(job_id)) is JobState.COMPLETED
    assert history(store, job_id) == [
        "draft",
        "submitting",
        "queued",
        "running",
        "downloading",
        "completed",
    ]
    with store.session() as session:
        job = session.get(Job, job_id)
        assert job.remote_id == "job-1"
        assert {r["name"] for r in job.results} == {"chr_20.zip", "qc_report.txt"}
        assert Path(job.results[0]["path"]).is_file()
        assert session.scalar(select(Notification.title)) == "Job 'cohort 1' finished"
    assert notes == [("info", "Job 'cohort 1' finished")]


def test_invalid_parameters_are_refused_before_any_job_exists(store, tmp_path: Path) -> None:
    orch = orchestrator(store, ScriptedBackend([DONE]), tmp_path)
    with pytest.raises(RequestRejected):
        submit(orch, tmp_path, refpanel="nope")
    with store.session() as session:
        assert session.scalar(select(Job)) is None


def test_missing_token_fails_before_anything_is_sent(store, tmp_path: Path) -> None:
    with store.session() as session:
        credentials.delete_token(session, SERVICE)
    backend = ScriptedBackend([DONE])
    orch = JobOrchestrator(store, results_root=tmp_path, backend_factory=lambda ref, token: backend)
    with pytest.raises(MissingCredential) as raised:
        submit(orch, tmp_path)
    assert "genoflow credentials set" in raised.value.hint
    assert backend.submitted == []


def test_a_new_process_resumes_following(store, tmp_path: Path) -> None:
    first = orchestrator(store, ScriptedBackend([running()]), tmp_path)
    job_id = submit(first, tmp_path)
    # The first process ends here (no follow); a second one finds the job and finishes it.
    second_backend = ScriptedBackend([running(), DONE])
    second = orchestrator(store, second_backend, tmp_path)
    assert second.unfinished_jobs() == [job_id]
    assert asyncio.run(second.follow(job_id)) is JobState.COMPLETED
    assert second_backend.submitted == []  # never submitted twice


def test_refused_token_keeps_the_state_and_resumes_with_a_new_token(store, tmp_path: Path) -> None:
    refused = AuthenticationFailed("The server did not accept your token (HTTP 401).", status=401)
    backend = ScriptedBackend([running(), refused, running(), DONE])
    orch = orchestrator(store, backend, tmp_path)
    job_id = submit(orch, tmp_path)

    async def scenario() -> JobState:
        follower = asyncio.ensure_future(orch.follow(job_id))
        for _ in range(200):
            await asyncio.sleep(0.01)
            with store.session() as session:
                job = session.get(Job, job_id)
                if job.attention and "401" in job.attention:
                    assert job.state == "running"  # unchanged by the refusal
                    break
        else:
            raise AssertionError("the refusal was never recorded")
        await orch.credentials_changed(SERVICE)
        return await asyncio.wait_for(follower, 5)

    assert asyncio.run(scenario()) is JobState.COMPLETED
    with store.session() as session:
        titles = list(session.scalars(select(Notification.title)))
    assert f"{SERVICE} needs a new token" in titles


def test_full_server_queue_waits_here_then_submits(store, tmp_path: Path) -> None:
    backend = ScriptedBackend([running(), DONE])
    backend.submit_errors = [
        JobLimitReached("Only 2 jobs per user can be executed simultaneously.", limit=2)
    ]
    orch = orchestrator(store, backend, tmp_path)
    job_id = submit(orch, tmp_path)
    with store.session() as session:
        job = session.get(Job, job_id)
        assert job.state == "submitting" and job.remote_id is None
        assert "Only 2 jobs" in job.attention
    assert asyncio.run(orch.follow(job_id)) is JobState.COMPLETED
    assert len(backend.submitted) == 1


def test_unreachable_server_is_retried_without_a_state_change(store, tmp_path: Path) -> None:
    down = ServiceUnavailable("The server could not be reached.")
    backend = ScriptedBackend([running(), down, down, running(), DONE])
    orch = orchestrator(store, backend, tmp_path)
    job_id = submit(orch, tmp_path)
    assert asyncio.run(orch.follow(job_id)) is JobState.COMPLETED
    assert history(store, job_id).count("running") == 1


def test_failed_job_keeps_exported_files_and_the_servers_message(store, tmp_path: Path) -> None:
    failed = RemoteStatus(
        JobState.FAILED,
        "5",
        error="Quality Control: 120 strand flips. Imputation cannot be started!",
        outputs=(RemoteOutput("qc_report.txt"),),
    )
    orch = orchestrator(store, ScriptedBackend([running(), failed]), tmp_path)
    job_id = submit(orch, tmp_path)
    assert asyncio.run(orch.follow(job_id)) is JobState.FAILED
    with store.session() as session:
        job = session.get(Job, job_id)
        assert "strand flips" in job.error
        assert [r["name"] for r in job.results] == ["qc_report.txt"]


def test_cancel_before_submission_is_local(store, tmp_path: Path) -> None:
    backend = ScriptedBackend([running()])
    backend.submit_errors = [ServiceUnavailable("down")]
    orch = orchestrator(store, backend, tmp_path)
    with pytest.raises(ServiceUnavailable):
        submit(orch, tmp_path)
    job_id = orch.unfinished_jobs()[0]
    assert asyncio.run(orch.cancel(job_id)) is JobState.CANCELED
    assert backend.cancelled == []
    assert history(store, job_id)[-1] == "canceled"


def test_expiring_results_are_reminded_once(store, tmp_path: Path) -> None:
    orch = orchestrator(store, ScriptedBackend([running()]), tmp_path)
    job_id = submit(orch, tmp_path)
    with store.session() as session:
        session.get(Job, job_id).results_expire_at = utcnow() + timedelta(hours=20)
    assert orch.remind_expiring() == 1
    assert orch.remind_expiring() == 0
    with store.session() as session:
        assert "expire in 19 hours" in session.scalar(select(Notification.title)) or (
            "expire in 20 hours" in session.scalar(select(Notification.title))
        )


def test_service_ref_is_detached(store) -> None:
    with store.session() as session:
        ref = ServiceRef.of(credentials.find_service(session, SERVICE))
    assert ref.base_url.startswith("https://")


def test_reachability_is_reported_and_service_back_ends_the_back_off(store, tmp_path: Path) -> None:
    down = ServiceUnavailable("The server could not be reached.")
    orch = orchestrator(store, ScriptedBackend([down, DONE]), tmp_path)
    reports: list[tuple[str, str | None]] = []
    orch.add_reach_listener(lambda name, problem: reports.append((name, problem)))
    job_id = submit(orch, tmp_path)
    orch.poll_interval_s = 30  # after the failure it would wait 60 s: only a wake-up helps

    async def scenario() -> JobState:
        follower = asyncio.ensure_future(orch.follow(job_id))
        for _ in range(200):
            await asyncio.sleep(0.01)
            if reports:
                break
        # The connectivity monitor saw the service answer again.
        orch.service_back(SERVICE)
        return await asyncio.wait_for(follower, 5)

    assert asyncio.run(scenario()) is JobState.COMPLETED
    assert reports == [(SERVICE, "The server could not be reached."), (SERVICE, None)]
