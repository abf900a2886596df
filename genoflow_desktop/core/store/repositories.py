"""Read and write helpers over the store's models, shared by the CLI and the views.

Functions take an open :class:`~sqlalchemy.orm.Session`; the caller decides the transaction and
the thread (views call them on the ``db`` executor, never on the GUI thread).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from genoflow_desktop.core.domain import JobState, UploadStatus
from genoflow_desktop.core.domain.records import JobRow, StoreSummary
from genoflow_desktop.core.store.models import (
    DataFile,
    Job,
    JobStatusEvent,
    Notification,
    Service,
    Upload,
    ValidationResult,
    utcnow,
)
from genoflow_desktop.core.validation.report import ValidationReport

ACTIVE_JOB_STATES = [s.value for s in JobState if not s.is_final and s is not JobState.DRAFT]
ACTIVE_UPLOAD_STATES = [
    UploadStatus.PENDING.value,
    UploadStatus.UPLOADING.value,
    UploadStatus.PAUSED.value,
]


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


def job_rows(session: Session, limit: int | None = None) -> list[JobRow]:
    statement = (
        select(
            Job.id,
            Job.name,
            Service.name,
            Job.kind,
            Job.state,
            Job.created_at,
            Job.updated_at,
            Job.owner,
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


def record_validation(
    session: Session, report: ValidationReport, *, finished_at: datetime | None = None
) -> ValidationResult:
    """Store a validation report against its file (one file row per path, size and mtime)."""
    import genoflow_desktop

    path = Path(report.path).resolve()
    try:
        stat = path.stat()
        size, mtime_ns = stat.st_size, stat.st_mtime_ns
    except OSError:
        size, mtime_ns = report.size, 0
    data_file = session.scalar(
        select(DataFile).where(
            DataFile.path == str(path), DataFile.size == size, DataFile.mtime_ns == mtime_ns
        )
    )
    if data_file is None:
        data_file = DataFile(path=str(path), name=path.name, size=size, mtime_ns=mtime_ns)
        session.add(data_file)
    data_file.format = report.format.value
    data_file.compression = report.compression.value
    data_file.md5 = report.md5
    data_file.sha256 = report.sha256
    finished = finished_at or utcnow()
    result = ValidationResult(
        file=data_file,
        verdict=report.verdict.value,
        format=report.format.value,
        error_count=report.error_count,
        warning_count=report.warning_count,
        report=json.loads(json.dumps(report.to_dict(), default=str)),
        app_version=genoflow_desktop.__version__,
        started_at=finished - timedelta(seconds=report.duration_s),
        finished_at=finished,
    )
    session.add(result)
    session.flush()
    return result
