"""Result types and shared constants of the imputation pre-flight."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from genoflow_desktop.core.domain import Severity
from genoflow_desktop.core.validation.report import ValidationReport

PHASING_ENGINES = ("eagle", "beagle", "no_phasing")
BUILDS = ("hg19", "hg38")
#: Chromosomes the servers accept, after removing a 'chr' prefix.
VALID_CHROMOSOMES = {str(n) for n in range(1, 24)} | {"X", "MT"}
INTEGRITY_CODES = {
    "empty_file",
    "unreadable",
    "bgzf_corrupt",
    "bgzf_crc",
    "bgzf_truncated",
    "bgzf_bad_block",
    "bgzf_eof_missing",
    "compressed_stream_corrupt",
    "compressed_stream_truncated",
    "unsupported_compression",
    "vcf_no_header",
    "vcf_chrom_line",
    "internal",
}


#: Validation errors that a specific pre-flight check reports in the server's words.
HANDLED_CODES = {"vcf_unsorted", "vcf_not_contiguous", "vcf_duplicate_samples"}


@dataclass(frozen=True, slots=True)
class PreflightFinding:
    """One pre-flight result: the server's message, what to do, and an optional fix id."""

    severity: Severity
    code: str
    message: str
    hint: str = ""
    path: str | None = None
    fix: str | None = None


@dataclass(slots=True)
class PreflightResult:
    """All findings for a set of files, plus the summary the server would print."""

    build: str
    phasing: str
    findings: list[PreflightFinding] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    reports: dict[str, ValidationReport] = field(default_factory=dict)

    @property
    def errors(self) -> list[PreflightFinding]:
        """Findings that block a submission."""
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[PreflightFinding]:
        """Findings the server reports but accepts."""
        return [f for f in self.findings if f.severity is Severity.WARNING]

    @property
    def ok(self) -> bool:
        """True when the server's input validation would accept the files."""
        return not self.errors

    def summary_text(self) -> str:
        """The server's 'Input Validation' summary for these files."""
        s = self.summary
        return "\n".join(
            [
                f"{s.get('files', 0)} valid VCF file(s) found.",
                "",
                f"Samples: {s.get('samples', 0)}",
                f"Chromosomes: {' '.join(s.get('chromosomes', []))}",
                f"SNPs: {s.get('snps', 0)}",
                f"Chunks: {s.get('chunks', 0)}",
                f"Datatype: {s.get('datatype', 'unphased')}",
                f"Build: {self.build}",
                f"Phasing: {self.phasing}",
            ]
        )

    def add(
        self,
        severity: Severity,
        code: str,
        message: str,
        hint: str = "",
        *,
        path: str | None = None,
        fix: str | None = None,
    ) -> None:
        """Append a finding phrased like the server, with a hint and an optional fix id."""
        self.findings.append(PreflightFinding(severity, code, message, hint, path, fix))
