"""WES answers as plain values: service-info, run logs, run lists, and our state mapping.

Servers differ a lot in what they send (see specs/wes.md, "Differences a client must
tolerate"): the parsers here accept every observed shape and never fail on a missing or
oddly typed field, because a run log we cannot read must not stop a job from finishing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from genoflow_desktop.core.domain import JobState
from genoflow_desktop.core.jobs.backend import RemoteOutput

#: How a server lists its engines: WES 1.0 ``{name: "version"}``, 1.1 ``{name: {workflow_engine_version: [..]}}``.
EngineForm = Literal["1.0", "1.1"]

# WES states with a meaning of their own; all others count as running. DELETED is sapporo's
# (after DELETE /runs/{id}), not in the WES enum.
_STATE_MAP: dict[str, JobState] = {
    "QUEUED": JobState.QUEUED,
    "INITIALIZING": JobState.QUEUED,
    "COMPLETE": JobState.COMPLETED,
    "EXECUTOR_ERROR": JobState.FAILED,
    "SYSTEM_ERROR": JobState.FAILED,
    "PREEMPTED": JobState.FAILED,
    "CANCELED": JobState.CANCELED,
    "DELETED": JobState.CANCELED,
}


def map_state(remote_state: str) -> JobState:
    """Our state for a WES state. Anything not known to end a run (RUNNING, PAUSED, CANCELING,
    UNKNOWN, a server's own invention) counts as still running, so we keep polling."""
    return _STATE_MAP.get(remote_state.strip().upper(), JobState.RUNNING)


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 time as servers write it (with or without ``Z``, or ``""``); naive means UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(item) for item in value if item is not None)
    return ()


@dataclass(frozen=True)
class ServiceInfo:
    """What a WES server says it runs. Workflow type keys are upper-cased (Toil says ``cwl``)."""

    workflow_types: Mapping[str, tuple[str, ...]]
    engines: Mapping[str, tuple[str, ...]]
    engine_form: EngineForm | None  # None when the server lists no engines
    supported_wes_versions: tuple[str, ...]  # informational only: sapporo says "sapporo-wes-2.1.0"
    auth_instructions_url: str | None = None
    name: str | None = None  # GA4GH service-info fields, sent by WES 1.1 servers only
    version: str | None = None

    def type_versions(self, workflow_type: str) -> tuple[str, ...] | None:
        """The versions listed for ``workflow_type`` (any case), or None if it is not offered."""
        return self.workflow_types.get(workflow_type.upper())

    def default_engine(self) -> str | None:
        return next(iter(self.engines), None)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ServiceInfo:
        types: dict[str, tuple[str, ...]] = {}
        raw_types = data.get("workflow_type_versions")
        if isinstance(raw_types, dict):
            for key, value in raw_types.items():
                versions = value.get("workflow_type_version") if isinstance(value, dict) else value
                types[str(key).upper()] = _strings(versions)
        engines: dict[str, tuple[str, ...]] = {}
        form: EngineForm | None = None
        raw_engines = data.get("workflow_engine_versions")
        if isinstance(raw_engines, dict) and raw_engines:
            form = "1.1" if any(isinstance(v, dict) for v in raw_engines.values()) else "1.0"
            for key, value in raw_engines.items():
                versions = (
                    value.get("workflow_engine_version") if isinstance(value, dict) else value
                )
                engines[str(key)] = _strings(versions)
        auth_url = data.get("auth_instructions_url")
        name = data.get("name")
        version = data.get("version")
        return cls(
            workflow_types=types,
            engines=engines,
            engine_form=form,
            supported_wes_versions=_strings(data.get("supported_wes_versions")),
            auth_instructions_url=auth_url if isinstance(auth_url, str) and auth_url else None,
            name=name if isinstance(name, str) and name else None,
            version=version if isinstance(version, str) and version else None,
        )


@dataclass(frozen=True)
class Attachment:
    """A local file sent as a ``workflow_attachment`` part, staged by the server under ``name``."""

    name: str
    path: Path


@dataclass(frozen=True)
class RunRequest:
    """The fields of ``POST /runs`` (WES RunRequest), plus the files to attach."""

    workflow_url: str
    workflow_type: str
    workflow_type_version: str
    workflow_params: Mapping[str, Any] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    workflow_engine: str | None = None  # sent only to servers listing engines in the 1.1 form
    workflow_engine_parameters: Mapping[str, Any] | None = None
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class LogRef:
    """A run's stdout or stderr: the spec says a URL, wes-service and sapporo send the text."""

    url: str | None = None
    text: str = ""

    @classmethod
    def from_json(cls, value: Any) -> LogRef:
        if not isinstance(value, str):
            return cls()
        candidate = value.strip()
        one_word = bool(candidate) and not any(c.isspace() for c in candidate)
        # Toil's links are relative: ../../../../toil/wes/v1/logs/{id}/stderr. Log text that is
        # one word starting like a path is too unlikely to matter.
        if one_word and candidate.startswith(("http://", "https://", "../", "./", "/")):
            return cls(url=candidate)
        return cls(text=value)


@dataclass(frozen=True)
class RunLog:
    """``GET /runs/{id}``, normalised."""

    run_id: str
    state: str
    outputs: tuple[RemoteOutput, ...]
    stdout: LogRef
    stderr: LogRef
    exit_code: int | None
    start_time: datetime | None
    end_time: datetime | None
    raw: Mapping[str, Any]  # the server's JSON as received, kept for the results folder

    @classmethod
    def from_json(cls, run_id: str, data: Mapping[str, Any]) -> RunLog:
        log = data.get("run_log")
        log = log if isinstance(log, dict) else {}
        exit_code = log.get("exit_code")
        return cls(
            run_id=str(data.get("run_id") or run_id),
            state=str(data.get("state") or "UNKNOWN"),
            outputs=parse_outputs(data.get("outputs")),
            stdout=LogRef.from_json(log.get("stdout")),
            stderr=LogRef.from_json(log.get("stderr")),
            exit_code=exit_code if isinstance(exit_code, int) else None,
            start_time=parse_time(log.get("start_time")),
            end_time=parse_time(log.get("end_time")),
            raw=data,
        )


@dataclass(frozen=True)
class RunSummary:
    """One item of ``GET /runs``: RunStatus (1.0), or RunSummary with times and tags (1.1)."""

    run_id: str
    state: str
    start_time: datetime | None = None
    end_time: datetime | None = None
    tags: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunSummary:
        tags = data.get("tags")
        return cls(
            run_id=str(data.get("run_id", "")),
            state=str(data.get("state") or "UNKNOWN"),
            start_time=parse_time(data.get("start_time")),
            end_time=parse_time(data.get("end_time")),
            tags=tags if isinstance(tags, dict) else {},
        )


# --- outputs ----------------------------------------------------------------------------------


def parse_outputs(value: Any) -> tuple[RemoteOutput, ...]:
    """Every file a run log's ``outputs`` names, whatever its shape.

    Shapes seen: a CWL output object ``{id: File | Directory | [..] | record}`` (wes-service,
    Toil) and sapporo's list ``[{file_name, file_url}]``. Scalars (numbers, strings) are not
    files and are skipped; they stay readable in the saved run log.
    """
    found: list[RemoteOutput] = []
    taken: set[str] = set()
    for key, item in _walk(value, ""):
        output = _output_of(item, key)
        if output is None:
            continue
        # Two outputs may share a basename (a scatter's array): keep both, the later ones under
        # their output id, then numbered.
        name = output.name
        if name in taken and key:
            name = f"{key}/{output.name}"
        number = 2
        while name in taken:
            name = f"{key or 'output'}/{number}/{output.name}"
            number += 1
        taken.add(name)
        found.append(replace(output, name=name))
    return tuple(found)


def _walk(value: Any, key: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(output id, file-like dict) pairs, depth first, in the server's order."""
    if isinstance(value, list):
        for item in value:
            yield from _walk(item, key)
    elif isinstance(value, dict):
        kind = value.get("class")
        if kind == "File" or "file_url" in value:
            yield key, value
            yield from _walk(value.get("secondaryFiles"), key)
        elif kind == "Directory" and isinstance(value.get("listing"), list):
            yield from _walk(value["listing"], key)
        elif kind == "Directory":
            yield key, value
        else:  # a CWL record, or the top-level output object: its keys are output ids
            for sub_key, sub_value in value.items():
                yield from _walk(sub_value, f"{key}/{sub_key}" if key else str(sub_key))


def _output_of(item: Mapping[str, Any], key: str) -> RemoteOutput | None:
    if "file_url" in item:  # sapporo
        url = item.get("file_url")
        if not isinstance(url, str) or not url:
            return None
        name = item.get("file_name")
        name = name if isinstance(name, str) and name else _last_segment(url)
        return RemoteOutput(name=name, url=url if _is_http(url) else None, location=url)
    location = item.get("location") or item.get("path")
    if not isinstance(location, str) or not location:
        return None
    basename = item.get("basename")
    name = basename if isinstance(basename, str) and basename else _last_segment(location) or key
    is_file = item.get("class") != "Directory"
    size = item.get("size")
    checksum = item.get("checksum")
    return RemoteOutput(
        name=name,
        # A directory without a listing cannot be fetched with one GET; show where it is.
        url=location if is_file and _is_http(location) else None,
        size=size if is_file and isinstance(size, int) else None,
        checksum=checksum if isinstance(checksum, str) else None,
        location=location,
    )


def _is_http(url: str) -> bool:
    return url.startswith(("http://", "https://"))


def _last_segment(location: str) -> str:
    return PurePosixPath(unquote(urlsplit(location).path)).name
