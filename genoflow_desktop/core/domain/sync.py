"""What a lab shares through the sync server, and the one rule that merges two versions of it.

The app and the server both call :func:`merge`, so a record converges to the same value whatever
order the versions arrive in: a state only moves forward (a job never goes back from ``completed``
to ``running`` because an older copy arrived late), editable fields take the newest version, and
status history is the union of both sides.

A shared record carries metadata only (ids, names, sample and project, states and history,
checksums, sizes, timestamps); :data:`JOB_FIELDS` and :data:`UPLOAD_FIELDS` are the complete lists.
Credentials, job passwords, share links, local paths and file contents have no field to go in.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from genoflow_desktop.core.domain.states import JobState, UploadStatus


class RecordKind(StrEnum):
    JOB = "job"
    UPLOAD = "upload"


#: Every field a shared job record may have (all optional except ``id``, ``state``, ``updated_at``).
JOB_FIELDS = frozenset(
    {
        "id",
        "name",
        "kind",
        "pipeline",
        "service_name",
        "service_kind",
        "remote_id",
        "state",
        "remote_state",
        "progress",
        "error",
        "created_at",
        "submitted_at",
        "finished_at",
        "updated_at",
        "results_expire_at",
        # [{"state", "message", "at"}]
        "history",
        # [{"name", "size", "sha256"}]: no paths, no links
        "inputs",
        "results",
        "project_id",
        "sample_id",
    }
)

#: Every field a shared upload record may have.
UPLOAD_FIELDS = frozenset(
    {
        "id",
        "name",
        "project_id",
        "sample_id",
        "bucket",
        "key",
        "size",
        "bytes_done",
        "md5",
        "sha256",
        "status",
        "error",
        "created_at",
        "updated_at",
        "completed_at",
    }
)

FIELDS = {RecordKind.JOB: JOB_FIELDS, RecordKind.UPLOAD: UPLOAD_FIELDS}
STATE_FIELD = {RecordKind.JOB: "state", RecordKind.UPLOAD: "status"}

# Uploads: pending, then started (uploading and paused alternate freely), then final.
_UPLOAD_RANK = {
    UploadStatus.PENDING.value: 0,
    UploadStatus.UPLOADING.value: 1,
    UploadStatus.PAUSED.value: 1,
    UploadStatus.COMPLETED.value: 2,
    UploadStatus.FAILED.value: 2,
    UploadStatus.CANCELED.value: 2,
}


def state_rank(kind: RecordKind, state: str) -> int:
    """Position of ``state`` in its record's forward order (unknown states rank lowest)."""
    if kind is RecordKind.JOB:
        try:
            return JobState(state).rank
        except ValueError:
            return -1
    return _UPLOAD_RANK.get(state, -1)


def unknown_fields(kind: RecordKind, record: dict[str, Any]) -> list[str]:
    """Fields of ``record`` that a shared record of this kind may not carry."""
    return sorted(set(record) - FIELDS[kind])


#: The fields that describe a state: they come with the state from the version further along.
_STATE_DETAILS = (
    "remote_state",
    "progress",
    "error",
    "finished_at",
    "completed_at",
    "bytes_done",
)


def _order(value: Any) -> str:
    """A total order on JSON values, the same on every machine (ties of equal timestamps)."""
    return json.dumps(value, sort_keys=True, default=str)


def _joined(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Two versions with the same ``updated_at``: every field takes the larger value (by
    :func:`_order`), so the result is the same whichever side is which, and merging either
    side into it again changes nothing."""
    merged = dict(a)
    for key, value in b.items():
        if key not in merged or _order(value) > _order(merged[key]):
            merged[key] = value
    return merged


def _merged_history(a: list[Any] | None, b: list[Any] | None) -> list[dict[str, Any]]:
    seen: dict[tuple[str, str, str], dict[str, Any]] = {}
    for event in [*(a or []), *(b or [])]:
        key = (str(event.get("at", "")), str(event.get("state", "")), str(event.get("message", "")))
        # Two spellings of one event (e.g. message "" and no message): keep one, chosen by
        # content so the arrival order does not matter.
        if key not in seen or _order(event) > _order(seen[key]):
            seen[key] = event
    return [seen[key] for key in sorted(seen)]


def merge(
    kind: RecordKind, current: dict[str, Any] | None, incoming: dict[str, Any]
) -> dict[str, Any]:
    """The merged record; ``merge(k, a, b) == merge(k, b, a)`` for any two versions, and merging
    either of them into the result again returns the result unchanged (a repeated push or pull
    is a no-op).

    Editable fields come from the version with the later ``updated_at`` (fields only the older
    one has are kept); on equal timestamps each field takes the larger value. The state, and the
    fields that describe it, come from the version whose state is further along. Timestamps are
    compared as ISO-8601 strings in UTC (``...+00:00``), which sort as times do.
    """
    if current is None:
        merged = dict(incoming)
    else:
        current_at = str(current.get("updated_at") or "")
        incoming_at = str(incoming.get("updated_at") or "")
        if current_at == incoming_at:
            merged = _joined(current, incoming)
        elif incoming_at > current_at:
            merged = {**current, **incoming}
        else:
            merged = {**incoming, **current}
        state_field = STATE_FIELD[kind]
        current_rank = state_rank(kind, str(current.get(state_field)))
        incoming_rank = state_rank(kind, str(incoming.get(state_field)))
        if current_rank != incoming_rank:
            ahead = current if current_rank > incoming_rank else incoming
            for field in (state_field, *_STATE_DETAILS):
                if field in ahead:
                    merged[field] = ahead[field]
                else:
                    merged.pop(field, None)
    if kind is RecordKind.JOB and "history" in merged:
        # Sorted and without duplicates from the first version on, so merging the same version
        # again changes nothing.
        merged["history"] = _merged_history(
            current.get("history") if current else None, incoming.get("history")
        )
    return merged
