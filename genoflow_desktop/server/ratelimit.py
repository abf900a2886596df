"""Login rate limits, counted from the audit log so they hold across workers and instances."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from genoflow_desktop.server.audit import LOGIN_FAILED
from genoflow_desktop.server.config import Settings
from genoflow_desktop.server.models import AuditEvent


def login_retry_after(
    session: Session, settings: Settings, *, email: str, client: str | None, now: datetime
) -> int | None:
    """Seconds until a login for ``email`` from ``client`` may be tried again; None if now."""
    window = timedelta(seconds=settings.login_window_seconds)
    limits = [(AuditEvent.target, email, settings.login_failures_per_email)]
    if client:
        limits.append((AuditEvent.client_address, client, settings.login_failures_per_address))
    waits = []
    for column, value, limit in limits:
        recent = list(
            session.scalars(
                select(AuditEvent.at)
                .where(
                    AuditEvent.action == LOGIN_FAILED,
                    column == value,
                    AuditEvent.at > now - window,
                )
                .order_by(AuditEvent.at.desc())
                .limit(limit)
            )
        )
        if len(recent) >= limit:
            # Allowed again once the limit-th most recent failure leaves the window.
            waits.append(max(1, math.ceil((recent[-1] + window - now).total_seconds())))
    return max(waits) if waits else None
