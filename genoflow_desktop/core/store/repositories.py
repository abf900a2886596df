"""Read and write helpers over the store's models, shared by the CLI and the views.

Functions take an open :class:`~sqlalchemy.orm.Session`; the caller decides the transaction and
the thread (views call them on the ``db`` executor, never on the GUI thread).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from genoflow_desktop.core.domain import JobState, UploadStatus
from genoflow_desktop.core.store.models import (
    DataFile,
    Job,
    JobStatusEvent,
    Notification,
    Service,
    Upload,
    utcnow,
)

ACTIVE_JOB_STATES = [s.value for s in JobState if not s.is_final and s is not JobState.DRAFT]
ACTIVE_UPLOAD_STATES = [UploadStatus.PENDING.value, UploadStatus.UPLOADING.value, UploadStatus.PAUSED.value]


@dataclass(frozen=True, slots=True)
class StoreSummary:
    active_jobs: int
    completed_jobs: int
    failed_jobs: int
    active_uploads: int
    completed_uploads: int
    files: int
    unread_notifications: int


def summary(session: Session) -> StoreSummary:
    def count(statement: object) -> int:
        return int(session.scalar(statement) or 0)  # type: ignore[call-overload]

    job_count = select(func.count()).select_from(Job)
    upload_count = select(func.count()).select_from(Upload)
    return StoreSummary(
        active_jobs=count(job_count.where(Job.state.in_(ACTIVE_JOB_STATES))),
        completed_jobs=count(job_count.where(Job.state == JobState.COMPLETED.value)),
        failed_jobs=count(job_count.where(Job.state == JobState.FAILED.value)),
        active_uploads=count(upload_count.where(Upload.status.in_(ACTIVE_UPLOAD_STATES))),
        completed_uploads=count(upload_count.where(Upload.status == UploadStatus.COMPLETED.value)),
        files=count(select(func.count()).select_from(DataFile)),
        unread_notifications=count(
            select(func.count()).select_from(Notification).where(Notification.read.is_(False))
        ),
    )


@dataclass(frozen=True, slots=True)
class JobRow:
    """A job as the jobs table shows it: plain values, safe to hand to the GUI thread."""

    id: str
    name: str
    service: str
    kind: str
    state: str
    created_at: datetime
    updated_at: datetime
    owner: str


def job_rows(session: Session, limit: int | None = None) -> list[JobRow]:
    statement = (
        select(
            Job.id, Job.name, Service.name, Job.kind, Job.state,
            Job.created_at, Job.updated_at, Job.owner,
        )
        .outerjoin(Service, Service.id == Job.service_id)
        .order_by(Job.created_at.desc())
        .limit(limit)
    )
    return [
        JobRow(id, name, service or "", kind, state, created, updated, owner or "")
        for id, name, service, kind, state, created, updated, owner in session.execute(statement)
    ]


def set_job_state(session: Session, job: Job, state: JobState, message: str = "") -> None:
    """Move ``job`` to ``state`` and record the change in its status history."""
    job.state = state.value
    job.updated_at = utcnow()
    if state.is_final:
        job.finished_at = job.updated_at
    session.add(JobStatusEvent(job=job, state=state.value, message=message, at=job.updated_at))
