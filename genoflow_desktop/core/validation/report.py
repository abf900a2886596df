"""What a validation run produces: findings, metrics and a verdict, serialisable to JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from genoflow_desktop.core.domain import Compression, FileFormat, Severity, Verdict

#: Reports keep the first findings of each severity; the counts still cover all of them.
MAX_FINDINGS_KEPT = 100


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem, located as precisely as the format allows.

    ``record``, ``line`` and ``offset`` are 1-based record and line numbers and a 0-based byte
    offset (in the decompressed stream for compressed text, in the file otherwise); any of them
    may be None when the format has no such notion at that point.
    """

    severity: Severity
    code: str
    message: str
    hint: str = ""
    record: int | None = None
    line: int | None = None
    offset: int | None = None

    def where(self) -> str:
        parts = []
        if self.record is not None:
            parts.append(f"record {self.record:,}")
        if self.line is not None:
            parts.append(f"line {self.line:,}")
        if self.offset is not None:
            parts.append(f"byte {self.offset:,}")
        return ", ".join(parts)


@dataclass(slots=True)
class ValidationReport:
    path: str
    format: FileFormat = FileFormat.UNKNOWN
    compression: Compression = Compression.NONE
    size: int = 0
    records: int = 0
    errors: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    error_count: int = 0
    warning_count: int = 0
    metrics: dict[str, Any] = field(default_factory=dict)
    md5: str | None = None
    sha256: str | None = None
    duration_s: float = 0.0

    def add(self, finding: Finding) -> None:
        if finding.severity is Severity.ERROR:
            self.error_count += 1
            if len(self.errors) < MAX_FINDINGS_KEPT:
                self.errors.append(finding)
        else:
            self.warning_count += 1
            if len(self.warnings) < MAX_FINDINGS_KEPT:
                self.warnings.append(finding)

    def error(self, code: str, message: str, **where: Any) -> None:
        self.add(Finding(Severity.ERROR, code, message, **where))

    def warning(self, code: str, message: str, **where: Any) -> None:
        self.add(Finding(Severity.WARNING, code, message, **where))

    @property
    def verdict(self) -> Verdict:
        if self.error_count:
            return Verdict.INVALID
        if self.warning_count:
            return Verdict.VALID_WITH_WARNINGS
        return Verdict.VALID

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["verdict"] = self.verdict.value
        return data
