"""Read-only snapshots of stored data, as plain values that can cross threads (no ORM objects)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class StoreSummary:
    active_jobs: int
    completed_jobs: int
    failed_jobs: int
    active_uploads: int
    completed_uploads: int
    files: int
    unread_notifications: int


@dataclass(frozen=True, slots=True)
class JobRow:
    """A job as the jobs table shows it."""

    id: str
    name: str
    service: str
    kind: str
    state: str
    created_at: datetime
    updated_at: datetime
    owner: str
