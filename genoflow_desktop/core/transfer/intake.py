"""Which files the desktop app takes in for upload: dropped folders, and validation's veto.

Light on imports (no SQLAlchemy): the Upload view imports it when the app starts.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from genoflow_desktop.core.domain import Verdict

#: Names of the files a dropped folder contributes (compressed variants included).
KNOWN_SUFFIXES = (
    *(f".{e}{c}" for e in ("fastq", "fq") for c in ("", ".gz", ".bgz", ".bz2", ".xz", ".zst")),
    ".bam",
    ".cram",
    ".sam",
    ".vcf",
    ".vcf.gz",
    ".vcf.bgz",
    ".bcf",
)

NOT_CHECKED = "Wait for the check to finish before uploading it."
FAILED_CHECK = (
    "Failed validation: not uploaded. Tick “Upload files that failed validation” to send it anyway."
)


def is_known_format(path: Path) -> bool:
    return path.name.lower().endswith(KNOWN_SUFFIXES)


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files in ``paths``, resolved, with folders replaced by the sequencing files inside them.

    Files named explicitly are kept whatever their name (the user chose them); a folder only
    contributes files of known formats (recursively, sorted, hidden ones skipped), so a run
    folder's logs and images stay out.
    """
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files.extend(
                sorted(
                    p.resolve()
                    for p in path.rglob("*")
                    if p.is_file() and not p.name.startswith(".") and is_known_format(p)
                )
            )
        elif path.is_file():
            files.append(path.resolve())
    return files


def refusal(verdict: str | None, *, override: bool) -> str | None:
    """Why a file with this validation ``verdict`` may not be uploaded, or None if it may.

    Files are checked before they are sent; an invalid file is only sent when the user
    explicitly overrides (a truncated BAM uploaded by mistake costs a failed pipeline run).
    """
    if verdict is None:
        return NOT_CHECKED
    if verdict == Verdict.INVALID and not override:
        return FAILED_CHECK
    return None
