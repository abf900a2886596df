"""Everything the Results view's detail pane shows about one job, as plain data.

Loaded on the db thread in one transaction; the GUI thread only renders it. Nothing here reads
the network: the pane works offline from the local store and the job's folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from genoflow_desktop.core.domain import JobState
from genoflow_desktop.core.store.models import DataFile, Job, Service, ValidationResult, utcnow

#: Result files whose name matches these are imputation quality files (sites-only VCF, R2 in INFO).
INFO_SUFFIX = ".info.gz"
#: The HTML quality-control report imputation servers produce.
QC_REPORT_NAME = "quality-control.html"


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    at: datetime
    state: str
    message: str


@dataclass(frozen=True, slots=True)
class StepMessage:
    step: str
    level: str
    text: str


@dataclass(frozen=True, slots=True)
class ResultFile:
    name: str
    path: str
    size: int
    sha256: str
    extracted_from: str | None


@dataclass(frozen=True, slots=True)
class InputReport:
    """The latest validation report of one of the job's input files."""

    path: str
    format: str
    verdict: str
    metrics: dict[str, Any]


@dataclass(frozen=True, slots=True)
class JobDetail:
    id: str
    name: str
    service: str
    kind: str
    state: str
    remote_id: str | None
    remote_state: str | None
    queue_position: int | None
    progress: float | None
    attention: str | None
    error: str | None
    output_dir: str | None
    results_expire_at: datetime | None
    history: list[HistoryEntry]
    messages: list[StepMessage]
    results: list[ResultFile]
    inputs: list[InputReport]

    @property
    def finished(self) -> bool:
        return JobState(self.state).is_final

    @property
    def info_files(self) -> list[Path]:
        """The imputation quality files (``chr*.info.gz``) of the results."""
        return [Path(f.path) for f in self.results if f.name.endswith(INFO_SUFFIX)]

    @property
    def report_file(self) -> Path | None:
        for result in self.results:
            if Path(result.name).name == QC_REPORT_NAME:
                return Path(result.path)
        return None


def load(session: Session, job_id: str) -> JobDetail | None:
    job = session.get(Job, job_id)
    if job is None:
        return None
    service = session.get(Service, job.service_id) if job.service_id else None
    return JobDetail(
        id=job.id,
        name=job.name,
        service=service.name if service else "",
        kind=job.kind,
        state=job.state,
        remote_id=job.remote_id,
        remote_state=job.remote_state,
        queue_position=job.queue_position,
        progress=job.progress,
        attention=job.attention,
        error=job.error,
        output_dir=job.output_dir,
        results_expire_at=job.results_expire_at,
        history=[HistoryEntry(e.at, e.state, e.message) for e in job.history],
        messages=[
            StepMessage(str(m.get("step", "")), str(m.get("level", "info")), str(m.get("text", "")))
            for m in job.messages
        ],
        results=[
            ResultFile(
                str(r["name"]),
                str(r["path"]),
                int(r.get("size") or 0),
                str(r.get("sha256") or ""),
                r.get("extracted_from"),
            )
            for r in job.results
            if r.get("path")  # results of a job pulled from the lab are not on this disk
        ],
        inputs=_input_reports(session, [str(p) for p in job.inputs]),
    )


def _input_reports(session: Session, paths: list[str]) -> list[InputReport]:
    """The newest validation of each input path (validations are keyed by resolved path)."""
    if not paths:
        return []
    resolved = {str(Path(p).resolve()): p for p in paths}
    rows = session.execute(
        select(
            DataFile.path,
            ValidationResult.format,
            ValidationResult.verdict,
            ValidationResult.report,
        )
        .join(ValidationResult, ValidationResult.file_id == DataFile.id)
        .where(DataFile.path.in_(list(resolved)))
        .order_by(ValidationResult.finished_at)
    )
    latest: dict[str, InputReport] = {}
    for path, file_format, verdict, report in rows:
        latest[path] = InputReport(path, file_format, verdict, dict(report.get("metrics") or {}))
    return [latest[p] for p in resolved if p in latest]


def retention_text(expire_at: datetime | None, now: datetime | None = None) -> str:
    """ "results deleted on the server in 3.2 days", or "" when the server keeps no deadline."""
    if expire_at is None:
        return ""
    days = (expire_at - (now or utcnow())).total_seconds() / 86400
    if days <= 0:
        return "results deleted on the server"
    if days < 1:
        return f"results deleted on the server in {days * 24:.1f} hours"
    return f"results deleted on the server in {days:.1f} days"
