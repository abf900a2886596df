"""The upload journal: what was started on S3 and which parts S3 acknowledged, committed at once.

Every write is its own transaction, made on the calling thread (the engine's orchestrating
thread), so a crash at any moment leaves the journal describing exactly the parts S3 holds,
minus at most the parts that were in flight. Those are found again with ListParts on resume.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from genoflow_desktop.core.domain import UploadStatus
from genoflow_desktop.core.errors import UserError
from genoflow_desktop.core.store import Store
from genoflow_desktop.core.store.models import ORIGIN_LAB, ORIGIN_LOCAL, Upload, UploadPart, utcnow

#: Statuses an upload can be resumed from.
RESUMABLE = (UploadStatus.PENDING, UploadStatus.UPLOADING, UploadStatus.PAUSED, UploadStatus.FAILED)


@dataclass(frozen=True, slots=True)
class JournalPart:
    number: int
    size: int
    etag: str
    checksum: str | None


@dataclass(frozen=True, slots=True)
class UploadRecord:
    """A snapshot of one journaled upload (detached from any session)."""

    id: str
    source_path: str
    source_size: int
    source_mtime_ns: int
    profile: str
    endpoint_url: str | None
    bucket: str
    key: str
    s3_upload_id: str | None
    part_size: int
    project_id: str | None
    sample_id: str | None
    status: str
    error: str | None
    bytes_done: int
    md5: str | None
    sha256: str | None
    etag: str | None
    speed_bps: float | None
    verification: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    parts_done: int
    #: "lab" for an upload pulled from the lab sync server: made elsewhere, never resumed here.
    origin: str = ORIGIN_LOCAL

    @property
    def part_count(self) -> int:
        return -(-self.source_size // self.part_size) if self.part_size else 0


def _record(row: Upload, parts_done: int) -> UploadRecord:
    return UploadRecord(
        id=row.id,
        source_path=row.source_path,
        source_size=row.source_size,
        source_mtime_ns=row.source_mtime_ns,
        profile=row.profile,
        endpoint_url=row.endpoint_url,
        bucket=row.bucket,
        key=row.key,
        s3_upload_id=row.s3_upload_id,
        part_size=row.part_size,
        project_id=row.project_id,
        sample_id=row.sample_id,
        status=row.status,
        error=row.error,
        bytes_done=row.bytes_done,
        md5=row.md5,
        sha256=row.sha256,
        etag=row.etag,
        speed_bps=row.speed_bps,
        verification=row.verification,
        created_at=row.created_at,
        updated_at=row.updated_at,
        completed_at=row.completed_at,
        parts_done=parts_done,
        origin=row.origin,
    )


def refuse_lab_upload(record: UploadRecord) -> None:
    """Raise for an upload pulled from the lab: only the machine that made it may act on it."""
    if record.origin == ORIGIN_LAB:
        raise UserError(
            f"Upload {record.id} is lab history from another machine.",
            hint="Only the machine that started it can resume or cancel it.",
        )


class Journal:
    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, upload: Upload) -> UploadRecord:
        with self.store.session() as session:
            session.add(upload)
            session.flush()
            return _record(upload, 0)

    def get(self, upload_id: str) -> UploadRecord:
        with self.store.session() as session:
            row = session.get(Upload, upload_id)
            if row is None:
                raise UserError(
                    f"There is no upload with id '{upload_id}'.",
                    hint="See 'genoflow uploads' for the list.",
                )
            return _record(row, len(row.parts))

    def find(self, prefix: str) -> UploadRecord:
        """The upload whose id starts with ``prefix`` (ids are long; a unique start is enough)."""
        with self.store.session() as session:
            ids = list(
                session.scalars(select(Upload.id).where(Upload.id.startswith(prefix)).limit(2))
            )
        if len(ids) != 1 or len(prefix) < 4:
            raise UserError(
                f"No single upload has an id starting with '{prefix}'.",
                hint="See 'genoflow uploads' and give more of the id.",
            )
        return self.get(ids[0])

    def uploads(
        self, statuses: tuple[str, ...] | None = None, *, include_lab: bool = False
    ) -> list[UploadRecord]:
        """This machine's uploads (the journal); ``include_lab`` adds those pulled from the lab."""
        with self.store.session() as session:
            statement = select(Upload).order_by(Upload.created_at)
            if not include_lab:
                statement = statement.where(Upload.origin != ORIGIN_LAB)
            if statuses is not None:
                statement = statement.where(Upload.status.in_(statuses))
            return [_record(row, len(row.parts)) for row in session.scalars(statement)]

    def parts(self, upload_id: str) -> dict[int, JournalPart]:
        with self.store.session() as session:
            rows = session.scalars(select(UploadPart).where(UploadPart.upload_id == upload_id))
            return {
                r.part_number: JournalPart(r.part_number, r.size, r.etag, r.checksum) for r in rows
            }

    def set_s3_upload(self, upload_id: str, s3_upload_id: str) -> None:
        """A new multipart upload: forget parts of any earlier one (they are gone with it)."""
        with self.store.session() as session:
            session.execute(delete(UploadPart).where(UploadPart.upload_id == upload_id))
            session.execute(
                update(Upload)
                .where(Upload.id == upload_id)
                .values(s3_upload_id=s3_upload_id, bytes_done=0, updated_at=utcnow())
            )

    def forget_parts(self, upload_id: str, numbers: list[int]) -> None:
        if not numbers:
            return
        with self.store.session() as session:
            session.execute(
                delete(UploadPart).where(
                    UploadPart.upload_id == upload_id, UploadPart.part_number.in_(numbers)
                )
            )

    def record_part(
        self, upload_id: str, part: JournalPart, bytes_done: int, speed: float | None
    ) -> None:
        """Commit one acknowledged part (and the upload's progress) in one transaction."""
        values = {
            "upload_id": upload_id,
            "part_number": part.number,
            "size": part.size,
            "etag": part.etag,
            "checksum": part.checksum,
            "acknowledged_at": utcnow(),
        }
        # A Core upsert, not ORM merge(): this runs once per part on the orchestrating thread,
        # and merge's extra SELECT and bookkeeping cost several times more.
        upsert = sqlite_insert(UploadPart).values(**values)
        upsert = upsert.on_conflict_do_update(
            index_elements=["upload_id", "part_number"],
            set_={k: upsert.excluded[k] for k in ("size", "etag", "checksum", "acknowledged_at")},
        )
        with self.store.session() as session:
            session.execute(upsert)
            session.execute(
                update(Upload)
                .where(Upload.id == upload_id)
                .values(bytes_done=bytes_done, speed_bps=speed, updated_at=utcnow())
            )

    def set_status(
        self, upload_id: str, status: UploadStatus, error: str | None = None, **values: Any
    ) -> None:
        """Change the status, except that a cancelled or completed upload stays so.

        A run that is stopping (paused, or failed because another process aborted the upload)
        must not turn a cancellation made meanwhile back into something resumable.
        """
        with self.store.session() as session:
            session.execute(
                update(Upload)
                .where(Upload.id == upload_id)
                .where(
                    Upload.status.not_in(
                        [UploadStatus.CANCELED.value, UploadStatus.COMPLETED.value]
                    )
                )
                .values(status=status.value, error=error, updated_at=utcnow(), **values)
            )

    def set_values(self, upload_id: str, **values: Any) -> None:
        with self.store.session() as session:
            session.execute(
                update(Upload).where(Upload.id == upload_id).values(updated_at=utcnow(), **values)
            )

    def mark_canceled(self, upload_id: str, reason: str | None = None) -> None:
        with self.store.session() as session:
            session.execute(
                update(Upload)
                .where(Upload.id == upload_id)
                .values(
                    status=UploadStatus.CANCELED.value,
                    error=reason,
                    speed_bps=None,
                    updated_at=utcnow(),
                )
            )

    def by_s3_upload_ids(self, s3_upload_ids: list[str]) -> dict[str, UploadRecord]:
        with self.store.session() as session:
            rows = session.scalars(select(Upload).where(Upload.s3_upload_id.in_(s3_upload_ids)))
            return {
                row.s3_upload_id: _record(row, len(row.parts)) for row in rows if row.s3_upload_id
            }
