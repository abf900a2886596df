"""Genotype columns: GT syntax and statistics with numpy over a batch of lines at once.

The sample columns of many lines are joined into one buffer and cut at TABs with numpy; the
first characters of every sample field give its GT in the common forms (``a/b``, ``a|b``, ``a``
with single-digit alleles or '.'), so syntax, allele ranges, missingness, heterozygosity and
phasing are computed for millions of genotypes without a Python loop. Lines whose FORMAT is
exactly ``GT`` with all-diploid single-digit calls take an even shorter path: the buffer is
reshaped into a (lines, samples, 4) array directly. Unusual genotypes (alleles >= 10,
polyploid, VCF 4.4 phasing prefixes, or invalid text) go to a per-field path.

The other FORMAT fields (their Number and Type) are checked in Python for every sample field of
the first lines of the file (up to 20,000 fields) and of a spread of about 0.5 % of the fields
after that, which keeps large files fast while still catching systematic writer errors.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from genoflow_desktop.core.validation.report import ValidationReport
from genoflow_desktop.core.validation.vcf_sample_metrics import genotype_metrics
from genoflow_desktop.core.validation.vcf_values import AlleleInfo, FormatInfo, TypeCheck

_GT43 = re.compile(rb"(?:[0-9]+|\.)(?:[/|](?:[0-9]+|\.))*")
_GT44 = re.compile(rb"[/|]?(?:[0-9]+|\.)(?:[/|](?:[0-9]+|\.))*")
_GT_SPLIT = re.compile(rb"([/|]?)([0-9]+|\.)")
#: Allele character -> 0..9 for digits, 10 for '.', 11 for anything else.
_LUT = np.full(256, 11, dtype=np.uint8)
_LUT[48:58] = np.arange(10, dtype=np.uint8)
_LUT[46] = 10
_MISSING, _HET, _HOM_ALT, _ALT, _PHASED, _UNPHASED, _MULTI, _INVALID = (1 << k for k in range(8))
_CLASSES: npt.NDArray[np.uint8] | None = None
_DEEP_BASE = 20_000
_DEEP_FRACTION = 0.005
_HINT = "Correct the genotype columns, or regenerate the file with bcftools."


def _classes() -> npt.NDArray[np.uint8]:
    """Flag bits for every 3-byte diploid genotype text 'a?b' (built once, 16 MiB).

    The flags depend only on the class of each byte (allele 0-9, '.', other; separator '/',
    '|', other), so a 12 x 3 x 12 table is built first and then expanded by byte value.
    """
    global _CLASSES
    if _CLASSES is None:
        a = np.arange(12).reshape(12, 1, 1)  # first allele class
        s = np.arange(3).reshape(1, 3, 1)  # separator class: '/', '|', other
        b = np.arange(12).reshape(1, 1, 12)  # second allele class
        invalid = (a == 11) | (b == 11) | (s == 2)
        missing = ~invalid & ((a == 10) | (b == 10))
        called = ~invalid & ~missing
        table = (
            missing * _MISSING
            | (called & (a != b)) * _HET
            | (called & (a == b) & (a > 0)) * _HOM_ALT
            | (called & ((a > 0) | (b > 0))) * _ALT
            | (~invalid & (s == 1)) * _PHASED
            | (~invalid & (s == 0)) * _UNPHASED
            | (~invalid & (((a > 1) & (a < 10)) | ((b > 1) & (b < 10)))) * _MULTI
            | invalid * _INVALID
        ).astype(np.uint8)
        sep = np.full(256, 2, dtype=np.uint8)
        sep[47], sep[124] = 0, 1
        # The word is byte0 | byte1 << 8 | byte2 << 16, so index [byte2, byte1, byte0].
        _CLASSES = table[_LUT[None, None, :], sep[None, :, None], _LUT[:, None, None]].reshape(-1)
    return _CLASSES


@dataclass(slots=True)
class PendingLine:
    """A record whose sample columns await the batched genotype pass."""

    samples: bytes
    alleles: AlleleInfo
    fmt: FormatInfo
    record: int
    line: int
    offset: int


class GenotypeStats:
    """Per-sample and per-site genotype statistics, accumulated batch by batch."""

    def __init__(
        self, n_samples: int, report: ValidationReport, *, v44: bool, strict: bool = True
    ) -> None:
        self.ns = n_samples
        self.report = report
        self.v44 = v44
        self.called = np.zeros(n_samples, dtype=np.int64)
        self.missing = np.zeros(n_samples, dtype=np.int64)
        self.het = np.zeros(n_samples, dtype=np.int64)
        self.hom_alt = np.zeros(n_samples, dtype=np.int64)
        self.haploid = np.zeros(n_samples, dtype=np.int64)
        self.phased = 0
        self.unphased = 0
        self.polyploid = 0
        self.sites = 0
        self.monomorphic = 0
        self.low_call_rate_snps = 0
        self.snp_sites = 0
        self.total_fields = 0
        self.deep_fields = 0
        self.other_fields = 0
        self.first_gt_phased: bool | None = None
        self._gt = _GT44 if v44 else _GT43
        self._strict = strict
        self._count_warned = False

    # -- entry points ----------------------------------------------------------------------

    def add_block(
        self,
        samples: Sequence[bytes | None],
        alleles: Sequence[AlleleInfo],
        fmts: Sequence[FormatInfo | None],
        first_record: int,
        first_line: int,
        offsets: Sequence[int],
    ) -> None:
        """Check and count consecutive records that passed the column-wise checks."""
        width = 4 * self.ns - 1
        regular: list[int] = []
        regular_samples: list[bytes] = []
        others: list[PendingLine] = []
        for k, (block, fmt) in enumerate(zip(samples, fmts, strict=True)):
            if fmt is None or block is None or not fmt.keys:
                continue
            if fmt.gt_only and len(block) == width:
                regular.append(k)
                regular_samples.append(block)
            else:
                others.append(
                    PendingLine(
                        block, alleles[k], fmt, first_record + k, first_line + k, offsets[k]
                    )
                )
        first_is_regular = not others or others[0].record > first_record + (regular or [0])[0]
        if regular and self.first_gt_phased is None and first_is_regular:
            self.first_gt_phased = b"/" not in regular_samples[0][:3]
        if regular:
            self.total_fields += self.ns * len(regular)
            rejected = self._regular(regular_samples, [alleles[k] for k in regular])
            for j in rejected:
                k = regular[j]
                fmt = fmts[k]
                assert fmt is not None
                others.append(
                    PendingLine(
                        regular_samples[j],
                        alleles[k],
                        fmt,
                        first_record + k,
                        first_line + k,
                        offsets[k],
                    )
                )
        if others:
            others.sort(key=lambda item: item.record)
            self.add(others)

    def add(self, lines: list[PendingLine]) -> None:
        """Check and count data lines one by one (all from the same file, in order)."""
        ns = self.ns
        ready: list[PendingLine] = []
        for item in lines:
            count = item.samples.count(b"\t") + 1
            if count != ns:
                self.report.error(
                    "vcf_sample_columns",
                    f"Line {item.line:,} (record {item.record:,}) has {count:,} sample column(s); "
                    f"the header names {ns:,} samples.",
                    hint="Every line needs one column per sample named in the #CHROM line.",
                    record=item.record,
                    line=item.line,
                    offset=item.offset,
                )
                continue
            self.total_fields += ns
            if not item.fmt.gt_only:
                self.other_fields += ns
            if (
                not item.fmt.gt_only
                and self.deep_fields < _DEEP_BASE + _DEEP_FRACTION * self.total_fields
            ):
                self.deep_fields += ns
                self._deep_check(item)
            ready.append(item)
        with_gt = [item for item in ready if item.fmt.gt_first]
        if not with_gt:
            return
        if self.first_gt_phased is None:
            first = with_gt[0].samples.split(b"\t", 1)[0].split(b":", 1)[0]
            self.first_gt_phased = b"/" not in first
        self._general(with_gt)

    # -- fast path -------------------------------------------------------------------------

    def _regular(self, samples: list[bytes], alleles: list[AlleleInfo]) -> list[int]:
        """Lines of fixed-width diploid GT; returns the indices of those that are not.

        Each genotype plus its TAB is one little-endian 32-bit word; a 2^24-entry table maps
        its first three bytes straight to flag bits, so one gather classifies every genotype.
        """
        ns = self.ns
        buffer = b"\t".join(samples) + b"\t"
        words = np.frombuffer(buffer, dtype="<u4").reshape(len(samples), ns)
        flags = _classes()[words & 0xFFFFFF]
        odd = ((words >> 24) != 9) | ((flags & (_INVALID | _MULTI)) != 0)
        bad_lines = odd.any(axis=1)
        rejected: list[int] = []
        if bad_lines.any():
            keep = ~bad_lines
            rejected = np.flatnonzero(bad_lines).tolist()
            alleles = [a for a, flag in zip(alleles, keep.tolist(), strict=True) if flag]
            flags = flags[keep]
        if not alleles:
            return rejected
        missing_by_sample = np.count_nonzero(flags & _MISSING, axis=0)
        self.missing += missing_by_sample
        self.called += len(alleles) - missing_by_sample
        self.het += np.count_nonzero(flags & _HET, axis=0)
        self.hom_alt += np.count_nonzero(flags & _HOM_ALT, axis=0)
        self.phased += int(np.count_nonzero(flags & _PHASED))
        self.unphased += int(np.count_nonzero(flags & _UNPHASED))
        alt_seen = (flags & _ALT).any(axis=1)
        missing = np.count_nonzero(flags & _MISSING, axis=1).astype(np.int64)
        self._sites(alleles, alt_seen, missing)
        return rejected

    # -- general path ----------------------------------------------------------------------

    def _general(self, lines: list[PendingLine]) -> None:
        ns = self.ns
        buffer = b"\t".join(item.samples for item in lines) + b"\t\x00\x00\x00\x00"
        a = np.frombuffer(buffer, dtype=np.uint8)
        tabs = np.flatnonzero(a[:-4] == 9)
        field_starts = np.empty_like(tabs)
        field_starts[0] = 0
        field_starts[1:] = tabs[:-1] + 1
        ends = tabs.reshape(len(lines), ns)
        starts = field_starts.reshape(len(lines), ns)
        length = ends - starts
        c0, c1, c2, c3 = (a[starts + k] for k in range(4))
        l0, l2 = _LUT[c0], _LUT[c2]
        hap = ((length == 1) | (c1 == 58)) & (l0 <= 10)
        dip = (
            ~hap
            & ((length == 3) | (c3 == 58))
            & ((c1 == 47) | (c1 == 124))
            & (l0 <= 10)
            & (l2 <= 10)
        )
        simple = hap | dip
        sep = np.where(dip, c1, 0).astype(np.uint8)
        l2 = np.where(dip, l2, 0).astype(np.uint8)
        alt_seen, missing = self._count(lines, l0, sep, l2, dip, simple)
        complex_cells = np.argwhere(~simple)
        if len(complex_cells):
            self._complex(lines, buffer, starts, ends, complex_cells, alt_seen, missing)
        self._sites([item.alleles for item in lines], alt_seen, missing)

    def _count(
        self,
        lines: list[PendingLine],
        l0: npt.NDArray[np.uint8],
        sep: npt.NDArray[np.uint8],
        l2: npt.NDArray[np.uint8],
        dip: npt.NDArray[np.bool_],
        simple: npt.NDArray[np.bool_],
    ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.int64]]:
        """Statistics and range checks for the cells marked ``simple``; returns per line
        whether an ALT allele was called and how many genotypes are missing."""
        n_alt = np.array([item.alleles.n_alt for item in lines], dtype=np.int64)[:, None]
        a0 = l0.astype(np.int64)
        a1 = np.where(dip, l2, l0).astype(np.int64)
        missing = simple & ((a0 == 10) | (a1 == 10))
        called = simple & ~missing
        # ALT '.' (n_alt 0): nothing to check allele numbers against, as in the spec's examples.
        beyond = simple & (n_alt > 0) & (((a0 < 10) & (a0 > n_alt)) | ((a1 < 10) & (a1 > n_alt)))
        if beyond.any():
            for index in np.flatnonzero(beyond.any(axis=1))[:20].tolist():
                item = lines[index]
                sample = int(np.flatnonzero(beyond[index])[0])
                self._error(
                    item,
                    f"sample {sample + 1} has a GT allele number above the {item.alleles.n_alt} "
                    "ALT allele(s)",
                )
        het = called & dip & (a0 != a1)
        alt = called & ((a0 > 0) | (a1 > 0))
        self.called += called.sum(axis=0)
        self.missing += missing.sum(axis=0)
        self.het += het.sum(axis=0)
        self.hom_alt += (called & (a0 == a1) & (a0 > 0)).sum(axis=0)
        self.haploid += (simple & ~dip).sum(axis=0)
        self.phased += int(np.count_nonzero(dip & (sep == 124)))
        self.unphased += int(np.count_nonzero(dip & (sep == 47)))
        return alt.any(axis=1), missing.sum(axis=1).astype(np.int64)

    def _sites(
        self,
        alleles: Sequence[AlleleInfo],
        alt_seen: npt.NDArray[np.bool_],
        missing: npt.NDArray[np.int64],
    ) -> None:
        """Site-level counts: monomorphic sites (no ALT allele called) and SNPs whose call
        rate is below 90 % (the imputation servers' QC thresholds)."""
        self.sites += len(alleles)
        if self.ns > 1:
            self.monomorphic += int(np.count_nonzero(~alt_seen))
        snp = np.array([a.n_alt == 1 and a.snv == 1 for a in alleles], dtype=bool)
        self.snp_sites += int(np.count_nonzero(snp))
        self.low_call_rate_snps += int(np.count_nonzero(snp & (missing > 0.1 * self.ns)))

    def _complex(
        self,
        lines: list[PendingLine],
        buffer: bytes,
        starts: npt.NDArray[np.int64],
        ends: npt.NDArray[np.int64],
        cells: npt.NDArray[np.int64],
        alt_seen: npt.NDArray[np.bool_],
        missing: npt.NDArray[np.int64],
    ) -> None:
        """Genotypes outside the simple forms, one by one; updates the per-line arrays."""
        reported: set[int] = set()
        for row, sample in cells.tolist():
            item = lines[row]
            field = buffer[int(starts[row, sample]) : int(ends[row, sample])]
            gt = field.split(b":", 1)[0]
            if not self._gt.fullmatch(gt):
                if row not in reported:
                    reported.add(row)
                    self._error(
                        item,
                        f"sample {sample + 1} has GT '{_show(gt)}', which is not a valid genotype",
                    )
                continue
            parts = _GT_SPLIT.findall(gt)
            alleles = [allele for _, allele in parts]
            if item.alleles.n_alt and any(
                a != b"." and int(a) > item.alleles.n_alt for a in alleles
            ):
                if row not in reported:
                    reported.add(row)
                    self._error(
                        item,
                        f"sample {sample + 1} has a GT allele number above the "
                        f"{item.alleles.n_alt} ALT allele(s)",
                    )
                continue
            if len(alleles) > 2:
                self.polyploid += 1
            elif len(alleles) == 1:
                self.haploid[sample] += 1
            if b"." in alleles:
                self.missing[sample] += 1
                missing[row] += 1
                continue
            self.called[sample] += 1
            values = {int(a) for a in alleles}
            if len(values) > 1:
                self.het[sample] += 1
            elif values != {0}:
                self.hom_alt[sample] += 1
            if values != {0}:
                alt_seen[row] = True
            if len(alleles) == 2:
                if b"/" in gt[1:]:
                    self.unphased += 1
                else:
                    self.phased += 1

    # -- deep checks of the other FORMAT fields --------------------------------------------

    def _deep_check(self, item: PendingLine) -> None:
        keys, defs = item.fmt.keys, item.fmt.defs
        n_alt = item.alleles.n_alt
        for sample, field in enumerate(item.samples.split(b"\t")):
            subfields = field.split(b":")
            if len(subfields) > len(keys):
                self._error(
                    item,
                    f"sample {sample + 1} has {len(subfields)} ':'-separated values but FORMAT "
                    f"names {len(keys)}",
                )
                return
            ploidy: int | None = None
            phasing: list[bool] = []
            start = 0
            if item.fmt.gt_first:
                gt = subfields[0]
                if not self._gt.fullmatch(gt):
                    self._error(
                        item,
                        f"sample {sample + 1} has GT '{_show(gt)}', which is not a valid genotype",
                    )
                    return
                parts = _GT_SPLIT.findall(gt)
                ploidy = len(parts)
                phasing = _phasing(parts)
                start = 1
            for key, definition, value in zip(
                keys[start:], defs[start:], subfields[start:], strict=False
            ):
                if definition is None or value == b".":
                    continue
                values = value.split(b",")
                problem = TypeCheck.count(definition.number, values, n_alt, ploidy, key)
                if problem and not self._strict:
                    if not self._count_warned:
                        self._count_warned = True
                        self.report.warning(
                            "vcf_genotype_count",
                            f"Line {item.line:,}: sample {sample + 1}: {problem} (tolerated for "
                            "VCF versions before 4.3).",
                            hint="Correct the number of values.",
                            record=item.record,
                            line=item.line,
                        )
                    problem = None
                problem = problem or TypeCheck.values(definition.type, values, key)
                if problem is None and key == b"PSL" and phasing and len(values) == len(phasing):
                    for phased, label in zip(phasing, values, strict=True):
                        if not phased and label != b".":
                            problem = "PSL must be '.' for unphased alleles"
                            break
                if problem:
                    self._error(item, f"sample {sample + 1}: {problem}")
                    return

    def _error(self, item: PendingLine, message: str) -> None:
        self.report.error(
            "vcf_genotype",
            f"Line {item.line:,} (record {item.record:,}): {message}.",
            hint=_HINT,
            record=item.record,
            line=item.line,
            offset=item.offset,
        )

    # -- results ---------------------------------------------------------------------------

    # The metrics dict is built in vcf_sample_metrics.
    to_dict = genotype_metrics


def _phasing(parts: list[tuple[bytes, bytes]]) -> list[bool]:
    """Per-allele phased flags; VCF 4.4 infers an omitted first prefix from the others."""
    flags = [sep == b"|" for sep, _ in parts]
    if parts and parts[0][0] == b"":
        rest = [sep for sep, _ in parts[1:]]
        flags[0] = all(sep == b"|" for sep in rest)
    return flags


def _show(value: bytes, limit: int = 30) -> str:
    text = value.decode("utf-8", "backslashreplace")
    return text if len(text) <= limit else text[: limit - 1] + "…"
