"""No input makes the FASTQ validator raise, every broken container is flagged, and
progress/cancel work.

The property tests mutate small valid gzip and BGZF FASTQ files (truncate, flip a byte, splice
two files) and compare with Python's own gzip reader: whenever that reader fails on a file,
our report must contain an error.
"""

from __future__ import annotations

import gzip
import threading
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genoflow_desktop.core.errors import Cancelled
from genoflow_desktop.core.progress import CancelToken, Progress
from genoflow_desktop.core.validation import fastq, text_stream
from genoflow_desktop.core.validation.fastq import validate_fastq, validate_fastq_pair
from genoflow_desktop.core.validation.text_stream import BGZF_EOF

CORPUS = Path(__file__).resolve().parents[2] / "data" / "corpus"
TEXT = (CORPUS / "fastq" / "biopython__longreads_original_sanger.fastq").read_bytes()
TEXT2 = (CORPUS / "fastq" / "biopython__tricky.fastq").read_bytes()


def bgzf(data: bytes, block: int = 1500) -> bytes:
    """A minimal BGZF writer (blocks of ``block`` input bytes, then the EOF marker)."""
    out = []
    for start in range(0, len(data), block):
        piece = data[start : start + block]
        packer = zlib.compressobj(6, zlib.DEFLATED, -15)
        body = packer.compress(piece) + packer.flush()
        size = len(body) + 25
        header = b"\x1f\x8b\x08\x04" + bytes(6) + b"\x06\x00BC\x02\x00"
        header += size.to_bytes(2, "little")
        trailer = zlib.crc32(piece).to_bytes(4, "little") + len(piece).to_bytes(4, "little")
        out.append(header + body + trailer)
    return b"".join(out) + BGZF_EOF


SOURCES = {
    "gzip": gzip.compress(TEXT, mtime=0),
    "multi": gzip.compress(TEXT[:4000], mtime=0) + gzip.compress(TEXT[4000:], mtime=0),
    "bgzf": bgzf(TEXT),
}


def reference_ok(data: bytes) -> bool:
    """Python's gzip module is the judge of whether the container is sound."""
    try:
        gzip.decompress(data)
    except (OSError, EOFError, zlib.error, ValueError):
        return False
    return bool(data)


def _check(tmp_path: Path, name: str, data: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    report = validate_fastq(path)  # must not raise, whatever the bytes
    assert report.md5 is not None or report.error_count
    if not reference_ok(data):
        assert report.error_count > 0, f"{len(data)} bytes, no error reported"
        assert all(f.message and f.hint for f in report.errors)


_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@_SETTINGS
@given(kind=st.sampled_from(sorted(SOURCES)), cut=st.integers(min_value=0, max_value=10**6))
def test_truncation_is_always_flagged(tmp_path: Path, kind: str, cut: int) -> None:
    data = SOURCES[kind]
    cut %= len(data)
    _check(tmp_path, f"cut.{kind}.fastq.gz", data[:cut])
    if kind != "multi":  # a multi-member file cut between members is still sound gzip
        report = validate_fastq(tmp_path / f"cut.{kind}.fastq.gz")
        assert report.error_count > 0


@_SETTINGS
@given(
    kind=st.sampled_from(sorted(SOURCES)),
    where=st.integers(min_value=0, max_value=10**6),
    mask=st.integers(min_value=1, max_value=255),
)
def test_flipped_bytes_never_crash_and_damage_is_flagged(
    tmp_path: Path, kind: str, where: int, mask: int
) -> None:
    data = bytearray(SOURCES[kind])
    data[where % len(data)] ^= mask
    _check(tmp_path, f"flip.{kind}.fastq.gz", bytes(data))


@_SETTINGS
@given(
    first=st.sampled_from(sorted(SOURCES)),
    second=st.sampled_from(sorted(SOURCES)),
    a=st.integers(min_value=0, max_value=10**6),
    b=st.integers(min_value=0, max_value=10**6),
)
def test_spliced_files(tmp_path: Path, first: str, second: str, a: int, b: int) -> None:
    x, y = SOURCES[first], SOURCES[second]
    data = x[: a % len(x)] + y[b % len(y) :]
    _check(tmp_path, "splice.fastq.gz", data)


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.binary(max_size=300), prefix=st.sampled_from([b"", b"@", b"@r\n", b"\x1f\x8b"]))
def test_arbitrary_bytes_never_raise(tmp_path: Path, data: bytes, prefix: bytes) -> None:
    path = tmp_path / "junk.fastq"
    path.write_bytes(prefix + data)
    report = validate_fastq(path)
    assert report.verdict is not None


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=st.text(alphabet="@+ACGTN!I#\n\r \t", max_size=200))
def test_fastq_shaped_text_never_raises(tmp_path: Path, text: str) -> None:
    path = tmp_path / "shaped.fastq"
    path.write_bytes(text.encode())
    for chunk in (7, 1 << 20):
        text_stream.CHUNK_SIZE, saved = chunk, text_stream.CHUNK_SIZE
        try:
            report = validate_fastq(path)
        finally:
            text_stream.CHUNK_SIZE = saved
        assert report.verdict is not None


_LINES = [
    b"@r",
    b"@",
    b"@r x",
    b"+",
    b"+r",
    b"ACGT",
    b"acgN",
    b"",
    b"IIII",
    b"@III",
    b"+II",
    b"AC",
    b"II\r",
    b"A C",
    b"I\tI",
    b"@r\r",
    b"+\r",
    b"ACGT\r",
    b"\r",
    b"!!!!",
    b"@\x00",
]


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(lines=st.lists(st.sampled_from(_LINES), max_size=24), end=st.booleans())
def test_line_soup_never_raises_and_ignores_buffer_sizes(
    tmp_path: Path, lines: list[bytes], end: bool
) -> None:
    """Whatever the lines, the report is the same however the text is cut into buffers."""
    path = tmp_path / "soup.fastq"
    path.write_bytes(b"\n".join(lines) + (b"\n" if end else b""))
    reports = []
    saved = text_stream.CHUNK_SIZE, text_stream.RAW_BLOCK
    try:
        for chunk, raw in ((1 << 20, 1 << 20), (23, 7), (5, 3)):
            text_stream.CHUNK_SIZE, text_stream.RAW_BLOCK = chunk, raw
            reports.append(validate_fastq(path))
    finally:
        text_stream.CHUNK_SIZE, text_stream.RAW_BLOCK = saved
    first = reports[0]
    for finding in first.errors:
        assert finding.message and finding.hint
        if finding.record is not None:
            assert 1 <= finding.record <= len(lines)
    for other in reports[1:]:
        assert (other.errors, other.warnings) == (first.errors, first.warnings)
        assert (other.records, other.metrics) == (first.records, first.metrics)


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        # Biopython's rule: '@r2' etc. are quality lines while the quality is short.
        (b"@r1\nACGTACGT\n+\n@r2\nAC\n+\nII\n", []),
        (b"@r1\nACGT\n+\n@read2\nAC\n+\nII\n", ["fastq.length_mismatch"]),
        (b"@r1\nACGT\n+\nIIII\n\n@r2\nAC\n+\nII\n", []),
        (b"@r1\nACGT\n+\nIIII\nIIII\n", ["fastq.record_start"]),
        (b"@r1\n\n+\n\n@r2\nAC\n+\nII", []),
        (b"@r1\n\n+\n@r2\nAC\n+\nII\n", []),
        (b"r1\nACGT\n+\nIIII\n", ["fastq.not_fastq"]),
        (b"@r1\nACGT\n+r2\nIIII\n", ["fastq.plus_name"]),
        (b"@r1 extra\nACGT\n+r1\nIIII\n", []),
        (b"@r1\nACGT\nACGT\n+\nIIIIIIII\n", []),
    ],
)
def test_small_cases(tmp_path: Path, text: bytes, codes: list[str]) -> None:
    path = tmp_path / "case.fastq"
    path.write_bytes(text)
    assert [f.code for f in validate_fastq(path).errors] == codes


def test_trailing_garbage_and_zero_padding(tmp_path: Path) -> None:
    path = tmp_path / "x.fastq.gz"
    path.write_bytes(SOURCES["gzip"] + b"hello")
    assert "compression.trailing_garbage" in [f.code for f in validate_fastq(path).errors]
    path.write_bytes(SOURCES["gzip"] + bytes(100))
    report = validate_fastq(path)
    assert report.error_count == 0
    assert [f.code for f in report.warnings] == ["compression.zero_padding"]


def test_bgzf_without_eof_marker(tmp_path: Path) -> None:
    path = tmp_path / "x.fastq.bgz"
    path.write_bytes(SOURCES["bgzf"][: -len(BGZF_EOF)])
    assert [f.code for f in validate_fastq(path).errors] == ["compression.bgzf_eof"]


def _big_file(tmp_path: Path) -> Path:
    path = tmp_path / "big.fastq.gz"
    record = b"@r\n" + b"ACGT" * 25 + b"\n+\n" + b"I" * 100 + b"\n"
    path.write_bytes(gzip.compress(record * 60_000, compresslevel=1))
    return path


def test_progress_reports_bytes_and_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(text_stream, "CHUNK_SIZE", 256 * 1024)
    path = _big_file(tmp_path)
    seen: list[Progress] = []
    report = validate_fastq(path, progress=seen.append)
    assert len(seen) > 5
    assert seen[-1].done == seen[-1].total == path.stat().st_size
    assert seen[-1].records == report.records == 60_000
    assert [p.records for p in seen] == sorted(p.records for p in seen)


def test_cancel_from_the_progress_callback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text_stream, "CHUNK_SIZE", 64 * 1024)
    monkeypatch.setattr(text_stream, "RAW_BLOCK", 16 * 1024)
    path = _big_file(tmp_path)
    token = CancelToken()
    calls: list[int] = []

    def progress(p: Progress) -> None:
        calls.append(p.records)
        if len(calls) == 2:
            token.cancel()

    with pytest.raises(Cancelled):
        validate_fastq(path, progress=progress, cancel=token)
    assert len(calls) == 2
    assert not [t for t in threading.enumerate() if t.name.startswith("fastq-")]

    r1, r2 = tmp_path / "p_R1.fastq.gz", tmp_path / "p_R2.fastq.gz"
    r1.write_bytes(path.read_bytes())
    r2.write_bytes(path.read_bytes())
    token2 = CancelToken()
    token2.cancel()
    with pytest.raises(Cancelled):
        validate_fastq_pair(r1, r2, cancel=token2)
    assert not [t for t in threading.enumerate() if t.name.startswith("fastq-")]


def test_tune_allocator_is_harmless(tmp_path: Path) -> None:
    assert text_stream.tune_allocator() in (True, False)
    path = tmp_path / "x.fastq.gz"
    path.write_bytes(SOURCES["gzip"])
    assert validate_fastq(path).error_count == 0


def test_unreadable_path(tmp_path: Path) -> None:
    report = validate_fastq(tmp_path / "missing.fastq")
    assert [f.code for f in report.errors] == ["file.unreadable"]


def test_a_record_that_never_ends_is_abandoned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fastq, "MAX_RECORD_BYTES", 100_000)
    monkeypatch.setattr(text_stream, "CHUNK_SIZE", 16_384)
    path = tmp_path / "oneline.fastq.gz"
    path.write_bytes(gzip.compress(b"@r\n" + b"A" * 1_000_000))
    report = validate_fastq(path)
    assert [f.code for f in report.errors] == ["fastq.record_too_long"]
    assert report.md5 is not None
