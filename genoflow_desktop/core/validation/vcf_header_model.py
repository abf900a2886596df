"""Shared pieces of the VCF header checks: the parsed header, the reserved keys, the parser
state that collects findings (errors, or warnings for rules newer than the file's version)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from genoflow_desktop.core.validation.report import ValidationReport

KEY_RE = re.compile(r"(?:[A-Za-z_][0-9A-Za-z_.]*|1000G)")
CONTIG_RE = re.compile(r"[0-9A-Za-z!#$%&+./:;?@^_|~-][0-9A-Za-z!#$%&*+./:;=?@^_|~-]*")
_FILEFORMAT_RE = re.compile(r"VCFv(\d+)\.(\d+)")
NUMBER_RE = re.compile(r"(?:0|[1-9][0-9]*|[ARG.])")
VALUE_TYPES = {"Integer", "Float", "Flag", "Character", "String"}
SV_TYPES = {"DEL", "INS", "DUP", "INV", "CNV", "BND"}
_FIXED_COLUMNS = ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO"]
#: Reserved keys with their (Number, Type), VCFv4.3/4.4 tables 1 and 2.
RESERVED_INFO = {
    "AA": ("1", "String"),
    "AC": ("A", "Integer"),
    "AD": ("R", "Integer"),
    "ADF": ("R", "Integer"),
    "ADR": ("R", "Integer"),
    "AF": ("A", "Float"),
    "AN": ("1", "Integer"),
    "BQ": ("1", "Float"),
    "CIGAR": ("A", "String"),
    "DB": ("0", "Flag"),
    "DP": ("1", "Integer"),
    "END": ("1", "Integer"),
    "H2": ("0", "Flag"),
    "H3": ("0", "Flag"),
    "MQ": ("1", "Float"),
    "MQ0": ("1", "Integer"),
    "NS": ("1", "Integer"),
    "SB": ("4", "Integer"),
    "SOMATIC": ("0", "Flag"),
    "VALIDATED": ("0", "Flag"),
    "1000G": ("0", "Flag"),
}
RESERVED_FORMAT = {
    "AD": ("R", "Integer"),
    "ADF": ("R", "Integer"),
    "ADR": ("R", "Integer"),
    "DP": ("1", "Integer"),
    "EC": ("A", "Integer"),
    "FT": ("1", "String"),
    "GL": ("G", "Float"),
    "GP": ("G", "Float"),
    "GQ": ("1", "Integer"),
    "GT": ("1", "String"),
    "HQ": ("2", "Integer"),
    "MQ": ("1", "Integer"),
    "PL": ("G", "Integer"),
    "PP": ("G", "Integer"),
    "PQ": ("1", "Integer"),
    "PS": ("1", "Integer"),
    "PSL": ("P", "String"),
    "PSO": ("P", "Integer"),
    "PSQ": ("P", "Integer"),
}
_HINT = "Correct the header line (VCF specification, section 1.4)."


@dataclass(slots=True)
class FieldDef:
    """An INFO or FORMAT declaration."""

    id: str
    number: str
    type: str
    line: int


@dataclass(slots=True)
class VcfHeader:
    """What the record checks and the metrics need from the header."""

    version: tuple[int, int] | None = None
    version_text: str | None = None
    infos: dict[str, FieldDef] = field(default_factory=dict)
    formats: dict[str, FieldDef] = field(default_factory=dict)
    filters: set[str] = field(default_factory=set)
    alts: set[str] = field(default_factory=set)
    contigs: dict[str, int | None] = field(default_factory=dict)
    samples: list[str] = field(default_factory=list)
    has_format: bool = False
    lines: int = 0
    text_for_build: str = ""
    complete: bool = False

    @property
    def strict(self) -> bool:
        """Whether the 4.3 rules apply as errors (4.3 or later, or no version known)."""
        return self.version is None or self.version >= (4, 3)


class HeaderParser:
    """Shared state of the header pass: the report, the header model and the IDs seen so far."""

    def __init__(self, report: ValidationReport, header: VcfHeader) -> None:
        self.report = report
        self.header = header
        self.ids: dict[str, dict[str, int]] = {}
        self.spaces_warned = False

    def err(self, line: int, message: str, code: str = "vcf_header", hint: str = _HINT) -> None:
        self.report.error(code, f"Header line {line}: {message}", hint=hint, line=line)

    def warn(self, line: int, message: str, code: str = "vcf_header", hint: str = _HINT) -> None:
        self.report.warning(code, f"Header line {line}: {message}", hint=hint, line=line)

    def spaces(self, line: int) -> None:
        """Stray spaces: tolerated by htslib, so reported once as a warning."""
        if not self.spaces_warned:
            self.spaces_warned = True
            self.warn(
                line,
                "stray spaces around a key or value; htslib tolerates them, stricter tools do not.",
                "vcf_header_spaces",
                "Remove the extra spaces.",
            )

    def strict(self, line: int, message: str, code: str = "vcf_header") -> None:
        """An error under VCF 4.3+ rules, a warning for files declaring an older version."""
        if self.header.strict:
            self.err(line, message, code)
        else:
            self.warn(line, message + " (allowed by older VCF versions, not by 4.3)", code)


def short(text: str, limit: int = 60) -> str:
    """Shorten ``text`` to ``limit`` characters for a message, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
