"""Jobs that run to the end on their own: submit, follow, download, notify — across restarts.

Each job is a state machine persisted in the store::

    draft → submitting → queued → running → downloading → completed
                                                        ↘ failed | canceled

Every change of state adds a row to the job's status history. Nothing lives only in memory: a
new process (the app after a restart, or ``genoflow job ID --wait``) picks every unfinished job
up where the last one left it, from its row alone.

The orchestrator is asyncio code and Qt-free. The command line runs it with ``asyncio.run``; the
app runs it on a thread of its own (``qt/workers/job_runner.py``), so neither network waits nor
store writes ever touch the GUI thread. Listeners learn of changes through :class:`JobEvent`.

What the servers do wrong is handled here, once for both kinds of service:

* a refused token (401/403) keeps the job's state and asks the user for a new token; following
  resumes as soon as one is saved (:meth:`JobOrchestrator.credentials_changed`);
* a server that is down, in maintenance or behind a failing proxy is retried with back-off;
* Cloudgene's "Only N jobs per user" keeps the job here, waiting to be submitted until one of
  the user's jobs on that server ends;
* results the server deletes after a retention period are downloaded as soon as the job ends,
  and a reminder is raised two days before they expire if they are still not on disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from genoflow_desktop.core.domain import JobKind, JobState, ServiceKind
from genoflow_desktop.core.errors import UserError
from genoflow_desktop.core.jobs.backend import (
    DownloadedFile,
    DownloadProgress,
    JobBackend,
    JobSpec,
    RemoteStatus,
)
from genoflow_desktop.core.jobs.notify import Note, Notifier
from genoflow_desktop.core.services import credentials
from genoflow_desktop.core.services.backends import ServiceRef, make_backend, service_ref
from genoflow_desktop.core.services.errors import (
    AccessDenied,
    AuthenticationFailed,
    JobLimitReached,
    MissingCredential,
    NotFound,
    ServiceError,
    ServiceUnavailable,
)
from genoflow_desktop.core.store.database import Store
from genoflow_desktop.core.store.models import (
    ORIGIN_LAB,
    ORIGIN_LOCAL,
    Job,
    Service,
    new_id,
    utcnow,
)
from genoflow_desktop.core.store.repositories import set_job_state

log = logging.getLogger(__name__)

#: Jobs in these states are followed; drafts wait for the user, final states are done.
FOLLOWED_STATES = (JobState.SUBMITTING, JobState.QUEUED, JobState.RUNNING, JobState.DOWNLOADING)
#: How long before results expire on the server the user is reminded to fetch them.
EXPIRY_REMINDER = timedelta(hours=48)
#: Longest wait between two attempts while a server is unreachable.
MAX_BACKOFF_S = 600.0
#: Requests in flight per service, however many jobs are followed.
REQUESTS_PER_SERVICE = 4

BackendFactory = Callable[[ServiceRef, str | None], JobBackend]
TokenReader = Callable[[str], str | None]


@dataclass(frozen=True)
class JobEvent:
    """Something changed about a job: its state, its progress, or why it waits."""

    job_id: str
    state: JobState
    message: str = ""


Listener = Callable[[JobEvent], None]
#: Told while results arrive: job id, file name, bytes so far, and the size when known.
DownloadListener = Callable[[str, str, int, int | None], None]
#: A file's download progress is told at most this often (and always when it ends).
DOWNLOAD_PROGRESS_INTERVAL_S = 0.25
#: Told after each request to a service: its name, and None when it answered or why it did not.
ReachListener = Callable[[str, str | None], None]


@dataclass(frozen=True)
class _Snapshot:
    """What one step of following needs, read from the job's row in one short session."""

    job_id: str
    state: JobState
    remote_id: str | None
    service: ServiceRef
    spec: JobSpec
    output_dir: Path


def _folder_name(name: str, job_id: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")[:60]
    return f"{safe or 'job'}-{job_id[:8]}"


def _spec(job: Job) -> JobSpec:
    paths = tuple(Path(p) for p in job.inputs)
    if job.kind == JobKind.WORKFLOW.value:
        return JobSpec(job.id, job.name, dict(job.params), attachments=paths)
    return JobSpec(job.id, job.name, dict(job.params), inputs=paths)


class JobOrchestrator:
    """Submits jobs and follows every unfinished one to its end."""

    def __init__(
        self,
        store: Store,
        *,
        results_root: Path,
        poll_interval_s: float = 30.0,
        notifier: Notifier | None = None,
        backend_factory: BackendFactory = make_backend,
        token_reader: TokenReader | None = None,
    ) -> None:
        self.store = store
        self.results_root = results_root
        self.poll_interval_s = poll_interval_s
        self.notifier = notifier
        self._backend_factory = backend_factory
        self._token_reader = token_reader or self._read_token
        self._backends: dict[str, JobBackend] = {}
        self._limits: dict[str, asyncio.Semaphore] = {}
        self._wakeups: dict[str, asyncio.Event] = {}
        self._followers: dict[str, asyncio.Task[JobState]] = {}
        self._listeners: list[Listener] = []
        self._reach_listeners: list[ReachListener] = []
        self._download_listeners: list[DownloadListener] = []
        self._stopping = asyncio.Event()

    # -- listeners -------------------------------------------------------------------------

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def add_reach_listener(self, listener: ReachListener) -> None:
        """Hear whether each service answered: offline mode learns from real traffic too."""
        self._reach_listeners.append(listener)

    def add_download_listener(self, listener: DownloadListener) -> None:
        """Hear how far each result file's download is (for progress bars)."""
        self._download_listeners.append(listener)

    def _download_progress(self, job_id: str) -> DownloadProgress:
        """The progress callback of one job's download, throttled per file."""
        told: dict[str, float] = {}

        def progress(name: str, done: int, total: int | None) -> None:
            now = time.monotonic()
            finished = total is not None and done >= total
            if not finished and now - told.get(name, 0.0) < DOWNLOAD_PROGRESS_INTERVAL_S:
                return
            told[name] = now
            for listener in self._download_listeners:
                try:
                    listener(job_id, name, done, total)
                except Exception:  # a listener's bug must not stop the download
                    log.exception("download listener failed")

        return progress

    def _reach(self, service_name: str, problem: str | None) -> None:
        for listener in self._reach_listeners:
            try:
                listener(service_name, problem)
            except Exception:  # a listener's bug must not stop the job
                log.exception("reach listener failed")

    def _emit(self, job_id: str, state: JobState, message: str = "") -> None:
        event = JobEvent(job_id, state, message)
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:  # a listener's bug must not stop the job
                log.exception("job listener failed")

    # -- services, tokens and backends -----------------------------------------------------

    def _read_token(self, service_name: str) -> str | None:
        with self.store.session() as session:
            return credentials.get_token(session, service_name)

    def _service_ref(self, service_name: str) -> ServiceRef:
        with self.store.session() as session:
            return service_ref(session, service_name)

    def backend(self, service: ServiceRef) -> JobBackend:
        """The service's backend, made once with the stored token (Cloudgene requires one)."""
        if service.name not in self._backends:
            token = self._token_reader(service.name)
            if token is None and service.kind is ServiceKind.CLOUDGENE:
                raise MissingCredential(
                    f"No token is stored for {service.name}.",
                    hint="Create an API token on the service's web site (your profile, 'Create "
                    f"API Token'), then run 'genoflow credentials set \"{service.name}\"' or add "
                    "it in Settings > Services.",
                )
            self._backends[service.name] = self._backend_factory(service, token)
        return self._backends[service.name]

    def _limit(self, service_name: str) -> asyncio.Semaphore:
        return self._limits.setdefault(service_name, asyncio.Semaphore(REQUESTS_PER_SERVICE))

    def _wake(self, service_name: str) -> None:
        event = self._wakeups.pop(service_name, None)
        if event is not None:
            event.set()

    async def _wait(self, service_name: str, timeout: float) -> None:
        """Sleep up to ``timeout`` seconds; a change on the service or stop() ends it early."""
        event = self._wakeups.setdefault(service_name, asyncio.Event())
        waiters = [
            asyncio.ensure_future(event.wait()),
            asyncio.ensure_future(self._stopping.wait()),
        ]
        try:
            await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def credentials_changed(self, service_name: str) -> None:
        """A token was saved or removed: use it from now on and retry the jobs that waited."""
        backend = self._backends.pop(service_name, None)
        if backend is not None:
            await backend.aclose()
        self._wake(service_name)

    def service_back(self, service_name: str) -> None:
        """The service answers again: retry its waiting jobs now, not after their back-off."""
        self._wake(service_name)

    async def aclose(self) -> None:
        self.stop()
        for task in list(self._followers.values()):
            task.cancel()
        for task in list(self._followers.values()):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for backend in self._backends.values():
            await backend.aclose()
        self._backends.clear()

    def stop(self) -> None:
        self._stopping.set()

    # -- creating and submitting -----------------------------------------------------------

    async def submit_new(
        self,
        *,
        service: str,
        name: str,
        params: dict[str, Any],
        files: Sequence[Path],
        pipeline: str | None = None,
    ) -> str:
        """Validate a new job against the service, record it, and submit it.

        Validation (token present, parameters the server offers, input files) happens before
        the job is recorded or anything is uploaded, so a mistake costs nothing. A server that
        is down, or a full per-user queue, does not lose the job: it stays "submitting" and is
        sent when :meth:`follow` next runs.
        """
        ref = self._service_ref(service)
        backend = self.backend(ref)
        kind = JobKind.IMPUTATION if ref.kind is ServiceKind.CLOUDGENE else JobKind.WORKFLOW
        paths = [Path(p).expanduser().resolve() for p in files]
        job_id = new_id()
        job_spec = (
            JobSpec(job_id, name, params, attachments=tuple(paths))
            if kind is JobKind.WORKFLOW
            else JobSpec(job_id, name, params, inputs=tuple(paths))
        )
        await backend.validate(job_spec)
        with self.store.session() as session:
            service_row = credentials.find_service(session, service)
            job = Job(
                id=job_id,
                service_id=service_row.id,
                name=name,
                kind=kind.value,
                pipeline=pipeline or ("imputation" if kind is JobKind.IMPUTATION else None),
                state=JobState.DRAFT.value,
                params=job_spec.params,
                inputs=[str(p) for p in paths],
            )
            session.add(job)
            set_job_state(session, job, JobState.DRAFT, "created")
            set_job_state(session, job, JobState.SUBMITTING, f"submitting to {service}")
            job.output_dir = str(self.results_root / _folder_name(name, job_id))
        self._emit(job_id, JobState.SUBMITTING)
        snapshot = self._snapshot(job_id)
        assert snapshot is not None
        await self._submit(snapshot)
        return job_id

    async def _submit(self, snapshot: _Snapshot) -> None:
        backend = self.backend(snapshot.service)
        try:
            async with self._limit(snapshot.service.name):
                remote_id = await backend.submit(snapshot.spec)
        except JobLimitReached as error:
            self._attention(snapshot.job_id, f"{error.message} {error.hint}")
            return
        except (ServiceUnavailable, AuthenticationFailed, AccessDenied, MissingCredential):
            raise  # the job waits; follow() decides how long
        except ServiceError as error:
            # The server refused the job itself (bad parameters, unknown app): that is final.
            self._finish(snapshot.job_id, JobState.FAILED, error=error.message)
            raise
        with self.store.session() as session:
            job = session.get(Job, snapshot.job_id)
            assert job is not None
            job.remote_id = remote_id
            job.submitted_at = utcnow()
            job.attention = None
            set_job_state(session, job, JobState.QUEUED, f"submitted as {remote_id}")
        self._emit(snapshot.job_id, JobState.QUEUED, remote_id)

    # -- following -------------------------------------------------------------------------

    def _snapshot(self, job_id: str) -> _Snapshot | None:
        with self.store.session() as session:
            job = session.get(Job, job_id)
            if job is None:
                return None
            if job.origin == ORIGIN_LAB:
                raise UserError(
                    f"Job {job_id} is lab history from {job.owner or 'another machine'}.",
                    hint="Only the machine that submitted it follows, cancels or downloads it.",
                )
            service = session.get(Service, job.service_id) if job.service_id else None
            if service is None:
                return None
            output = (
                Path(job.output_dir)
                if job.output_dir
                else (self.results_root / _folder_name(job.name, job.id))
            )
            return _Snapshot(
                job.id,
                JobState(job.state),
                job.remote_id,
                ServiceRef.of(service),
                _spec(job),
                output,
            )

    def unfinished_jobs(self) -> list[str]:
        with self.store.session() as session:
            return list(
                session.scalars(
                    select(Job.id)
                    .where(Job.state.in_([s.value for s in FOLLOWED_STATES]))
                    .where(Job.origin == ORIGIN_LOCAL)  # lab history is followed by its owner
                    .order_by(Job.created_at)
                )
            )

    async def follow(self, job_id: str, *, raise_refused_token: bool = False) -> JobState:
        """Follow one job until it ends (or :meth:`stop`); returns its state at that point.

        A refused token makes the app wait for a new one; a command-line caller, with nobody
        to type it in, passes ``raise_refused_token`` to get the error instead.
        """
        failures = 0
        while not self._stopping.is_set():
            snapshot = self._snapshot(job_id)
            if snapshot is None:
                raise UserError(
                    f"Job {job_id} has no service any more.",
                    hint="Its service was removed; the job's history is kept.",
                )
            if snapshot.state not in FOLLOWED_STATES:
                return snapshot.state
            try:
                await self._step(snapshot)
                failures = 0
                wait = self.poll_interval_s
                self._reach(snapshot.service.name, None)  # it answered (even "queue full")
            except (AuthenticationFailed, AccessDenied, MissingCredential) as error:
                await self._token_refused(snapshot, error)
                if raise_refused_token:
                    raise
                wait = MAX_BACKOFF_S  # until a new token is saved (that wakes us)
            except ServiceUnavailable as error:
                failures += 1
                wait = min(MAX_BACKOFF_S, self.poll_interval_s * 2 ** min(failures, 6))
                self._attention(job_id, f"{error.message} Trying again in {wait:.0f} s.")
                self._reach(snapshot.service.name, error.message)
                log.info("job %s: %s", job_id, error.message)
            state = self._state(job_id)
            if state not in FOLLOWED_STATES:
                return state
            if state is not JobState.DOWNLOADING:
                await self._wait(snapshot.service.name, wait)
        return self._state(job_id)

    def _state(self, job_id: str) -> JobState:
        with self.store.session() as session:
            job = session.get(Job, job_id)
            assert job is not None
            return JobState(job.state)

    async def _step(self, snapshot: _Snapshot) -> None:
        if snapshot.state is JobState.SUBMITTING:
            if snapshot.remote_id is None:
                await self._submit(snapshot)
            return
        assert snapshot.remote_id is not None
        backend = self.backend(snapshot.service)
        try:
            async with self._limit(snapshot.service.name):
                status = await backend.status(snapshot.remote_id)
        except NotFound as error:
            self._finish(
                snapshot.job_id,
                JobState.FAILED,
                error=f"The server no longer knows this job ({error.message})",
            )
            return
        self._apply(snapshot, status)
        if status.state is JobState.COMPLETED:
            await self._download(snapshot, status, final=JobState.COMPLETED)
        elif status.state in (JobState.FAILED, JobState.CANCELED):
            # Keep what the server still has: the QC report of a failed imputation, the logs of
            # a failed workflow run. Best effort: the job ends either way.
            await self._download(snapshot, status, final=status.state, error=status.error)

    def _apply(self, snapshot: _Snapshot, status: RemoteStatus) -> None:
        """Record what the server said; add a history row when the state moved forward."""
        target = status.state if status.state in (JobState.QUEUED, JobState.RUNNING) else None
        with self.store.session() as session:
            job = session.get(Job, snapshot.job_id)
            assert job is not None
            changed = job.remote_state != status.remote_state
            job.remote_state = status.remote_state
            job.queue_position = status.queue_position
            job.progress = status.progress
            job.messages = [
                {"step": m.step, "level": m.level, "text": m.text} for m in status.messages
            ]
            job.attention = None
            if status.results_expire_at is not None:
                job.results_expire_at = status.results_expire_at
            current = JobState(job.state)
            if target is not None and target.rank > current.rank:
                message = (
                    f"position {status.queue_position + 1} in the server's queue"
                    if target is JobState.QUEUED and status.queue_position is not None
                    else f"server state: {status.remote_state}"
                )
                set_job_state(session, job, target, message)
            elif changed:
                job.updated_at = utcnow()
        self._emit(snapshot.job_id, target or snapshot.state, status.remote_state)

    async def _download(
        self,
        snapshot: _Snapshot,
        status: RemoteStatus,
        *,
        final: JobState,
        error: str | None = None,
    ) -> None:
        with self.store.session() as session:
            job = session.get(Job, snapshot.job_id)
            assert job is not None
            if final is JobState.COMPLETED and JobState(job.state) is not JobState.DOWNLOADING:
                set_job_state(session, job, JobState.DOWNLOADING, "downloading results")
            job.output_dir = str(snapshot.output_dir)
        if final is JobState.COMPLETED:
            self._emit(snapshot.job_id, JobState.DOWNLOADING)
        backend = self.backend(snapshot.service)
        try:
            files = await backend.download(
                snapshot.spec,
                status,
                snapshot.output_dir,
                progress=self._download_progress(snapshot.job_id),
            )
        except (ServiceUnavailable, AuthenticationFailed, AccessDenied):
            if final is JobState.COMPLETED:
                raise  # retried by follow(): a download counts only once it is whole
            files = []
        except UserError as download_error:
            if final is not JobState.COMPLETED:
                log.warning("job %s: exported files not kept: %s", snapshot.job_id, download_error)
                self._finish(snapshot.job_id, final, error=error, files=[])
                return
            # Permanent (download limit used up, wrong password...): say so, keep what arrived.
            self._finish(
                snapshot.job_id,
                JobState.FAILED,
                error=f"{error + ' ' if error else ''}The results could not be downloaded: "
                f"{download_error.message} {download_error.hint}".strip(),
            )
            return
        self._finish(snapshot.job_id, final, error=error, files=files)

    def _finish(
        self,
        job_id: str,
        state: JobState,
        *,
        error: str | None = None,
        files: Sequence[DownloadedFile] | None = None,
    ) -> None:
        with self.store.session() as session:
            job = session.get(Job, job_id)
            assert job is not None
            if files is not None:
                job.results = [
                    {**asdict(f), "path": str(f.path)} for f in sorted(files, key=lambda f: f.name)
                ]
            job.error = error
            job.attention = None
            job.progress = 1.0 if state is JobState.COMPLETED else job.progress
            summary = {
                JobState.COMPLETED: f"{len(job.results)} result files downloaded",
                JobState.FAILED: error or "failed",
                JobState.CANCELED: "canceled",
            }[state]
            set_job_state(session, job, state, summary)
            service_name = job.service_id and session.get(Service, job.service_id)
            title = {
                JobState.COMPLETED: f"Job '{job.name}' finished",
                JobState.FAILED: f"Job '{job.name}' failed",
                JobState.CANCELED: f"Job '{job.name}' was canceled",
            }[state]
            body = (
                summary if state is not JobState.COMPLETED else (f"{summary} to {job.output_dir}")
            )
            if self.notifier is not None:
                level = {"completed": "info", "failed": "error", "canceled": "warning"}[state.value]
                self.notifier.notify(session, Note(level, title, body, job_id), email=True)
        if isinstance(service_name, Service):
            self._wake(service_name.name)  # a slot freed: a job waiting to submit may go now
        self._emit(job_id, state, error or "")

    def _attention(self, job_id: str, message: str) -> None:
        with self.store.session() as session:
            job = session.get(Job, job_id)
            assert job is not None
            job.attention = message
            state = JobState(job.state)
        self._emit(job_id, state, message)

    async def _token_refused(self, snapshot: _Snapshot, error: ServiceError) -> None:
        """Keep the job as it is, ask once for a new token, and wait for it."""
        message = f"{error.message} {error.hint}".strip()
        with self.store.session() as session:
            job = session.get(Job, snapshot.job_id)
            assert job is not None
            first_time = job.attention != message
            job.attention = message
            if first_time and self.notifier is not None:
                self.notifier.notify(
                    session,
                    Note(
                        "warning",
                        f"{snapshot.service.name} needs a new token",
                        f"Job '{job.name}' waits: {message}",
                        snapshot.job_id,
                    ),
                )
        self._emit(snapshot.job_id, snapshot.state, message)

    # -- user actions ----------------------------------------------------------------------

    async def cancel(self, job_id: str) -> JobState:
        """Ask the server to cancel the job; a job not yet submitted is canceled here."""
        snapshot = self._snapshot(job_id)
        if snapshot is None or snapshot.state not in (JobState.DRAFT, *FOLLOWED_STATES):
            state = snapshot.state if snapshot else "unknown"
            raise UserError(
                f"Job {job_id} is {state} and cannot be canceled.",
                hint="Only jobs that have not ended can be canceled.",
            )
        if snapshot.remote_id is None:
            self._finish(job_id, JobState.CANCELED)
            return JobState.CANCELED
        backend = self.backend(snapshot.service)
        await backend.cancel(snapshot.remote_id)
        with self.store.session() as session:
            job = session.get(Job, job_id)
            assert job is not None
            job.attention = "cancel requested; waiting for the server to stop the job"
        self._emit(job_id, snapshot.state, "cancel requested")
        return snapshot.state

    async def download(self, job_id: str, output_dir: Path | None = None) -> list[DownloadedFile]:
        """(Re)download a job's results, e.g. into another folder; files already there are kept."""
        snapshot = self._snapshot(job_id)
        if snapshot is None or snapshot.remote_id is None:
            raise UserError(
                f"Job {job_id} was never submitted, so it has no results.",
                hint="See 'genoflow job ID' for its state.",
            )
        backend = self.backend(snapshot.service)
        status = await backend.status(snapshot.remote_id)
        if not status.outputs:
            raise UserError(
                f"The server offers no result files for job {job_id} "
                f"(server state: {status.remote_state}).",
                hint="Results appear when the job has finished; servers delete them after their "
                "retention period.",
            )
        destination = output_dir or snapshot.output_dir
        files = list(
            await backend.download(
                snapshot.spec, status, destination, progress=self._download_progress(job_id)
            )
        )
        with self.store.session() as session:
            job = session.get(Job, job_id)
            assert job is not None
            if destination == snapshot.output_dir:
                job.results = [{**asdict(f), "path": str(f.path)} for f in files]
            job.updated_at = utcnow()
        return files

    async def logs(self, job_id: str) -> str:
        snapshot = self._snapshot(job_id)
        if snapshot is None or snapshot.remote_id is None:
            raise UserError(f"Job {job_id} was never submitted, so it has no log.")
        return await self.backend(snapshot.service).logs(snapshot.remote_id)

    # -- running in the background ---------------------------------------------------------

    def follow_in_background(self, job_id: str) -> None:
        """Start following ``job_id`` unless it is already followed."""
        task = self._followers.get(job_id)
        if task is None or task.done():
            self._followers[job_id] = asyncio.ensure_future(self._follow_logged(job_id))

    async def _follow_logged(self, job_id: str) -> JobState:
        try:
            return await self.follow(job_id)
        except UserError as error:
            log.warning("job %s: %s", job_id, error)
            self._attention(job_id, str(error))
            return self._state(job_id)
        except Exception:
            log.exception("following job %s failed", job_id)
            raise

    def remind_expiring(self, now: datetime | None = None) -> int:
        """Raise one reminder per job whose results expire within two days and are not on disk."""
        now = now or utcnow()
        reminded = 0
        with self.store.session() as session:
            jobs = session.scalars(
                select(Job).where(
                    Job.results_expire_at.is_not(None),
                    Job.results_expire_at > now,
                    Job.results_expire_at < now + EXPIRY_REMINDER,
                    Job.expiry_reminded_at.is_(None),
                    Job.origin == ORIGIN_LOCAL,
                )
            )
            for job in jobs:
                if job.results and job.state == JobState.COMPLETED.value:
                    continue
                assert job.results_expire_at is not None
                hours = int((job.results_expire_at - now).total_seconds() // 3600)
                job.expiry_reminded_at = now
                reminded += 1
                if self.notifier is not None:
                    self.notifier.notify(
                        session,
                        Note(
                            "warning",
                            f"Results of '{job.name}' expire in {hours} hours",
                            "The server deletes them then. Download them now with "
                            f"'genoflow download {job.id}' or from the Results view.",
                            job.id,
                        ),
                    )
        return reminded

    async def run(self) -> None:
        """Follow every unfinished job, pick up new ones, until :meth:`stop` is called."""
        while not self._stopping.is_set():
            for job_id in self.unfinished_jobs():
                self.follow_in_background(job_id)
            self.remind_expiring()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self.poll_interval_s)
        await self.aclose()
