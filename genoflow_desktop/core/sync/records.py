"""Local rows ⇄ shared records: what a job or upload tells the lab, and how a pulled one lands.

:func:`job_record` and :func:`upload_record` build the shared record of a row with only the
fields of ``core.domain.sync`` (``JOB_FIELDS``, ``UPLOAD_FIELDS``): inputs and results become
``{name, size, sha256}``, timestamps ISO-8601 in UTC. Parameters, paths, passwords, endpoint
addresses and links never leave the machine; free text (errors, status messages) has any web
address, known secret and local path masked.

:func:`apply_record` merges a pulled record into the store with ``core.domain.sync.merge`` (the
rule the server uses too), or creates a "lab" row for a record this machine has never had.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from genoflow_desktop.core.domain.sync import FIELDS, RecordKind, merge
from genoflow_desktop.core.log import SECRETS
from genoflow_desktop.core.store.models import (
    ORIGIN_LAB,
    DataFile,
    Job,
    JobStatusEvent,
    Service,
    Upload,
)

#: Record fields holding a time (ISO-8601 UTC strings in a record, aware datetimes in a row).
TIME_FIELDS = frozenset(
    {
        "created_at",
        "submitted_at",
        "finished_at",
        "updated_at",
        "results_expire_at",
        "completed_at",
    }
)
#: Job fields copied as they are between a row and its record.
_JOB_PLAIN = (
    "name",
    "kind",
    "pipeline",
    "remote_id",
    "state",
    "remote_state",
    "progress",
    "project_id",
    "sample_id",
)
_JOB_TIMES = ("created_at", "submitted_at", "finished_at", "updated_at", "results_expire_at")
#: What a pulled record may change on a job this machine made (never its inputs, results or
#: service: those are this machine's own facts, with paths the record does not carry).
_JOB_ACCEPTED_LOCALLY = frozenset(
    {
        "name",
        "pipeline",
        "remote_id",
        "state",
        "remote_state",
        "progress",
        "error",
        "project_id",
        "sample_id",
        *_JOB_TIMES,
    }
)
_UPLOAD_PLAIN = (
    "project_id",
    "sample_id",
    "bucket",
    "key",
    "bytes_done",
    "md5",
    "sha256",
    "status",
)
_UPLOAD_TIMES = ("created_at", "updated_at", "completed_at")
_UPLOAD_ACCEPTED_LOCALLY = frozenset(
    {"project_id", "sample_id", "status", "error", "bytes_done", "completed_at", "updated_at"}
)

_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>]+")
LINK_MASK = "<address removed>"


# -- values -------------------------------------------------------------------------------


def iso(value: datetime | None) -> str | None:
    """``value`` as ISO-8601 in UTC, always with microseconds, so strings sort as times do."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def parse_time(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def scrub(
    text: str | None, local_paths: Iterable[str] = (), private: Iterable[str] = ()
) -> str | None:
    """Free text fit to share: no web addresses (links are capabilities, endpoints private),
    no ``private`` value, no secret the process knows, no local path (only the file name; the
    home folder as ~)."""
    if text is None:
        return None
    text = _URL.sub(LINK_MASK, text)
    for value in sorted((v for v in private if v), key=len, reverse=True):
        text = text.replace(value, LINK_MASK)
    for path in sorted((p for p in local_paths if p), key=len, reverse=True):
        text = text.replace(path, Path(path).name)
    home = str(Path.home())
    if len(home) > 1:
        text = text.replace(home, "~")
    return SECRETS.redact(text)


def _file_entry(entry: Any) -> dict[str, Any]:
    if isinstance(entry, dict):
        size = entry.get("size")
        return {
            "name": Path(str(entry.get("name") or entry.get("path") or "")).name,
            "size": int(size) if size is not None else None,
            "sha256": entry.get("sha256") or None,
        }
    return {"name": Path(str(entry)).name, "size": None, "sha256": None}


def normalize(kind: RecordKind, record: dict[str, Any]) -> dict[str, Any]:
    """``record`` in this app's canonical form: every field present, times as :func:`iso`.

    Both sides of a merge are normalized, so a server or an older client that leaves out empty
    fields or writes ``Z`` for UTC compares equal to the same version written by this app.
    """
    out: dict[str, Any] = {field: record.get(field) for field in sorted(FIELDS[kind])}
    for field in TIME_FIELDS & out.keys():
        out[field] = iso(parse_time(out[field]))
    if kind is RecordKind.JOB:
        out["inputs"] = [_file_entry(e) for e in out["inputs"] or []]
        out["results"] = [_file_entry(e) for e in out["results"] or []]
        events = [
            {
                "state": str(e.get("state") or ""),
                "message": str(e.get("message") or ""),
                "at": iso(parse_time(e.get("at"))) or "",
            }
            for e in out["history"] or []
            if isinstance(e, dict)
        ]
        out["history"] = sorted(events, key=lambda e: (e["at"], e["state"], e["message"]))
        if out["progress"] is not None:
            out["progress"] = float(out["progress"])
    return out


# -- rows to records ----------------------------------------------------------------------


def _input_entry(session: Session, entry: Any) -> dict[str, Any]:
    """A job input as shared: a local path becomes its name, size and checksum (if validated)."""
    if isinstance(entry, dict):
        return _file_entry(entry)
    path = str(entry)
    resolved = str(Path(path).resolve())
    known = session.scalar(
        select(DataFile)
        .where(or_(DataFile.path == path, DataFile.path == resolved))
        .order_by(DataFile.created_at.desc())
        .limit(1)
    )
    if known is None:
        return _file_entry(path)
    return {"name": Path(path).name, "size": known.size, "sha256": known.sha256}


def _job_local_paths(job: Job) -> list[str]:
    paths = [str(p) for p in job.inputs if not isinstance(p, dict)]
    paths += [str(r.get("path")) for r in job.results if isinstance(r, dict) and r.get("path")]
    if job.output_dir:
        paths.append(job.output_dir)
    return paths


def job_record(session: Session, job: Job) -> dict[str, Any]:
    """The shared record of ``job``: metadata only, never params, paths, passwords or links."""
    service = session.get(Service, job.service_id) if job.service_id else None
    paths = _job_local_paths(job)
    record: dict[str, Any] = {"id": job.id}
    for field in _JOB_PLAIN:
        record[field] = getattr(job, field)
    for field in _JOB_TIMES:
        record[field] = iso(getattr(job, field))
    record["service_name"] = service.name if service else job.service_name
    record["service_kind"] = service.kind if service else job.service_kind
    record["error"] = scrub(job.error, paths)
    record["inputs"] = [_input_entry(session, entry) for entry in job.inputs]
    record["results"] = [_file_entry(entry) for entry in job.results]
    record["history"] = [
        {"state": e.state, "message": scrub(e.message, paths) or "", "at": iso(e.at)}
        for e in job.history
    ]
    return normalize(RecordKind.JOB, record)


def upload_record(upload: Upload) -> dict[str, Any]:
    """The shared record of ``upload``: never its local path, profile or S3 endpoint."""
    record: dict[str, Any] = {"id": upload.id, "name": Path(upload.source_path).name}
    for field in _UPLOAD_PLAIN:
        record[field] = getattr(upload, field)
    for field in _UPLOAD_TIMES:
        record[field] = iso(getattr(upload, field))
    record["size"] = upload.source_size
    endpoint = upload.endpoint_url or ""
    host = urlsplit(endpoint).netloc if "://" in endpoint else ""
    record["error"] = scrub(upload.error, [upload.source_path], [endpoint, host])
    return normalize(RecordKind.UPLOAD, record)


def record_of(session: Session, row: Job | Upload) -> dict[str, Any]:
    return job_record(session, row) if isinstance(row, Job) else upload_record(row)


# -- records to rows ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Owner:
    """Who owns a record on the sync server (its first pusher)."""

    id: str
    display_name: str

    @classmethod
    def of(cls, data: Any) -> Owner:
        data = data if isinstance(data, dict) else {}
        return cls(str(data.get("id") or ""), str(data.get("display_name") or ""))


@dataclass(frozen=True, slots=True)
class Applied:
    """What applying one pulled record did."""

    #: "created", "updated" or "unchanged".
    action: str
    #: The local row had changes the pulled version lacks: the merge joined both, and the row
    #: stays pending so the joined version is pushed on the next run.
    merged_local_changes: bool = False


def _set_job_fields(job: Job, merged: dict[str, Any], fields: set[str]) -> None:
    for field in fields:
        value = merged[field]
        if field in TIME_FIELDS:
            setattr(job, field, parse_time(value))
        elif field in ("inputs", "results"):
            setattr(job, field, [dict(entry) for entry in value])
        elif field == "history":
            have = {(iso(e.at), e.state, e.message) for e in job.history}
            for event in value:
                if (event["at"], event["state"], event["message"]) not in have:
                    job.history.append(
                        JobStatusEvent(
                            state=event["state"],
                            message=event["message"],
                            at=parse_time(event["at"]),
                        )
                    )
        elif field in ("service_name", "service_kind") and job.service_id is not None:
            continue  # a job made here names its service through its service row
        else:
            setattr(job, field, value)


def _set_upload_fields(upload: Upload, merged: dict[str, Any], fields: set[str]) -> None:
    for field in fields:
        value = merged[field]
        if field in TIME_FIELDS:
            setattr(upload, field, parse_time(value))
        elif field == "name":
            upload.source_path = Path(str(value or "")).name  # a lab row keeps only the name
        elif field == "size":
            upload.source_size = int(value or 0)
        else:
            setattr(upload, field, value if field != "bytes_done" else int(value or 0))


def _new_lab_row(kind: RecordKind, record: dict[str, Any], owner: Owner) -> Job | Upload:
    if kind is RecordKind.JOB:
        return Job(
            id=record["id"],
            name=record["name"] or "",
            kind=record["kind"] or "",
            state=record["state"],
            origin=ORIGIN_LAB,
            owner=owner.display_name,
            lab_owner_id=owner.id,
            params={},
            inputs=[],
            results=[],
        )
    return Upload(
        id=record["id"],
        source_path="",
        source_size=0,
        source_mtime_ns=0,
        profile="",
        bucket=record["bucket"] or "",
        key=record["key"] or "",
        part_size=0,
        status=record["status"],
        origin=ORIGIN_LAB,
        owner=owner.display_name,
        lab_owner_id=owner.id,
    )


def apply_record(
    session: Session, kind: RecordKind, record: dict[str, Any], owner: Owner
) -> Applied:
    """Merge a pulled ``record`` into the store (or add it as a "lab" row) and mark what is synced.

    The row's ``synced_at`` is set to its ``updated_at`` when the store now holds exactly the
    server's version; when local changes were joined in, it is cleared so they get pushed.
    """
    incoming = normalize(kind, record)
    row: Job | Upload | None = (
        session.get(Job, incoming["id"])
        if kind is RecordKind.JOB
        else session.get(Upload, incoming["id"])
    )
    if row is None:
        row = _new_lab_row(kind, incoming, owner)
        session.add(row)
        fields = set(FIELDS[kind]) - {"id"}
        if isinstance(row, Job):
            _set_job_fields(row, incoming, fields)
        else:
            _set_upload_fields(row, incoming, fields)
        row.synced_at = row.updated_at
        return Applied("created")

    current = record_of(session, row)
    merged = merge(kind, current, incoming)
    if kind is RecordKind.JOB:
        merged = normalize(kind, merged)
    changed = {field for field in merged if field != "id" and merged[field] != current[field]}
    if row.origin != ORIGIN_LAB:
        accepted = _JOB_ACCEPTED_LOCALLY if kind is RecordKind.JOB else _UPLOAD_ACCEPTED_LOCALLY
        changed &= accepted | {"history"}
    elif row.owner != owner.display_name and owner.display_name:
        row.owner = owner.display_name
    if owner.id:
        row.lab_owner_id = owner.id
    if isinstance(row, Job):
        _set_job_fields(row, merged, changed)
    else:
        _set_upload_fields(row, merged, changed)
    row.updated_at = parse_time(merged["updated_at"]) or row.updated_at
    _keep_updated_at(session, row)
    now_have = record_of(session, row)
    in_step = now_have == incoming
    row.synced_at = row.updated_at if in_step else None
    _keep_updated_at(session, row)
    return Applied("updated" if changed else "unchanged", merged_local_changes=not in_step)


def _keep_updated_at(session: Session, row: Job | Upload) -> None:
    """Flush ``row`` with ``updated_at`` as set: the column's onupdate (now) would otherwise
    replace the record's own time whenever sync bookkeeping changes the row."""
    flag_modified(row, "updated_at")
    session.flush()
