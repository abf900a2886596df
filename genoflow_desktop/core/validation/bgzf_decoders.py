"""The containers a sequencing file can come in: BGZF walked block by block, gzip, bzip2 and xz
decoded as streams, or plain bytes passed through.

The decoders feed :class:`~genoflow_desktop.core.validation.bgzf.DecodedStream`: they hand
decompressed data to ``stream._emit`` and damage to ``stream._damage`` (with the byte offset of
the bad block in the file).
"""

from __future__ import annotations

import bz2
import lzma
import zlib
from typing import TYPE_CHECKING, Any

from isal import isal_zlib

from genoflow_desktop.core.domain import Compression

if TYPE_CHECKING:
    from genoflow_desktop.core.validation.bgzf import DecodedStream

READ_SIZE = 4 * 1024 * 1024
_MAX_PIECE = 16 * 1024 * 1024
_PIECE = 4 * 1024 * 1024
#: The empty block every BGZF file must end with (SAMv1 section 4.1.2).
BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")
_BGZF_MAGIC = b"\x1f\x8b\x08\x04"

_HINT_DAMAGED = (
    "The file is damaged. Copy or download it again from the original source and compare "
    "its checksum with the one the source publishes."
)
_HINT_TRUNCATED = (
    "The file is incomplete, usually from an interrupted copy or download. Copy it again "
    "from the original source."
)


def sniff_compression(head: bytes) -> Compression:
    """The container format of a file, judged from its first bytes (at least 18 of them)."""
    if head.startswith(b"\x1f\x8b"):
        return Compression.BGZF if is_bgzf_header(head) else Compression.GZIP
    if head.startswith(b"BZh"):
        return Compression.BZIP2
    if head.startswith(b"\xfd7zXZ\x00"):
        return Compression.XZ
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        return Compression.ZSTD
    return Compression.NONE


def is_bgzf_header(head: bytes | memoryview) -> bool:
    """Whether ``head`` starts with a gzip member header carrying the BGZF ``BC`` subfield."""
    if len(head) < 18 or bytes(head[:4]) != _BGZF_MAGIC:
        return False
    xlen = int.from_bytes(head[10:12], "little")
    return _bgzf_block_size(head, xlen) is not None


def _bgzf_block_size(head: bytes | memoryview, xlen: int) -> int | None:
    """BSIZE + 1 from the ``BC`` extra subfield, or None when there is no such subfield."""
    pos, end = 12, 12 + xlen
    if len(head) < end:
        return None
    while pos + 4 <= end:
        slen = head[pos + 2] | (head[pos + 3] << 8)
        if head[pos] == 66 and head[pos + 1] == 67 and slen == 2 and pos + 6 <= end:
            return (head[pos + 4] | (head[pos + 5] << 8)) + 1
        pos += 4 + slen
    return None


def make_decoder(stream: DecodedStream) -> _Decoder | None:
    """Return the decoder for ``stream``, or None when it passes bytes through undecoded."""
    return _SniffingDecoder(stream) if stream._decode else None


class _Decoder:
    def feed(self, chunk: bytes) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class _SniffingDecoder(_Decoder):
    """Waits for enough bytes to recognise the container, then delegates."""

    def __init__(self, stream: DecodedStream) -> None:
        self._stream = stream
        self._head = b""
        self._inner: _Decoder | None = None

    def feed(self, chunk: bytes) -> None:
        if self._inner is None:
            self._head += chunk
            if len(self._head) < 64:
                return
            chunk, self._head = self._head, b""
            self._choose(chunk)
        assert self._inner is not None
        self._inner.feed(chunk)

    def close(self) -> None:
        if self._inner is None:
            chunk, self._head = self._head, b""
            self._choose(chunk)
            assert self._inner is not None
            if chunk:
                self._inner.feed(chunk)
        self._inner.close()

    def _choose(self, head: bytes) -> None:
        kind = sniff_compression(head)
        self._stream.facts.compression = kind
        if kind is Compression.BGZF:
            self._inner = _BgzfDecoder(self._stream)
        elif kind in (Compression.GZIP, Compression.BZIP2, Compression.XZ):
            self._inner = _StreamDecoder(self._stream, kind)
        elif kind is Compression.ZSTD:
            self._stream._damage(
                "unsupported_compression",
                "The file is compressed with Zstandard, which cannot be read here.",
                "Decompress it (zstd -d) and compress it again with bgzip.",
                0,
            )
            self._inner = _NullDecoder()
        else:
            self._inner = _PlainDecoder(self._stream)


class _NullDecoder(_Decoder):
    def feed(self, chunk: bytes) -> None:
        pass

    def close(self) -> None:
        pass


class _PlainDecoder(_Decoder):
    def __init__(self, stream: DecodedStream) -> None:
        self._stream = stream

    def feed(self, chunk: bytes) -> None:
        self._stream._emit(chunk)

    def close(self) -> None:
        pass


class _BgzfDecoder(_Decoder):
    """Walks BGZF blocks, checking each header, CRC-32 and length; inflates with ISA-L."""

    def __init__(self, stream: DecodedStream) -> None:
        self._stream = stream
        self._carry = b""
        self._carry_offset = 0  # file offset of the first byte of ``_carry``
        self._last_block = b""

    def feed(self, chunk: bytes) -> None:
        stream = self._stream
        data = self._carry + chunk if self._carry else chunk
        base = self._carry_offset
        view = memoryview(data)
        pos, end = 0, len(data)
        out: list[bytes] = []
        pending = 0
        decompress, crc32 = isal_zlib.decompress, isal_zlib.crc32
        while pos + 18 <= end:
            if data[pos : pos + 4] != _BGZF_MAGIC:
                self._bad_header(base + pos, data[pos : pos + 4])
                return
            xlen = data[pos + 10] | (data[pos + 11] << 8)
            if pos + 12 + xlen > end:
                break
            size = _bgzf_block_size(view[pos:], xlen)
            if size is None or size < 12 + xlen + 8:
                self._bad_header(base + pos, data[pos : pos + 4])
                return
            if pos + size > end:
                break
            block = view[pos : pos + size]
            trailer = pos + size - 8
            expected_crc = int.from_bytes(data[trailer : trailer + 4], "little")
            expected_len = int.from_bytes(data[trailer + 4 : trailer + 8], "little")
            try:
                inflated = decompress(block[12 + xlen : size - 8], -15, max(expected_len, 1))
            except Exception:  # isal raises IsalError for any damaged deflate stream
                stream._damage(
                    "bgzf_corrupt",
                    f"The compressed data in the block starting at byte {base + pos:,} is damaged "
                    "and cannot be decompressed.",
                    _HINT_DAMAGED,
                    base + pos,
                )
                return
            if len(inflated) != expected_len or crc32(inflated) != expected_crc:
                stream._damage(
                    "bgzf_crc",
                    f"The block starting at byte {base + pos:,} fails its CRC-32 check: its "
                    "content changed after it was written.",
                    _HINT_DAMAGED,
                    base + pos,
                )
                return
            stream.facts.blocks += 1
            if inflated:
                out.append(inflated)
                pending += len(inflated)
                if pending >= _PIECE:
                    # Moderate pieces keep the consumer's buffers reusable (big fresh
                    # allocations cost page faults) and memory flat.
                    stream._emit(b"".join(out))
                    out, pending = [], 0
            pos += size
        self._last_block = bytes(view[max(0, pos - 28) : pos]) if pos else self._last_block
        self._carry = data[pos:]
        self._carry_offset = base + pos
        if out:
            stream._emit(b"".join(out))

    def close(self) -> None:
        stream = self._stream
        if stream.facts.damaged:
            return
        if self._carry:
            stream._damage(
                "bgzf_truncated",
                f"The file ends in the middle of a compressed block (the last "
                f"{len(self._carry):,} bytes from byte {self._carry_offset:,} are an incomplete "
                "block).",
                _HINT_TRUNCATED,
                self._carry_offset,
            )
            return
        stream.facts.eof_marker = self._last_block == BGZF_EOF

    def _bad_header(self, offset: int, magic: bytes) -> None:
        if magic[:2] == b"\x1f\x8b":
            message = (
                f"The gzip member starting at byte {offset:,} is not a BGZF block (it has no "
                "BGZF block-size field)."
            )
            hint = "Recompress the data with bgzip (or samtools/bcftools), not gzip."
        else:
            message = (
                f"Unexpected bytes at byte {offset:,} where the next compressed block should "
                "start: the file is damaged or has data appended to it."
            )
            hint = _HINT_DAMAGED
        self._stream._damage("bgzf_bad_block", message, hint, offset)


class _StreamDecoder(_Decoder):
    """gzip (any number of members), bzip2 or xz as a continuous stream."""

    def __init__(self, stream: DecodedStream, kind: Compression) -> None:
        self._stream = stream
        self._kind = kind
        self._offset = 0
        self._new()

    def _new(self) -> None:
        if self._kind is Compression.GZIP:
            self._obj: Any = zlib.decompressobj(31)
        elif self._kind is Compression.BZIP2:
            self._obj = bz2.BZ2Decompressor()
        else:
            self._obj = lzma.LZMADecompressor()

    def feed(self, chunk: bytes) -> None:
        stream = self._stream
        data = chunk
        while not stream.facts.damaged:
            try:
                # Bounded output per call keeps memory constant even for data that expands
                # enormously (a zip bomb, or a file of zeros).
                piece = self._obj.decompress(data, _MAX_PIECE)
            except (zlib.error, OSError, EOFError, lzma.LZMAError) as exc:
                stream._damage(
                    "compressed_stream_corrupt",
                    f"The {self._kind.value} data near byte {self._offset:,} is damaged ({exc}).",
                    _HINT_DAMAGED,
                    self._offset,
                )
                return
            stream._emit(piece)
            if self._is_eof():
                data = self._unused()
                if not data or not data.lstrip(b"\x00"):
                    break  # end, or zero padding after the last member (harmless)
                self._new()
                continue
            if self._kind is Compression.GZIP:
                data = bytes(self._obj.unconsumed_tail)
                if not data and len(piece) < _MAX_PIECE:
                    break
            else:
                if self._obj.needs_input:
                    break
                data = b""
        self._offset = stream.raw_done

    def _is_eof(self) -> bool:
        return bool(getattr(self._obj, "eof", False))

    def _unused(self) -> bytes:
        return bytes(getattr(self._obj, "unused_data", b""))

    def close(self) -> None:
        if self._stream.facts.damaged:
            return
        if self._kind is Compression.GZIP:
            tail = self._obj.flush()
            if tail:
                self._stream._emit(tail)
        if not self._is_eof():
            self._stream._damage(
                "compressed_stream_truncated",
                f"The {self._kind.value} data stops before its end marker: the file was cut short.",
                _HINT_TRUNCATED,
                self._stream.facts.size,
            )


def bgzf_eof_message(kind: str) -> tuple[str, str]:
    """Message and hint for a BGZF file whose EOF marker block is missing."""
    return (
        f"The {kind} file does not end with the BGZF end-of-file marker, so it was most likely "
        "cut short (samtools reports this as 'EOF marker is absent').",
        _HINT_TRUNCATED,
    )
