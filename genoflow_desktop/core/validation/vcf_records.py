"""Checks of the fixed VCF columns and INFO (VCFv4.3 section 1.6.1), one line at a time.

The per-line work is kept small: each line is split once into its nine fixed columns (the sample
columns stay one block for the vectorised genotype pass in :mod:`vcf_samples`), and the values
that repeat across a file (REF/ALT pairs, FILTER, QUAL, FORMAT) are validated once and cached.
"""

from __future__ import annotations

import re
from typing import Any

from genoflow_desktop.core.validation.report import ValidationReport
from genoflow_desktop.core.validation.vcf_header import (
    RESERVED_FORMAT,
    RESERVED_INFO,
    FieldDef,
    VcfHeader,
)
from genoflow_desktop.core.validation.vcf_info import check_format, check_info
from genoflow_desktop.core.validation.vcf_values import (
    CHUNK_SIZE,
    CONTIG_B,
    INT_MAX,
    RECORD_HINT,
    SYMBOLIC_RE,
    WHITESPACE_RE,
    AlleleInfo,
    FormatInfo,
    check_qual,
    classify_alleles,
)
from genoflow_desktop.core.validation.vcf_values import (
    show as _show,
)


class VcfRecordChecker:
    """Checks the fixed columns of each record and collects site-level counts."""

    def __init__(self, header: VcfHeader, report: ValidationReport) -> None:
        self.header = header
        self.report = report
        self.n_samples = len(header.samples)
        self.v44 = header.version is not None and header.version >= (4, 4)
        self.infos = {k.encode(): v for k, v in header.infos.items()}
        self.formats = {k.encode(): v for k, v in header.formats.items()}
        self.reserved_info = {
            k.encode(): FieldDef(k, n, t, 0) for k, (n, t) in RESERVED_INFO.items()
        }
        self.reserved_format = {
            k.encode(): FieldDef(k, n, t, 0) for k, (n, t) in RESERVED_FORMAT.items()
        }
        self.filters = {f.encode() for f in header.filters} | {b"PASS"}
        self.contigs = {c.encode(): length for c, length in header.contigs.items()}
        self._alleles: dict[tuple[bytes, bytes], AlleleInfo] = {}
        self._formats: dict[bytes, FormatInfo] = {}
        self._filters: dict[bytes, str | None] = {}
        self._quals: dict[bytes, str | None] = {}
        self._chrom_ok: dict[bytes, str | None] = {}
        self._warned: set[str] = set()
        self._info_pattern: re.Pattern[bytes] | None = None
        self.last_chrom: bytes | None = None
        self.last_pos = 0
        self.done_chroms: set[bytes] = set()
        self.chrom_counts: dict[bytes, int] = {}
        self.max_pos: dict[bytes, int] = {}
        self.unsorted = 0
        self.non_contiguous = 0
        self.out_of_contig_order = 0
        self.contig_rank = {name: rank for rank, name in enumerate(self.contigs)}
        self.counts = {
            "snps": 0,
            "indels": 0,
            "mnps": 0,
            "other": 0,
            "multiallelic": 0,
            "biallelic": 0,
            "no_alt": 0,
            "transitions": 0,
            "transversions": 0,
            "ref_equals_alt": 0,
            "filtered": 0,
            "with_gt": 0,
            "without_gt": 0,
        }
        self.first_ref_eq_alt: str | None = None
        self.first_ref_eq_alt_record: dict[str, Any] | None = None
        self.first_unsorted: dict[str, Any] | None = None
        #: 20 Mb chunk numbers with records, per chromosome (the imputation servers' unit).
        self.chunks: dict[bytes, set[int]] = {}

    # -- helpers ---------------------------------------------------------------------------

    def warn_once(self, key: str, message: str, hint: str, **where: int) -> None:
        """Add a warning the first time ``key`` is seen and ignore it after that."""
        if key in self._warned:
            return
        self._warned.add(key)
        self.report.warning("vcf_record_warning", message, hint=hint, **where)

    # -- the line check --------------------------------------------------------------------

    def check(
        self, line: bytes, record: int, line_no: int, offset: int
    ) -> tuple[AlleleInfo, FormatInfo | None, bytes | None] | None:
        """Check one data line; returns (alleles, format, sample block) for the genotype pass,
        or None when the line is too broken for its samples to be read."""
        where = {"record": record, "line": line_no, "offset": offset}
        parts = line.split(b"\t", 9)
        n_parts = len(parts)
        expected = 8 if not self.header.has_format else 9 + self.n_samples
        if n_parts != (10 if self.header.has_format else 8):
            real = line.count(b"\t") + 1
            hint = "Every line needs the same columns as the #CHROM header line, separated by TABs."
            if b"\t" not in line and b" " in line:
                hint = "The columns seem to be separated by spaces; VCF requires TAB characters."
            self.report.error(
                "vcf_columns",
                f"Line {line_no:,} has {real} column(s); the header line defines {expected}.",
                hint=hint,
                **where,
            )
            return None
        chrom, pos_b, ident, ref, alt, qual, filt, info = parts[:8]
        problems: list[str] = []
        if line.endswith(b"\t"):
            problems.append("the line ends with a TAB character")
        self._check_chrom(chrom, problems, where)
        pos = self._check_pos(chrom, pos_b, problems, where)
        if ident != b"." and (
            WHITESPACE_RE.search(ident)
            or b"" in ident.split(b";")
            or len(set(ident.split(b";"))) != ident.count(b";") + 1
        ):
            problems.append(
                f"ID '{_show(ident)}' must be '.' or distinct IDs separated by ';' without "
                "whitespace"
            )
        alleles = self._alleles.get((ref, alt))
        if alleles is None:
            alleles = classify_alleles(ref, alt, self.v44)
            if len(self._alleles) > 50_000:
                self._alleles.clear()
            self._alleles[(ref, alt)] = alleles
        if alleles.problem:
            problems.append(alleles.problem)
        else:
            self._count_alleles(alleles, chrom, pos_b, ident, ref, alt)
        problem = self._quals.get(qual, "")
        if problem == "":
            problem = check_qual(qual)
            if len(self._quals) < 100_000:
                self._quals[qual] = problem
        if problem:
            problems.append(problem)
        problem = self._filters.get(filt, "")
        if problem == "":
            problem = self._check_filter(filt, where)
            self._filters[filt] = problem
        if problem:
            problems.append(problem)
        if filt not in (b"PASS", b"."):
            self.counts["filtered"] += 1
        if info != b".":
            self.check_info(info, alleles, problems, where)
        fmt: FormatInfo | None = None
        samples: bytes | None = None
        if n_parts >= 9:
            fmt = self._formats.get(parts[8])
            if fmt is None:
                fmt = self.check_format(parts[8], where)
                self._formats[parts[8]] = fmt
            if fmt.problem:
                problems.append(fmt.problem)
            samples = parts[9] if n_parts == 10 else None
            if fmt.gt_first:
                self.counts["with_gt"] += 1
            else:
                self.counts["without_gt"] += 1
        if problems:
            self.report.error(
                "vcf_record",
                f"Line {line_no:,} (record {record:,}): " + "; ".join(problems) + ".",
                hint=RECORD_HINT,
                **where,
            )
        if pos is not None:
            self._check_order(chrom, pos, record, line_no, offset)
        if alleles.problem or fmt is None or fmt.problem:
            return (alleles, None, None) if alleles.problem is None else None
        return alleles, fmt, samples

    # -- columns ---------------------------------------------------------------------------

    def _check_chrom(self, chrom: bytes, problems: list[str], where: dict[str, int]) -> None:
        problem = self._chrom_ok.get(chrom, "")
        if problem == "":
            problem = None
            if chrom.startswith(b"<") and SYMBOLIC_RE.fullmatch(chrom):
                pass  # an angle-bracketed ID naming a contig of the ##assembly file
            elif not CONTIG_B.fullmatch(chrom):
                if (
                    not chrom
                    or WHITESPACE_RE.search(chrom)
                    or re.search(rb"[,<>]", chrom)
                    or self.header.strict
                ):
                    problem = f"CHROM '{_show(chrom)}' is not a legal contig name"
                else:
                    self.warn_once(
                        "chrom-charset",
                        f"CHROM '{_show(chrom)}' uses characters VCF 4.3 no longer allows in "
                        "contig names.",
                        "Rename the contig if other tools must read this file.",
                        **where,
                    )
            elif self.contigs and chrom not in self.contigs:
                self.warn_once(
                    "contig:" + chrom.decode("ascii", "replace"),
                    f"Contig '{_show(chrom)}' is used but not declared in a ##contig header line.",
                    "Add ##contig lines (bcftools reheader --fai, or bcftools annotate).",
                    **where,
                )
            self._chrom_ok[chrom] = problem
        if problem:
            problems.append(problem)

    def _check_pos(
        self, chrom: bytes, pos_b: bytes, problems: list[str], where: dict[str, int]
    ) -> int | None:
        if not pos_b.isdigit():
            problems.append(f"POS '{_show(pos_b)}' is not a whole number")
            return None
        pos = int(pos_b)
        if pos > INT_MAX:
            self.warn_once(
                "pos-64",
                f"POS {pos:,} is above 2^31-1, the VCF limit; only htslib's 64-bit extension "
                "reads it.",
                "Most tools other than bcftools will reject this file.",
                **where,
            )
        length = self.contigs.get(chrom)
        if length is not None and pos > length + 1:
            self.warn_once(
                "pos-beyond:" + chrom.decode("ascii", "replace"),
                f"POS {pos:,} lies beyond the end of contig '{_show(chrom)}' ({length:,} bases, "
                "from its ##contig line).",
                "Check that the header's contig lengths match the reference build of the data.",
                **where,
            )
        return pos

    def _check_order(self, chrom: bytes, pos: int, record: int, line_no: int, offset: int) -> None:
        self.chunks.setdefault(chrom, set()).add((pos - 1) // CHUNK_SIZE)
        self.chrom_counts[chrom] = self.chrom_counts.get(chrom, 0) + 1
        if pos > self.max_pos.get(chrom, 0):
            self.max_pos[chrom] = pos
        if chrom.startswith(b"<"):
            return  # contigs of the ##assembly file are outside the reference's ordering
        if chrom == self.last_chrom:
            if pos < self.last_pos:
                self.unsorted += 1
                if self.unsorted == 1:
                    self.first_unsorted = {
                        "chrom": _text(chrom),
                        "pos": pos,
                        "previous": self.last_pos,
                        "sequence": len(self.done_chroms) + 1,
                    }
                    self.report.error(
                        "vcf_unsorted",
                        f"Line {line_no:,} (record {record:,}): position {pos:,} on "
                        f"{_show(chrom)} comes "
                        f"after position {self.last_pos:,}; records must be sorted by position.",
                        hint="Sort the file (bcftools sort), or use the 'sort and index' fix.",
                        record=record,
                        line=line_no,
                        offset=offset,
                    )
            self.last_pos = pos
            return
        if self.last_chrom is not None:
            self.done_chroms.add(self.last_chrom)
            rank, last_rank = self.contig_rank.get(chrom), self.contig_rank.get(self.last_chrom)
            if (
                rank is not None
                and last_rank is not None
                and rank < last_rank
                and chrom not in self.done_chroms
            ):
                self.out_of_contig_order += 1
                if self.out_of_contig_order == 1:
                    # The specification does not order chromosomes, so this is a warning;
                    # GATK/Picard and 'bcftools merge' do require the header's order.
                    self.report.warning(
                        "vcf_contig_order",
                        f"Line {line_no:,} (record {record:,}): records for {_show(chrom)} follow "
                        "those "
                        f"for {_show(self.last_chrom)}, but the ##contig lines list {_show(chrom)} "
                        "first; tools that sort by the header's contig order (GATK, Picard, "
                        "bcftools merge) treat the file as unsorted.",
                        hint="Sort the file (bcftools sort), or use the 'sort and index' fix.",
                        record=record,
                        line=line_no,
                        offset=offset,
                    )
        if chrom in self.done_chroms:
            self.non_contiguous += 1
            if self.non_contiguous == 1:
                self.report.error(
                    "vcf_not_contiguous",
                    f"Line {line_no:,} (record {record:,}): records for {_show(chrom)} appear "
                    "again after "
                    "records of another chromosome; all records of a chromosome must be together.",
                    hint="Sort the file (bcftools sort), or use the 'sort and index' fix.",
                    record=record,
                    line=line_no,
                    offset=offset,
                )
        self.last_chrom = chrom
        self.last_pos = pos

    def _count_alleles(
        self, alleles: AlleleInfo, chrom: bytes, pos_b: bytes, ident: bytes, ref: bytes, alt: bytes
    ) -> None:
        counts = self.counts
        if alleles.n_alt == 0:
            counts["no_alt"] += 1
        elif alleles.n_alt == 1:
            counts["biallelic"] += 1
        else:
            counts["multiallelic"] += 1
        if alleles.indel:
            counts["indels"] += 1
        elif alleles.mnp:
            counts["mnps"] += 1
        elif alleles.snv and not alleles.other:
            counts["snps"] += 1
        elif alleles.other:
            counts["other"] += 1
        counts["transitions"] += alleles.ts
        counts["transversions"] += alleles.tv
        if alleles.ref_eq_alt:
            counts["ref_equals_alt"] += 1
            if self.first_ref_eq_alt is None:
                self.first_ref_eq_alt = (
                    f"{chrom.decode('ascii', 'replace')}:{pos_b.decode('ascii', 'replace')}"
                )
                self.first_ref_eq_alt_record = {
                    "chrom": _text(chrom),
                    "pos": _text(pos_b),
                    "id": _text(ident),
                    "ref": _text(ref),
                    "alt": _text(alt),
                    "exact": ref == alt,
                }

    def _check_filter(self, filt: bytes, where: dict[str, int]) -> str | None:
        if filt in (b".", b"PASS"):
            return None
        items = filt.split(b";")
        if b"" in items or WHITESPACE_RE.search(filt):
            return (
                f"FILTER '{_show(filt)}' must be PASS, '.' or codes separated by ';' without spaces"
            )
        if b"." in items:
            return f"FILTER '{_show(filt)}' mixes '.' with filter codes"
        if b"0" in items:
            return "FILTER uses '0', which is reserved"
        if len(set(items)) != len(items):
            return f"FILTER '{_show(filt)}' lists a code twice"
        for item in items:
            if item not in self.filters:
                self.warn_once(
                    "filter:" + item.decode("ascii", "replace"),
                    f"FILTER code '{_show(item)}' is not declared in a ##FILTER header line.",
                    "Declare it with a ##FILTER line.",
                    **where,
                )
        return None

    # INFO and FORMAT checks live in vcf_info (shared with the fast lane).
    check_info = check_info
    check_format = check_format


def _text(value: bytes) -> str:
    return value.decode("utf-8", "replace")
