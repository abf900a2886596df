"""The fast FASTQ parser: whole buffers of 4-line records checked with array operations.

Nearly every FASTQ file in the wild has exactly four lines per record. For a buffer of
decompressed text this module finds all newlines at once (``np.flatnonzero``), groups them
four by four and checks every record's framing with a handful of vectorised comparisons: the
title starts with '@', the third line with '+', and the quality is as long as the sequence.
The bases and qualities are then gathered into matrices for the metrics, which also reveal any
bad character in a few passes. Python only runs per buffer, not per record.

The first record whose framing does not fit (a wrapped record, a truncated one, or a real
error) hands the rest of the buffer to :mod:`fastq_slow`, which follows Biopython's rules line
by line and says precisely what is wrong. Records before it were checked here; if they all
fit the 4-line shape, the two parsers agree on where records begin.
"""

from __future__ import annotations

import numpy as np

from genoflow_desktop.core.domain import Severity
from genoflow_desktop.core.validation import fastq_messages as msg
from genoflow_desktop.core.validation.fastq_messages import QUALITY_MAX, QUALITY_MIN
from genoflow_desktop.core.validation.fastq_metrics import ALLOWED_BASES, I64, U8, ReadBatch
from genoflow_desktop.core.validation.fastq_records import (
    ScanContext,
    batches_from_lines,
    gather_rows,
)
from genoflow_desktop.core.validation.fastq_slow import parse_slow

_AT, _PLUS, _CR, _LF, _SPACE, _TAB = 64, 43, 13, 10, 32, 9
_BAD_BASE = ~ALLOWED_BASES


class FastqScanner:
    """Feeds buffers of decompressed FASTQ text through the fast and slow parsers."""

    def __init__(self, ctx: ScanContext) -> None:
        self.ctx = ctx

    def feed(self, buf: bytes, at_eof: bool, start: int = 0) -> int:
        """Checks the complete records of ``buf[start:]``, which begins with a record.

        ``ctx.offset`` is the stream offset of ``buf[0]`` on entry, and of ``buf[end]`` on
        return.

        Returns:
            ``end``: where the unused rest begins; the caller keeps that rest (an incomplete
            last record) and passes it again in front of the next buffer. With ``at_eof`` all
            of ``buf`` is used.
        """
        ctx = self.ctx
        if ctx.stopped:
            return len(buf)
        if len(buf) <= start:
            ctx.offset += len(buf)
            return len(buf)
        a = np.frombuffer(buf, dtype=np.uint8)
        body = a[start:]
        is_lf = ctx.metrics.scratch.like(body)
        np.equal(body, _LF, out=is_lf)
        nl = np.flatnonzero(is_lf)
        if start:
            nl += start
        if at_eof and buf[-1] != _LF:
            nl = np.append(nl, len(buf))  # the last line lacks a newline: it ends at EOF
        n = nl.size // 4
        pos = start
        fitting = 0
        if n:
            ends = nl[: 4 * n].reshape(n, 4)
            flat_starts = np.empty(4 * n, dtype=nl.dtype)
            flat_starts[0] = start
            np.add(nl[: 4 * n - 1], 1, out=flat_starts[1:])
            starts = flat_starts.reshape(n, 4)
            fitting, eff, first_cr = self._framing(buf, a, starts, ends)
            if 0 <= first_cr < 4 * fitting and not ctx.crlf:
                ctx.crlf = True
                msg.crlf(
                    ctx.log,
                    line=ctx.lines + first_cr + 1,
                    offset=ctx.offset + int(ends.flat[first_cr]) - 1,
                )
            if fitting:
                self._fast(buf, a, starts[:fitting], eff[:fitting])
                pos = min(int(ends[fitting - 1, 3]) + 1, len(buf))
        if fitting < n or at_eof:
            pos = parse_slow(ctx, buf, pos, at_eof)
        ctx.offset += pos
        return pos

    def _framing(self, buf: bytes, a: U8, starts: I64, ends: I64) -> tuple[int, I64, int]:
        """How many leading records fit the 4-line shape, the line ends without any '\\r',
        and the index of the first line that ended in '\\r' (-1 if none)."""
        first_cr, eff = -1, ends
        if b"\r" in buf:  # a memchr: far cheaper than looking at the end of every line
            cr = (a[ends - 1] == _CR) & (ends > starts)
            if cr.any():
                first_cr = int(np.argmax(cr))
                eff = ends - cr
        # Every line listed here ends in a newline (or at EOF) and starts before it, so
        # indexing the first bytes stays inside the buffer.
        first = a[starts.ravel()].reshape(starts.shape)  # contiguous indices gather fastest
        ok = (first[:, 0] == _AT) & (ends[:, 0] > starts[:, 0])
        ok &= (first[:, 2] == _PLUS) & (ends[:, 2] > starts[:, 2])
        # A second line starting with '@' or '+' is a title or separator to the line-by-line
        # parser (Biopython's rule), never a sequence: let that parser decide.
        ok &= (first[:, 1] != _AT) & (first[:, 1] != _PLUS)
        ok &= (eff[:, 1] - starts[:, 1]) == (eff[:, 3] - starts[:, 3])
        fitting = ok.size if ok.all() else int(np.argmin(ok))
        return fitting, eff, first_cr

    def _fast(self, buf: bytes, a: U8, starts: I64, eff: I64) -> None:
        ctx = self.ctx
        k = starts.shape[0]
        title0, title1 = starts[:, 0] + 1, eff[:, 0]
        unnamed = np.flatnonzero(title1 == title0)
        for row in unnamed[:10].tolist():
            msg.unnamed(
                ctx.log,
                record=ctx.records + row + 1,
                line=ctx.lines + 4 * row + 1,
                offset=ctx.offset + int(starts[row, 0]),
            )
        ctx.log.count_dropped("fastq.unnamed", Severity.WARNING, max(0, unnamed.size - 10))
        named = np.flatnonzero(eff[:, 2] - starts[:, 2] > 1)
        if named.size:
            self._check_plus_names(buf, a, starts, eff, named, title0, title1)
        if ctx.ids is not None:
            ctx.ids.add_titles(a, title0, title1)
        lengths = (eff[:, 1] - starts[:, 1]).astype(np.int64)
        for lo, batch in batches_from_lines(
            buf, a, starts[:, 1], starts[:, 3], lengths, ctx.metrics.reads
        ):
            flags = ctx.metrics.add(batch)
            if flags.bad_bases:
                self._report_bad(buf, batch, starts[lo:], title0[lo:], title1[lo:], lo, 1)
            if flags.bad_qualities:
                self._report_bad(buf, batch, starts[lo:], title0[lo:], title1[lo:], lo, 3)
        ctx.records += k
        ctx.lines += 4 * k

    def _check_plus_names(
        self, buf: bytes, a: U8, starts: I64, eff: I64, named: I64, title0: I64, title1: I64
    ) -> None:
        """The '+' line may repeat the title (all of it, or just the read id before a space)."""
        t0, t_len = title0[named], (title1 - title0)[named]
        p0 = starts[named, 2] + 1
        p_len = eff[named, 2] - p0
        width = int(p_len.max())
        titles = gather_rows(a, t0, width)
        pluses = gather_rows(a, p0, width)
        inside = np.arange(width) < p_len[:, None]
        same = ~((titles != pluses) & inside).any(axis=1) & (p_len <= t_len)
        # A shorter repeat must stop where the title's id stops: at a space or tab.
        after = a[np.minimum(t0 + p_len, a.size - 1)]
        same &= (p_len == t_len) | (after == _SPACE) | (after == _TAB)
        bad = named[~same]
        ctx = self.ctx
        for row in bad[:10].tolist():
            msg.plus_mismatch(
                ctx.log,
                buf[int(title0[row]) : int(title1[row])],
                buf[int(starts[row, 2]) + 1 : int(eff[row, 2])],
                record=ctx.records + row + 1,
                line=ctx.lines + 4 * row + 3,
                offset=ctx.offset + int(starts[row, 2]),
            )
        ctx.log.count_dropped("fastq.plus_name", Severity.ERROR, max(0, bad.size - 10))

    def _report_bad(
        self,
        buf: bytes,
        batch: ReadBatch,
        starts: I64,
        title0: I64,
        title1: I64,
        lo: int,
        line_in_record: int,
    ) -> None:
        """Locates the first bad base (line 1) or quality character (line 3) of each read."""
        ctx = self.ctx
        quality = line_in_record == 3
        head = batch.qual if quality else batch.seq
        width = head.shape[1]
        bad = (head < QUALITY_MIN) | (head > QUALITY_MAX) if quality else _BAD_BASE[head]
        if batch.padded:
            bad &= batch.valid
        rows_head = np.flatnonzero(bad.any(axis=1))
        cols_head = np.argmax(bad[rows_head], axis=1) if rows_head.size else rows_head
        rows, cols = rows_head, cols_head
        tail = batch.tail_qual if quality else batch.tail_seq
        if tail is not None and batch.tail_rows is not None and batch.tail_starts is not None:
            tail_bad = (tail < QUALITY_MIN) | (tail > QUALITY_MAX) if quality else _BAD_BASE[tail]
            where = np.flatnonzero(tail_bad)
            piece = np.searchsorted(batch.tail_starts, where, side="right") - 1
            t_rows = batch.tail_rows[piece]
            t_cols = width + where - batch.tail_starts[piece]
            fresh = ~np.isin(t_rows, rows_head)
            rows = np.concatenate((rows, t_rows[fresh]))
            cols = np.concatenate((cols, t_cols[fresh]))
            rows, first = np.unique(rows, return_index=True)
            cols = cols[first]
        code = "fastq.quality_character" if quality else "fastq.sequence_character"
        report = msg.bad_quality if quality else msg.bad_base
        for row, col in zip(rows[:10].tolist(), cols[:10].tolist(), strict=True):
            start = int(starts[row, line_in_record])
            report(
                ctx.log,
                buf[int(title0[row]) : int(title1[row])],
                buf[start + col],
                col,
                record=ctx.records + lo + row + 1,
                line=ctx.lines + 4 * (lo + row) + line_in_record + 1,
                offset=ctx.offset + start + col,
            )
        ctx.log.count_dropped(code, Severity.ERROR, max(0, rows.size - 10))
