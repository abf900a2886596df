"""The server's tables (its own metadata: nothing shared with the desktop store).

Times are naive UTC datetimes (see :func:`utcnow`) so SQLite and PostgreSQL store them alike.
Ids of users, labs and token families are uuid4 hex strings.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Explicit constraint names: Alembic can then drop or alter them on both backends.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: An auto-incrementing 64-bit key on PostgreSQL; SQLite only auto-increments INTEGER keys.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def new_id() -> str:
    return uuid.uuid4().hex


class Role(StrEnum):
    ADMIN = "admin"
    MEMBER = "member"
    VIEWER = "viewer"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ServerKey(Base):
    """Secrets of the server itself (the JWT signing key), shared by every worker."""

    __tablename__ = "server_keys"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime())


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    #: Stored lower-cased, which makes the unique constraint case-insensitive.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    is_admin: Mapped[bool] = mapped_column(Boolean(), default=False)
    totp_secret: Mapped[str | None] = mapped_column(String(64), default=None)
    totp_enabled: Mapped[bool] = mapped_column(Boolean(), default=False)
    #: The last TOTP time step accepted: a code is never accepted twice.
    last_totp_step: Mapped[int] = mapped_column(BigInteger(), default=0)
    disabled: Mapped[bool] = mapped_column(Boolean(), default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow)


class Lab(Base):
    __tablename__ = "labs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    #: The lab's change counter; its row is the lock every record write takes.
    last_seq: Mapped[int] = mapped_column(BigInteger(), default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow)


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'member', 'viewer')", name="role"),
        Index("ix_memberships_user_id", "user_id"),
    )

    lab_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("labs.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow)


class TokenFamily(Base):
    """One login session: every refresh token rotated from one login, and their access tokens."""

    __tablename__ = "token_families"
    __table_args__ = (Index("ix_token_families_user_id", "user_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(String(32), ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(), default=None)


class RefreshToken(Base):
    __tablename__ = "refresh_tokens"
    __table_args__ = (Index("ix_refresh_tokens_family_id", "family_id"),)

    #: SHA-256 of the token: a database dump holds nothing that can be presented.
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    family_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("token_families.id", ondelete="CASCADE")
    )
    user_id: Mapped[str] = mapped_column(String(32), ForeignKey("users.id", ondelete="CASCADE"))
    issued_at: Mapped[datetime] = mapped_column(DateTime())
    expires_at: Mapped[datetime] = mapped_column(DateTime())
    used_at: Mapped[datetime | None] = mapped_column(DateTime(), default=None)


class Record(Base):
    """A lab's shared job or upload record, as merged by ``core.domain.sync.merge``."""

    __tablename__ = "records"
    __table_args__ = (
        UniqueConstraint("lab_id", "kind", "record_id", name="uq_records_lab_kind_record"),
        # Pulls read a lab's records in change order; also proves no two changes share a number.
        UniqueConstraint("lab_id", "seq", name="uq_records_lab_seq"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    lab_id: Mapped[str] = mapped_column(String(32), ForeignKey("labs.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[str] = mapped_column(String(32))
    owner_user_id: Mapped[str] = mapped_column(String(32), ForeignKey("users.id"))
    data: Mapped[dict[str, Any]] = mapped_column(JSON())
    seq: Mapped[int] = mapped_column(BigInteger())
    updated_at: Mapped[datetime] = mapped_column(DateTime())


class AuditEvent(Base):
    """Who did what, when, from where. Never holds a secret (a test greps the dump for them)."""

    __tablename__ = "audit_events"
    __table_args__ = (
        # The login rate limits count recent failures per e-mail and per client address.
        Index("ix_audit_events_action_target_at", "action", "target", "at"),
        Index("ix_audit_events_action_client_at", "action", "client_address", "at"),
        Index("ix_audit_events_lab_id_id", "lab_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(), default=utcnow)
    action: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str | None] = mapped_column(String(32), default=None)
    lab_id: Mapped[str | None] = mapped_column(String(32), default=None)
    target: Mapped[str | None] = mapped_column(String(320), default=None)
    client_address: Mapped[str | None] = mapped_column(String(64), default=None)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON(), default=None)
