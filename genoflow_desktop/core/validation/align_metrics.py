"""Alignment metrics computed with numpy over batches of records (SAM, BAM and CRAM alike).

Every reader hands over batches of the core fields as arrays (FLAG, MAPQ, reference index,
position, mate reference index, TLEN), so the per-record work is vectorised whatever the
container. The result, :meth:`AlignmentMetrics.to_dict`, is JSON-serialisable:

``flagstat``
    The samtools flagstat categories, each as ``[qc_passed, qc_failed]``: ``total``,
    ``primary``, ``secondary``, ``supplementary``, ``duplicates``, ``primary_duplicates``,
    ``mapped``, ``primary_mapped``, ``paired``, ``read1``, ``read2``, ``properly_paired``,
    ``with_itself_and_mate_mapped``, ``singletons``, ``mate_on_different_chr`` and
    ``mate_on_different_chr_mapq5`` (the same rules as ``samtools flagstat``).
``mapq``
    ``{"counts": {mapq: n}, "mean": float | None}`` over primary mapped records.
``insert_size``
    Over primary, properly paired, first-of-pair records with both mates mapped to the same
    reference and TLEN != 0: ``count``, ``mean``, ``sd``, ``median``, ``p05``, ``p95``, ``mode``
    and ``histogram`` ``{"bin_width": w, "counts": [...]}`` (|TLEN| values above
    100,000 are counted in the last bin).
``sort``
    ``claimed`` (the header's SO), ``coordinate_sorted`` (true when every record is in
    coordinate order) and, when the header claims queryname order, ``queryname_sorted``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from genoflow_desktop.core.validation.build_guess import guess_build
from genoflow_desktop.core.validation.report import ValidationReport
from genoflow_desktop.core.validation.sam_header import SamHeader

_TLEN_CAP = 100_000

IntArray = npt.NDArray[np.int64]

#: The FLAG bits flagstat looks at: 0x1 0x2 0x4 0x8 0x40 0x80 0x100 0x200 0x400 0x800.
_FLAG_BITS = 0xFCF


def _compact_flags(flag: IntArray) -> IntArray:
    """Squeeze the ten flagstat FLAG bits into bits 0-9 (dropping 0x10 and 0x20)."""
    return (flag & 0xF) | ((flag >> 2) & 0x3F0)


def _expand_flags(key: IntArray) -> IntArray:
    """Inverse of :func:`_compact_flags`."""
    return (key & 0xF) | ((key & 0x3F0) << 2)


_CATEGORIES = (
    "total",
    "primary",
    "secondary",
    "supplementary",
    "duplicates",
    "primary_duplicates",
    "mapped",
    "primary_mapped",
    "paired",
    "read1",
    "read2",
    "properly_paired",
    "with_itself_and_mate_mapped",
    "singletons",
    "mate_on_different_chr",
    "mate_on_different_chr_mapq5",
)


class AlignmentMetrics:
    """Accumulates flagstat categories, MAPQ and insert-size histograms, and sort order."""

    def __init__(self, sort_order: str = "unknown", check_queryname: bool = False) -> None:
        self._keys = np.zeros(4096, dtype=np.int64)
        self._mapq = np.zeros(256, dtype=np.int64)
        self._tlen = np.zeros(_TLEN_CAP + 1, dtype=np.int64)
        self.records = 0
        self.sort_order = sort_order
        self._last_key: int | None = None
        self.coordinate_sorted = True
        self.first_unsorted: int | None = None
        self._check_qname = check_queryname
        self._last_name: bytes | None = None
        self.qname_lex_ok = True
        self.qname_natural_ok = True
        self.first_qname_unsorted: int | None = None

    def add(
        self,
        flag: IntArray,
        mapq: IntArray,
        tid: IntArray,
        pos: IntArray,
        mtid: IntArray,
        tlen: IntArray,
    ) -> None:
        """Add one batch; ``pos`` is 0-based (-1 for none), ``tid``/``mtid`` -1 for '*'."""
        n = len(flag)
        if n == 0:
            return
        first_record = self.records + 1
        self.records += n
        # Flagstat categories depend only on ten FLAG bits, whether the mate is on another
        # reference and whether MAPQ >= 5: count those 12-bit keys and derive the categories
        # once at the end, instead of counting sixteen masks per batch.
        key = _compact_flags(flag.astype(np.int64) & _FLAG_BITS)
        key |= (mtid != tid).astype(np.int64) << 10
        key |= (mapq >= 5).astype(np.int64) << 11
        self._keys += np.bincount(key, minlength=4096)
        unmapped = (flag & 0x4) != 0
        secondary = (flag & 0x100) != 0
        supplementary = ((flag & 0x800) != 0) & ~secondary
        primary = ~secondary & ~supplementary
        both_mapped = primary & ((flag & 0x1) != 0) & ~unmapped & ((flag & 0x8) == 0)
        primary_mapped = primary & ~unmapped
        self._mapq += np.bincount(mapq[primary_mapped], minlength=256)[:256]
        proper_first = (
            both_mapped & ((flag & 0x2) != 0) & ((flag & 0x40) != 0) & (mtid == tid) & (tlen != 0)
        )
        if proper_first.any():
            sizes = np.minimum(np.abs(tlen[proper_first].astype(np.int64)), _TLEN_CAP)
            self._tlen += np.bincount(sizes, minlength=_TLEN_CAP + 1)
        self._check_coordinate(tid, pos, first_record)

    def _check_coordinate(self, tid: IntArray, pos: IntArray, first_record: int) -> None:
        if not self.coordinate_sorted:
            return
        # Unplaced reads (tid -1) sort last: as unsigned their index is the largest possible.
        key = (tid.astype(np.uint64) & np.uint64(0xFFFFFFFF)) << np.uint64(32)
        key |= (pos.astype(np.int64) + 1).astype(np.uint64) & np.uint64(0xFFFFFFFF)
        if self._last_key is not None and int(key[0]) < self._last_key:
            self.coordinate_sorted = False
            self.first_unsorted = first_record
            return
        bad = np.flatnonzero(key[1:] < key[:-1])
        if len(bad):
            self.coordinate_sorted = False
            self.first_unsorted = first_record + int(bad[0]) + 1
            return
        self._last_key = int(key[-1])

    def add_names(self, names: list[bytes], first_record: int) -> None:
        """Check queryname order (lexicographic or natural, SAMv1 1.3) for a batch of QNAMEs."""
        if not self._check_qname or not names or self.first_qname_unsorted is not None:
            return
        previous = self._last_name
        for offset, name in enumerate(names):
            if previous is not None and name < previous:
                self.qname_lex_ok = False
                if self.qname_natural_ok and natural_key(name) < natural_key(previous):
                    self.qname_natural_ok = False
            elif (
                previous is not None
                and self.qname_natural_ok
                and not self.qname_lex_ok
                and natural_key(name) < natural_key(previous)
            ):
                self.qname_natural_ok = False
            if not self.qname_lex_ok and not self.qname_natural_ok:
                self.first_qname_unsorted = first_record + offset
                return
            previous = name
        self._last_name = previous

    def report_sort(self, report: ValidationReport) -> None:
        """Add findings when the header's sort order claim does not match the records."""
        if self.sort_order == "coordinate" and not self.coordinate_sorted:
            report.error(
                "sort_order_violated",
                "The header says the records are sorted by coordinate (@HD SO:coordinate), but "
                f"record {self.first_unsorted:,} comes before the record ahead of it.",
                hint="Sort the file with 'samtools sort', or correct the @HD SO tag.",
                record=self.first_unsorted,
            )
        if self.sort_order == "queryname" and self.first_qname_unsorted is not None:
            report.error(
                "sort_order_violated",
                "The header says the records are sorted by read name (@HD SO:queryname), but "
                f"record {self.first_qname_unsorted:,} is out of order (neither lexicographic "
                "nor natural order).",
                hint="Sort the file with 'samtools sort -n', or correct the @HD SO tag.",
                record=self.first_qname_unsorted,
            )

    def flagstat(self) -> dict[str, list[int]]:
        """The samtools flagstat categories as [QC-passed, QC-failed] counts."""
        keys = np.arange(4096)
        flag = _expand_flags(keys & 0x3FF)
        other_chr = (keys >> 10) & 1 == 1
        mapq5 = (keys >> 11) & 1 == 1
        fail = (flag & 0x200) != 0
        unmapped = (flag & 0x4) != 0
        mate_unmapped = (flag & 0x8) != 0
        secondary = (flag & 0x100) != 0
        supplementary = ((flag & 0x800) != 0) & ~secondary
        primary = ~secondary & ~supplementary
        paired = primary & ((flag & 0x1) != 0)
        duplicate = (flag & 0x400) != 0
        both_mapped = paired & ~unmapped & ~mate_unmapped
        diff_chr = both_mapped & other_chr
        masks = (
            np.ones(4096, dtype=bool),
            primary,
            secondary,
            supplementary,
            duplicate,
            primary & duplicate,
            ~unmapped,
            primary & ~unmapped,
            paired,
            paired & ((flag & 0x40) != 0),
            paired & ((flag & 0x80) != 0),
            paired & ((flag & 0x2) != 0) & ~unmapped,
            both_mapped,
            paired & mate_unmapped & ~unmapped,
            diff_chr,
            diff_chr & mapq5,
        )
        return {
            name: [int(self._keys[mask & ~fail].sum()), int(self._keys[mask & fail].sum())]
            for name, mask in zip(_CATEGORIES, masks, strict=True)
        }

    def to_dict(self) -> dict[str, Any]:
        """Return the metrics as the JSON-serialisable dict described in the module docstring."""
        flagstat = self.flagstat()
        total_mapq = int(self._mapq.sum())
        mapq = {
            "counts": {str(q): int(c) for q, c in enumerate(self._mapq) if c},
            "mean": (
                float((self._mapq * np.arange(256)).sum() / total_mapq) if total_mapq else None
            ),
        }
        sort: dict[str, Any] = {
            "claimed": self.sort_order,
            "coordinate_sorted": self.coordinate_sorted,
        }
        if self._check_qname:
            sort["queryname_sorted"] = self.first_qname_unsorted is None
        return {
            "flagstat": flagstat,
            "mapq": mapq,
            "insert_size": _histogram_summary(self._tlen),
            "sort": sort,
        }


def _histogram_summary(counts: IntArray) -> dict[str, Any]:
    total = int(counts.sum())
    if total == 0:
        return {"count": 0}
    values = np.arange(len(counts), dtype=np.float64)
    mean = float((counts * values).sum() / total)
    sd = float(np.sqrt(max(0.0, (counts * (values - mean) ** 2).sum() / total)))
    cumulative = np.cumsum(counts)

    def quantile(q: float) -> int:
        return int(np.searchsorted(cumulative, q * total, side="left"))

    p99 = max(quantile(0.99), 1)
    width = max(1, int(np.ceil((p99 + 1) / 100)))
    edges = len(counts) - len(counts) % width
    binned = counts[:edges].reshape(-1, width).sum(axis=1)
    last = int(np.max(np.flatnonzero(binned))) + 1 if binned.any() else 1
    tail = int(counts[edges:].sum()) + int(binned[last:].sum())
    histogram = [int(x) for x in binned[:last]]
    if tail:
        histogram.append(tail)
    return {
        "count": total,
        "mean": round(mean, 2),
        "sd": round(sd, 2),
        "median": quantile(0.5),
        "p05": quantile(0.05),
        "p95": quantile(0.95),
        "mode": int(np.argmax(counts)),
        "histogram": {"bin_width": width, "counts": histogram},
    }


def natural_key(name: bytes) -> tuple[Any, ...]:
    """Sort key for SAMv1 'natural' read-name order: digit runs compare as numbers.

    Numerically equal runs with more leading zeros come first, as the specification says.
    """
    parts: list[Any] = []
    i, n = 0, len(name)
    while i < n:
        c = name[i]
        if 48 <= c <= 57:
            j = i
            while j < n and 48 <= name[j] <= 57:
                j += 1
            run = name[i:j]
            # A run sorts like a single digit (code 48) against other characters, by value
            # against another run, and with more leading zeros first on a tie.
            parts.append((48, int(run), -len(run)))
            i = j
        else:
            parts.append((c, -1, 0))
            i += 1
    return tuple(parts)


def header_metrics(header: SamHeader, report: ValidationReport) -> None:
    """Put the header summary (``report.metrics["header"]``) and the build guess in ``report``."""
    report.metrics["header"] = {
        "version": header.version,
        "sort_order": header.sort_order,
        "sub_sort": header.sub_sort,
        "group_order": header.group_order,
        "references": len(header.refs),
        "reference_length": int(sum(max(0, n) for _, n in header.refs)),
        "reference_names": [name for name, _ in header.refs[:100]],
        "read_groups": [
            {
                "id": rg.get("ID"),
                "sample": rg.get("SM"),
                "library": rg.get("LB"),
                "platform": rg.get("PL"),
            }
            for rg in header.read_groups[:1000]
        ],
        "samples": header.samples,
        "programs": [pg.get("ID") for pg in header.programs[:100]],
    }
    report.metrics["build_guess"] = guess_build(
        [(n, ln if ln > 0 else None) for n, ln in header.refs],
        header_text=" ".join(f"{pg.get('CL', '')} {pg.get('PN', '')}" for pg in header.programs),
    )
