"""Write zip archives with traditional PKWARE ("ZipCrypto") encryption, as ``7z -tzip -p`` does.

Python's zipfile reads such archives but cannot write them, and the imputation servers' default
archives use exactly this scheme (spec section 7). APPNOTE.TXT section 6.1 describes it: three
32-bit keys updated with CRC-32 steps, a 12-byte random header whose last byte is the high byte
of the member's CRC (the one-byte password check), then the encrypted deflate stream.

Test code only: byte-by-byte Python is slow, which is fine for the small files tests use.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

_CRC_TABLE = []
for _n in range(256):
    _c = _n
    for _ in range(8):
        _c = (_c >> 1) ^ 0xEDB88320 if _c & 1 else _c >> 1
    _CRC_TABLE.append(_c)

_DOS_TIME, _DOS_DATE = 0, (2024 - 1980) << 9 | 1 << 5 | 1  # 2024-01-01 00:00


def _crc_step(crc: int, byte: int) -> int:
    return (crc >> 8) ^ _CRC_TABLE[(crc ^ byte) & 0xFF]


class _Keys:
    def __init__(self, password: bytes) -> None:
        self.k0, self.k1, self.k2 = 0x12345678, 0x23456789, 0x34567890
        for byte in password:
            self.update(byte)

    def update(self, byte: int) -> None:
        self.k0 = _crc_step(self.k0, byte)
        self.k1 = (self.k1 + (self.k0 & 0xFF)) & 0xFFFFFFFF
        self.k1 = (self.k1 * 134775813 + 1) & 0xFFFFFFFF
        self.k2 = _crc_step(self.k2, self.k1 >> 24)

    def encrypt(self, data: bytes) -> bytes:
        out = bytearray(len(data))
        for i, byte in enumerate(data):
            temp = (self.k2 | 2) & 0xFFFF
            out[i] = byte ^ (((temp * (temp ^ 1)) >> 8) & 0xFF)
            self.update(byte)
        return bytes(out)


@dataclass(frozen=True)
class Member:
    name: str
    data: bytes
    symlink: bool = False  # stored with the Unix mode of a symbolic link (data = link target)


def write_zipcrypto(path: Path, members: Sequence[Member], password: str) -> None:
    """Write ``members`` to ``path``, each deflated and encrypted with ``password``."""
    local_parts: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for member in members:
        name = member.name.encode("utf-8")
        crc = zlib.crc32(member.data)
        compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
        compressed = compressor.compress(member.data) + compressor.flush()
        keys = _Keys(password.encode("utf-8"))
        header = os.urandom(11) + bytes([crc >> 24])
        payload = keys.encrypt(header) + keys.encrypt(compressed)
        flags = 0x0001 | 0x0800  # encrypted, UTF-8 name
        common = struct.pack(
            "<HHHHHIII", 20, flags, 8, _DOS_TIME, _DOS_DATE, crc, len(payload), len(member.data)
        )
        local = struct.pack("<I", 0x04034B50) + common + struct.pack("<HH", len(name), 0) + name
        mode = 0o120777 if member.symlink else 0o100644
        central.append(
            struct.pack("<IH", 0x02014B50, 3 << 8 | 20)
            + common
            + struct.pack("<HHHHHII", len(name), 0, 0, 0, 0, mode << 16, offset)
            + name
        )
        local_parts.append(local + payload)
        offset += len(local) + len(payload)
    directory = b"".join(central)
    end = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(directory), offset, 0
    )
    path.write_bytes(b"".join(local_parts) + directory + end)


def write_aes(path: Path, members: Sequence[Member], password: str) -> None:
    """Write ``members`` with WinZip AES-256 encryption (``7z -mem=AES256``), via pyzipper."""
    import pyzipper

    with pyzipper.AESZipFile(
        path, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES
    ) as archive:
        archive.setpassword(password.encode("utf-8"))
        archive.setencryption(pyzipper.WZ_AES, nbits=256)
        for member in members:
            info = archive.zipinfo_cls(member.name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = pyzipper.ZIP_DEFLATED
            info.external_attr = (0o120777 if member.symlink else 0o100644) << 16
            archive.writestr(info, member.data)
