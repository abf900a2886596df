"""Local checks of the files of an imputation job, before anything is uploaded.

The server's pipeline takes only ``*.vcf.gz`` files, runs ``tabix`` on them (which needs BGZF,
not plain gzip) and stores uploads by file name, so two files called the same overwrite each
other (spec 4.3, 6). Each of these mistakes would otherwise cost an upload and a queue wait.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from genoflow_desktop.core.domain import Compression
from genoflow_desktop.core.errors import UserError
from genoflow_desktop.core.validation.bgzf_decoders import sniff_compression

_RECOMPRESS = (
    "Recompress it with bgzip from htslib, e.g. 'zcat in.vcf.gz | bgzip > out.vcf.gz', "
    "or 'bgzip in.vcf' for an uncompressed VCF."
)


def _problem(path: Path) -> tuple[str, str] | None:
    """(message, hint) for one input file, or None when it is fine."""
    if not path.is_file():
        return f"{path} does not exist (or is not a file).", "Check the path."
    if not path.name.endswith(".vcf.gz"):
        return (
            f"{path.name} does not end with .vcf.gz; imputation servers only take "
            "bgzip-compressed VCF files with that ending.",
            _RECOMPRESS,
        )
    with path.open("rb") as handle:
        head = handle.read(64)
    compression = sniff_compression(head)
    if compression is not Compression.BGZF:
        kind = "plain gzip" if compression is Compression.GZIP else f"not bgzip ({compression})"
        return (
            f"{path.name} is compressed with {kind}; the server's tabix step needs bgzip (BGZF).",
            _RECOMPRESS,
        )
    return None


def check_inputs(inputs: Sequence[Path]) -> None:
    """UserError naming every problem of ``inputs``; returns when all can be submitted."""
    if not inputs:
        raise UserError(
            "The job has no input files.",
            hint="Add one bgzip-compressed VCF file (.vcf.gz) per chromosome.",
        )
    problems = [problem for path in inputs if (problem := _problem(path)) is not None]
    seen: dict[str, Path] = {}
    for path in inputs:
        if path.name in seen and seen[path.name] != path:
            problems.append(
                (
                    f"{seen[path.name]} and {path} have the same file name; the server stores "
                    "uploads by name, so one would replace the other.",
                    "Rename one of them.",
                )
            )
        seen.setdefault(path.name, path)
    if problems:
        hints = dict.fromkeys(hint for _, hint in problems)
        raise UserError(" ".join(message for message, _ in problems), hint=" ".join(hints))
