"""The audit log: one row per write and per login attempt. Callers pass no secrets, ever."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from genoflow_desktop.server.models import AuditEvent, utcnow

LOGIN_SUCCEEDED = "login.succeeded"
#: Counted by the rate limiter (wrong password, unknown e-mail, wrong TOTP code).
LOGIN_FAILED = "login.failed"
LOGIN_TOTP_REQUIRED = "login.totp_required"
LOGIN_RATE_LIMITED = "login.rate_limited"


def record(
    session: Session,
    action: str,
    *,
    client: str | None,
    user_id: str | None = None,
    lab_id: str | None = None,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    """Add an audit row to the session's transaction (it commits with the change it records)."""
    session.add(
        AuditEvent(
            at=at or utcnow(),
            action=action,
            user_id=user_id,
            lab_id=lab_id,
            target=target[:320] if target else target,
            client_address=(client or "")[:64] or None,
            detail=detail,
        )
    )


def lab_events(session: Session, lab_id: str, limit: int) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.lab_id == lab_id)
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        )
    )
