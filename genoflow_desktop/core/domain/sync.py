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


def _newer(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether ``a`` is the newer version; ties broken on content so every side agrees."""
    a_at, b_at = str(a.get("updated_at") or ""), str(b.get("updated_at") or "")
    if a_at != b_at:
        return a_at > b_at
    return repr(sorted(a.items(), key=lambda kv: kv[0])) > repr(
        sorted(b.items(), key=lambda kv: kv[0])
    )


def _merged_history(a: list[Any] | None, b: list[Any] | None) -> list[dict[str, Any]]:
    seen: dict[tuple[str, str, str], dict[str, Any]] = {}
    for event in [*(a or []), *(b or [])]:
        key = (str(event.get("at", "")), str(event.get("state", "")), str(event.get("message", "")))
        seen.setdefault(key, event)
    return [seen[key] for key in sorted(seen)]


def merge(
    kind: RecordKind, current: dict[str, Any] | None, incoming: dict[str, Any]
) -> dict[str, Any]:
    """The merged record; ``merge(k, a, b) == merge(k, b, a)`` for any two versions.

    Timestamps are compared as ISO-8601 strings in UTC (``...+00:00``), which sort as times do.
    """
    if current is None:
        # History in its merged form (sorted, no duplicates) from the start: merging the same
        # version in again must change nothing, or a repeated push would count as a change.
        merged = dict(incoming)
        if kind is RecordKind.JOB and "history" in incoming:
            merged["history"] = _merged_history(incoming.get("history"), None)
        return merged
    newer, older = (incoming, current) if _newer(incoming, current) else (current, incoming)
    merged = {**older, **newer}
    state_field = STATE_FIELD[kind]
    # The state (and what describes it) comes from whichever side is further along; on equal
    # rank, from the newer version.
    if state_rank(kind, str(older.get(state_field))) > state_rank(
        kind, str(newer.get(state_field))
    ):
        for field in (
            state_field,
            "remote_state",
            "progress",
            "error",
            "finished_at",
            "completed_at",
            "bytes_done",
        ):
            if field in older:
                merged[field] = older[field]
    if kind is RecordKind.JOB and ("history" in current or "history" in incoming):
        # Newer side first: of two events with the same key, the newer version's copy is kept
        # whichever order the versions arrive in.
        merged["history"] = _merged_history(newer.get("history"), older.get("history"))
    return merged
