"""Content sniffing: formats and compression from the bytes, and name/content mismatches."""

from __future__ import annotations

import bz2
import gzip
import lzma
import shutil
from pathlib import Path

import pytest

from genoflow_desktop.core.domain import Compression, FileFormat
from genoflow_desktop.core.validation.fastq import validate_fastq
from genoflow_desktop.core.validation.sniff import sniff

CORPUS = Path(__file__).resolve().parents[2] / "data" / "corpus"
FASTQ_TEXT = b"@r1\nACGT\n+\nIIII\n@r2\nGGCA\n+\nIIII\n"


@pytest.mark.parametrize(
    ("path", "fmt", "compression"),
    [
        ("bam/generated__ce1000.bam", FileFormat.BAM, Compression.BGZF),
        ("bam/generated__ce1000_plain_gzip.bam", FileFormat.BAM, Compression.GZIP),
        ("bam/generated__ce1000_uncompressed.bam", FileFormat.BAM, Compression.NONE),
        ("cram/hts-specs__0300_unmapped.cram", FileFormat.CRAM, Compression.NONE),
        ("sam/hts-specs__passed__hdr.SQ1.sam", FileFormat.SAM, Compression.NONE),
        ("vcf/bcftools__reheader.1.out.bcf", FileFormat.VCF, Compression.NONE),
        ("fastq/biopython__example.fastq", FileFormat.FASTQ, Compression.NONE),
        ("fastq/biopython__example.fastq.gz", FileFormat.FASTQ, Compression.GZIP),
        ("fastq/biopython__example.fastq.bgz", FileFormat.FASTQ, Compression.BGZF),
        ("fastq/generated__multimember.fastq.gz", FileFormat.FASTQ, Compression.GZIP),
        ("fastq/biopython__example.fasta", FileFormat.UNKNOWN, Compression.NONE),
        ("vcf/vcf-validator__passed_compressed.vcf.bz2", FileFormat.VCF, Compression.BZIP2),
    ],
)
def test_corpus_files(path: str, fmt: FileFormat, compression: Compression) -> None:
    result = sniff(CORPUS / path)
    assert (result.format, result.compression) == (fmt, compression)
    assert result.detail


def _first(folder: str, suffix: str, fmt: FileFormat) -> Path:
    """The first valid-looking corpus file of a kind (names change less than contents)."""
    for path in sorted((CORPUS / folder).glob(f"*{suffix}")):
        if "generated__" not in path.name and sniff(path).format is fmt:
            return path
    raise AssertionError(f"no {suffix} file in the corpus")


@pytest.mark.parametrize(
    ("folder", "suffix", "fmt", "compressions"),
    [
        ("sam", ".sam", FileFormat.SAM, {Compression.NONE}),
        ("vcf", ".vcf", FileFormat.VCF, {Compression.NONE}),
        ("vcf", ".vcf.gz", FileFormat.VCF, {Compression.BGZF, Compression.GZIP}),
        ("vcf", ".bcf", FileFormat.BCF, {Compression.BGZF}),
        ("cram", ".cram", FileFormat.CRAM, {Compression.NONE}),
        ("bam", ".bam", FileFormat.BAM, {Compression.BGZF}),
    ],
)
def test_each_format_is_recognised(
    folder: str, suffix: str, fmt: FileFormat, compressions: set[Compression]
) -> None:
    path = _first(folder, suffix, fmt)
    result = sniff(path)
    assert result.compression in compressions
    assert result.extension_mismatch is None


def test_bcf_named_file_holding_vcf_text_is_a_mismatch() -> None:
    result = sniff(CORPUS / "vcf" / "bcftools__reheader.1.out.bcf")
    assert result.format is FileFormat.VCF
    assert result.extension_mismatch is not None and "BCF" in result.extension_mismatch


def test_gzip_named_fastq_is_a_mismatch(tmp_path: Path) -> None:
    path = tmp_path / "reads.fastq"
    path.write_bytes(gzip.compress(FASTQ_TEXT))
    result = sniff(path)
    assert result.format is FileFormat.FASTQ
    assert result.compression is Compression.GZIP
    assert result.extension_mismatch is not None and ".gz" in result.extension_mismatch
    report = validate_fastq(path)
    assert report.records == 2
    assert [f.code for f in report.warnings] == ["file.extension_mismatch"]
    assert report.error_count == 0


def test_plain_text_named_gz_is_a_mismatch(tmp_path: Path) -> None:
    path = tmp_path / "reads.fastq.gz"
    path.write_bytes(FASTQ_TEXT)
    result = sniff(path)
    assert (result.format, result.compression) == (FileFormat.FASTQ, Compression.NONE)
    assert result.extension_mismatch is not None and "not compressed" in result.extension_mismatch


def test_bgz_name_with_plain_gzip_is_a_mismatch(tmp_path: Path) -> None:
    path = tmp_path / "reads.fastq.bgz"
    path.write_bytes(gzip.compress(FASTQ_TEXT))
    assert "BGZF" in (sniff(path).extension_mismatch or "")


def test_fastq_content_under_a_bam_name(tmp_path: Path) -> None:
    path = tmp_path / "sample.bam"
    shutil.copy(CORPUS / "fastq" / "biopython__example.fastq", path)
    result = sniff(path)
    assert result.format is FileFormat.FASTQ
    assert "BAM" in (result.extension_mismatch or "")


@pytest.mark.parametrize(
    ("pack", "compression"),
    [(bz2.compress, Compression.BZIP2), (lzma.compress, Compression.XZ)],
)
def test_bzip2_and_xz(tmp_path: Path, pack: object, compression: Compression) -> None:
    path = tmp_path / "reads.fastq"
    path.write_bytes(pack(FASTQ_TEXT))  # type: ignore[operator]
    result = sniff(path)
    assert (result.format, result.compression) == (FileFormat.FASTQ, compression)
    assert validate_fastq(path).records == 2


def test_zstd_is_recognised_but_not_inspected(tmp_path: Path) -> None:
    path = tmp_path / "reads.fastq.zst"
    path.write_bytes(b"\x28\xb5\x2f\xfd" + bytes(20))
    result = sniff(path)
    assert result.compression is Compression.ZSTD
    assert result.content == "unsupported"
    assert result.extension_mismatch is None
    assert [f.code for f in validate_fastq(path).errors] == ["compression.unsupported"]


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.fastq"
    path.write_bytes(b"")
    result = sniff(path)
    assert (result.format, result.content) == (FileFormat.UNKNOWN, "empty")
    assert "empty" in result.detail
    assert [f.code for f in validate_fastq(path).errors] == ["file.empty"]


def test_empty_gzip_member(tmp_path: Path) -> None:
    path = tmp_path / "empty.fastq.gz"
    path.write_bytes(gzip.compress(b""))
    assert sniff(path).content == "empty"
    assert [f.code for f in validate_fastq(path).errors] == ["fastq.no_reads"]


def test_headerless_sam_and_binary(tmp_path: Path) -> None:
    sam = tmp_path / "x.sam"
    sam.write_bytes(b"r1\t0\tchr1\t100\t60\t4M\t*\t0\t0\tACGT\tIIII\n")
    assert sniff(sam).format is FileFormat.SAM
    blob = tmp_path / "x.bin"
    blob.write_bytes(bytes(range(256)) * 4)
    assert sniff(blob).content == "binary"
    report = validate_fastq(blob)
    assert [f.code for f in report.errors] == ["fastq.not_fastq"]


def test_fastq_with_a_nul_in_the_quality_is_still_fastq() -> None:
    result = sniff(CORPUS / "fastq" / "biopython__error_qual_null.fastq")
    assert result.format is FileFormat.FASTQ
    report = validate_fastq(CORPUS / "fastq" / "biopython__error_qual_null.fastq")
    assert report.errors[0].code == "fastq.quality_character"
    assert "NUL" in report.errors[0].message


def test_reads_only_the_head(tmp_path: Path) -> None:
    path = tmp_path / "big.fastq.gz"
    path.write_bytes(gzip.compress(FASTQ_TEXT * 200_000, compresslevel=1))
    assert sniff(path).format is FileFormat.FASTQ  # and quickly: only 64 KiB are read
