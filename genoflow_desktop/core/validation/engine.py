"""The entry point of the validation engine: sniff each file, run the right validator, and
validate many files in parallel on a bounded pool.

The format validators never raise for bad input (every problem is a finding); this module adds
what only content sniffing knows: the file's real format, and names that say otherwise.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from genoflow_desktop.core.domain import FileFormat
from genoflow_desktop.core.progress import CancelToken, Progress, ProgressCallback
from genoflow_desktop.core.validation.checksums import file_digests
from genoflow_desktop.core.validation.report import ValidationReport
from genoflow_desktop.core.validation.sniff import SniffResult, sniff

ALIGNMENT_FORMATS = (FileFormat.SAM, FileFormat.BAM, FileFormat.CRAM)
VARIANT_FORMATS = (FileFormat.VCF, FileFormat.BCF)

#: ``(path, progress)`` for reports from :func:`validate_files`.
FileProgressCallback = Callable[[Path, Progress], None]


def _unreadable(path: Path, error: OSError) -> ValidationReport:
    report = ValidationReport(path=str(path))
    report.error(
        "io.unreadable",
        f"The file cannot be read: {error.strerror or error}.",
        hint="Check that the file exists, that you may read it, and that its disk is connected.",
    )
    return report


def _unknown_format(
    path: Path, sniffed: SniffResult, cancel: CancelToken | None
) -> ValidationReport:
    report = ValidationReport(path=str(path), compression=sniffed.compression)
    report.size = path.stat().st_size
    report.error(
        f"sniff.{sniffed.content}",
        f"Not a FASTQ, SAM, BAM, CRAM, VCF or BCF file. {sniffed.detail}",
        hint="Choose the sequencing or genotype file itself; if this is one, it may be damaged "
        "or cut short: copy it again from its source.",
    )
    digests = file_digests(path, cancel=cancel)
    report.md5, report.sha256 = digests.md5, digests.sha256
    return report


def validate_file(
    path: str | Path,
    *,
    reference: Path | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> ValidationReport:
    """Validate one file of any supported format. Never raises for bad input.

    Raises:
        Cancelled: ``cancel`` fired.
    """
    # Imported here so that `genoflow` start-up does not pay for pysam and numpy.
    from genoflow_desktop.core.validation.alignment import validate_alignment
    from genoflow_desktop.core.validation.fastq import validate_fastq
    from genoflow_desktop.core.validation.vcf import validate_vcf

    path = Path(path)
    started = time.perf_counter()
    try:
        sniffed = sniff(path)
        if sniffed.format is FileFormat.FASTQ:
            report = validate_fastq(path, progress=progress, cancel=cancel)
        elif sniffed.format in ALIGNMENT_FORMATS:
            report = validate_alignment(
                path, fmt=sniffed.format, reference=reference, progress=progress, cancel=cancel
            )
        elif sniffed.format in VARIANT_FORMATS:
            report = validate_vcf(path, progress=progress, cancel=cancel)
        else:
            report = _unknown_format(path, sniffed, cancel)
    except OSError as error:
        return _unreadable(path, error)
    # Some validators note a misleading name themselves; say it once.
    if sniffed.extension_mismatch and not any(
        w.code.endswith("extension_mismatch") for w in report.warnings
    ):
        report.warning("sniff.extension_mismatch", sniffed.extension_mismatch)
    report.duration_s = time.perf_counter() - started
    return report


def group_files(paths: Sequence[str | Path]) -> list[tuple[Path, ...]]:
    """Group paths for validation: FASTQ pairs (R1/R2 by name) together, everything else alone."""
    from genoflow_desktop.core.validation.fastq import pair_files

    resolved = [Path(p) for p in paths]
    pairs = [g for g in pair_files([p for p in resolved if _is_fastq(p)]) if isinstance(g, tuple)]
    paired = {p for pair in pairs for p in pair}
    return [*pairs, *((p,) for p in resolved if p not in paired)]


def validate_group(
    group: tuple[Path, ...],
    *,
    reference: Path | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> list[ValidationReport]:
    """Validate one group from :func:`group_files`: a single file, or a FASTQ pair side by side."""
    if len(group) == 1:
        return [validate_file(group[0], reference=reference, progress=progress, cancel=cancel)]
    from genoflow_desktop.core.validation.fastq import validate_fastq_pair

    started = time.perf_counter()
    first, second = validate_fastq_pair(group[0], group[1], progress=progress, cancel=cancel)
    first.duration_s = second.duration_s = time.perf_counter() - started
    return [first, second]


def validate_files(
    paths: Sequence[str | Path],
    *,
    reference: Path | None = None,
    workers: int | None = None,
    progress: FileProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> list[ValidationReport]:
    """Validate several files on a bounded pool; FASTQ pairs (R1/R2) are checked together.

    Returns the reports in the order of ``paths``.
    """
    workers = workers or max(1, (os.cpu_count() or 2) - 1)

    def run(group: tuple[Path, ...]) -> list[ValidationReport]:
        reporter = None if progress is None else (lambda p: progress(group[0], p))
        return validate_group(group, reference=reference, progress=reporter, cancel=cancel)

    by_path: dict[Path, ValidationReport] = {}
    with ThreadPoolExecutor(workers, thread_name_prefix="validation") as pool:
        for reports in pool.map(run, group_files(paths)):
            for report in reports:
                by_path[Path(report.path)] = report
    return [by_path[Path(p)] for p in paths]


def _is_fastq(path: Path) -> bool:
    try:
        return sniff(path).format is FileFormat.FASTQ
    except OSError:
        return False
