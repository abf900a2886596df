"""Damaged BAM and VCF.gz files: no exception ever escapes, and broken BGZF is always flagged.

Bytes are flipped or the file is cut at random. Whether the result is still a well-formed BGZF
file is decided independently with Python's zlib (headers, inflate, CRC-32 and length of every
block, the EOF marker): a flip can leave it intact (in MTIME/XFL/OS, or in deflate bits that
decode to the same data), but whenever it does not, the validator must report an error. Any
truncation loses part of a block or the EOF marker and must always be reported.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import pysam
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vcf_factory import vcf_text, write_vcf

from genoflow_desktop.core.domain import FileFormat, Verdict
from genoflow_desktop.core.validation.alignment import validate_alignment
from genoflow_desktop.core.validation.bgzf import BGZF_EOF
from genoflow_desktop.core.validation.vcf import validate_vcf

_SETTINGS = settings(
    max_examples=int(__import__("os").environ.get("GF_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def bgzf_content(data: bytes) -> bytes | None:
    """The decompressed content if ``data`` is well-formed BGZF ending in the EOF marker."""
    out, offset = [], 0
    while offset < len(data):
        head = data[offset : offset + 18]
        if (
            len(head) < 18
            or head[:4] != b"\x1f\x8b\x08\x04"
            or head[10:16] != b"\x06\x00BC\x02\x00"
        ):
            return None
        size = int.from_bytes(head[16:18], "little") + 1
        block = data[offset : offset + size]
        if len(block) < size or size < 26:
            return None
        try:
            inflated = zlib.decompress(block[18:-8], -15)
        except zlib.error:
            return None
        if zlib.crc32(inflated) != int.from_bytes(block[-8:-4], "little"):
            return None
        if len(inflated) != int.from_bytes(block[-4:], "little"):
            return None
        out.append(inflated)
        offset += size
    return b"".join(out) if data.endswith(BGZF_EOF) else None


def _make_bam(path: Path) -> bytes:
    header = {"HD": {"VN": "1.6", "SO": "coordinate"}, "SQ": [{"SN": "chr1", "LN": 100_000}]}
    with pysam.AlignmentFile(str(path), "wb", header=header) as out:
        for i in range(400):
            read = pysam.AlignedSegment()
            read.query_name = f"read{i}"
            read.flag = 0
            read.reference_id = 0
            read.reference_start = i * 100
            read.mapping_quality = 60
            read.cigarstring = "30M"
            read.query_sequence = "ACGTTGCA" * 3 + "ACGTTG"
            read.query_qualities = pysam.qualitystring_to_array("I" * 30)
            out.write(read)
    return path.read_bytes()


@pytest.fixture(scope="module")
def bam_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return _make_bam(tmp_path_factory.mktemp("bam") / "x.bam")


@pytest.fixture(scope="module")
def vcf_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return write_vcf(
        tmp_path_factory.mktemp("vcf") / "x.vcf.gz", vcf_text(samples=30, sites=200)
    ).read_bytes()


def _flip(data: bytes, flips: list[tuple[int, int]]) -> tuple[bytes, bool]:
    """Apply XOR masks; also say whether the result is broken BGZF (by the zlib oracle)."""
    changed = bytearray(data)
    for fraction, mask in flips:
        changed[int(fraction * (len(data) - 1))] ^= mask
    return bytes(changed), bgzf_content(bytes(changed)) is None


flip_lists = st.lists(st.tuples(st.floats(0, 1), st.integers(1, 255)), min_size=1, max_size=3)


def test_the_inputs_are_valid(bam_bytes: bytes, vcf_bytes: bytes, tmp_path: Path) -> None:
    assert bgzf_content(bam_bytes) and bgzf_content(vcf_bytes)
    (tmp_path / "a.bam").write_bytes(bam_bytes)
    (tmp_path / "a.vcf.gz").write_bytes(vcf_bytes)
    assert validate_alignment(tmp_path / "a.bam", fmt=FileFormat.BAM).verdict is Verdict.VALID
    assert validate_vcf(tmp_path / "a.vcf.gz").verdict is Verdict.VALID


@_SETTINGS
@given(flips=flip_lists)
def test_flipped_bam_bytes_are_flagged(
    bam_bytes: bytes, tmp_path: Path, flips: list[tuple[int, int]]
) -> None:
    data, broken = _flip(bam_bytes, flips)
    path = tmp_path / "flipped.bam"
    path.write_bytes(data)
    report = validate_alignment(path, fmt=FileFormat.BAM)
    if broken:
        assert report.verdict is Verdict.INVALID and report.errors[0].message


@_SETTINGS
@given(cut=st.integers(0, 10**9))
def test_truncated_bam_is_flagged(bam_bytes: bytes, tmp_path: Path, cut: int) -> None:
    path = tmp_path / "cut.bam"
    path.write_bytes(bam_bytes[: cut % len(bam_bytes)])
    report = validate_alignment(path, fmt=FileFormat.BAM)
    assert report.verdict is Verdict.INVALID and report.errors[0].message


@_SETTINGS
@given(flips=flip_lists)
def test_flipped_vcf_gz_bytes_are_flagged(
    vcf_bytes: bytes, tmp_path: Path, flips: list[tuple[int, int]]
) -> None:
    data, broken = _flip(vcf_bytes, flips)
    path = tmp_path / "flipped.vcf.gz"
    path.write_bytes(data)
    report = validate_vcf(path)
    if broken:
        # Plain gzip is legal for VCF, so a damaged BGZF subfield that leaves valid gzip members
        # is reported as "not BGZF" (a warning: not indexable, refused by imputation servers).
        not_bgzf = any(w.code == "vcf_not_bgzf" for w in report.warnings)
        assert report.verdict is Verdict.INVALID or not_bgzf
        assert (report.errors or report.warnings)[0].message


@_SETTINGS
@given(cut=st.integers(0, 10**9))
def test_truncated_vcf_gz_is_flagged(vcf_bytes: bytes, tmp_path: Path, cut: int) -> None:
    path = tmp_path / "cut.vcf.gz"
    path.write_bytes(vcf_bytes[: cut % len(vcf_bytes)])
    report = validate_vcf(path)
    assert report.verdict is Verdict.INVALID and report.errors[0].message


@_SETTINGS
@given(junk=st.binary(min_size=0, max_size=2000))
def test_arbitrary_bytes_never_raise(tmp_path: Path, junk: bytes) -> None:
    for name, check in [
        ("j.bam", lambda p: validate_alignment(p, fmt=FileFormat.BAM)),
        ("j.sam", lambda p: validate_alignment(p, fmt=FileFormat.SAM)),
        ("j.cram", lambda p: validate_alignment(p, fmt=FileFormat.CRAM)),
        ("j.vcf", validate_vcf),
    ]:
        path = tmp_path / name
        path.write_bytes(junk)
        report = check(path)
        for finding in report.errors:
            assert finding.message


@_SETTINGS
@given(flips=flip_lists)
def test_flipped_plain_vcf_never_raises(tmp_path: Path, flips: list[tuple[int, int]]) -> None:
    text = vcf_text(samples=5, sites=40).encode()
    data, _ = _flip(text, flips)
    path = tmp_path / "flipped.vcf"
    path.write_bytes(data)
    validate_vcf(path)
