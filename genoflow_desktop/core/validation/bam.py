"""BAM header and records (SAMv1 section 4.2), read from the decompressed BGZF stream.

The only per-record Python work is finding where each record starts (a record begins with its
own length, so the offsets form a chain that cannot be split up front); everything else runs in
numpy over a whole chunk at once: the 36 fixed bytes of every record are gathered into one
structured array, and read names and CIGAR operations are gathered as ragged arrays. Checks per
record: read-name length and terminating NUL, the declared size against the sizes of its parts,
reference indices within the header's list, positions within range, read-name characters,
CIGAR operation codes, and the CIGAR query length against the sequence length.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from genoflow_desktop.core.errors import Cancelled
from genoflow_desktop.core.progress import CancelToken
from genoflow_desktop.core.validation.align_metrics import AlignmentMetrics
from genoflow_desktop.core.validation.bgzf import yield_gil
from genoflow_desktop.core.validation.report import ValidationReport
from genoflow_desktop.core.validation.sam_header import SamHeader, parse_sam_header

_I32 = struct.Struct("<i")
_FIXED = np.dtype(
    [
        ("bs", "<i4"),
        ("tid", "<i4"),
        ("pos", "<i4"),
        ("lrn", "u1"),
        ("mapq", "u1"),
        ("bin", "<u2"),
        ("ncig", "<u2"),
        ("flag", "<u2"),
        ("lseq", "<i4"),
        ("mtid", "<i4"),
        ("mpos", "<i4"),
        ("tlen", "<i4"),
    ]
)
#: Records larger than this are treated as damage (ultra-long reads stay far below it).
MAX_RECORD = 256 * 1024 * 1024
_QUERY_OPS = np.array([1, 1, 0, 0, 1, 0, 0, 1, 1] + [0] * 7, dtype=np.int64)  # M I D N S H P = X
_NAMES_FULL = 50_000
_YIELD_EVERY = 2048
_HINT_BAM = "Regenerate the BAM file with samtools; if it was copied, copy it again."


class BamFormatError(Exception):
    """The stream cannot be read as BAM from this point on (message is for the user)."""


@dataclass(slots=True)
class _Issue:
    count: int = 0
    first: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class BamHeaderInfo:
    """What the BAM binary header says: SAM text, reference list, parsed header and byte size."""

    text: str
    refs: list[tuple[str, int]]
    header: SamHeader
    size: int


def parse_bam_header(data: bytes) -> BamHeaderInfo | None:
    """Parse the BAM header at the start of ``data``; None when more bytes are needed.

    Raises:
        BamFormatError: The bytes are not a BAM header.
    """
    if len(data) < 4:
        return None
    if data[:4] != b"BAM\x01":
        raise BamFormatError(
            f"The data does not start with the BAM magic 'BAM\\1' (found {data[:4]!r})."
        )
    if len(data) < 12:
        return None
    l_text = _I32.unpack_from(data, 4)[0]
    if l_text < 0 or l_text > MAX_RECORD:
        raise BamFormatError(f"The BAM header declares an impossible text length ({l_text:,}).")
    pos = 8 + l_text
    if len(data) < pos + 4:
        return None
    n_ref = _I32.unpack_from(data, pos)[0]
    if n_ref < 0 or n_ref > 50_000_000:
        raise BamFormatError(
            f"The BAM header declares an impossible number of references ({n_ref:,})."
        )
    pos += 4
    refs: list[tuple[str, int]] = []
    for index in range(n_ref):
        if len(data) < pos + 4:
            return None
        l_name = _I32.unpack_from(data, pos)[0]
        if l_name < 1 or l_name > 65536:
            raise BamFormatError(
                f"Reference {index + 1} in the BAM header has an impossible name length."
            )
        if len(data) < pos + 4 + l_name + 4:
            return None
        name_bytes = data[pos + 4 : pos + 4 + l_name]
        if name_bytes[-1] != 0:
            raise BamFormatError(
                f"The name of reference {index + 1} in the BAM header is not NUL-terminated."
            )
        length = _I32.unpack_from(data, pos + 4 + l_name)[0]
        if length < 0:
            raise BamFormatError(f"Reference {index + 1} in the BAM header has a negative length.")
        refs.append((name_bytes[:-1].decode("utf-8", "replace"), length))
        pos += 4 + l_name + 4
    text = data[8 : 8 + l_text].rstrip(b"\x00").decode("utf-8", "replace")
    return BamHeaderInfo(text=text, refs=refs, header=SamHeader(), size=pos)


class BamRecordReader:
    """Validates the records of a BAM stream chunk by chunk and feeds the metrics."""

    def __init__(
        self,
        report: ValidationReport,
        refs: list[tuple[str, int]],
        metrics: AlignmentMetrics,
        *,
        want_names: bool,
    ) -> None:
        self.report = report
        self.metrics = metrics
        self.n_ref = len(refs)
        self.ref_lengths = np.array([length for _, length in refs] + [0], dtype=np.int64)
        self.records = 0
        self._want_names = want_names
        self._issues: dict[str, _Issue] = {}
        self._carry = b""
        self._carry_offset = 0
        self._stopped = False
        self._pos_warned = False
        self._chunks = 0

    def feed(self, data: bytes, offset: int) -> None:
        """Process decompressed bytes starting at stream ``offset`` (after the header)."""
        if self._stopped:
            return
        start = 0
        if self._carry:
            # Complete the record that straddles the previous chunk on its own, instead of
            # copying the carried bytes in front of the whole new chunk.
            carry = self._carry
            if len(carry) < 4:
                carry += data[: 4 - len(carry)]
                start = 4 - len(self._carry)
            size = _I32.unpack_from(carry, 0)[0]
            if size < 32 or size > MAX_RECORD:
                self._fatal_size(self._carry_offset)
                return
            missing = 4 + size - len(carry)
            if missing > len(data) - start:
                self._carry = carry + data[start:]
                return
            record = carry + data[start : start + missing]
            self._check(record, [0], self._carry_offset)
            start += missing
            self._carry = b""
        offsets, end, bad = _scan(data, start)
        if offsets:
            self._check(data, offsets, offset)
        if bad is not None:
            self._fatal_size(offset + bad)
            return
        self._carry = data[end:]
        self._carry_offset = offset + end

    def _fatal_size(self, offset: int) -> None:
        self._fatal(
            "bam_record_size",
            f"Record {self.records + 1:,} declares an impossible size; the data after byte "
            f"{offset:,} of the decompressed stream cannot be read as BAM records.",
            record=self.records + 1,
            offset=offset,
        )

    def finish(self, *, truncated: bool = True) -> None:
        """Report what is left over (unless the stream itself was damaged) and counted issues."""
        if self._carry and not self._stopped and truncated:
            self._fatal(
                "bam_truncated_record",
                f"The last alignment record (record {self.records + 1:,}) is cut short: the data "
                f"ends {len(self._carry):,} bytes into it.",
                record=self.records + 1,
                offset=self._carry_offset,
            )
        for code, issue in self._issues.items():
            first = dict(issue.first)
            message = first.pop("message")
            if issue.count > 1:
                message += f" ({issue.count:,} records have this problem.)"
            self.report.error(code, message, hint=_HINT_BAM, **first)

    def _fatal(self, code: str, message: str, **where: Any) -> None:
        self._stopped = True
        self.report.error(code, message, hint=_HINT_BAM, **where)

    def _issue(
        self,
        code: str,
        mask: npt.NDArray[np.bool_],
        message: str,
        offsets: npt.NDArray[np.int64],
        base: int,
    ) -> None:
        count = int(np.count_nonzero(mask))
        if not count:
            return
        issue = self._issues.setdefault(code, _Issue())
        if not issue.count:
            index = int(np.flatnonzero(mask)[0])
            record = self.records + index + 1
            issue.first = {
                "message": f"Record {record:,}: {message}",
                "record": record,
                "offset": base + int(offsets[index]),
            }
        issue.count += count

    def _check(self, data: bytes, offsets_list: list[int], base: int) -> None:
        a = np.frombuffer(data, dtype=np.uint8)
        o = np.asarray(offsets_list, dtype=np.int64)
        rec = _gather(a, o)
        # Native widths where they suffice; int64 only where sums or comparisons need room.
        bs = rec["bs"].astype(np.int64)
        lrn = rec["lrn"].astype(np.int64)
        ncig = rec["ncig"].astype(np.int64)
        lseq = rec["lseq"].astype(np.int64)
        tid = rec["tid"]
        mtid = rec["mtid"]
        pos = rec["pos"]
        mpos = rec["mpos"]
        flag = rec["flag"]
        mapq = rec["mapq"]
        tlen = rec["tlen"]

        needed = 32 + lrn + 4 * ncig + (lseq + 1) // 2 + lseq
        size_ok = (lrn >= 1) & (lseq >= 0) & (needed <= bs)
        self._issue(
            "bam_record_layout",
            ~size_ok,
            "its parts (read name, CIGAR, sequence, qualities) do not fit in its declared size.",
            o,
            base,
        )
        name_end = np.where(size_ok, o + 35 + lrn, o + 4)
        nul_ok = ~size_ok | (a[name_end] == 0)
        self._issue("bam_read_name", ~nul_ok, "the read name is not NUL-terminated.", o, base)
        good = size_ok & nul_ok
        self._issue(
            "bam_reference_index",
            good & ((tid < -1) | (tid >= self.n_ref) | (mtid < -1) | (mtid >= self.n_ref)),
            f"it refers to a reference number outside the header's {self.n_ref:,} references.",
            o,
            base,
        )
        self._issue(
            "bam_position",
            good & ((pos < -1) | (pos >= 2**31 - 1) | (mpos < -1) | (mpos >= 2**31 - 1)),
            "its position or mate position is outside [0, 2^31-1].",
            o,
            base,
        )
        # Read-name characters and CIGAR/sequence agreement are writer-level properties
        # (htslib also checks the CIGAR when it decodes): check the first 50,000 records and
        # every 100th chunk (about 1 %) after that, which keeps large files fast.
        if good.any() and (self.records < _NAMES_FULL or self._chunks % 100 == 0):
            self._check_names(a, o, lrn, good, base)
            self._check_cigar(a, o, lrn, ncig, lseq, good, base)
        self._chunks += 1
        placed = good & (tid >= 0) & (tid < self.n_ref)
        if not self._pos_warned and placed.any():
            beyond = (
                placed
                & (self.ref_lengths[np.where(placed, tid, self.n_ref)] > 0)
                & (pos >= self.ref_lengths[np.where(placed, tid, self.n_ref)])
            )
            if beyond.any():
                self._pos_warned = True
                index = int(np.flatnonzero(beyond)[0])
                self.report.warning(
                    "bam_pos_beyond_reference",
                    f"Record {self.records + index + 1:,} starts beyond the end of its reference.",
                    hint="Check that the header matches the reference the reads were aligned to.",
                    record=self.records + index + 1,
                )
        first = self.records + 1
        self.records += len(o)
        keep = good
        if not keep.all():
            flag, mapq, tid, pos, mtid, tlen = (x[keep] for x in (flag, mapq, tid, pos, mtid, tlen))
        self.metrics.add(flag, mapq, tid, pos, mtid, tlen)
        if self._want_names:
            names = [
                data[s + 36 : s + 35 + n] for s, n in zip(o.tolist(), lrn.tolist(), strict=True)
            ]
            self.metrics.add_names(names, first)

    def _check_names(
        self,
        a: npt.NDArray[np.uint8],
        o: npt.NDArray[np.int64],
        lrn: npt.NDArray[np.int64],
        good: npt.NDArray[np.bool_],
        base: int,
    ) -> None:
        lengths = np.where(good, lrn - 1, 0)
        chars = a[_ragged(o + 36, lengths)]
        bad_char = (chars < 33) | (chars > 126) | (chars == 64)
        if bad_char.any():
            owner = np.repeat(np.arange(len(o)), lengths)
            bad = np.zeros(len(o), dtype=bool)
            bad[owner[bad_char]] = True
            self._issue(
                "bam_read_name",
                bad,
                "the read name contains '@', a space or a control character.",
                o,
                base,
            )
        self._issue(
            "bam_read_name",
            good & (lrn - 1 > 254),
            "the read name is longer than 254 characters.",
            o,
            base,
        )

    def _check_cigar(
        self,
        a: npt.NDArray[np.uint8],
        o: npt.NDArray[np.int64],
        lrn: npt.NDArray[np.int64],
        ncig: npt.NDArray[np.int64],
        lseq: npt.NDArray[np.int64],
        good: npt.NDArray[np.bool_],
        base: int,
    ) -> None:
        counts = np.where(good, ncig, 0)
        if not counts.any():
            return
        starts = _ragged(o + 36 + lrn, counts * 4)[::4]
        words = (
            a[starts].astype(np.int64)
            | (a[starts + 1].astype(np.int64) << 8)
            | (a[starts + 2].astype(np.int64) << 16)
            | (a[starts + 3].astype(np.int64) << 24)
        )
        ops = words & 0xF
        owner = np.repeat(np.arange(len(o)), counts)
        bad_op = np.zeros(len(o), dtype=bool)
        bad_op[owner[ops > 8]] = True
        self._issue("bam_cigar", bad_op, "its CIGAR has an unknown operation code.", o, base)
        query = np.bincount(owner, weights=(words >> 4) * _QUERY_OPS[ops], minlength=len(o))
        mismatch = (counts > 0) & (lseq > 0) & ~bad_op & (query.astype(np.int64) != lseq)
        self._issue(
            "bam_cigar",
            mismatch,
            "its CIGAR query length differs from its sequence length.",
            o,
            base,
        )


def _gather(a: npt.NDArray[np.uint8], o: npt.NDArray[np.int64]) -> npt.NDArray[np.void]:
    """The 36 fixed bytes of every record as one structured array.

    A sliding-window view over the buffer (no copy) indexed by record offsets copies each
    record's 36 bytes as one row, several times faster than gathering byte by byte.
    """
    return sliding_window_view(a, 36)[o].view(_FIXED).reshape(-1)


def _scan(data: bytes, start: int = 0) -> tuple[list[int], int, int | None]:
    """Offsets of the complete records in ``data`` from ``start`` on, where the incomplete rest
    starts, and the offset of an impossible record size (None when all sizes are plausible)."""
    offsets: list[int] = []
    append = offsets.append
    unpack = _I32.unpack_from
    p, n = start, len(data)
    countdown = _YIELD_EVERY
    while p + 4 <= n:
        size = unpack(data, p)[0]
        if size < 32 or size > MAX_RECORD:
            return offsets, p, p
        q = p + 4 + size
        if q > n:
            break
        append(p)
        p = q
        countdown -= 1
        if not countdown:
            countdown = _YIELD_EVERY
            yield_gil()  # let the inflate worker continue (see bgzf.DecodedStream)
    return offsets, p, None


def _ragged(starts: npt.NDArray[np.int64], lengths: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Concatenated index ranges [start, start + length) for every pair, in order."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(lengths)
    index = np.arange(total, dtype=np.int64)
    index += np.repeat(starts - (ends - lengths), lengths)
    return index


def read_bam(
    chunks: Iterable[bytes],
    report: ValidationReport,
    *,
    cancel: CancelToken | None = None,
    on_chunk: Callable[[int], None] | None = None,
    damaged: Callable[[], bool] = lambda: False,
) -> tuple[BamHeaderInfo | None, AlignmentMetrics | None, int]:
    """Validate a decompressed BAM stream; returns header info, metrics and the record count."""
    pending = b""
    info: BamHeaderInfo | None = None
    reader: BamRecordReader | None = None
    metrics: AlignmentMetrics | None = None
    offset = 0
    for chunk in chunks:
        if cancel is not None and cancel.cancelled:
            raise Cancelled("cancelled by the user")
        if info is None:
            pending += chunk
            try:
                info = parse_bam_header(pending)
            except BamFormatError as exc:
                report.error("bam_header", str(exc), hint=_HINT_BAM, offset=0)
                return None, None, 0
            if info is None:
                continue
            info.header = parse_sam_header(info.text, report, where="BAM header text")
            _compare_refs(info, report)
            metrics = AlignmentMetrics(
                info.header.sort_order, check_queryname=info.header.sort_order == "queryname"
            )
            reader = BamRecordReader(
                report, info.refs, metrics, want_names=info.header.sort_order == "queryname"
            )
            chunk = pending[info.size :]
            offset = info.size
            pending = b""
        assert reader is not None
        reader.feed(chunk, offset)
        offset += len(chunk)
        if on_chunk is not None:
            on_chunk(reader.records)
    if info is None:
        if not damaged():
            report.error(
                "bam_header",
                "The data ends inside the BAM header."
                if pending
                else "The file holds no BAM data.",
                hint="The file is incomplete or empty; copy it again from the original source.",
                offset=len(pending),
            )
        return None, None, 0
    assert reader is not None and metrics is not None
    reader.finish(truncated=not damaged())
    return info, metrics, reader.records


def _compare_refs(info: BamHeaderInfo, report: ValidationReport) -> None:
    text_refs = info.header.refs
    if not text_refs:
        return
    if [(n, ln) for n, ln in text_refs] != info.refs:
        report.error(
            "bam_header_refs",
            f"The header text lists {len(text_refs):,} @SQ references that do not match the "
            f"{len(info.refs):,} references of the binary reference list.",
            hint="Rewrite the header with 'samtools reheader' so both lists agree.",
        )
