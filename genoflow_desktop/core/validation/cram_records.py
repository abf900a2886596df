"""CRAM validation: container/block structure (:mod:`cram`), header, then the records
decoded by htslib with the user's reference (or REF_PATH/REF_CACHE) for the metrics.

A missing reference is a warning that says what was and was not verified, never a crash.
"""

from __future__ import annotations

import threading
from contextlib import suppress
from pathlib import Path
from typing import Any

import numpy as np
import pysam

from genoflow_desktop.core.errors import Cancelled
from genoflow_desktop.core.progress import CancelToken, ProgressCallback
from genoflow_desktop.core.validation.align_metrics import AlignmentMetrics, header_metrics
from genoflow_desktop.core.validation.bgzf import DecodedStream
from genoflow_desktop.core.validation.common import (
    HTSLIB_LOCK,
    index_status,
    progress_reporter,
    quiet_htslib,
)
from genoflow_desktop.core.validation.cram import reference_problem, walk_cram
from genoflow_desktop.core.validation.report import ValidationReport
from genoflow_desktop.core.validation.sam_header import SamHeader, parse_sam_header

_BATCH = 50_000


def validate_cram(
    path: Path,
    report: ValidationReport,
    reference: Path | None,
    progress: ProgressCallback | None,
    cancel: CancelToken | None,
) -> None:
    """Validate a CRAM file into ``report`` (see :func:`alignment.validate_alignment`).

    Args:
        path: The CRAM file.
        report: Receives findings, metrics and checksums.
        reference: The FASTA given by the user, or None to rely on the header's UR/M5 with
            REF_PATH/REF_CACHE.
        progress: Progress callback.
        cancel: Polled between record batches.

    Raises:
        Cancelled: ``cancel`` fired.
    """
    # Checksums on the helper thread while the container walk reads the same bytes (the page
    # cache turns the second read into a memory copy).
    hashing = DecodedStream(path, report, cancel=cancel, decode=False)
    hasher = threading.Thread(target=_hash_quietly, args=(hashing,), name="genoflow-cram-digest")
    hasher.start()
    tell = progress_reporter(progress, report.size)
    try:
        structure = walk_cram(path, report)
        if cancel is not None and cancel.cancelled:
            raise Cancelled("cancelled by the user")
        report.metrics["container"] = {
            "compression": "cram",
            "cram_version": f"{structure.major}.{structure.minor}" if structure.major else None,
            "containers": structure.containers,
            "eof_container": structure.eof_container,
        }
        header = None
        if structure.header_text is not None:
            header = parse_sam_header(structure.header_text, report, where="CRAM header")
        if structure.ok:
            header = _decode_cram(path, report, reference, header, structure.records, tell, cancel)
        if header is not None:
            header_metrics(header, report)
        report.metrics["index"] = index_status(path, (".crai",))
    finally:
        hasher.join()
        facts = hashing.finish()
        report.md5, report.sha256 = facts.md5, facts.sha256
    tell(report.size, report.records)


def _hash_quietly(stream: DecodedStream) -> None:
    """Thread body: read the whole file for its checksums; cancellation just stops it."""
    with suppress(Cancelled):
        stream.finish()


def _decode_cram(
    path: Path,
    report: ValidationReport,
    reference: Path | None,
    header: SamHeader | None,
    expected: int,
    tell: Any,
    cancel: CancelToken | None,
) -> SamHeader | None:
    source = "given" if reference is not None else None
    records = 0
    with HTSLIB_LOCK, quiet_htslib():
        try:
            handle = pysam.AlignmentFile(
                str(path),
                "rc",
                reference_filename=str(reference) if reference is not None else None,
                check_sq=False,
            )
        except (OSError, ValueError) as exc:
            report.error(
                "cram_open",
                f"htslib could not open the CRAM file: {exc}.",
                hint="The header may be damaged; regenerate the file with samtools.",
            )
            return header
        with handle:
            if header is None:
                header = parse_sam_header(str(handle.header), report, where="CRAM header")
            sq = [
                (sq.get("SN", ""), int(sq.get("LN", 0)), sq.get("M5"))
                for sq in handle.header.to_dict().get("SQ", [])
            ]
            problem = reference_problem(sq, reference)
            if reference is None and problem is None:
                source = "environment"
            metrics = AlignmentMetrics(
                header.sort_order, check_queryname=header.sort_order == "queryname"
            )
            cols: list[list[int]] = [[], [], [], [], [], []]
            names: list[bytes] = []
            want_names = header.sort_order == "queryname"
            try:
                for read in handle.fetch(until_eof=True):
                    records += 1
                    cols[0].append(read.flag)
                    cols[1].append(read.mapping_quality)
                    cols[2].append(read.reference_id)
                    cols[3].append(read.reference_start)
                    cols[4].append(read.next_reference_id)
                    cols[5].append(read.template_length)
                    if want_names:
                        names.append((read.query_name or "*").encode())
                    if len(cols[0]) >= _BATCH:
                        _add(metrics, cols, names, records)
                        cols = [[], [], [], [], [], []]
                        names = []
                        tell(0, records)
                        if cancel is not None and cancel.cancelled:
                            raise Cancelled("cancelled by the user")
            except (OSError, ValueError, RuntimeError) as exc:
                _add(metrics, cols, names, records)
                if problem is not None:
                    report.warning(
                        "cram_reference_missing",
                        f"The reads could not be decoded because {problem}; the file structure "
                        f"and checksums were verified, the {expected:,} records were not.",
                        hint="Give the reference FASTA the file was made with, or set REF_PATH/"
                        "REF_CACHE to a local reference cache (see htslib's reference_seqs page).",
                    )
                else:
                    report.error(
                        "cram_decode",
                        f"htslib could not decode record {records + 1:,}: {exc}.",
                        hint="The file is damaged or was written with a wrong reference; "
                        "regenerate it with samtools.",
                        record=records + 1,
                    )
                report.metrics["cram"] = {"reference": source, "records_decoded": False}
                report.records = records
                report.metrics["records"] = records
                return header
            _add(metrics, cols, names, records)
    report.records = records
    report.metrics["records"] = records
    report.metrics["cram"] = {"reference": source, "records_decoded": True}
    metrics.report_sort(report)
    report.metrics.update(metrics.to_dict())
    return header


def _add(
    metrics: AlignmentMetrics, cols: list[list[int]], names: list[bytes], records: int
) -> None:
    if cols[0]:
        metrics.add(*(np.array(c, dtype=np.int64) for c in cols))
        metrics.add_names(names, records - len(cols[0]) + 1)
