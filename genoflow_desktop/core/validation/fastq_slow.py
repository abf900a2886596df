"""The careful FASTQ parser: line by line, for wrapped records and for locating errors.

It follows the rules of Biopython's ``FastqGeneralIterator``, which the corpus of Cock et al.
(2010) defines: a record is an '@' title, one or more sequence lines up to a line starting with
'+', then quality lines until there are at least as many quality characters as bases (so a
quality line may itself start with '@' or '+'). On top of that it tells the user exactly what
went wrong, where.

It runs only where the fast parser in :mod:`fastq_scan` could not: from the first record that
does not fit the 4-line shape to the end of that buffer. Its cost per record is Python's, which
is fine for wrapped files (rare, and small) and for broken ones.
"""

from __future__ import annotations

import re

from genoflow_desktop.core.domain import Severity
from genoflow_desktop.core.validation import fastq_messages as msg
from genoflow_desktop.core.validation.fastq_messages import SEQUENCE_ALPHABET, HeldLog
from genoflow_desktop.core.validation.fastq_records import ScanContext, batch_from_records

_BAD_SEQ = re.compile(b"[^" + re.escape(SEQUENCE_ALPHABET) + b"]")
_BAD_QUAL = re.compile(rb"[^!-~]")
_FLUSH_EVERY = 20_000  # records per metrics batch


def parse_slow(ctx: ScanContext, buf: bytes, pos: int, at_eof: bool) -> int:
    """Parses records from ``buf[pos:]``; returns where the first incomplete record begins.

    With ``at_eof`` (or once the structure is lost) it uses the whole buffer.
    """
    parser = _SlowParser(ctx, buf, at_eof)
    try:
        while not ctx.stopped:
            end = parser.record(pos)
            if end is None:
                break
            pos = end
    finally:
        parser.log.drop()  # findings of a record left for the next buffer
        parser.flush()
    return len(buf) if at_eof or ctx.stopped else pos


class _SlowParser:
    def __init__(self, ctx: ScanContext, buf: bytes, at_eof: bool) -> None:
        self.ctx, self.buf, self.at_eof = ctx, buf, at_eof
        self.log = HeldLog(ctx.log)
        self._cr_held = False
        self.names: list[bytes] = []
        self.seqs: list[bytes] = []
        self.quals: list[bytes] = []

    def _line(self, pos: int, index: int) -> tuple[bytes, int] | None:
        """The line at ``pos`` (the ``index``-th of the record) without its line break, and
        where the next one starts; None when it is not complete in this buffer."""
        buf = self.buf
        if pos >= len(buf):
            return None
        end = buf.find(b"\n", pos)
        if end < 0:
            if not self.at_eof:
                return None
            end = len(buf)
        text = buf[pos:end]
        if text.endswith(b"\r"):
            text = text[:-1]
            if not self.ctx.crlf and not self._cr_held:
                self._cr_held = True
                where = {"line": self.ctx.lines + index + 1, "offset": self.ctx.offset + end - 1}
                msg.crlf(self.log, **where)
        return text, end + 1

    def _where(self, lines: int, pos: int) -> dict[str, int]:
        """Location of line ``lines`` (0-based within the current record) starting at ``pos``."""
        ctx = self.ctx
        return {
            "record": ctx.records + 1,
            "line": ctx.lines + lines + 1,
            "offset": ctx.offset + pos,
        }

    def _commit(self, lines: int, name: bytes | None) -> None:
        ctx = self.ctx
        self.log.release()
        if self._cr_held:
            ctx.crlf, self._cr_held = True, False
        if name is not None:
            ctx.records += 1
            self.names.append(name)
        ctx.lines += lines
        if len(self.names) >= _FLUSH_EVERY:
            self.flush()

    def record(self, pos: int) -> int | None:
        """Parses one record at ``pos``; returns the position after it, or None to stop.

        Findings go to a held log: they are released when the record is committed and dropped
        when the record turns out to continue in the next buffer.
        """
        ctx, log = self.ctx, self.log
        log.drop()
        self._cr_held = False
        got = self._line(pos, 0)
        if got is None:
            return None
        text, p = got
        if not text:
            log.warning(
                "fastq.blank_line",
                "The file contains an empty line where a record should start.",
                "Empty lines are not part of the FASTQ format; most tools skip them, some fail.",
                **self._where(0, pos),
            )
            self._commit(1, None)
            return p
        if text[:1] != b"@":
            msg.not_a_record_start(log, text, **self._where(0, pos))
            self._commit(0, None)
            ctx.stopped = True
            return None
        name, title_pos = text[1:], pos
        if not name:
            msg.unnamed(log, **self._where(0, pos))
        parts: list[tuple[bytes, int]] = []  # (line, its offset) for each sequence line
        lines = 1
        while True:
            got = self._line(p, lines)
            if got is None:
                if not self.at_eof:
                    return None
                missing = (
                    "its '+' line and qualities are missing"
                    if parts
                    else ("its sequence, '+' line and qualities are missing")
                )
                msg.truncated(log, name, missing, **self._where(lines, p))
                self._commit(lines, name)
                return None
            text, nxt = got
            if text[:1] == b"+":
                break
            if text[:1] == b"@":
                msg.missing_plus(log, name, **self._where(0, title_pos))
                self._commit(lines, name)
                return p
            parts.append((text, p))
            lines, p = lines + 1, nxt
        plus, plus_pos = text[1:], p
        if (
            plus
            and plus != name
            and not (name.startswith(plus) and name[len(plus) : len(plus) + 1] in (b" ", b"\t"))
        ):
            msg.plus_mismatch(log, name, plus, **self._where(lines, plus_pos))
        lines, p = lines + 1, nxt
        seq = b"".join(part for part, _ in parts)
        quals: list[tuple[bytes, int]] = []
        have = 0
        while True:
            # Complete: as many quality characters as bases, and for an empty read its (empty)
            # quality line. What follows a complete record belongs to the next one, whether
            # or not it is in this buffer.
            complete = have >= len(seq) and bool(quals or seq)
            got = self._line(p, lines)
            if got is None:
                if not self.at_eof and not complete:
                    return None  # the rest of the record is in the next buffer
                if have < len(seq):
                    missing = (
                        f"its quality string has only {have:,} of {len(seq):,} characters"
                        if quals
                        else "its quality line is missing"
                    )
                    msg.truncated(log, name, missing, **self._where(lines, p))
                    self._commit(lines, name)
                    return None
                break
            text, nxt = got
            if text[:1] == b"@":
                if have >= len(seq):
                    break
                if have + len(text) > len(seq):
                    # Biopython would read this line as more quality and then fail on the
                    # length anyway; taking it as the next title gives the clearer message.
                    at = quals[-1][1] if quals else plus_pos
                    msg.length_mismatch(log, name, len(seq), have, **self._where(lines - 1, at))
                    self._commit(lines, name)
                    return p
            elif complete:
                # Biopython would read on as quality (and fail on the length unless the line
                # is blank). Ending the record here lets the next one report a blank line or
                # "expected '@'", as it would if this line fell into the next buffer.
                break
            quals.append((text, p))
            have += len(text)
            lines, p = lines + 1, nxt
        qual = b"".join(part for part, _ in quals)
        if len(qual) != len(seq):
            where = self._where(lines - 1, quals[-1][1])
            msg.length_mismatch(log, name, len(seq), len(qual), **where)
        else:
            self._check_content(name, seq, parts, qual, quals)
            self.seqs.append(seq)
            self.quals.append(qual)
        self._commit(lines, name)
        return p

    def _check_content(
        self,
        name: bytes,
        seq: bytes,
        parts: list[tuple[bytes, int]],
        qual: bytes,
        quals: list[tuple[bytes, int]],
    ) -> None:
        """Finds the first bad base and quality character; lines count from the title (0)."""
        log = self.log
        for text, lines, pattern, code, report, line0 in (
            (seq, parts, _BAD_SEQ, "fastq.sequence_character", msg.bad_base, 1),
            (qual, quals, _BAD_QUAL, "fastq.quality_character", msg.bad_quality, len(parts) + 2),
        ):
            found = pattern.search(text)
            if found is None:
                continue
            if not log.wants(code):
                log.count_dropped(code, Severity.ERROR, 1)
                continue
            col = found.start()
            # Which wrapped line holds the bad character?
            before = 0
            for index, (part, start) in enumerate(lines):
                if col < before + len(part):
                    where = self._where(line0 + index, start + col - before)
                    break
                before += len(part)
            else:  # unreachable: col is inside text
                where = self._where(line0, lines[0][1])
            report(log, name, text[col], col, **where)

    def flush(self) -> None:
        ctx = self.ctx
        if self.seqs:
            ctx.metrics.add(batch_from_records(self.seqs, self.quals, ctx.metrics.reads))
        if ctx.ids is not None and self.names:
            ctx.ids.add_names(self.names)
        self.names, self.seqs, self.quals = [], [], []
