"""Shared records: validating a push, merging it under the lab's lock, and pulling changes.

Change numbers (``seq``) are taken from the lab's counter while holding the lab's row lock until
commit, so they become visible in increasing order: a pull ``since=N`` never misses a change
that commits later with a smaller number.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from genoflow_desktop.core.domain.sync import STATE_FIELD, RecordKind, merge, unknown_fields
from genoflow_desktop.server.deps import HEX_ID
from genoflow_desktop.server.errors import invalid_record
from genoflow_desktop.server.models import Lab, Record, Role, User, utcnow
from genoflow_desktop.server.schemas import (
    Owner,
    PulledRecord,
    PushItem,
    PushResponse,
    PushResult,
    PushStatus,
    storable_text,
)

#: List fields of a job record and the keys each of their items may have (no paths, no links).
_NESTED_KEYS = {
    "history": frozenset({"state", "message", "at"}),
    "inputs": frozenset({"name", "size", "sha256"}),
    "results": frozenset({"name", "size", "sha256"}),
}
_MAX_TEXT = 10_000
_MAX_LIST = 1_000


def _check_scalar(value: Any, where: str) -> None:
    if value is None or isinstance(value, bool | int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise invalid_record(f"{where}: numbers must be finite")
        return
    if isinstance(value, str):
        if len(value) > _MAX_TEXT or not storable_text(value):
            raise invalid_record(f"{where}: text too long, or with NUL or lone surrogates")
        return
    raise invalid_record(f"{where}: must be a string, number, boolean or null")


def _check_utc_timestamp(value: Any, where: str) -> None:
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.utcoffset() != timedelta(0):
        raise invalid_record(f"{where}: must be an ISO-8601 timestamp in UTC")


def validate(index: int, item: PushItem) -> None:
    """Refuse (422) a record with a field outside the shared list or a malformed value."""
    kind, record = item.kind, item.record
    where = f"records[{index}]"
    extra = unknown_fields(kind, record)
    if extra:
        raise invalid_record(f"{where}: fields a shared {kind} may not carry: {', '.join(extra)}")
    if not (isinstance(record.get("id"), str) and HEX_ID.fullmatch(record["id"])):
        raise invalid_record(f"{where}.id: must be 32 lower-case hex characters")
    _check_utc_timestamp(record.get("updated_at"), f"{where}.updated_at")
    state_field = STATE_FIELD[kind]
    if not (isinstance(record.get(state_field), str) and record[state_field]):
        raise invalid_record(f"{where}.{state_field}: required")
    for name, value in record.items():
        keys = _NESTED_KEYS.get(name) if kind is RecordKind.JOB else None
        if keys is None:
            _check_scalar(value, f"{where}.{name}")
            continue
        if value is None:
            continue
        if not isinstance(value, list) or len(value) > _MAX_LIST:
            raise invalid_record(f"{where}.{name}: must be a list of at most {_MAX_LIST} objects")
        for position, entry in enumerate(value):
            entry_where = f"{where}.{name}[{position}]"
            if not isinstance(entry, dict) or set(entry) - keys:
                raise invalid_record(f"{entry_where}: may only have {', '.join(sorted(keys))}")
            for key, scalar in entry.items():
                _check_scalar(scalar, f"{entry_where}.{key}")


def lock_lab(session: Session, lab_id: str) -> int:
    """Take the lab's lock for the rest of the transaction; return its last change number."""
    if session.get_bind().dialect.name == "sqlite":
        # SELECT ... FOR UPDATE does not exist in SQLite: a write is what takes its (database
        # wide) write lock. Reads before it ran outside any transaction (pysqlite begins one at
        # the first write), so the records read below cannot be from an older snapshot.
        session.execute(update(Lab).where(Lab.id == lab_id).values(last_seq=Lab.last_seq))
    last = session.scalar(select(Lab.last_seq).where(Lab.id == lab_id).with_for_update())
    return int(last or 0)


@dataclass(frozen=True)
class PushOutcome:
    response: PushResponse
    counts: Counter[str]


def push(
    session: Session, *, lab_id: str, user: User, role: Role, items: Sequence[PushItem]
) -> PushOutcome:
    """Merge ``items`` into the lab's records (flushed; the caller commits)."""
    for index, item in enumerate(items):
        validate(index, item)
    seq = lock_lab(session, lab_id)
    record_ids = {item.record["id"] for item in items}
    rows = session.scalars(
        select(Record).where(Record.lab_id == lab_id, Record.record_id.in_(record_ids))
    )
    stored = {(row.kind, row.record_id): row for row in rows}
    now = utcnow()
    results: list[PushResult] = []
    for item in items:
        kind, record_id = item.kind, item.record["id"]
        current = stored.get((kind.value, record_id))
        status: PushStatus
        if current is None:
            seq += 1
            current = Record(
                lab_id=lab_id,
                kind=kind.value,
                record_id=record_id,
                owner_user_id=user.id,
                data=merge(kind, None, item.record),
                seq=seq,
                updated_at=now,
            )
            session.add(current)
            stored[(kind.value, record_id)] = current
            status = "created"
        elif current.owner_user_id != user.id and role is not Role.ADMIN:
            status = "conflict"
        else:
            merged = merge(kind, current.data, item.record)
            if merged == current.data:
                status = "unchanged"
            else:
                seq += 1
                current.data, current.seq, current.updated_at = merged, seq, now
                status = "updated"
        results.append(PushResult(kind=kind, id=record_id, seq=current.seq, status=status))
    session.execute(update(Lab).where(Lab.id == lab_id).values(last_seq=seq))
    session.flush()
    cursor = max((result.seq for result in results), default=0)
    return PushOutcome(
        PushResponse(results=results, cursor=cursor), Counter(r.status for r in results)
    )


def pull(
    session: Session, *, lab_id: str, since: int, limit: int
) -> tuple[list[PulledRecord], int, bool]:
    """(records changed after ``since`` in change order, the new cursor, whether more wait)."""
    rows = session.execute(
        select(Record, User.display_name)
        .join(User, User.id == Record.owner_user_id)
        .where(Record.lab_id == lab_id, Record.seq > since)
        .order_by(Record.seq)
        .limit(limit + 1)
    ).all()
    more = len(rows) > limit
    records = [
        PulledRecord(
            kind=RecordKind(row.kind),
            record=row.data,
            owner=Owner(id=row.owner_user_id, display_name=display_name),
            seq=row.seq,
        )
        for row, display_name in rows[:limit]
    ]
    cursor = records[-1].seq if records else since
    return records, cursor, more
