"""Shared state of the FASTQ parsers and the helpers that turn raw lines into read batches."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from genoflow_desktop.core.validation.fastq_messages import FindingLog
from genoflow_desktop.core.validation.fastq_metrics import (
    I64,
    MAX_POSITIONS,
    U8,
    MetricsAccumulator,
    ReadBatch,
)

if TYPE_CHECKING:
    from genoflow_desktop.core.validation.fastq_pairs import ReadIds

#: Padded read matrices are built for at most this many cells at a time, which bounds the
#: memory of a batch when a few long reads sit among many short ones.
BATCH_CELLS = 4 * 1024 * 1024


@dataclass(slots=True)
class ScanContext:
    """Where the parsers are in the file, and where their results go.

    ``records`` and ``lines`` count what is already behind the current buffer; ``offset`` is
    the decompressed offset of the current buffer's first byte.
    """

    log: FindingLog
    metrics: MetricsAccumulator
    ids: ReadIds | None = None
    records: int = 0
    lines: int = 0
    offset: int = 0
    stopped: bool = False
    crlf: bool = False


def gather_rows(a: U8, starts: I64, width: int) -> U8:
    """``(len(starts), width)`` copy of ``a[s:s + width]`` for each start, zero past the end.

    A sliding-window view costs nothing to make; indexing it with the starts copies just the
    requested rows in one C loop.
    """
    n = starts.size
    if width == 0 or n == 0:
        return np.zeros((n, width), dtype=np.uint8)
    limit = a.size - width
    if limit >= 0 and int(starts.max()) <= limit:
        return windows(a, width)[starts]
    out = np.zeros((n, width), dtype=np.uint8)
    inside = starts <= limit
    if inside.any():
        out[inside] = windows(a, width)[starts[inside]]
    outside = starts[~inside]
    low = int(outside.min())
    padded = np.zeros(a.size - low + width, dtype=np.uint8)
    padded[: a.size - low] = a[low:]
    out[~inside] = windows(padded, width)[outside - low]
    return out


def windows(a: U8, width: int) -> U8:
    """Every ``width``-byte window of ``a`` as rows of a read-only view (no copy).

    The same as numpy's ``sliding_window_view``, without its argument checking, which costs
    more than the indexing itself at thousands of calls per file.
    """
    return np.ndarray((a.size - width + 1, width), dtype=np.uint8, buffer=a, strides=(1, 1))


def batches_from_lines(
    buf: bytes, a: U8, seq_starts: I64, qual_starts: I64, lengths: I64, first_index: int
) -> list[tuple[int, ReadBatch]]:
    """Read batches for 4-line records, as ``(first row, batch)`` pairs in order."""
    n = lengths.size
    out: list[tuple[int, ReadBatch]] = []
    if n == 0:
        return out
    longest = int(lengths.max())
    step = max(1, BATCH_CELLS // max(1, min(longest, MAX_POSITIONS)))
    for lo in range(0, n, step):
        hi = min(n, lo + step)
        out.append(
            (
                lo,
                _batch(
                    buf, a, seq_starts[lo:hi], qual_starts[lo:hi], lengths[lo:hi], first_index + lo
                ),
            )
        )
    return out


def _batch(
    buf: bytes, a: U8, seq_starts: I64, qual_starts: I64, lengths: I64, first_index: int
) -> ReadBatch:
    longest, shortest = int(lengths.max()), int(lengths.min())
    width = min(longest, MAX_POSITIONS)
    seq = gather_rows(a, seq_starts, width)
    qual = gather_rows(a, qual_starts, width)
    padded = shortest < width
    if padded:
        valid = np.arange(width) < lengths[:, None]
        np.multiply(seq, valid, out=seq)
        np.multiply(qual, valid, out=qual)
    batch = ReadBatch(seq, qual, lengths, first_index, padded)
    if longest > width:
        rows = np.flatnonzero(lengths > width)
        # One slice per long read: each is at least MAX_POSITIONS bytes, so the per-read cost
        # is small next to the bytes copied.
        s0 = (seq_starts[rows] + width).tolist()
        q0 = (qual_starts[rows] + width).tolist()
        extra = (lengths[rows] - width).tolist()
        _set_tails(
            batch,
            rows,
            [buf[s : s + m] for s, m in zip(s0, extra, strict=True)],
            [buf[q : q + m] for q, m in zip(q0, extra, strict=True)],
        )
    return batch


def batch_from_records(seqs: list[bytes], quals: list[bytes], first_index: int) -> ReadBatch:
    """A read batch from already separated sequences and qualities (the slow parser's)."""
    lengths = np.fromiter(map(len, seqs), dtype=np.int64, count=len(seqs))
    width = min(int(lengths.max()) if seqs else 0, MAX_POSITIONS)
    seq = np.zeros((len(seqs), width), dtype=np.uint8)
    qual = np.zeros((len(seqs), width), dtype=np.uint8)
    for row, (s, q) in enumerate(zip(seqs, quals, strict=True)):
        seq[row, : min(len(s), width)] = np.frombuffer(s[:width], dtype=np.uint8)
        qual[row, : min(len(q), width)] = np.frombuffer(q[:width], dtype=np.uint8)
    batch = ReadBatch(seq, qual, lengths, first_index, bool((lengths < width).any()))
    rows = np.flatnonzero(lengths > width)
    if rows.size:
        _set_tails(batch, rows, [seqs[r][width:] for r in rows], [quals[r][width:] for r in rows])
    return batch


def _set_tails(batch: ReadBatch, rows: I64, seqs: list[bytes], quals: list[bytes]) -> None:
    sizes = np.fromiter(map(len, seqs), dtype=np.int64, count=len(seqs))
    batch.tail_seq = np.frombuffer(b"".join(seqs), dtype=np.uint8)
    batch.tail_qual = np.frombuffer(b"".join(quals), dtype=np.uint8)
    batch.tail_rows = rows.astype(np.int64)
    batch.tail_starts = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
