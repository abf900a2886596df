"""How GenoFlow's SAM/BAM/CRAM/VCF verdicts agree with the corpus labels, printed as Markdown.

Run ``python tests/corpus_agreement.py`` (add format names to limit it, e.g. ``vcf``). The
table puts GenoFlow next to the reference tools whose verdicts the manifest records
(samtools view / quickcheck, bcftools view). A verdict of "valid with warnings" counts as
valid. Cases whose ``why`` starts with ``dialect:`` are accepted only under a common extension,
so the agreement is also given without them; integrity cases are damaged or truncated files.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(__file__).resolve().parent / "data" / "corpus"
FORMATS = ("fastq", "sam", "bam", "cram", "vcf")
INTEGRITY_WORDS = (
    "trunc",
    "crc",
    "corrupt",
    "eof",
    "magic",
    "zero-byte",
    "only a newline",
    "cut short",
    "cut inside",
    "cut partway",
    "cut in the middle",
    "cut at",
    "ends inside",
)


@dataclass(slots=True)
class CaseResult:
    case: dict[str, Any]
    verdict: str
    message: str = ""
    raised: str | None = None
    tools: dict[str, str] = field(default_factory=dict)

    @property
    def ours(self) -> str:
        return "invalid" if self.verdict == "invalid" else "valid"

    @property
    def agrees(self) -> bool:
        return self.raised is None and self.ours == self.case["expect"]

    @property
    def dialect(self) -> bool:
        return str(self.case["why"]).startswith("dialect:")

    @property
    def integrity(self) -> bool:
        return is_integrity(self.case)


def is_integrity(case: dict[str, Any]) -> bool:
    """Damaged or cut-short files: the cases every validator must reject."""
    text = f"{case['path']} {case['why']}".lower()
    return case["expect"] == "invalid" and any(word in text for word in INTEGRITY_WORDS)


def cases(formats: tuple[str, ...] = FORMATS) -> list[dict[str, Any]]:
    manifest = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
    return [case for case in manifest if case["format"] in formats]


def evaluate_case(case: dict[str, Any]) -> CaseResult:
    """Validate one corpus file as `genoflow validate` does (format sniffed from the content);
    exceptions are captured (they count as failures)."""
    from genoflow_desktop.core.validation.engine import validate_file

    path = CORPUS / case["path"]
    reference = CORPUS / case["reference"] if case.get("reference") else None
    try:
        report = validate_file(path, reference=reference)
    except Exception as exc:  # a validator must never raise; record it as a failure
        return CaseResult(case, "invalid", raised=f"{type(exc).__name__}: {exc}")
    first = report.errors[0] if report.errors else (report.warnings[0] if report.warnings else None)
    return CaseResult(case, report.verdict.value, first.message if first else "")


def evaluate(formats: tuple[str, ...] = FORMATS) -> list[CaseResult]:
    return [evaluate_case(case) for case in cases(formats)]


def _row(name: str, results: list[tuple[str, str, bool, bool]]) -> str:
    """results: (expect, verdict, dialect, integrity) per case."""
    valid = [r for r in results if r[0] == "valid"]
    invalid = [r for r in results if r[0] == "invalid"]
    strict = [r for r in results if not r[2]]
    integrity = [r for r in results if r[3]]

    def agree(rows: list[tuple[str, str, bool, bool]]) -> int:
        return sum(1 for r in rows if r[0] == r[1])

    def pct(rows: list[tuple[str, str, bool, bool]]) -> str:
        return f"{100 * agree(rows) / len(rows):.1f} %" if rows else "–"

    return (
        f"| {name} | {agree(valid)}/{len(valid)} | {agree(invalid)}/{len(invalid)} | "
        f"{agree(results)}/{len(results)} ({pct(results)}) | {agree(strict)}/{len(strict)} "
        f"({pct(strict)}) | "
        f"{agree(integrity)}/{len(integrity)} |"
    )


def markdown(results: list[CaseResult]) -> str:
    lines = [
        "| format | validator | valid accepted | invalid rejected | agreement | agreement without "
        "`dialect:` | integrity cases rejected |",
        "|---|---|---|---|---|---|---|",
    ]
    disagreements: list[str] = []
    for fmt in FORMATS:
        rows = [r for r in results if r.case["format"] == fmt]
        if not rows:
            continue
        ours = [
            (r.case["expect"], r.ours if r.raised is None else "raised", r.dialect, r.integrity)
            for r in rows
        ]
        lines.append(_row(f"{fmt} | **GenoFlow**", ours))
        tools = sorted({tool for r in rows for tool in r.case.get("tools", {})})
        for tool in tools:
            verdicts = [
                (
                    r.case["expect"],
                    "valid" if r.case["tools"].get(tool) == "ok" else "invalid",
                    r.dialect,
                    r.integrity,
                )
                for r in rows
                if tool in r.case.get("tools", {})
            ]
            lines.append(_row(f"{fmt} | `{tool}`", verdicts))
        for r in rows:
            if not r.agrees:
                reason = r.raised or r.message or "(no finding)"
                tag = " (dialect)" if r.dialect else ""
                disagreements.append(
                    f"* `{r.case['path']}`{tag}: expected {r.case['expect']}, GenoFlow says "
                    f"{r.verdict}: {reason}"
                )
    out = "\n".join(lines)
    out += "\n\nCounts per row: cases where the verdict matches the manifest's `expect`."
    if disagreements:
        out += "\n\nDisagreements:\n\n" + "\n".join(disagreements)
    return out + "\n"


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    formats = tuple(a for a in argv if a in FORMATS) or FORMATS
    print(markdown(evaluate(formats)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
