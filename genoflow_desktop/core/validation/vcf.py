"""Validation, QC metrics and checksums for VCF (plain, gzip, BGZF, bzip2) and BCF files.

``validate_vcf`` reads the file once (see :mod:`bgzf`), checks the header
(:mod:`vcf_header`), every record's fixed columns and INFO (:mod:`vcf_records`) and genotypes
(:mod:`vcf_samples`), and never raises for any input (only :class:`Cancelled` escapes).
BCF records are decoded by htslib (pysam) and checked as the VCF text they stand for.

``report.metrics``:

``container``
    ``{"compression": "bgzf" | "gzip" | "none" | "bzip2" | "xz" | "bcf", "bgzf_blocks": int,
    "eof_marker": bool}``.
``header``
    ``version`` ("VCFv4.3"), ``samples`` (count), ``sample_names`` (first 100),
    ``samples_sha256`` (of the TAB-joined names, to compare files), ``contigs`` (declared),
    ``info_keys``, ``format_keys``, ``filters``.
``records``, ``snps``, ``indels``, ``mnps``, ``other`` (symbolic, breakends, '*'), ``biallelic``,
``multiallelic``, ``no_alt`` (ALT '.'), ``filtered`` (FILTER not PASS/'.'), ``ref_equals_alt``,
``transitions``, ``transversions``, ``ts_tv`` (None without transversions).
``chromosomes``
    ``{name: records}`` in file order (first 1,000 names), and ``max_positions``.
``sorted``, ``contiguous``, ``unsorted_records``, ``first_unsorted``
    Whether positions never decrease within a chromosome and each chromosome is one block;
    ``first_unsorted`` is ``{"chrom", "pos", "previous", "sequence"}`` or None.
``chunks_20mb``
    ``{chrom: number of 20 Mb chunks holding records}`` (the imputation servers' unit).
``first_ref_equals_alt``
    ``{"chrom", "pos", "id", "ref", "alt", "exact"}`` of the first record with an ALT allele
    equal to REF (``exact``: the whole ALT column equals REF), or None.
``genotypes``
    See :meth:`~genoflow_desktop.core.validation.vcf_samples.GenotypeStats.to_dict`: phasing,
    ploidy counts, monomorphic sites, SNPs with call rate < 90 %, missingness and
    heterozygosity summaries and ``per_sample`` ``{name: {"called", "missing_calls", "het",
    "hom_alt", "missing", "heterozygosity"}}`` (rates are fractions; heterozygosity is over
    diploid calls), or for more than 5,000 samples the 100 with the most missing calls.
``records_with_gt``, ``records_without_gt``
``build_guess``
    See :func:`~genoflow_desktop.core.validation.build_guess.guess_build`.
``index``
    ``{"present": bool, "path": str, "older_than_data": bool}`` for ``.tbi``/``.csi``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pysam

from genoflow_desktop.core.domain import Compression, FileFormat
from genoflow_desktop.core.errors import Cancelled
from genoflow_desktop.core.progress import CancelToken, ProgressCallback
from genoflow_desktop.core.validation.bgzf import DecodedStream, bgzf_eof_message
from genoflow_desktop.core.validation.common import (
    HTSLIB_LOCK,
    guarded,
    lead_with,
    progress_reporter,
    quiet_htslib,
)
from genoflow_desktop.core.validation.report import ValidationReport
from genoflow_desktop.core.validation.vcf_fastlane import check_batch
from genoflow_desktop.core.validation.vcf_header import VcfHeader, parse_vcf_header
from genoflow_desktop.core.validation.vcf_records import VcfRecordChecker
from genoflow_desktop.core.validation.vcf_samples import GenotypeStats, PendingLine
from genoflow_desktop.core.validation.vcf_summary import summarise

_MAX_HEADER = 256 * 1024 * 1024
_BATCH_LINES = 20_000
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_ALLOWED = bytes(b for b in range(256) if not (b < 9 or b in (11, 12) or 14 <= b < 32))
_EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e"
_EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def validate_vcf(
    path: str | Path,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> ValidationReport:
    """Validate a VCF, VCF.gz or BCF file and collect its QC metrics and checksums.

    Raises:
        Cancelled: ``cancel`` fired.
    """
    path = Path(path)
    report = ValidationReport(path=str(path), format=FileFormat.VCF)
    with guarded(report):
        report.size = path.stat().st_size
        if report.size == 0:
            report.error(
                "empty_file",
                "The file is empty (0 bytes): a VCF file needs at least the ##fileformat and "
                "#CHROM header lines.",
                hint="Copy the file again; it holds no data.",
            )
            report.md5, report.sha256 = _EMPTY_MD5, _EMPTY_SHA256
            return report
        _VcfPass(path, report, progress, cancel).run()
    return report


class _VcfPass:
    def __init__(
        self,
        path: Path,
        report: ValidationReport,
        progress: ProgressCallback | None,
        cancel: CancelToken | None,
    ) -> None:
        self.path = path
        self.report = report
        self.cancel = cancel
        self.tell = progress_reporter(progress, report.size)
        self.header_lines: list[str] = []
        self.header: VcfHeader | None = None
        self.checker: VcfRecordChecker | None = None
        self.genotypes: GenotypeStats | None = None
        self.pending: list[PendingLine] = []
        self.records = 0
        self.line_no = 0
        self.blank_warned = False
        self.bcf_bad = False
        self.control_warned = False

    # -- driver ----------------------------------------------------------------------------

    def run(self) -> None:
        """Stream the file once, dispatching header and records to the checkers; never raises."""
        stream = DecodedStream(self.path, self.report, cancel=self.cancel)
        is_bcf = False
        try:
            offset = 0
            carry = b""
            first = True
            bcf_buffer = b""
            for chunk in stream:
                if first:
                    first = False
                    if chunk.startswith(b"BCF"):
                        is_bcf = True
                if is_bcf:
                    if self.header is None and not self.bcf_bad:
                        bcf_buffer += chunk
                        self._bcf_header(bcf_buffer)
                    continue  # keep reading: the walk checks every block and the EOF marker
                data = carry + chunk if carry else chunk
                base = offset - len(carry)
                cut = data.rfind(b"\n") + 1
                if cut:
                    self._lines(data[:cut], base)
                carry = data[cut:]
                offset += len(chunk)
                if self.header is None and len(carry) > _MAX_HEADER:
                    self.report.error(
                        "vcf_header",
                        "A header line is longer than 256 MiB; this is not a VCF file.",
                        hint="Check the file type.",
                    )
                    stream.stop_decoding()
                    break
                self.tell(stream.raw_done, self.records)
            if carry and not stream.facts.damaged and not is_bcf:
                self._lines(carry + b"\n", offset - len(carry))
                self._missing_newline(offset - len(carry))
            self._flush()
        finally:
            facts = stream.finish()
            self.report.md5, self.report.sha256 = facts.md5, facts.sha256
        self._container(stream, is_bcf)
        intact = not stream.facts.damaged and (
            stream.facts.eof_marker or stream.facts.compression is not Compression.BGZF
        )
        if is_bcf and self.checker is not None and intact:
            self._bcf_records()
        self._finish(stream)

    def _container(self, stream: DecodedStream, is_bcf: bool) -> None:
        facts = stream.facts
        report = self.report
        report.compression = facts.compression
        container: dict[str, Any] = {"compression": "bcf" if is_bcf else facts.compression.value}
        if facts.compression is Compression.BGZF:
            container["bgzf_blocks"] = facts.blocks
            container["eof_marker"] = facts.eof_marker
            if not facts.damaged and not facts.eof_marker:
                message, hint = bgzf_eof_message("BCF" if is_bcf else "VCF")
                report.error("bgzf_eof_missing", message, hint=hint, offset=report.size)
                lead_with(report, "bgzf_eof_missing")
        elif is_bcf and not facts.damaged:
            report.warning(
                "bcf_not_bgzf",
                "The BCF data is not BGZF-compressed (an uncompressed stream as written by "
                "'bcftools -Ou'); it cannot be indexed.",
                hint="Rewrite it with 'bcftools view -Ob'.",
            )
        elif facts.compression is Compression.GZIP and not facts.damaged:
            report.warning(
                "vcf_not_bgzf",
                "The file is compressed with plain gzip, not bgzip (BGZF): it cannot be indexed, "
                "and imputation servers reject it.",
                hint="Recompress it with bgzip, or use the 'bgzip, sort and index' fix.",
            )
        elif facts.compression in (Compression.BZIP2, Compression.XZ):
            report.warning(
                "vcf_compression",
                f"The file is {facts.compression.value}-compressed; htslib-based tools (bcftools, "
                "tabix) and imputation servers cannot read it.",
                hint="Decompress it and compress it again with bgzip.",
            )
        if is_bcf:
            report.format = FileFormat.BCF
        report.metrics["container"] = container

    # -- text lines ------------------------------------------------------------------------

    def _missing_newline(self, offset: int) -> None:
        message = f"The last line (line {self.line_no:,}) does not end with a line break."
        hint = "Add a newline at the end of the file; VCF 4.3 requires one after the last line."
        if self.header is not None and not self.header.strict:
            self.report.warning(
                "vcf_no_final_newline", message, hint=hint, line=self.line_no, offset=offset
            )
        else:
            self.report.error(
                "vcf_no_final_newline", message, hint=hint, line=self.line_no, offset=offset
            )

    def _lines(self, data: bytes, base: int) -> None:
        if not self.control_warned:
            self._control_characters(data, base)
        lines = data.split(b"\n")
        lines.pop()  # data ends with a newline
        index = 0
        position = base
        while self.header is None and index < len(lines):
            line = lines[index]
            self.line_no += 1
            start = position
            position += len(line) + 1
            index += 1
            if line.endswith(b"\r"):
                line = line[:-1]  # VCF 4.3 section 1: readers must accept CR+LF
            if not self._header_line(line, start):
                self._body_line(line, start)
        body = lines[index:] if index else lines
        if body and not (
            self.checker is not None and self._fast(body, data, position - base, base)
        ):
            for line in body:
                self.line_no += 1
                start = position
                position += len(line) + 1
                if line.endswith(b"\r"):
                    line = line[:-1]
                self._body_line(line, start)
        if len(self.pending) >= _BATCH_LINES:
            self._flush()
        if self.cancel is not None and self.cancel.cancelled:
            raise Cancelled("cancelled by the user")

    def _fast(self, body: list[bytes], data: bytes, begin: int, base: int) -> bool:
        """Column-wise checks of plain data lines; False to check them one by one.

        ``body`` are the lines of ``data`` from byte ``begin`` on; ``base`` is the stream offset
        of ``data``. Empty lines, '#' lines, CR+LF endings and trailing TABs go the slow way,
        where they are explained.
        """
        assert self.checker is not None
        a = np.frombuffer(data, dtype=np.uint8)
        ends = np.flatnonzero(a[begin:] == 10) + begin
        starts = np.empty_like(ends)
        starts[0] = begin
        starts[1:] = ends[:-1] + 1
        if len(ends) != len(body) or (ends == starts).any():
            return False
        if (a[starts] == 35).any() or (a[ends - 1] == 13).any() or (a[ends - 1] == 9).any():
            return False
        offsets = (starts + base).tolist()
        first_record, first_line = self.records + 1, self.line_no + 1
        results = check_batch(self.checker, body, first_record, first_line, offsets)
        if results is None:
            return False
        self.records += len(body)
        self.line_no += len(body)
        if self.genotypes is not None:
            self._flush()  # keep the records in order for the genotype pass
            alleles, fmts, samples = zip(*results, strict=True)
            self.genotypes.add_block(samples, alleles, fmts, first_record, first_line, offsets)
        return True

    def _body_line(self, line: bytes, start: int) -> None:
        if not line:
            if not self.blank_warned:
                self.blank_warned = True
                self.report.warning(
                    "vcf_blank_line",
                    f"Line {self.line_no:,} is empty; empty lines are not part of the VCF format.",
                    hint="Remove empty lines.",
                    line=self.line_no,
                    offset=start,
                )
            return
        if line.startswith(b"#"):
            self.report.error(
                "vcf_header_in_body",
                f"Line {self.line_no:,} starts with '#' after the records began; header lines "
                "must come first.",
                hint="Move header lines above the #CHROM line.",
                line=self.line_no,
                offset=start,
            )
            return
        if self.header is None:
            return
        self._record(line, start)

    def _control_characters(self, data: bytes, base: int) -> None:
        if base == 0 and data.startswith(b"\xef\xbb\xbf"):
            self.control_warned = True
            self.report.error(
                "vcf_bom",
                "The file starts with a byte order mark, which VCF files must not contain.",
                hint="Save the file as UTF-8 without BOM.",
                offset=0,
            )
            return
        # translate() deletes every allowed byte at C speed; what is left are control bytes.
        if not data.translate(None, _ALLOWED):
            return
        match = _CONTROL.search(data)
        if match is not None:
            self.control_warned = True
            line = self.line_no + data.count(b"\n", 0, match.start()) + 1
            self.report.error(
                "vcf_control_character",
                f"Line {line:,} contains the control character 0x{match.group()[0]:02X}, which "
                "VCF does not allow.",
                hint="Remove the character; encode special characters with %XX percent encoding.",
                line=line,
                offset=base + match.start(),
            )

    def _header_line(self, line: bytes, start: int) -> bool:
        """Handle a line while the header is open; True when it was a header line."""
        text = line.decode("utf-8", "replace")
        if "\ufffd" in text and not any("not UTF-8" in w.message for w in self.report.warnings):
            self.report.warning(
                "vcf_encoding",
                f"Line {self.line_no:,} is not valid UTF-8 text.",
                hint="Save the header as UTF-8.",
                line=self.line_no,
            )
        if line.startswith(b"#CHROM") or line.startswith(b"#"):
            if not line.startswith(b"##") and not line.startswith(b"#CHROM"):
                self.report.error(
                    "vcf_header",
                    f"Header line {self.line_no}: '{text[:60]}' starts with a single '#' but is "
                    "not the #CHROM line.",
                    hint="Meta-information lines start with '##'.",
                    line=self.line_no,
                )
                return True
            self.header_lines.append(text)
            if line.startswith(b"#CHROM"):
                self._open_body()
            return True
        if not line and not self.header_lines:
            return False
        if not self.header_lines or not self.header_lines[-1].startswith("#CHROM"):
            self.report.error(
                "vcf_header",
                f"Line {self.line_no}: '{text[:60]}' appears before the #CHROM line but is not a "
                "header line (those start with '#').",
                hint="Every meta-information line must start with '##'.",
                line=self.line_no,
                offset=start,
            )
            return True
        return False

    def _open_body(self) -> None:
        header = parse_vcf_header(self.header_lines, self.report)
        self.header = header
        self.checker = VcfRecordChecker(header, self.report)
        if header.samples:
            self.genotypes = GenotypeStats(
                len(header.samples), self.report, v44=self.checker.v44, strict=header.strict
            )

    def _record(self, line: bytes, start: int) -> None:
        assert self.checker is not None
        self.records += 1
        result = self.checker.check(line, self.records, self.line_no, start)
        if result is None or self.genotypes is None:
            return
        alleles, fmt, samples = result
        if fmt is not None and samples is not None and fmt.keys:
            self.pending.append(
                PendingLine(samples, alleles, fmt, self.records, self.line_no, start)
            )

    def _flush(self) -> None:
        if self.pending and self.genotypes is not None:
            self.genotypes.add(self.pending)
        self.pending = []

    # -- BCF -------------------------------------------------------------------------------

    def _bcf_header(self, data: bytes) -> None:
        if len(data) < 9:
            return
        if data[:5] not in (b"BCF\x02\x01", b"BCF\x02\x02"):
            self.report.error(
                "bcf_magic",
                f"The file starts with {data[:5]!r}, not the BCF 2 magic.",
                hint="The file is damaged or not a BCF file.",
                offset=0,
            )
            self.bcf_bad = True
            return
        length = int.from_bytes(data[5:9], "little")
        if len(data) < 9 + length:
            return
        text = data[9 : 9 + length].rstrip(b"\x00").decode("utf-8", "replace")
        lines = text.rstrip("\n").split("\n")
        self.line_no = len(lines)
        self.header_lines = lines
        self._open_body()

    def _bcf_records(self) -> None:
        assert self.checker is not None
        with HTSLIB_LOCK, quiet_htslib():
            try:
                handle = pysam.VariantFile(str(self.path), "r")
            except (OSError, ValueError) as exc:
                self.report.error(
                    "bcf_open",
                    f"htslib could not open the BCF file: {exc}.",
                    hint="The file is damaged; regenerate it with bcftools.",
                )
                return
            with handle:
                try:
                    for record in handle:
                        line = str(record).rstrip("\n").encode()
                        self.line_no += 1
                        self._record(line, 0)
                        if len(self.pending) >= _BATCH_LINES:
                            self._flush()
                            if self.cancel is not None and self.cancel.cancelled:
                                raise Cancelled("cancelled by the user")
                except (OSError, ValueError) as exc:
                    self.report.error(
                        "bcf_record",
                        f"htslib could not decode BCF record {self.records + 1:,}: {exc}.",
                        hint="The file is damaged; regenerate it with bcftools.",
                        record=self.records + 1,
                    )
        self._flush()

    # -- results ---------------------------------------------------------------------------

    def _finish(self, stream: DecodedStream) -> None:
        report = self.report
        report.records = self.records
        report.metrics["records"] = self.records
        if self.header is None:
            if not stream.facts.damaged and not self.bcf_bad:
                report.error(
                    "vcf_no_header",
                    "The file has no #CHROM header line"
                    + (" and no ##fileformat line." if not self.header_lines else "."),
                    hint="A VCF file starts with '##fileformat=VCFv4.x' and has a '#CHROM ...' "
                    "line before the records.",
                )
            return
        assert self.checker is not None
        summarise(report, self.path, self.header, self.checker, self.genotypes)
        self.tell(report.size, self.records)
