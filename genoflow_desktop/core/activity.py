"""What is going on right now: the queries behind the Dashboard, as plain values.

Every function takes an open session and returns frozen dataclasses (no ORM objects), so the
results can cross from the db thread to the GUI thread.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from genoflow_desktop.core.domain import JobState, UploadStatus
from genoflow_desktop.core.store.models import Job, Notification, Service, Upload

FOLLOWED_STATES = [
    s.value for s in (JobState.SUBMITTING, JobState.QUEUED, JobState.RUNNING, JobState.DOWNLOADING)
]


@dataclass(frozen=True, slots=True)
class ActiveJob:
    id: str
    name: str
    service: str
    state: str
    remote_state: str | None
    queue_position: int | None
    progress: float | None
    attention: str | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class RecentUpload:
    id: str
    name: str
    status: str
    size: int
    bytes_done: int
    speed_bps: float | None
    error: str | None
    updated_at: datetime

    @property
    def fraction(self) -> float:
        return self.bytes_done / self.size if self.size else 1.0


@dataclass(frozen=True, slots=True)
class NotificationItem:
    id: int
    level: str
    title: str
    body: str
    job_id: str | None
    read: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Storage:
    free_bytes: int
    total_bytes: int
    results_bytes: int


def active_jobs(session: Session, limit: int = 50) -> list[ActiveJob]:
    rows = session.execute(
        select(
            Job.id,
            Job.name,
            Service.name,
            Job.state,
            Job.remote_state,
            Job.queue_position,
            Job.progress,
            Job.attention,
            Job.updated_at,
        )
        .outerjoin(Service, Service.id == Job.service_id)
        .where(Job.state.in_(FOLLOWED_STATES))
        .order_by(Job.updated_at.desc())
        .limit(limit)
    )
    return [
        ActiveJob(id, name, service or "", state, remote, queue, progress, attention, updated)
        for id, name, service, state, remote, queue, progress, attention, updated in rows
    ]


def recent_uploads(session: Session, limit: int = 20) -> list[RecentUpload]:
    rows = session.execute(
        select(
            Upload.id,
            Upload.source_path,
            Upload.status,
            Upload.source_size,
            Upload.bytes_done,
            Upload.speed_bps,
            Upload.error,
            Upload.updated_at,
        )
        .order_by(Upload.updated_at.desc())
        .limit(limit)
    )
    return [
        RecentUpload(id, Path(path).name, status, size, done, speed, error, updated)
        for id, path, status, size, done, speed, error, updated in rows
    ]


def upload_throughput(session: Session) -> float:
    """Bytes per second of every upload in progress (their last measured speeds, summed)."""
    total = session.scalar(
        select(func.coalesce(func.sum(Upload.speed_bps), 0.0)).where(
            Upload.status == UploadStatus.UPLOADING.value
        )
    )
    return float(total or 0.0)


def notifications(session: Session, limit: int = 100) -> list[NotificationItem]:
    rows = session.scalars(
        select(Notification)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    )
    return [
        NotificationItem(n.id, n.level, n.title, n.body, n.job_id, n.read, n.created_at)
        for n in rows
    ]


def mark_notifications_read(session: Session) -> int:
    result = session.execute(
        update(Notification).where(Notification.read.is_(False)).values(read=True)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def storage(data_folder: Path, results_folder: Path) -> Storage:
    """Free space where the app keeps its data, and how much the downloaded results take."""
    usage = shutil.disk_usage(data_folder)
    results = 0
    if results_folder.is_dir():
        results = sum(p.stat().st_size for p in results_folder.rglob("*") if p.is_file())
    return Storage(usage.free, usage.total, results)
