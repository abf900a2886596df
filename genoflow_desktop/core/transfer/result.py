"""How an upload is tuned (options) and what it produced (result, as shown in JSON)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from genoflow_desktop.core.transfer.planner import DEFAULT_MEMORY_BUDGET, MiB
from genoflow_desktop.core.transfer.retry import Backoff

if TYPE_CHECKING:
    from genoflow_desktop.core.settings import Settings
    from genoflow_desktop.core.transfer.journal import UploadRecord


@dataclass(frozen=True, slots=True)
class UploadOptions:
    concurrency: int = 4
    #: Preferred part size of new uploads (a resumed upload keeps the one it began with).
    part_size: int = 64 * MiB
    #: Bytes per second for all of this upload's parts together; 0 for no limit.
    bandwidth_limit: int = 0
    backoff: Backoff = field(default_factory=Backoff)
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    #: Cap on concurrency x part size (the part buffers held at once).
    memory_budget: int = DEFAULT_MEMORY_BUDGET

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> UploadOptions:
        values: dict[str, Any] = {
            "concurrency": settings.upload_concurrency,
            "part_size": settings.part_size_mib * MiB,
            "bandwidth_limit": settings.bandwidth_limit_kib_s * 1024,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


@dataclass(frozen=True, slots=True)
class UploadResult:
    upload_id: str
    status: str
    source_path: str
    size: int
    bytes_done: int
    profile: str
    endpoint_url: str | None
    bucket: str
    key: str
    parts: int
    parts_done: int
    project_id: str | None
    sample_id: str | None
    md5: str | None
    sha256: str | None
    etag: str | None
    speed_bps: float | None
    error: str | None
    verification: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        """The upload as ``genoflow upload --json`` / ``genoflow uploads --json`` print it."""
        return {
            "upload_id": self.upload_id,
            "status": self.status,
            "bucket": self.bucket,
            "key": self.key,
            "size": self.size,
            "md5": self.md5,
            "sha256": self.sha256,
            "parts": self.parts,
            "parts_done": self.parts_done,
            "bytes_done": self.bytes_done,
            "source_path": self.source_path,
            "profile": self.profile,
            "endpoint_url": self.endpoint_url,
            "project_id": self.project_id,
            "sample_id": self.sample_id,
            "etag": self.etag,
            "speed_bps": self.speed_bps,
            "error": self.error,
            "verification": self.verification,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "completed_at": self.completed_at.isoformat() if self.completed_at else None,
        }


def result_of(record: UploadRecord) -> UploadResult:
    return UploadResult(
        upload_id=record.id,
        status=record.status,
        source_path=record.source_path,
        size=record.source_size,
        bytes_done=record.bytes_done,
        profile=record.profile,
        endpoint_url=record.endpoint_url,
        bucket=record.bucket,
        key=record.key,
        parts=record.part_count,
        parts_done=record.parts_done,
        project_id=record.project_id,
        sample_id=record.sample_id,
        md5=record.md5,
        sha256=record.sha256,
        etag=record.etag,
        speed_bps=record.speed_bps,
        error=record.error,
        verification=record.verification,
        created_at=record.created_at,
        updated_at=record.updated_at,
        completed_at=record.completed_at,
    )
