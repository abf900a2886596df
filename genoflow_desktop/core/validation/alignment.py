"""Validation, QC metrics and checksums for SAM, BAM and CRAM files in one pass.

``validate_alignment`` never raises for any input (only :class:`Cancelled` escapes): every
problem becomes a finding with a plain-words message and a hint. ``report.metrics``:

``container``
    ``{"compression": "bgzf" | "gzip" | "none" | ..., "bgzf_blocks": int, "eof_marker": bool}``
    (BGZF fields for BGZF files; CRAM: ``{"cram_version": "3.0", "containers": int,
    "eof_container": bool}``).
``header``
    ``version``, ``sort_order``, ``sub_sort``, ``group_order``, ``references`` (count),
    ``reference_length`` (sum), ``reference_names`` (first 100), ``read_groups``
    (``[{"id", "sample", "library", "platform"}]``), ``samples`` (sorted ``SM`` values),
    ``programs`` (``@PG`` IDs).
``build_guess``
    See :func:`~genoflow_desktop.core.validation.build_guess.guess_build`.
``records``
    Number of alignment records read.
``flagstat``, ``mapq``, ``insert_size``, ``sort``
    See :mod:`~genoflow_desktop.core.validation.align_metrics`.
``index``
    ``{"present": bool, "path": str, "older_than_data": bool}`` for ``.bai``/``.csi``/``.crai``.
``cram``
    CRAM only: ``{"reference": "given" | "environment" | None, "records_decoded": bool}``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from genoflow_desktop.core.domain import Compression, FileFormat
from genoflow_desktop.core.progress import CancelToken, ProgressCallback
from genoflow_desktop.core.validation.align_metrics import AlignmentMetrics, header_metrics
from genoflow_desktop.core.validation.bam import read_bam
from genoflow_desktop.core.validation.bgzf import DecodedStream, bgzf_eof_message
from genoflow_desktop.core.validation.common import (
    guarded,
    index_status,
    lead_with,
    progress_reporter,
)
from genoflow_desktop.core.validation.cram_records import validate_cram
from genoflow_desktop.core.validation.report import ValidationReport
from genoflow_desktop.core.validation.sam_header import SamHeader, parse_sam_header
from genoflow_desktop.core.validation.sam_records import SamCore, SamRecordChecker

_BATCH = 50_000


def validate_alignment(
    path: str | Path,
    *,
    fmt: FileFormat,
    reference: Path | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> ValidationReport:
    """Validate a SAM, BAM or CRAM file and collect its QC metrics and checksums.

    Args:
        path: The file.
        fmt: ``FileFormat.SAM``, ``BAM`` or ``CRAM`` (as sniffed).
        reference: CRAM only: the FASTA the reads were compressed against.
        progress: Called with bytes read so far and records checked.
        cancel: Polled between chunks.

    Raises:
        Cancelled: ``cancel`` fired.
    """
    path = Path(path)
    report = ValidationReport(path=str(path), format=fmt)
    with guarded(report):
        report.size = path.stat().st_size
        if report.size == 0:
            report.error(
                "empty_file",
                "The file is empty (0 bytes).",
                hint="Copy the file again; it holds no data.",
            )
            report.md5, report.sha256 = _EMPTY_MD5, _EMPTY_SHA256
            return report
        if fmt is FileFormat.SAM:
            _validate_sam(path, report, progress, cancel)
        elif fmt is FileFormat.BAM:
            _validate_bam(path, report, progress, cancel)
        elif fmt is FileFormat.CRAM:
            validate_cram(path, report, reference, progress, cancel)
        else:
            report.error(
                "wrong_format",
                f"validate_alignment was asked to check a {fmt.value} file.",
                hint="Choose SAM, BAM or CRAM.",
            )
    return report


_EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e"
_EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def _finish_stream(stream: DecodedStream, report: ValidationReport) -> None:
    facts = stream.finish()
    report.md5, report.sha256 = facts.md5, facts.sha256
    report.compression = facts.compression
    container: dict[str, Any] = {"compression": facts.compression.value}
    if facts.compression is Compression.BGZF:
        container["bgzf_blocks"] = facts.blocks
        container["eof_marker"] = facts.eof_marker
    report.metrics["container"] = container


# -- SAM -----------------------------------------------------------------------------------


def _validate_sam(
    path: Path,
    report: ValidationReport,
    progress: ProgressCallback | None,
    cancel: CancelToken | None,
) -> None:
    stream = DecodedStream(path, report, cancel=cancel)
    tell = progress_reporter(progress, report.size)
    header_lines: list[bytes] = []
    header: SamHeader | None = None
    checker: SamRecordChecker | None = None
    metrics: AlignmentMetrics | None = None
    batch = SamCore()
    records = line_no = offset = 0
    carry = b""
    crlf_warned = False
    header_after_records = False

    def start_records() -> None:
        nonlocal header, checker, metrics
        text = b"".join(header_lines).decode("utf-8", "replace")
        header = parse_sam_header(text, report)
        checker = SamRecordChecker(header, report)
        metrics = AlignmentMetrics(
            header.sort_order, check_queryname=header.sort_order == "queryname"
        )

    def flush() -> None:
        nonlocal batch
        if metrics is not None and batch.flag:
            first = records - len(batch.flag) + 1
            metrics.add(
                *(
                    np.array(x, dtype=np.int64)
                    for x in (batch.flag, batch.mapq, batch.tid, batch.pos, batch.mtid, batch.tlen)
                )
            )
            metrics.add_names(batch.names, first)
        batch = SamCore()

    def handle(line: bytes, line_start: int) -> None:
        nonlocal records, crlf_warned, header_after_records
        if line.endswith(b"\r"):
            line = line[:-1]
            if not crlf_warned:
                crlf_warned = True
                report.warning(
                    "crlf_line_endings",
                    "The file uses Windows (CRLF) line endings.",
                    hint="htslib accepts them; other tools may not. Convert with 'dos2unix'.",
                    line=line_no,
                )
        if checker is None:
            if line.startswith(b"@"):
                header_lines.append(line + b"\n")
                return
            start_records()
        assert checker is not None
        if line.startswith(b"@"):
            if not header_after_records:
                header_after_records = True
                report.error(
                    "sam_header_after_records",
                    f"Line {line_no:,} starts with '@' after the alignment lines began: header "
                    "lines must all come first, and QNAME may not start with '@'.",
                    hint="Move header lines to the top of the file, or rename the read.",
                    line=line_no,
                    offset=line_start,
                )
            return
        if not line:
            report.error(
                "sam_empty_line",
                f"Line {line_no:,} is empty.",
                hint="Remove empty lines from the file.",
                line=line_no,
                offset=line_start,
            )
            return
        records += 1
        checker.check(line, records, line_no, line_start, batch)
        if len(batch.flag) >= _BATCH:
            flush()

    for chunk in stream:
        data = carry + chunk if carry else chunk
        base = offset - len(carry)
        start = 0
        while True:
            end = data.find(b"\n", start)
            if end < 0:
                break
            line_no += 1
            handle(data[start:end], base + start)
            start = end + 1
        carry = data[start:]
        offset += len(chunk)
        tell(stream.raw_done, records)
    if carry and not stream.facts.damaged:
        line_no += 1
        handle(carry, offset - len(carry))
    if checker is None and not stream.facts.damaged:
        start_records()
    flush()
    _finish_stream(stream, report)
    facts = stream.facts
    if facts.compression is Compression.BGZF and not facts.damaged and not facts.eof_marker:
        message, hint = bgzf_eof_message("SAM")
        report.error("bgzf_eof_missing", message, hint=hint, offset=report.size)
        lead_with(report, "bgzf_eof_missing")
    report.records = records
    if header is not None and metrics is not None:
        header_metrics(header, report)
        metrics.report_sort(report)
        report.metrics.update(metrics.to_dict())
    report.metrics["records"] = records
    if records == 0 and header is not None and not header_lines:
        report.error(
            "sam_no_content",
            "The file holds neither header lines nor alignment lines.",
            hint="Check that this is a SAM file.",
        )
    tell(report.size, records)


# -- BAM -----------------------------------------------------------------------------------


def _validate_bam(
    path: Path,
    report: ValidationReport,
    progress: ProgressCallback | None,
    cancel: CancelToken | None,
) -> None:
    stream = DecodedStream(path, report, cancel=cancel)
    tell = progress_reporter(progress, report.size)
    try:
        info, metrics, records = read_bam(
            stream,
            report,
            cancel=cancel,
            on_chunk=lambda n: tell(stream.raw_done, n),
            damaged=lambda: stream.facts.damaged,
        )
    finally:
        _finish_stream(stream, report)
    facts = stream.facts
    if facts.compression is Compression.NONE and not facts.damaged:
        report.error(
            "bam_not_bgzf",
            "The BAM data is not compressed: BAM files must be BGZF-compressed (SAMv1 section 4).",
            hint="Rewrite it with 'samtools view -b -o fixed.bam input.bam'.",
            offset=0,
        )
    elif facts.compression is not Compression.BGZF and not facts.damaged:
        report.error(
            "bam_not_bgzf",
            f"The BAM data is {facts.compression.value}-compressed, not BGZF as SAMv1 requires; "
            "indexing and random access will not work.",
            hint="Rewrite it with 'samtools view -b -o fixed.bam input.bam'.",
            offset=0,
        )
    elif facts.compression is Compression.BGZF and not facts.damaged and not facts.eof_marker:
        message, hint = bgzf_eof_message("BAM")
        report.error("bgzf_eof_missing", message, hint=hint, offset=report.size)
        lead_with(report, "bgzf_eof_missing")
    report.records = records
    if info is not None and metrics is not None:
        header_metrics(info.header, report)
        report.metrics["header"]["references"] = len(info.refs)
        metrics.report_sort(report)
        report.metrics.update(metrics.to_dict())
    report.metrics["records"] = records
    report.metrics["index"] = index_status(path, (".bai", ".csi"))
    tell(report.size, records)
