"""FASTQ quality-control metrics, accumulated batch by batch with whole-array operations.

The parsers hand over reads as a :class:`ReadBatch`: the first ``W`` bases and qualities of
``n`` reads as two ``(n, W)`` byte matrices (zero-padded when reads differ in length), plus
the bases beyond column ``W`` of reads longer than :data:`MAX_POSITIONS`. Everything here is a
numpy operation over those matrices, never a Python loop over reads, so the cost per base is a
few nanoseconds and the memory is fixed.

Which metrics are exact and which are sampled is part of the contract (documented in
``fastq.py``): counts, lengths, base composition, mean qualities (overall and per position)
and Q20/Q30 cover every read; per-read mean qualities, per-position quality histograms and
base composition (the FastQC-style boxes) and adapter content are computed on every
``sample_every``-th read, because those 2-D histograms and searches would otherwise cost
more than all the exact checks together.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

from genoflow_desktop.core.validation import fastq_summary as summary
from genoflow_desktop.core.validation.fastq_messages import (
    QUALITY_MAX,
    QUALITY_MIN,
    SEQUENCE_ALPHABET,
)

#: Per-position metrics cover the first this many cycles (longer reads still count in totals).
MAX_POSITIONS = 1000
#: Reads in the duplication sample (FastQC also looks at the first 100,000 sequences).
DUPLICATION_SAMPLE = 100_000
#: FastQC's adapter list: the first 12 bases of each adapter.
ADAPTERS: dict[str, bytes] = {
    "illumina_universal": b"AGATCGGAAGAG",
    "nextera": b"CTGTCTCTTATA",
    "illumina_small_rna_3p": b"TGGAATTCTCGG",
}
_ADAPTER_LEN = 12
_ADAPTER_ROWS = np.array([np.frombuffer(a, dtype=np.uint8) for a in ADAPTERS.values()])
_ADAPTER_KEYS = [np.uint32(int.from_bytes(a[:4], "little")) for a in ADAPTERS.values()]
_SAMPLE_GROUP = 32_768  # sampled reads processed together
_LEN_EXACT = 1 << 16  # read lengths below this are counted exactly, longer ones in 1 kb bins
_QBINS = 128  # raw quality byte values 0..127
_ACGTN = np.frombuffer(b"ACGTN", dtype=np.uint8)
#: True for the bytes allowed in a sequence, as a lookup table.
ALLOWED_BASES = np.zeros(256, dtype=bool)
ALLOWED_BASES[np.frombuffer(SEQUENCE_ALPHABET, dtype=np.uint8)] = True

U8 = NDArray[np.uint8]
I64 = NDArray[np.int64]


@dataclass(slots=True)
class ReadBatch:
    """Consecutive reads in the shape the metrics need.

    Attributes:
        seq: ``(n, W)`` first ``W`` bases of each read; zero beyond a read's end.
        qual: ``(n, W)`` matching quality bytes, zero-padded the same way.
        lengths: ``(n,)`` full read lengths.
        first_index: 0-based number of the first read in the file; rows are consecutive.
        padded: whether some reads are shorter than ``W`` (so zero padding is present).
        tail_seq, tail_qual: bases/qualities beyond column ``W`` of reads longer than ``W``,
            concatenated; empty when no read is longer.
        tail_rows: the row of each tail piece; ``tail_starts`` where each piece begins.
    """

    seq: U8
    qual: U8
    lengths: I64
    first_index: int
    padded: bool
    tail_seq: U8 | None = None
    tail_qual: U8 | None = None
    tail_rows: I64 | None = None
    tail_starts: I64 | None = None

    @property
    def valid(self) -> NDArray[np.bool_]:
        """``(n, W)`` mask of the cells that hold real bases (False in the padding)."""
        width = self.seq.shape[1]
        return np.arange(width) < np.minimum(self.lengths, width)[:, None]


class Scratch:
    """A reusable boolean buffer for the masks of compare-and-count passes.

    A fresh multi-megabyte temporary per comparison would be mapped, page-faulted and zeroed
    by the kernel every time; one buffer reused for all of them costs that once.
    """

    def __init__(self) -> None:
        self._buffer = np.zeros(0, dtype=bool)

    def like(self, array: NDArray[Any]) -> NDArray[np.bool_]:
        if self._buffer.size < array.size:
            self._buffer = np.zeros(array.size + (array.size >> 3), dtype=bool)
        return self._buffer[: array.size].reshape(array.shape)

    def count(self, func: np.ufunc, array: NDArray[Any], value: int) -> int:
        """``np.count_nonzero(func(array, value))`` without a new temporary."""
        out = self.like(array)
        func(array, value, out=out)
        return int(np.count_nonzero(out))


@dataclass(frozen=True, slots=True)
class _SampleRows:
    seq: U8
    qual: U8
    lengths: I64
    tail_sums: I64 | None
    plain: bool


@dataclass(frozen=True, slots=True)
class BatchFlags:
    """What the accumulator noticed that the parser must locate and report."""

    bad_bases: bool
    bad_qualities: bool


class MetricsAccumulator:
    """Sums everything the report needs over all batches; :meth:`finish` turns it into JSON."""

    def __init__(self, sample_every: int = 1) -> None:
        self.sample_every = max(1, sample_every)
        self.reads = 0
        self.bases = 0
        self.min_length = 0
        self.max_length = 0
        self._len_exact = np.zeros(_LEN_EXACT, dtype=np.int64)
        self._len_kb: dict[int, int] = {}
        self._base_hist = np.zeros(256, dtype=np.int64)
        self.qmin = 255
        self.qmax = -1
        self._qual_sum = 0
        # Bases at or above raw quality 53/63 (Phred+33 Q20/Q30) and 84/94 (Phred+64).
        self._q_at_least = {53: 0, 63: 0, 84: 0, 94: 0}
        self._pos_qual_sum = np.zeros(MAX_POSITIONS, dtype=np.int64)
        self._pos_qual_hist = np.zeros((MAX_POSITIONS, _QBINS), dtype=np.int64)
        self._pos_base_hist = np.zeros((MAX_POSITIONS, 256), dtype=np.int64)
        self._sampled = 0
        self.scratch = Scratch()
        self._pending: list[_SampleRows] = []
        self._pending_rows = 0
        self._read_qual_hist = np.zeros(_QBINS, dtype=np.int64)
        self._dup_rows: list[U8] = []
        self._dup_taken = 0
        self._adapter_first = {name: np.zeros(MAX_POSITIONS, np.int64) for name in ADAPTERS}

    # --- accumulation ------------------------------------------------------------------------

    def add(self, batch: ReadBatch) -> BatchFlags:
        seq, lengths = batch.seq, batch.lengths
        n, width = seq.shape
        if n == 0:
            return BatchFlags(False, False)
        total = int(lengths.sum())
        shortest, longest = int(lengths.min()), int(lengths.max())
        self.min_length = shortest if self.reads == 0 else min(self.min_length, shortest)
        self.max_length = max(self.max_length, longest)
        self.reads += n
        self.bases += total
        self._add_lengths(lengths, None if batch.padded or batch.tail_seq is not None else width)
        valid = batch.valid if batch.padded else None
        plain, bad_bases = self._add_bases(batch, total)
        bad_quals, tail_sums = self._add_qualities(batch, valid)
        self._add_sample(batch, plain, tail_sums)
        self._add_duplication_sample(seq, lengths)
        return BatchFlags(bad_bases, bad_quals)

    def _add_lengths(self, lengths: I64, fixed: int | None) -> None:
        if fixed is not None:
            self._len_exact[fixed] += lengths.size
            return
        values, counts = np.unique(lengths, return_counts=True)
        small = values < _LEN_EXACT
        self._len_exact[values[small]] += counts[small]
        for value, count in zip(values[~small].tolist(), counts[~small].tolist(), strict=True):
            self._len_kb[value // 1024] = self._len_kb.get(value // 1024, 0) + count

    def _add_bases(self, batch: ReadBatch, total: int) -> tuple[bool, bool]:
        """Counts the bases; returns (only uppercase A/C/G/T/N seen, some byte not allowed)."""
        arrays = [batch.seq] if batch.tail_seq is None else [batch.seq, batch.tail_seq]
        # Five compare-and-count passes cost far less than a 256-way histogram, and they are
        # enough whenever the reads hold only A, C, G, T and N (nearly always).
        count = self.scratch.count
        counts = np.array([sum(count(np.equal, a, c) for a in arrays) for c in _ACGTN])
        if int(counts.sum()) == total:
            self._base_hist[_ACGTN] += counts
            return True, False
        hist = sum(np.bincount(a.ravel(), minlength=256) for a in arrays)
        assert isinstance(hist, np.ndarray)
        hist[0] -= batch.seq.size - int(np.minimum(batch.lengths, batch.seq.shape[1]).sum())
        self._base_hist += hist
        return False, bool(hist[~ALLOWED_BASES].any())

    def _add_qualities(
        self, batch: ReadBatch, valid: NDArray[np.bool_] | None
    ) -> tuple[bool, I64 | None]:
        """Quality range, sums and Q20/Q30 counts; returns (a character out of range, the
        per-read quality sums beyond column W for long reads or None)."""
        qual = batch.qual
        n, width = qual.shape
        if qual.size:
            if valid is None:
                qmin, qmax = int(qual.min()), int(qual.max())
            else:
                qmin = int(qual.min(initial=255, where=valid))
                qmax = int(qual.max(initial=0, where=valid))
            thresholds = [53, 63] + ([84, 94] if qmin >= 59 else [])
            for t in thresholds:
                self._q_at_least[t] += self.scratch.count(np.greater_equal, qual, t)
            columns = qual.sum(axis=0, dtype=np.uint32)
            self._pos_qual_sum[:width] += columns
            self._qual_sum += int(columns.sum())
        else:
            qmin, qmax, thresholds = 255, -1, [53, 63]
        tail = batch.tail_qual
        tail_sums = None
        if tail is not None and tail.size:
            assert batch.tail_rows is not None and batch.tail_starts is not None
            qmin, qmax = min(qmin, int(tail.min())), max(qmax, int(tail.max()))
            for t in thresholds:
                self._q_at_least[t] += self.scratch.count(np.greater_equal, tail, t)
            tail_sums = np.zeros(n, dtype=np.int64)
            tail_sums[batch.tail_rows] = np.add.reduceat(tail, batch.tail_starts, dtype=np.int64)
            self._qual_sum += int(tail_sums.sum())
        self.qmin, self.qmax = min(self.qmin, qmin), max(self.qmax, qmax)
        return qmin < QUALITY_MIN or qmax > QUALITY_MAX, tail_sums

    def _add_sample(self, batch: ReadBatch, plain: bool, tail_sums: I64 | None) -> None:
        """Sets aside every ``sample_every``-th read for the sampled metrics.

        The rows are copied (so the batch can be freed) and processed in groups of at least
        :data:`_SAMPLE_GROUP` reads: each numpy call has a fixed cost, and a group amortises it
        over many more rows than one buffer's share of the sample.
        """
        width = batch.seq.shape[1]
        phase = (-batch.first_index) % self.sample_every
        step = self.sample_every
        rows = _SampleRows(
            np.ascontiguousarray(batch.seq[phase::step]),
            np.ascontiguousarray(batch.qual[phase::step]),
            batch.lengths[phase::step].copy(),
            tail_sums[phase::step].copy() if tail_sums is not None else None,
            plain,
        )
        if self._pending and self._pending[0].seq.shape[1] != width:
            self._flush_sample()
        self._pending.append(rows)
        self._pending_rows += rows.lengths.size
        if self._pending_rows >= _SAMPLE_GROUP:
            self._flush_sample()

    def _flush_sample(self) -> None:
        """Per-read mean qualities, per-position histograms and adapter hits of the sample."""
        if not self._pending:
            return
        group, self._pending, self._pending_rows = self._pending, [], 0
        if len(group) == 1:
            ss, qs, full = group[0].seq, group[0].qual, group[0].lengths
        else:
            ss = np.concatenate([g.seq for g in group])
            qs = np.concatenate([g.qual for g in group])
            full = np.concatenate([g.lengths for g in group])
        width = ss.shape[1]
        self._sampled += full.size
        # uint16 sums cannot overflow for rows of up to 520 qualities of at most 126.
        sums = qs.sum(axis=1, dtype=np.uint16 if width <= 520 else np.uint32).astype(np.int64)
        if any(g.tail_sums is not None for g in group):
            sums += np.concatenate(
                [
                    g.tail_sums if g.tail_sums is not None else np.zeros(g.lengths.size, np.int64)
                    for g in group
                ]
            )
        has_quals = full > 0
        means = sums[has_quals] // full[has_quals]
        self._read_qual_hist += np.bincount(np.minimum(means, _QBINS - 1), minlength=_QBINS)
        if width == 0 or full.size == 0:
            return
        lengths = np.minimum(full, width)
        self._pos_qual_hist[:width] += _position_histogram(qs, _QBINS)
        if all(g.plain for g in group):
            # Only A, C, G, T, N: (byte >> 1) & 7 maps them to 0, 1, 3, 2, 7, and an 8-bin
            # histogram costs far less than a 256-bin one. Padding (0) lands on A's code.
            codes = _position_histogram(np.bitwise_and(ss >> 1, 7, dtype=np.uint8), 8)
            codes[:, 0] -= np.cumsum(np.bincount(lengths, minlength=width + 1))[:width]
            self._pos_base_hist[:width, _ACGTN] += codes[:, [0, 1, 3, 2, 7]]
        else:
            self._pos_base_hist[:width] += _position_histogram(ss, 256)
        if width >= _ADAPTER_LEN:
            self._add_adapters(ss.ravel(), width, lengths)

    def _add_duplication_sample(self, seq: U8, lengths: I64) -> None:
        take = min(DUPLICATION_SAMPLE - self._dup_taken, seq.shape[0])
        if take <= 0:
            return
        # FastQC's rule: reads longer than 75 bp are compared on their first 50 bases.
        rows = np.zeros((take, 75), dtype=np.uint8)
        width = min(75, seq.shape[1])
        rows[:, :width] = seq[:take, :width]
        rows[lengths[:take] > 75, 50:] = 0
        self._dup_rows.append(rows)
        self._dup_taken += take

    def _add_adapters(self, flat: U8, width: int, lengths: I64) -> None:
        """Finds where each adapter first starts in each read (rows of ``width`` bytes).

        A byte-string search costs about a nanosecond per base per adapter. Instead, every
        position's next four bytes are read as one uint32 (four aligned copies, one per
        offset modulo 4) and compared with the adapters' first four bases at once; the few
        candidates left (about 3 in 256 positions) are then checked on all 12 bases.
        """
        size = flat.size
        found = []
        for shift in range(4):
            words = (size - shift) // 4
            if words <= 0:
                continue
            u = np.frombuffer(flat[shift : shift + 4 * words].tobytes(), dtype="<u4")
            hit = u == _ADAPTER_KEYS[0]
            for key in _ADAPTER_KEYS[1:]:
                hit |= u == key
            found.append(shift + 4 * np.flatnonzero(hit))
        starts = np.sort(np.concatenate(found)) if found else np.zeros(0, np.int64)
        starts = starts[starts <= size - _ADAPTER_LEN]
        if starts.size == 0:
            return
        windows = sliding_window_view(flat, _ADAPTER_LEN)[starts]
        for (name, _), pattern in zip(ADAPTERS.items(), _ADAPTER_ROWS, strict=True):
            at = starts[(windows == pattern).all(axis=1)]
            rows, cols = np.divmod(at, width)
            inside = cols + _ADAPTER_LEN <= lengths[rows]
            rows, cols = rows[inside], cols[inside]
            first = np.ones(rows.size, dtype=bool)
            first[1:] = rows[1:] != rows[:-1]
            self._adapter_first[name] += np.bincount(cols[first], minlength=MAX_POSITIONS)

    # --- the report ---------------------------------------------------------------------------

    def encoding(self) -> tuple[str, int, bool]:
        """Guesses the quality encoding from the range of quality characters seen.

        Returns:
            ``(name, offset, ambiguous)``. Phred+33 ("sanger", also Illumina 1.8+) uses
            characters from '!'; Solexa from ';' (59); Illumina 1.3-1.7 (Phred+64) from '@' (64).
            When no character below '@' occurs but none above 'K' either, the file fits both
            Phred+33 and Phred+64; we then say Phred+33, today's norm, and flag it ambiguous.
        """
        if self.qmax < 0:
            return "unknown", 33, False
        if self.qmin < 59:
            return "sanger", 33, False
        if self.qmax <= ord("K"):
            return "sanger", 33, True
        if self.qmin < 64:
            return "solexa", 64, False
        return "illumina-1.3", 64, False

    def finish(self) -> dict[str, Any]:
        """The metrics as a JSON-serialisable dict (documented in ``fastq.py``)."""
        self._flush_sample()
        name, offset, ambiguous = self.encoding()
        hist = self._base_hist
        upper = {chr(c): int(hist[c] + hist[c + 32]) for c in b"ACGTUN"}
        acgt = upper["A"] + upper["C"] + upper["G"] + upper["T"] + upper["U"]
        nq = self.bases if self.qmax >= 0 else 0
        q20, q30 = (53, 63) if offset == 33 else (84, 94)
        # Reads longer than p, for p = 0, 1, ...: how many reads reach each position.
        reach = self.reads - np.cumsum(self._len_exact[:MAX_POSITIONS])
        return {
            "reads": self.reads,
            "bases": self.bases,
            **summary.lengths(
                self._len_exact, self._len_kb, self.min_length, self.max_length, self.bases
            ),
            "gc_percent": summary.pct(upper["G"] + upper["C"], acgt),
            "n_percent": summary.pct(upper["N"], self.bases),
            "base_counts": {
                **{k: v for k, v in upper.items() if k != "U" or v},
                "other": self.bases - sum(upper.values()),
            },
            "quality_encoding": name,
            "quality_offset": offset,
            "quality_encoding_ambiguous": ambiguous,
            "quality_char_range": [chr(self.qmin), chr(self.qmax)] if self.qmax >= 0 else None,
            "mean_quality": round(self._qual_sum / nq - offset, 3) if nq else None,
            "q20_percent": summary.pct(self._q_at_least[q20], nq),
            "q30_percent": summary.pct(self._q_at_least[q30], nq),
            "per_read_mean_quality": summary.nonzero_pairs(self._read_qual_hist, -offset),
            "per_position": summary.positions(
                reach,
                self._pos_qual_sum,
                self._pos_qual_hist,
                self._pos_base_hist,
                offset,
                (self.qmin, self.qmax),
                self.sample_every,
                self._sampled,
            ),
            "duplication": summary.duplication(self._dup_rows),
            "adapter_content": summary.adapters(
                reach, self._adapter_first, ADAPTERS, self.sample_every, self._sampled
            ),
        }


def _position_histogram(sample: U8, bins: int) -> I64:
    """``(width, bins)`` counts of each value at each column, from one bincount."""
    width = sample.shape[1]
    key_type = np.uint16 if width * bins <= 1 << 16 else np.uint32
    keys: NDArray[Any] = sample.astype(key_type)
    keys += np.arange(0, width * bins, bins, dtype=key_type)
    return np.bincount(keys.ravel(), minlength=width * bins).reshape(width, bins)
