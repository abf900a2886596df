"""CRAM structure checks (CRAMv3 / CRAMv2.1) and record decoding through htslib.

The container walk needs no reference: it checks the file definition (magic, version), every
container header and block, the CRC-32 of each (CRAM 3), and that the file ends with the EOF
container (CRAMv3 section 9), so damage and truncation are found whatever reference the user
has. Records are then decoded by htslib (pysam), which needs the reference the reads were
compressed against: a FASTA the user gives, or ``REF_PATH``/``REF_CACHE``. When it is missing
the report says so in plain words and keeps the structural verdict.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from genoflow_desktop.core.validation.report import ValidationReport

CRAM_EOF_3 = bytes.fromhex(
    "0f000000ffffffff0fe0454f4600000000010005bdd94f0001000606010001000100ee63014b"
)
CRAM_EOF_21 = bytes.fromhex("0b000000ffffffff0fe0454f460000000001000001000606010001000100")

_HINT_DAMAGED = (
    "The file is damaged. Copy or download it again from the original source and compare its "
    "checksum with the one the source publishes."
)
_HINT_TRUNCATED = (
    "The file is incomplete, usually from an interrupted copy or download. Copy it again from "
    "the original source."
)


class _Truncated(Exception):
    pass


@dataclass(slots=True)
class CramStructure:
    """What the container walk found."""

    major: int = 0
    minor: int = 0
    containers: int = 0
    records: int = 0
    eof_container: bool = False
    header_text: str | None = None
    ok: bool = True
    #: Whether any slice has reads placed on a reference (so decoding needs that reference).
    mapped_containers: int = 0
    notes: list[str] = field(default_factory=list)


def _itf8(buf: bytes, pos: int) -> tuple[int, int]:
    if pos >= len(buf):
        raise _Truncated
    b0 = buf[pos]
    if b0 < 0x80:
        return b0, pos + 1
    if b0 < 0xC0:
        need = 2
        value = b0 & 0x3F
    elif b0 < 0xE0:
        need = 3
        value = b0 & 0x1F
    elif b0 < 0xF0:
        need = 4
        value = b0 & 0x0F
    else:
        if pos + 5 > len(buf):
            raise _Truncated
        value = ((b0 & 0x0F) << 28) | (buf[pos + 1] << 20) | (buf[pos + 2] << 12)
        value |= (buf[pos + 3] << 4) | (buf[pos + 4] & 0x0F)
        return _signed32(value), pos + 5
    if pos + need > len(buf):
        raise _Truncated
    for k in range(1, need):
        value = (value << 8) | buf[pos + k]
    return _signed32(value), pos + need


def _ltf8(buf: bytes, pos: int) -> tuple[int, int]:
    if pos >= len(buf):
        raise _Truncated
    b0 = buf[pos]
    need, mask = 9, 0
    for bytes_, limit, bits in (
        (1, 0x80, 0x7F),
        (2, 0xC0, 0x3F),
        (3, 0xE0, 0x1F),
        (4, 0xF0, 0x0F),
        (5, 0xF8, 0x07),
        (6, 0xFC, 0x03),
        (7, 0xFE, 0x01),
        (8, 0xFF, 0x00),
    ):
        if b0 < limit:
            need, mask = bytes_, bits
            break
    if pos + need > len(buf):
        raise _Truncated
    value = b0 & mask
    for k in range(1, need):
        value = (value << 8) | buf[pos + k]
    return value, pos + need


def _signed32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def _iter_file(path: Path, size: int = 1 << 22) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        while chunk := handle.read(size):
            yield chunk


def walk_cram(path: Path, report: ValidationReport) -> CramStructure:
    """Check the CRAM file definition, containers, blocks and EOF container.

    The walk reads container by container (constant memory: one container at a time).
    """
    info = CramStructure()
    size = path.stat().st_size
    with open(path, "rb") as handle:
        head = handle.read(26)
        if len(head) < 26:
            info.ok = False
            report.error(
                "cram_empty" if not head else "cram_truncated",
                "The file is empty."
                if not head
                else "The file is shorter than the CRAM file definition (26 bytes).",
                hint=_HINT_TRUNCATED,
                offset=0,
            )
            return info
        if head[:4] != b"CRAM":
            info.ok = False
            report.error(
                "cram_magic",
                f"The file does not start with the CRAM magic 'CRAM' (found {head[:4]!r}).",
                hint="This is not a CRAM file, or its first bytes are damaged.",
                offset=0,
            )
            return info
        info.major, info.minor = head[4], head[5]
        if (info.major, info.minor) not in ((2, 1), (3, 0), (3, 1)):
            info.ok = False
            supported = "CRAM 2.1, 3.0 and 3.1"
            report.error(
                "cram_version",
                f"The file says it is CRAM version {info.major}.{info.minor}; {supported} can be "
                "read.",
                hint="Convert it with a current samtools ('samtools view -C'), or check that the "
                "file is not damaged.",
                offset=4,
            )
            return info
        with_crc = info.major >= 3
        offset = 26
        last_container = b""
        while offset < size:
            handle.seek(offset)
            head_bytes = handle.read(64 + 5 * 1024)
            try:
                header_len, fields = _container_header(head_bytes, info.major)
            except _Truncated:
                _truncated(report, info, offset, "a container header")
                return info
            length = fields["length"]
            if length < 0 or offset + header_len + length > size:
                _truncated(report, info, offset, "a container")
                return info
            handle.seek(offset)
            container = handle.read(header_len + length)
            if with_crc:
                stored = int.from_bytes(container[header_len - 4 : header_len], "little")
                if zlib.crc32(container[: header_len - 4]) != stored:
                    info.ok = False
                    report.error(
                        "cram_crc",
                        f"The header of the container at byte {offset:,} fails its CRC-32 check.",
                        hint=_HINT_DAMAGED,
                        offset=offset,
                    )
                    return info
            if not _check_blocks(container, header_len, fields, offset, info, report, with_crc):
                return info
            info.containers += 1
            info.records += max(0, fields["n_records"])
            if fields["ref_seq_id"] != -1 and fields["n_records"] > 0:
                info.mapped_containers += 1
            last_container = container
            offset += header_len + length
        eof = CRAM_EOF_3 if info.major >= 3 else CRAM_EOF_21
        tail = bytearray(last_container[-len(eof) :])
        if len(tail) > 8:
            tail[8] &= 0x0F  # early writers disagreed on one ITF-8 bit here; htslib masks it too
        info.eof_container = bytes(tail) == eof
        if not info.eof_container:
            info.ok = False
            report.error(
                "cram_eof_missing",
                "The file does not end with the CRAM end-of-file container, so it was most likely "
                "cut short (samtools reports this as 'EOF marker is absent').",
                hint=_HINT_TRUNCATED,
                offset=size,
            )
    return info


def _container_header(buf: bytes, major: int) -> tuple[int, dict[str, int]]:
    if len(buf) < 4:
        raise _Truncated
    fields = {"length": int.from_bytes(buf[:4], "little", signed=True)}
    pos = 4
    for name in ("ref_seq_id", "start", "span", "n_records"):
        fields[name], pos = _itf8(buf, pos)
    if major >= 3:
        _, pos = _ltf8(buf, pos)
    else:
        _, pos = _itf8(buf, pos)
    _, pos = _ltf8(buf, pos)  # bases
    fields["n_blocks"], pos = _itf8(buf, pos)
    n_landmarks, pos = _itf8(buf, pos)
    if n_landmarks < 0 or n_landmarks > 1_000_000:
        raise _Truncated
    for _ in range(n_landmarks):
        _, pos = _itf8(buf, pos)
    if major >= 3:
        pos += 4
        if pos > len(buf):
            raise _Truncated
    return pos, fields


def _check_blocks(
    container: bytes,
    header_len: int,
    fields: dict[str, int],
    offset: int,
    info: CramStructure,
    report: ValidationReport,
    with_crc: bool,
) -> bool:
    pos = header_len
    end = len(container)
    for index in range(max(0, fields["n_blocks"])):
        if pos == end:
            break  # some writers overstate the block count; htslib follows the container length
        start = pos
        try:
            if pos + 2 > end:
                raise _Truncated
            method, content_type = container[pos], container[pos + 1]
            _, pos = _itf8(container, pos + 2)
            comp_size, pos = _itf8(container, pos)
            raw_size, pos = _itf8(container, pos)
        except _Truncated:
            return _bad_block(report, info, offset, index, "its header runs past the container")
        if comp_size < 0 or raw_size < 0 or pos + comp_size + (4 if with_crc else 0) > end:
            return _bad_block(report, info, offset, index, "it runs past the end of its container")
        data_end = pos + comp_size
        if with_crc:
            stored = int.from_bytes(container[data_end : data_end + 4], "little")
            if zlib.crc32(container[start:data_end]) != stored:
                info.ok = False
                report.error(
                    "cram_crc",
                    f"Block {index + 1} of the container at byte {offset:,} fails its CRC-32 "
                    "check: "
                    "its content changed after it was written.",
                    hint=_HINT_DAMAGED,
                    offset=offset,
                )
                return False
            pos = data_end + 4
        else:
            pos = data_end
        if info.containers == 0 and content_type == 0 and info.header_text is None:
            info.header_text = _header_text(method, container[data_end - comp_size : data_end])
    return True


def _header_text(method: int, data: bytes) -> str | None:
    try:
        if method == 0:
            raw = data
        elif method == 1:
            raw = gzip.decompress(data)
        elif method == 2:
            raw = bz2.decompress(data)
        elif method == 3:
            raw = lzma.decompress(data)
        else:
            return None  # rANS and friends: let htslib's view of the header stand in
    except (OSError, EOFError, lzma.LZMAError, zlib.error):
        return None
    if len(raw) < 4:
        return None
    length = int.from_bytes(raw[:4], "little", signed=True)
    return raw[4 : 4 + max(0, length)].rstrip(b"\x00").decode("utf-8", "replace")


def _bad_block(
    report: ValidationReport, info: CramStructure, offset: int, index: int, why: str
) -> bool:
    info.ok = False
    report.error(
        "cram_block",
        f"Block {index + 1} of the container at byte {offset:,} is malformed: {why}.",
        hint=_HINT_DAMAGED,
        offset=offset,
    )
    return False


def _truncated(report: ValidationReport, info: CramStructure, offset: int, what: str) -> None:
    info.ok = False
    report.error(
        "cram_truncated",
        f"The file ends inside {what} that starts at byte {offset:,}.",
        hint=_HINT_TRUNCATED,
        offset=offset,
    )


def reference_problem(
    header_refs: list[tuple[str, int, str | None]], reference: Path | None
) -> str | None:
    """Why the references of a CRAM header cannot be found locally, or None when they can.

    Args:
        header_refs: (name, length, M5) for each @SQ line.
        reference: The FASTA the user gave, if any.
    """
    if not header_refs:
        return None
    if reference is not None:
        if not reference.is_file():
            return f"the reference file {reference} does not exist"
        names = _fasta_names(reference)
        if names is not None:
            missing = [name for name, _, _ in header_refs if name not in names]
            if len(missing) == len(header_refs):
                return (
                    f"the reference file {reference.name} has none of the sequences the CRAM "
                    f"header names (for example '{missing[0]}')"
                )
        return None
    ref_path = os.environ.get("REF_PATH", "")
    ref_cache = os.environ.get("REF_CACHE", "")
    md5s = [m5 for _, _, m5 in header_refs if m5]
    if md5s and (ref_path or ref_cache):
        for pattern in [p for p in ref_path.split(":") if p and "://" not in p] + (
            [ref_cache] if ref_cache else []
        ):
            if all(_md5_file_exists(pattern, m5) for m5 in md5s):
                return None
    return "no reference FASTA was given and REF_PATH/REF_CACHE do not hold the sequences"


def _md5_file_exists(pattern: str, m5: str) -> bool:
    """Whether a REF_PATH/REF_CACHE entry (htslib's %[n]s template or a folder) has ``m5``."""
    if "%" not in pattern:
        return (Path(pattern) / m5).is_file()
    out: list[str] = []
    rest, pos = m5, 0
    for match in re.finditer(r"%(\d*)s", pattern):
        out.append(pattern[pos : match.start()])
        take = int(match.group(1)) if match.group(1) else len(rest)
        out.append(rest[:take])
        rest = rest[take:]
        pos = match.end()
    out.append(pattern[pos:])
    return Path("".join(out)).is_file()


def _fasta_names(reference: Path) -> set[str] | None:
    fai = reference.with_name(reference.name + ".fai")
    try:
        if fai.is_file():
            with open(fai, encoding="utf-8", errors="replace") as handle:
                return {line.split("\t", 1)[0] for line in handle if line.strip()}
        names: set[str] = set()
        opener = gzip.open if reference.suffix == ".gz" else open
        with opener(reference, "rt", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.startswith(">"):
                    names.add(line[1:].split()[0] if line[1:].split() else "")
        return names
    except OSError:
        return None
