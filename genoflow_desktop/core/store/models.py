"""SQLAlchemy models of what the app keeps locally.

Secrets are never stored here: credentials keep only metadata (label, dates, expiry), the token
itself lives in the OS keychain. Changing a model means adding an Alembic migration in
``migrations/versions/``; the migration tests compare the migrated schema with these models.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


#: ``origin`` of a row this machine made (it submits, follows and resumes it).
ORIGIN_LOCAL = "local"
#: ``origin`` of a row pulled from the lab sync server: history only, never acted on here.
ORIGIN_LAB = "lab"


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and returns them aware (SQLite has no time zones)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


# Stable constraint names make migrations (batch mode on SQLite) predictable.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Sample(Base):
    __tablename__ = "samples"
    __table_args__ = (UniqueConstraint("project_id", "sample_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sample_id: Mapped[str] = mapped_column(String(200))
    project_id: Mapped[str | None] = mapped_column(ForeignKey("projects.id"))
    patient_id: Mapped[str | None] = mapped_column(String(200))
    sample_type: Mapped[str | None] = mapped_column(String(100))
    sequencing_type: Mapped[str | None] = mapped_column(String(50))
    platform: Mapped[str | None] = mapped_column(String(100))
    library_prep: Mapped[str | None] = mapped_column(String(200))
    sequencing_date: Mapped[date | None] = mapped_column(Date)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DataFile(Base):
    """A file on the user's disk that the app has seen (validated, uploaded or submitted)."""

    __tablename__ = "files"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    path: Mapped[str] = mapped_column(Text, index=True)
    name: Mapped[str] = mapped_column(String(500))
    size: Mapped[int] = mapped_column(BigInteger)
    mtime_ns: Mapped[int] = mapped_column(BigInteger)
    format: Mapped[str | None] = mapped_column(String(20))
    compression: Mapped[str | None] = mapped_column(String(20))
    md5: Mapped[str | None] = mapped_column(String(32))
    sha256: Mapped[str | None] = mapped_column(String(64))
    sample_pk: Mapped[int | None] = mapped_column(ForeignKey("samples.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    validations: Mapped[list[ValidationResult]] = relationship(
        back_populates="file", cascade="all, delete-orphan", order_by="ValidationResult.finished_at"
    )


class ValidationResult(Base):
    __tablename__ = "validation_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_id: Mapped[str] = mapped_column(ForeignKey("files.id", ondelete="CASCADE"), index=True)
    verdict: Mapped[str] = mapped_column(String(30))
    format: Mapped[str] = mapped_column(String(20))
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    warning_count: Mapped[int] = mapped_column(Integer, default=0)
    #: The whole report as JSON (findings and metrics), as exported by ``genoflow validate --json``.
    report: Mapped[dict[str, Any]] = mapped_column(default=dict)
    app_version: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime] = mapped_column(default=utcnow)

    file: Mapped[DataFile] = relationship(back_populates="validations")


class Upload(Base):
    """One S3 multipart upload of one file, journaled so it resumes after a crash."""

    __tablename__ = "uploads"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    file_id: Mapped[str | None] = mapped_column(ForeignKey("files.id", ondelete="SET NULL"))
    source_path: Mapped[str] = mapped_column(Text)
    source_size: Mapped[int] = mapped_column(BigInteger)
    source_mtime_ns: Mapped[int] = mapped_column(BigInteger)
    profile: Mapped[str] = mapped_column(String(200))
    endpoint_url: Mapped[str | None] = mapped_column(Text)
    bucket: Mapped[str] = mapped_column(String(255))
    key: Mapped[str] = mapped_column(Text)
    s3_upload_id: Mapped[str | None] = mapped_column(Text)
    part_size: Mapped[int] = mapped_column(BigInteger)
    project_id: Mapped[str | None] = mapped_column(String(200))
    sample_id: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), index=True)
    error: Mapped[str | None] = mapped_column(Text)
    bytes_done: Mapped[int] = mapped_column(BigInteger, default=0)
    md5: Mapped[str | None] = mapped_column(String(32))
    sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column()
    #: The completed object's ETag, as S3 reported it.
    etag: Mapped[str | None] = mapped_column(String(100))
    #: Moving-average speed (bytes/s) at the last acknowledged part: shown after a restart.
    speed_bps: Mapped[float | None] = mapped_column()
    #: What was checked after completion (size, server checksum, tags) and any warnings.
    verification: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Lab sync. A "lab" row was pulled from the sync server: its source_path is only the file's
    # name, and this machine never resumes or cancels it.
    origin: Mapped[str] = mapped_column(String(10), default=ORIGIN_LOCAL)
    #: The owner's display name, for uploads pulled from the lab.
    owner: Mapped[str | None] = mapped_column(String(200))
    #: The sync server's id of the owner.
    lab_owner_id: Mapped[str | None] = mapped_column(String(64))
    #: ``updated_at`` of the version last pushed to or pulled from the lab; the row has changes
    #: to push while ``updated_at`` differs from it (None: never exchanged).
    synced_at: Mapped[datetime | None] = mapped_column()

    parts: Mapped[list[UploadPart]] = relationship(
        back_populates="upload", cascade="all, delete-orphan", order_by="UploadPart.part_number"
    )


class UploadPart(Base):
    """A part that S3 acknowledged: never sent again on resume."""

    __tablename__ = "upload_parts"

    upload_id: Mapped[str] = mapped_column(
        ForeignKey("uploads.id", ondelete="CASCADE"), primary_key=True
    )
    part_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    etag: Mapped[str] = mapped_column(String(100))
    checksum: Mapped[str | None] = mapped_column(String(100))
    acknowledged_at: Mapped[datetime] = mapped_column(default=utcnow)

    upload: Mapped[Upload] = relationship(back_populates="parts")


class S3Profile(Base):
    """An S3 destination. Its secret key is only in the OS keychain, never in this table."""

    __tablename__ = "s3_profiles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    #: None means AWS S3 itself (botocore picks the regional endpoint).
    endpoint_url: Mapped[str | None] = mapped_column(Text)
    region: Mapped[str | None] = mapped_column(String(50))
    bucket: Mapped[str] = mapped_column(String(255))
    prefix: Mapped[str] = mapped_column(Text, default="")
    #: Not a secret (it appears in every signed request); the secret key is in the keychain.
    access_key_id: Mapped[str | None] = mapped_column(String(128))
    #: "AES256" (SSE-S3), "aws:kms" (SSE-KMS, with kms_key_id or the bucket's default key) or "none".
    sse: Mapped[str] = mapped_column(String(20), default="AES256")
    kms_key_id: Mapped[str | None] = mapped_column(Text)
    #: Use boto3's own credential chain (environment, ~/.aws profiles, SSO) instead of a stored key.
    use_credential_chain: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Service(Base):
    """A remote service: a Cloudgene imputation server or a GA4GH WES server."""

    __tablename__ = "services"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    base_url: Mapped[str] = mapped_column(Text)
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Credential(Base):
    """What the app knows about a stored token. The token itself is only in the OS keychain."""

    __tablename__ = "credentials"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), unique=True
    )
    label: Mapped[str] = mapped_column(String(200), default="")
    username: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    verified_at: Mapped[datetime | None] = mapped_column()
    expires_at: Mapped[datetime | None] = mapped_column()


class Job(Base):
    """A remote job (imputation or workflow run) and its local lifecycle."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_state_updated", "state", "updated_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id", ondelete="SET NULL"))
    remote_id: Mapped[str | None] = mapped_column(String(200), index=True)
    name: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(20))
    pipeline: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(20))
    remote_state: Mapped[str | None] = mapped_column(String(50))
    queue_position: Mapped[int | None] = mapped_column(Integer)
    progress: Mapped[float | None] = mapped_column()
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    inputs: Mapped[list[Any]] = mapped_column(default=list)
    error: Mapped[str | None] = mapped_column(Text)
    output_dir: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    results_expire_at: Mapped[datetime | None] = mapped_column()
    #: The server's latest step messages ({step, level, text}), replaced on every poll.
    messages: Mapped[list[Any]] = mapped_column(default=list)
    #: Result files on disk ({name, path, size, sha256, extracted_from}) once downloaded.
    results: Mapped[list[Any]] = mapped_column(default=list)
    #: Why following the job is paused without changing its state (e.g. the token expired).
    attention: Mapped[str | None] = mapped_column(Text)
    expiry_reminded_at: Mapped[datetime | None] = mapped_column()
    project_id: Mapped[str | None] = mapped_column(String(200))
    sample_id: Mapped[str | None] = mapped_column(String(200))
    # Lab sync. A "lab" row was pulled from the sync server: it has no service row here (the
    # service is known by name and kind only), its inputs and results are {name, size, sha256}
    # without paths, ``owner`` is the owner's display name, and this machine never follows it.
    origin: Mapped[str] = mapped_column(String(10), default=ORIGIN_LOCAL)
    service_name: Mapped[str | None] = mapped_column(String(200))
    service_kind: Mapped[str | None] = mapped_column(String(20))
    #: The sync server's id of the owner.
    lab_owner_id: Mapped[str | None] = mapped_column(String(64))
    #: ``updated_at`` of the version last pushed to or pulled from the lab; the row has changes
    #: to push while ``updated_at`` differs from it (None: never exchanged).
    synced_at: Mapped[datetime | None] = mapped_column()

    history: Mapped[list[JobStatusEvent]] = relationship(
        back_populates="job", cascade="all, delete-orphan", order_by="JobStatusEvent.id"
    )


class JobStatusEvent(Base):
    """One change of a job's state, or one step message from the server."""

    __tablename__ = "job_status_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)

    job: Mapped[Job] = relationship(back_populates="history")


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    level: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text, default="")
    job_id: Mapped[str | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    read: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PipelinePreset(Base):
    __tablename__ = "pipeline_presets"
    __table_args__ = (UniqueConstraint("pipeline", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    pipeline: Mapped[str] = mapped_column(String(200))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SyncAccount(Base):
    """The lab sync account of this installation (one row). Tokens are only in the keychain."""

    __tablename__ = "sync_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    server_url: Mapped[str] = mapped_column(Text)
    user_id: Mapped[str] = mapped_column(String(64))
    email: Mapped[str] = mapped_column(String(320))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    lab_id: Mapped[str | None] = mapped_column(String(64))
    lab_name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(20))
    #: Whether the refresh token is kept in the keychain (else it lives in memory only).
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The highest change number pulled and applied.
    pull_cursor: Mapped[int] = mapped_column(BigInteger, default=0)
    signed_in_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_sync_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
