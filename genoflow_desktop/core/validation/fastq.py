"""FASTQ validation and QC in one streaming pass per file (plain, gzip, BGZF, bzip2, xz).

Public API:

* :func:`validate_fastq` checks one file; :func:`validate_fastq_pair` checks R1 and R2 side
  by side and adds the pair findings (equal read counts, same read ids) to both reports;
  :func:`pair_files` groups file names into pairs.

How: a reader thread hashes the raw bytes (MD5 + SHA-256) and inflates them
(:mod:`text_stream`); this thread checks whole buffers of records with numpy
(:mod:`fastq_scan`), falling back to a line-by-line parser for wrapped or broken records
(:mod:`fastq_slow`), and accumulates the metrics (:mod:`fastq_metrics`). Memory is fixed
whatever the file size. The first stream tunes glibc's allocator once for the process
(:func:`~genoflow_desktop.core.validation.common.tune_allocator`): it saves about a tenth of
the CPU time that glibc otherwise spends re-mapping freed buffers.

Every record is checked: '@' title, sequence letters (IUPAC, either case, '.' and '-'), '+'
separator (an optional repeated name must equal the title or its id), as many quality
characters as bases, all from '!' to '~', and no truncated last record.

``report.metrics`` (JSON-serialisable; qualities are Phred scores in the detected encoding):

* ``reads``, ``bases``, ``min_length``, ``max_length``, ``mean_length``, ``n50``;
  ``length_histogram``: ``[[from, to, reads], ...]`` (single lengths unless there are more
  than 1,000 distinct ones; lengths from 65,536 up are grouped by kilobase).
* ``gc_percent`` (G+C over A+C+G+T/U, either case), ``n_percent`` (N over all bases),
  ``base_counts`` (``A C G T N`` (+ ``U``) and ``other``).
* ``quality_encoding``: ``sanger`` (Phred+33, also Illumina 1.8+), ``solexa``,
  ``illumina-1.3`` (Phred+64) or ``unknown``; ``quality_offset``;
  ``quality_encoding_ambiguous``; ``quality_char_range``: ``[lowest, highest]`` characters.
* ``mean_quality``, ``q20_percent``, ``q30_percent``: over all bases.
* ``per_position`` (cycles 1..1000): ``positions``, ``reads`` (reads that reach each cycle),
  ``mean_quality`` (exact, all reads); and, from the sample (below): ``quality_histogram``
  ``{"first_quality": q0, "counts": [[reads at q0, q0+1, ...] per cycle]}``, ``quantiles``
  (``p10 p25 median p75 p90`` per cycle, the FastQC boxes) and ``base_percent``
  (``A C G T N`` per cycle); ``sample_every`` and ``sampled_reads`` say what was sampled.
* ``per_read_mean_quality`` (sampled): ``[[quality, reads], ...]`` of each read's mean
  quality, rounded down.
* ``duplication``: on the first 100,000 reads (compared on their first 50 bases when longer
  than 75, as FastQC does): ``sample_reads``, ``distinct``, ``duplicate_percent`` and
  ``levels`` (percent of sampled reads whose sequence occurs 1, 2, ... 9, >10, >50, >100,
  >500, >1k, >5k, >10k times).
* ``adapter_content`` (sampled): ``adapters`` (name to the 12-base prefix searched: Illumina
  Universal, Nextera, Illumina small RNA 3') and ``cumulative_percent``: per adapter, per
  cycle, the percentage of reads in which the adapter starts at or before that cycle (FastQC's
  plot).
* ``complete``: False when damage stopped the reading early (the metrics then cover only the
  reads before it).

Exact means every read counts. "Sampled" means every ``sample_every``-th read (the first,
the 17th, ...): all reads for files under 64 MiB, every 16th above (over 500,000 reads of an
8-million-read run), because these 2-D histograms and searches would otherwise cost more
than all the exact checks together; at that sample size quantiles and percentages do not
change visibly.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from genoflow_desktop.core.domain import FileFormat, Severity
from genoflow_desktop.core.progress import CancelToken, Progress, ProgressCallback
from genoflow_desktop.core.validation import text_stream
from genoflow_desktop.core.validation.fastq_messages import FindingLog
from genoflow_desktop.core.validation.fastq_metrics import MetricsAccumulator
from genoflow_desktop.core.validation.fastq_pairs import PairChecker, ReadIds, pair_files
from genoflow_desktop.core.validation.fastq_records import ScanContext
from genoflow_desktop.core.validation.fastq_scan import FastqScanner
from genoflow_desktop.core.validation.report import Finding, ValidationReport
from genoflow_desktop.core.validation.sniff import SniffResult, sniff
from genoflow_desktop.core.validation.text_stream import DecompressedChunks

__all__ = ["pair_files", "validate_fastq", "validate_fastq_pair"]

#: Files smaller than this get exact sampled metrics (every read is in the sample)...
SAMPLE_ALL_BELOW = 64 * 1024 * 1024
#: ...larger ones sample every SAMPLE_EVERY-th read (over 500,000 reads from 8 million).
SAMPLE_EVERY = 16
#: An unfinished record may grow to this size before we give up on it (ultra-long nanopore
#: reads reach a few megabases, so a few megabytes per record is normal).
MAX_RECORD_BYTES = 256 * 1024 * 1024
_HINT_PICK = "Check that you picked the right file; the format is judged from the content."


def validate_fastq(
    path: str | Path,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> ValidationReport:
    """Validates one FASTQ file and computes its QC metrics and checksums.

    Raises:
        Cancelled: ``cancel`` was triggered; the reader thread is stopped first.
    """
    run = _FileRun(Path(path), collect_ids=False)
    try:
        while run.step(cancel):
            if progress is not None:
                progress(run.progress())
    finally:
        run.close()
    report = run.finish()
    if progress is not None:
        progress(run.progress())
    return report


def validate_fastq_pair(
    r1: str | Path,
    r2: str | Path,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> tuple[ValidationReport, ValidationReport]:
    """Validates the two files of a pair side by side; pair findings go into both reports.

    The file that is behind (in reads) is always read next, so the ids waiting to be compared
    never exceed about one buffer's worth.
    """
    runs = (_FileRun(Path(r1), collect_ids=True), _FileRun(Path(r2), collect_ids=True))
    labels = [f"R1 ({runs[0].path.name})", f"R2 ({runs[1].path.name})"]
    checker = PairChecker((runs[0].log, runs[1].log), (labels[0], labels[1]))
    ids = (runs[0].ids, runs[1].ids)
    active = [not run.done for run in runs]
    try:
        while any(active):
            if all(active):
                i = 0 if runs[0].records <= runs[1].records else 1
            else:
                i = active.index(True)
            active[i] = runs[i].step(cancel)
            if ids[0] is not None and ids[1] is not None:
                checker.compare(ids[0], ids[1])
                for k in (0, 1):  # a finished file has no more mates to offer
                    if runs[k].done and (other := ids[1 - k]) is not None:
                        other.drop()
            if progress is not None:
                p1, p2 = runs[0].progress(), runs[1].progress()
                progress(
                    Progress(
                        p1.done + p2.done,
                        (p1.total or 0) + (p2.total or 0),
                        p1.records + p2.records,
                    )
                )
    finally:
        for run in runs:
            run.close()
    if all(run.checked and run.complete for run in runs):
        checker.finish(runs[0].records, runs[1].records)
    return runs[0].finish(), runs[1].finish()


def _reading_order(finding: Finding) -> tuple[int, int, int]:
    if finding.code.startswith(("compression.", "file.")):
        return (0, 0, 0)
    if finding.line is None and finding.offset is None:
        return (2, 0, 0)
    return (1, finding.line or 0, finding.offset or 0)


def _end_of_record(leftover: bytes, chunk: bytes) -> int:
    """Where a 4-line record begun in ``leftover`` ends in ``chunk``, or -1."""
    need = 4 - leftover.count(b"\n")
    if need <= 0 or len(leftover) > 1 << 20:
        return -1
    pos = -1
    for _ in range(need):
        pos = chunk.find(b"\n", pos + 1)
        if pos < 0:
            return -1
    return pos + 1


class _FileRun:
    """One file going through sniffing, streaming, parsing and the final report."""

    def __init__(self, path: Path, *, collect_ids: bool) -> None:
        self.path = path
        self._started = time.perf_counter()
        self.report = ValidationReport(path=str(path))
        self.log = FindingLog(self.report)
        self.ids = ReadIds() if collect_ids else None
        self.metrics = MetricsAccumulator()
        self.ctx = ScanContext(self.log, self.metrics, self.ids)
        self.scanner = FastqScanner(self.ctx)
        self.stream: DecompressedChunks | None = None
        self._chunks: Iterator[bytes] | None = None
        self._leftover = b""
        self.done = True
        self.checked = False
        try:
            self.report.size = path.stat().st_size
            sniffed = sniff(path)
        except OSError as exc:
            self.log.error(
                "file.unreadable",
                f"The file cannot be read: {exc.strerror or exc}.",
                "Check that the file exists, that the disk is connected and that you may read it.",
            )
            return
        self.report.format = sniffed.format
        self.report.compression = sniffed.compression
        if sniffed.extension_mismatch:
            self.log.warning(
                "file.extension_mismatch",
                sniffed.extension_mismatch,
                "Rename the file so that its extension says what it holds; some tools choose "
                "how to read a file by its name.",
            )
        if not self._accept(sniffed):
            return
        self.report.format = FileFormat.FASTQ
        self.metrics.sample_every = 1 if self.report.size < SAMPLE_ALL_BELOW else SAMPLE_EVERY
        # Read at call time, so that tests can shrink them to exercise buffer boundaries.
        self.stream = DecompressedChunks(
            path,
            sniffed.compression,
            chunk_size=text_stream.CHUNK_SIZE,
            raw_block=text_stream.RAW_BLOCK,
        )
        self._chunks = self.stream.chunks()
        self.done = False
        self.checked = True

    def _accept(self, sniffed: SniffResult) -> bool:
        """Whether the content is worth parsing as FASTQ; otherwise says why not."""
        if sniffed.content in ("fastq", "undecodable") or (
            sniffed.content == "empty" and self.report.size > 0
        ):
            return True  # damaged or empty compressed data: the stream will say what is wrong
        if sniffed.content == "empty":
            self.log.error(
                "file.empty",
                "The file is empty (0 bytes): it contains no reads.",
                "An empty file usually means a failed copy, download or export; get it again.",
            )
        elif sniffed.content == "fasta":
            self.log.error(
                "fastq.fasta",
                "This is a FASTA file (sequences without quality scores), not FASTQ.",
                "Sequencing reads need their quality scores: use the FASTQ files from the "
                "sequencer or the provider.",
            )
        elif sniffed.content == "unsupported":
            self.log.error(
                "compression.unsupported",
                "This file is Zstandard-compressed, which cannot be checked yet.",
                "Decompress it (zstd -d) or recompress it with gzip, then add it again.",
            )
        else:
            self.log.error(
                "fastq.not_fastq", f"This is not a FASTQ file: {sniffed.detail}", _HINT_PICK
            )
        return False

    @property
    def records(self) -> int:
        return self.ctx.records

    @property
    def complete(self) -> bool:
        problems = self.stream.problems if self.stream is not None else []
        return not self.ctx.stopped and not any(p.severity is Severity.ERROR for p in problems)

    def progress(self) -> Progress:
        done = self.stream.raw_done if self.stream is not None else self.report.size
        return Progress(done=done, total=self.report.size, records=self.ctx.records)

    def step(self, cancel: CancelToken | None) -> bool:
        """Parses the next buffer; returns False once the whole file is done."""
        if self.done or self._chunks is None:
            return False
        if cancel is not None:
            cancel.raise_if_cancelled()
        chunk = next(self._chunks, None)
        if chunk is None:
            assert self.stream is not None
            if not any(p.severity is Severity.ERROR for p in self.stream.problems):
                self.scanner.feed(self._leftover, at_eof=True)
            # else: the container is damaged; a cut-off last record is its consequence, and
            # the container problem is what gets reported.
            self._leftover = b""
            self.done = True
            return False
        self._leftover = self._feed(self._leftover, chunk)
        if len(self._leftover) > MAX_RECORD_BYTES:
            # One record that never ends: holding on to it would break the memory bound.
            self.log.error(
                "fastq.record_too_long",
                f"A record is longer than {MAX_RECORD_BYTES >> 20} MiB without ending (no "
                "complete title, sequence, '+' and quality lines). This is not FASTQ text, "
                "or its line breaks were lost. Checking of the records stops at this point.",
                "Check that the file is really FASTQ and was not converted or damaged.",
                record=self.ctx.records + 1,
                line=self.ctx.lines + 1,
                offset=self.ctx.offset,
            )
            self.ctx.stopped = True
            self._leftover = b""
        return True

    def _feed(self, leftover: bytes, chunk: bytes) -> bytes:
        """Parses ``leftover + chunk`` without copying the chunk; returns the new leftover.

        ``leftover`` is the start of a record cut by the end of the last chunk. In a 4-line
        file the record ends at one of the first four newlines of ``chunk``: that small head
        is parsed on its own, then the chunk from that point on. Anything else (a wrapped
        record, a damaged one) takes the plain way: one joined buffer.
        """
        scanner, ctx = self.scanner, self.ctx
        if not leftover:
            return chunk[scanner.feed(chunk, at_eof=False) :]
        cut = _end_of_record(leftover, chunk)
        if cut > 0:
            head = leftover + chunk[:cut]
            used = scanner.feed(head, at_eof=False)
            if used == len(head):
                ctx.offset -= cut  # feed() wants the offset of chunk[0]
                return chunk[scanner.feed(chunk, at_eof=False, start=cut) :]
            leftover, chunk = head[used:], chunk[cut:]
        buf = leftover + chunk
        return buf[scanner.feed(buf, at_eof=False) :]

    def close(self) -> None:
        if self.stream is not None:
            self.stream.close()

    def finish(self) -> ValidationReport:
        self.close()
        report = self.report
        if self.stream is not None:
            for problem in self.stream.problems:
                report.add(
                    Finding(
                        problem.severity,
                        problem.code,
                        problem.message,
                        problem.hint,
                        offset=problem.offset,
                    )
                )
            if self.stream.digests is not None:
                report.md5 = self.stream.digests.md5
                report.sha256 = self.stream.digests.sha256
        if self.checked:
            report.records = self.ctx.records
            if self.ctx.records == 0 and report.error_count == 0:
                self.log.error(
                    "fastq.no_reads",
                    "The file contains no reads.",
                    "An empty FASTQ file usually means a failed demultiplexing or export; check "
                    "the sample sheet and get the file again.",
                )
            report.metrics = self.metrics.finish()
            report.metrics["complete"] = self.complete
            self._warn_encoding(report.metrics)
        self.log.finish()
        # The fast and the careful parser meet problems in different orders; sorting makes
        # the report the same either way: damage to the container first, then by position.
        report.errors.sort(key=_reading_order)
        report.warnings.sort(key=_reading_order)
        report.duration_s = round(time.perf_counter() - self._started, 3)
        return report

    def _warn_encoding(self, metrics: dict[str, object]) -> None:
        encoding = metrics.get("quality_encoding")
        if encoding in ("solexa", "illumina-1.3"):
            label = "Solexa" if encoding == "solexa" else "Illumina 1.3-1.7 (Phred+64)"
            self.log.warning(
                "fastq.legacy_encoding",
                f"The qualities use the old {label} encoding; today's tools expect Phred+33 "
                "(Sanger / Illumina 1.8+) and would read them as far too high.",
                "Convert the qualities to Phred+33 before analysis (for example with "
                "'seqtk seq -Q64 -V' or 'reformat.sh qin=64 qout=33').",
            )
