"""Inflating concatenated compressed members (gzip, BGZF, bzip2, xz), damage as findings.

Used by :mod:`text_stream`'s reader thread. An inflater takes raw blocks of the file in order
and hands each piece of output to a callback as soon as it exists, so that output never piles
up. When the data cannot be decoded any further it raises :class:`Broken` with a
:class:`StreamProblem` in plain words; :meth:`finish` reports what only the end can show
(truncation, a missing BGZF end-of-file marker, zero padding).
"""

from __future__ import annotations

import bz2
import lzma
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, cast

from isal import isal_zlib

from genoflow_desktop.core.domain import Compression, Severity

#: The 28-byte empty block that ends every BGZF file (SAMv1 §4.1.2).
BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")

_HINT_RECOPY = (
    "Copy or download the file again from the original and compare its MD5 checksum with the "
    "one from the sequencing provider."
)


@dataclass(frozen=True, slots=True)
class StreamProblem:
    """Damage to the container; ``offset`` is where the trustworthy decompressed data ends."""

    severity: Severity
    code: str
    message: str
    hint: str
    offset: int | None


class Broken(Exception):
    """Raised by an inflater when the compressed data cannot be decoded any further."""

    def __init__(self, problem: StreamProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


Emit = Callable[[bytes], None]


class _Decompressor(Protocol):
    """What zlib/isal ``decompressobj``, ``BZ2Decompressor`` and ``LZMADecompressor`` share."""

    @property
    def eof(self) -> bool: ...

    @property
    def unused_data(self) -> bytes: ...

    def decompress(self, data: bytes | memoryview, max_length: int, /) -> bytes: ...


class Inflater(Protocol):
    produced: int

    def feed(self, raw: bytes | memoryview, emit: Emit) -> None:
        """Inflates ``raw`` (valid only during the call) and emits the output."""

    def finish(self) -> list[StreamProblem]: ...


class _Plain:
    def __init__(self) -> None:
        self.produced = 0

    def feed(self, raw: bytes | memoryview, emit: Emit) -> None:
        self.produced += len(raw)
        emit(bytes(raw))  # a copy: the caller reuses its buffer

    def finish(self) -> list[StreamProblem]:
        return []


class _Members:
    """Inflates concatenated compressed members (RFC 1952 gzip, BGZF, bzip2 or xz streams).

    Args:
        kind: the name used in messages ("gzip", "BGZF", "bzip2", "xz").
        magic: bytes every member starts with.
        new: makes a decompressor for one member.
        piece: how much input to give the decompressor at once. When a member ends, the rest of
            the input is copied into ``unused_data``; small pieces keep that copy small for
            BGZF, whose members are at most 64 KiB.
        limit: the most output to take from one call, so that a tiny file that inflates to
            gigabytes (a "zip bomb", or just millions of identical reads) stays in memory bounds.
    """

    def __init__(
        self,
        kind: str,
        magic: bytes,
        new: Callable[[], _Decompressor],
        errors: tuple[type[BaseException], ...],
        *,
        piece: int,
        limit: int,
        bgzf: bool = False,
    ) -> None:
        self.kind, self._magic, self._new, self._errors = kind, magic, new, errors
        self._piece, self._limit, self._bgzf = piece, limit, bgzf
        self._d: _Decompressor | None = None
        self._carry = b""
        self._raw_base = 0  # file offset of the next byte fed
        self._member_start = 0
        self._member_out = 0
        self._last_member = (0, 0)  # (compressed size, decompressed size) of the last member
        self._zero_tail = False
        self.produced = 0
        self.members = 0

    def feed(self, raw: bytes | memoryview, emit: Emit) -> None:
        data = memoryview(self._carry + raw if self._carry else raw)
        base = self._raw_base - len(self._carry)
        self._carry = b""
        self._raw_base += len(raw)
        pos = 0
        while pos < len(data):
            if self._d is None:
                rest = data[pos:]
                if self._zero_tail or rest[0] == 0:
                    if bytes(rest).count(0) != len(rest):
                        raise Broken(self._garbage(base + pos))
                    self._zero_tail = True  # padding with zeros, as some tools write
                    return
                if len(rest) < len(self._magic):
                    self._carry = bytes(rest)
                    return
                if bytes(rest[: len(self._magic)]) != self._magic:
                    raise Broken(self._garbage(base + pos))
                self._d = self._new()
                self._member_start, self._member_out = base + pos, 0
            piece = data[pos : pos + self._piece]
            pos += len(piece) - self._inflate(piece, emit, base + pos)

    def _inflate(self, piece: memoryview, emit: Emit, at: int) -> int:
        """Feeds one piece; returns how many of its bytes belong to the next member."""
        d = self._d
        assert d is not None
        try:
            chunk = d.decompress(piece, self._limit)
            while True:
                if chunk:
                    self.produced += len(chunk)
                    self._member_out += len(chunk)
                    emit(chunk)
                if d.eof:
                    break
                more = getattr(d, "unconsumed_tail", b"")
                if more:
                    chunk = d.decompress(more, self._limit)
                elif len(chunk) >= self._limit or getattr(d, "needs_input", True) is False:
                    # The output limit was hit: the decompressor may hold more output for
                    # input it has already taken.
                    chunk = d.decompress(b"", self._limit)
                    if not chunk and not d.eof:
                        return 0
                else:
                    return 0
        except self._errors as exc:
            raise Broken(self._corrupt(exc, at + len(piece))) from None
        unused = len(d.unused_data)
        self.members += 1
        self._last_member = (at + len(piece) - unused - self._member_start, self._member_out)
        self._d = None
        return unused

    def _garbage(self, offset: int) -> StreamProblem:
        return StreamProblem(
            Severity.ERROR,
            "compression.trailing_garbage",
            f"The file contains data that is not {self.kind} at byte {offset:,}, after the end of "
            f"its compressed data ({self.produced:,} bytes decompressed so far). Two files may "
            "have been joined, or the file was damaged.",
            _HINT_RECOPY,
            self.produced,
        )

    def _corrupt(self, exc: BaseException, offset: int) -> StreamProblem:
        detail = str(exc)
        if "checksum" in detail.lower() or "crc" in detail.lower():
            what = f"its {self.kind} checksum (CRC32) does not match the decompressed data"
            code = "compression.crc"
        else:
            what = f"its {self.kind} data is corrupt and cannot be decompressed ({detail})"
            code = "compression.corrupt"
        return StreamProblem(
            Severity.ERROR,
            code,
            f"The compressed data is damaged: {what}. The damage lies between bytes "
            f"{self._member_start:,} and {offset:,} of the file.",
            _HINT_RECOPY,
            self.produced,
        )

    def finish(self) -> list[StreamProblem]:
        problems: list[StreamProblem] = []
        if self._d is not None or self._carry:
            problems.append(
                StreamProblem(
                    Severity.ERROR,
                    "compression.truncated",
                    f"The {self.kind} stream is truncated: the file ends at byte "
                    f"{self._raw_base:,}, in the middle of its compressed data (after "
                    f"{self.produced:,} bytes of decompressed data). It was probably cut short "
                    "by an interrupted copy or download.",
                    _HINT_RECOPY,
                    self.produced,
                )
            )
        elif self._bgzf and self._last_member != (len(BGZF_EOF), 0):
            problems.append(
                StreamProblem(
                    Severity.ERROR,
                    "compression.bgzf_eof",
                    "The BGZF end-of-file marker is missing: the file was probably cut short "
                    "at a block boundary, so reads at its end may be missing.",
                    _HINT_RECOPY,
                    self.produced,
                )
            )
        if self._zero_tail:
            problems.append(
                StreamProblem(
                    Severity.WARNING,
                    "compression.zero_padding",
                    f"The {self.kind} data is followed by zero bytes (padding). Most tools "
                    "ignore them, but some report the file as damaged.",
                    "Usually harmless; re-compress the file if a tool rejects it.",
                    self.produced,
                )
            )
        return problems


def make_inflater(compression: Compression, limit: int) -> Inflater:
    # The stubs type isal_zlib.error as an instance; it is in fact the IsalError class.
    isal_error = cast(type[BaseException], isal_zlib.error)
    if compression in (Compression.GZIP, Compression.BGZF):
        bgzf = compression is Compression.BGZF
        return _Members(
            "BGZF" if bgzf else "gzip",
            b"\x1f\x8b",
            lambda: isal_zlib.decompressobj(wbits=31),
            (isal_error, ValueError),
            # A 2 MiB piece of ordinary gzip inflates to about one chunk: handed on whole.
            piece=64 * 1024 if bgzf else 2 * 1024 * 1024,
            limit=limit,
            bgzf=bgzf,
        )
    if compression is Compression.BZIP2:
        return _Members(
            "bzip2",
            b"BZh",
            bz2.BZ2Decompressor,
            (OSError, EOFError, ValueError),
            piece=1024 * 1024,
            limit=limit,
        )
    if compression is Compression.XZ:
        return _Members(
            "xz",
            b"\xfd7zXZ\x00",
            lzma.LZMADecompressor,
            (lzma.LZMAError, EOFError, ValueError),
            piece=1024 * 1024,
            limit=limit,
        )
    if compression is Compression.NONE:
        return _Plain()
    raise ValueError(f"no decompressor for {compression}")
