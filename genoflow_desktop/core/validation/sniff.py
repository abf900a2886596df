"""What a file really is, judged from its first bytes, never from its name alone.

:func:`sniff` reads at most :data:`HEAD_BYTES` from disk and inflates at most
:data:`CONTENT_BYTES` of the first compressed member, so it is cheap enough to run on every
dropped file. It recognises the compression (gzip, BGZF = gzip whose header carries the 'BC'
extra subfield, bzip2, xz, zstd) and then the format of the content: BAM, CRAM and BCF by their
magic numbers, VCF and SAM by their header lines (or SAM's 11 tab-separated columns), FASTQ by
the shape of its first record, FASTA by its '>'. When the file name suggests another format or
compression, :attr:`SniffResult.extension_mismatch` says so in plain words.
"""

from __future__ import annotations

import bz2
import lzma
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Protocol, cast

from isal import isal_zlib

from genoflow_desktop.core.domain import Compression, FileFormat

HEAD_BYTES = 64 * 1024
CONTENT_BYTES = 16 * 1024

_FORMAT_EXTENSIONS: dict[str, str] = {
    ".fastq": "fastq",
    ".fq": "fastq",
    ".sam": "sam",
    ".bam": "bam",
    ".cram": "cram",
    ".vcf": "vcf",
    ".bcf": "bcf",
    ".fa": "fasta",
    ".fasta": "fasta",
    ".fna": "fasta",
    ".fas": "fasta",
}
_COMPRESSION_EXTENSIONS: dict[str, Compression] = {
    ".gz": Compression.GZIP,
    ".gzip": Compression.GZIP,
    ".bgz": Compression.BGZF,
    ".bgzf": Compression.BGZF,
    ".bz2": Compression.BZIP2,
    ".xz": Compression.XZ,
    ".zst": Compression.ZSTD,
    ".zstd": Compression.ZSTD,
}
_NAMES = {
    "fastq": "FASTQ",
    "fasta": "FASTA",
    "sam": "SAM",
    "bam": "BAM",
    "cram": "CRAM",
    "vcf": "VCF",
    "bcf": "BCF",
}
_COMPRESSION_NAMES = {
    Compression.NONE: "not compressed",
    Compression.GZIP: "gzip",
    Compression.BGZF: "BGZF",
    Compression.BZIP2: "bzip2",
    Compression.XZ: "xz",
    Compression.ZSTD: "Zstandard",
}
_SAM_HEADER = re.compile(rb"@(HD|SQ|RG|PG|CO)\t")
_SEQUENCE_LINE = re.compile(rb"[A-Za-z.*\-]*\r?")


@dataclass(frozen=True, slots=True)
class SniffResult:
    """The verdict of :func:`sniff`.

    Attributes:
        format: the sequencing format, or UNKNOWN (FASTA, other text, binary, empty).
        compression: the container, from the magic bytes.
        detail: one plain sentence describing what was found.
        extension_mismatch: a plain warning when the name suggests something else, else None.
        content: a short tag for what the content is: one of ``fastq fasta sam bam cram vcf
            bcf empty text binary undecodable unsupported``.
    """

    format: FileFormat
    compression: Compression
    detail: str
    extension_mismatch: str | None = None
    content: str = "binary"


def sniff(path: str | Path) -> SniffResult:
    """Identifies the compression and format of the file at ``path`` from its first bytes.

    Raises:
        OSError: the file cannot be opened or read.
    """
    path = Path(path)
    with open(path, "rb") as handle:
        head = handle.read(HEAD_BYTES)
    compression, content, readable = _decompress_head(head)
    if not head:
        fmt, tag, detail = FileFormat.UNKNOWN, "empty", "The file is empty (0 bytes)."
    elif compression is Compression.ZSTD:
        fmt, tag = FileFormat.UNKNOWN, "unsupported"
        detail = "Zstandard-compressed data; its content cannot be inspected here."
    elif not readable and not content:
        fmt, tag = FileFormat.UNKNOWN, "undecodable"
        name = _COMPRESSION_NAMES[compression]
        detail = f"Compressed data ({name}) that cannot be decompressed."
    else:
        fmt, tag, detail = _classify(content, compression)
    if compression is not Compression.NONE and tag not in ("undecodable", "unsupported"):
        container = (
            "BGZF (block gzip)"
            if compression is Compression.BGZF
            else (_COMPRESSION_NAMES[compression])
        )
        detail = f"{detail[:-1]}, {container}-compressed."
    return SniffResult(fmt, compression, detail, _mismatch(path.name, tag, compression), tag)


class _Decoder(Protocol):
    @property
    def eof(self) -> bool: ...

    @property
    def unused_data(self) -> bytes: ...

    def decompress(self, data: bytes, max_length: int, /) -> bytes: ...


_DECODE_ERRORS = (
    cast(type[BaseException], isal_zlib.error),
    OSError,
    EOFError,
    ValueError,
    lzma.LZMAError,
)


def _decompress_head(head: bytes) -> tuple[Compression, bytes, bool]:
    """The compression, up to CONTENT_BYTES of content, and whether decoding went fine."""
    new: Callable[[], _Decoder]
    if head[:2] == b"\x1f\x8b":
        compression = Compression.BGZF if _is_bgzf(head) else Compression.GZIP
        new = partial(isal_zlib.decompressobj, wbits=31)
    elif head[:3] == b"BZh":
        compression, new = Compression.BZIP2, bz2.BZ2Decompressor
    elif head[:6] == b"\xfd7zXZ\x00":
        compression, new = Compression.XZ, lzma.LZMADecompressor
    elif head[:4] == b"\x28\xb5\x2f\xfd":
        return Compression.ZSTD, b"", False
    else:
        return Compression.NONE, head, True
    out = bytearray()
    data = head
    try:
        # Small pieces keep what was decoded before any damage; a loop over members copes
        # with files whose first members are tiny or empty (BGZF may start with one).
        for _ in range(16):
            decoder = new()
            rest = b""
            for start in range(0, len(data), 4096):
                out += decoder.decompress(data[start : start + 4096], CONTENT_BYTES - len(out))
                if len(out) >= CONTENT_BYTES or decoder.eof:
                    rest = data[start + 4096 :]
                    break
            if len(out) >= CONTENT_BYTES or not decoder.eof:
                break
            data = decoder.unused_data + rest
            if not data.strip(b"\x00"):
                break
    except _DECODE_ERRORS:
        return compression, bytes(out), False
    return compression, bytes(out), True


def _is_bgzf(head: bytes) -> bool:
    """gzip with FLG.FEXTRA whose extra field holds the subfield 'BC' of length 2."""
    if len(head) < 18 or not head[3] & 0x04:
        return False
    xlen = int.from_bytes(head[10:12], "little")
    extra = head[12 : 12 + xlen]
    pos = 0
    while pos + 4 <= len(extra):
        slen = int.from_bytes(extra[pos + 2 : pos + 4], "little")
        if extra[pos : pos + 2] == b"BC" and slen == 2:
            return True
        pos += 4 + slen
    return False


def _classify(content: bytes, compression: Compression) -> tuple[FileFormat, str, str]:
    if not content:
        return FileFormat.UNKNOWN, "empty", "Data that decompresses to nothing (no content)."
    if content[:4] == b"BAM\x01":
        note = "" if compression is Compression.BGZF else " (BAM should be BGZF-compressed)"
        return FileFormat.BAM, "bam", f"BAM alignments{note}."
    if content[:4] == b"BCF\x02":
        return FileFormat.BCF, "bcf", f"BCF variant calls (version 2.{content[4]})."
    if content[:4] == b"CRAM" and len(content) >= 6:
        return FileFormat.CRAM, "cram", f"CRAM alignments (version {content[4]}.{content[5]})."
    first_line = content.split(b"\n", 1)[0]
    if content[:1] == b"@" and b"\x00" not in first_line and not _SAM_HEADER.match(content):
        # Checked before the binary test: a stray NUL inside a quality string is for the
        # FASTQ validator to report, precisely, not a reason to call the file binary.
        return FileFormat.FASTQ, "fastq", _fastq_detail(content)
    if b"\x00" in content[:4096]:
        return FileFormat.UNKNOWN, "binary", "Binary data in no recognised sequencing format."
    if content.startswith(b"##fileformat=VCF"):
        version = content[13:].split(b"\n", 1)[0].strip().decode("ascii", "replace")
        return FileFormat.VCF, "vcf", f"VCF variant calls ({version})."
    if content.startswith(b"#CHROM\t"):
        return FileFormat.VCF, "vcf", "VCF variant calls without the ##fileformat line."
    if _SAM_HEADER.match(content):
        return FileFormat.SAM, "sam", "SAM alignments (text, with a header)."
    if content[:1] == b">":
        return FileFormat.UNKNOWN, "fasta", ("FASTA sequences (no quality scores), not FASTQ.")
    columns = first_line.split(b"\t")
    if len(columns) >= 11 and columns[1].isdigit() and columns[3].isdigit():
        return FileFormat.SAM, "sam", "SAM alignments (text, without a header)."
    return FileFormat.UNKNOWN, "text", "Text in no recognised sequencing format."


def _fastq_detail(content: bytes) -> str:
    lines = content.split(b"\n", 64)
    # '@' title, sequence line(s), then a '+' line: the shape of a FASTQ record.
    for index, line in enumerate(lines[1:-1], start=1):
        if line[:1] == b"+":
            return "FASTQ reads." if index > 1 else "FASTQ reads (first record has no sequence)."
        if not _SEQUENCE_LINE.fullmatch(line):
            break
    if len(content) < CONTENT_BYTES and len(lines) <= 4:
        return "FASTQ reads (the first record looks incomplete)."
    return "FASTQ reads (the first record does not have the usual shape)."


def _mismatch(name: str, content: str, compression: Compression) -> str | None:
    lower = name.lower()
    stem, dot, last = lower.rpartition(".")
    named_compression = _COMPRESSION_EXTENSIONS.get(dot + last) if stem else None
    if named_compression is not None:
        lower = stem
    named_format = _FORMAT_EXTENSIONS.get(Path(lower).suffix)
    problems: list[str] = []
    if named_format is not None and content in _NAMES and named_format != content:
        problems.append(
            f"its name suggests {_NAMES[named_format]}, but its content is {_NAMES[content]}"
        )
    # BAM, BCF and CRAM compress themselves: their names carry no compression suffix.
    self_compressed = content in ("bam", "bcf", "cram") or named_format in ("bam", "bcf", "cram")
    if content not in ("empty",) and not self_compressed:
        problems += _compression_mismatch(named_compression, compression)
    if not problems:
        return None
    text = "; ".join(problems)
    return f"The file name does not match the content: {text}."


def _compression_mismatch(named: Compression | None, actual: Compression) -> list[str]:
    if named is None:
        if actual is Compression.NONE:
            return []
        return [
            f"it is {_COMPRESSION_NAMES[actual]}-compressed but its name has no "
            "compression suffix (such as .gz)"
        ]
    if actual is Compression.NONE:
        return [f"its name ends in a {_COMPRESSION_NAMES[named]} suffix but it is not compressed"]
    if named is Compression.GZIP and actual is Compression.BGZF:
        return []  # BGZF is gzip: .gz is the usual suffix for it
    if named is Compression.BGZF and actual is Compression.GZIP:
        return [
            "its name says BGZF (.bgz) but it is plain gzip, which tools that need random "
            "access (tabix, samtools) reject"
        ]
    if named is not actual:
        return [
            f"its name says {_COMPRESSION_NAMES[named]} but it is "
            f"{_COMPRESSION_NAMES[actual]}-compressed"
        ]
    return []
