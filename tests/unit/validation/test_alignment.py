"""SAM/BAM/CRAM validation: flagstat against samtools, sort order, record checks, CRAM reference."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import pysam
import pytest

from genoflow_desktop.core.domain import Compression, FileFormat, Verdict
from genoflow_desktop.core.errors import Cancelled
from genoflow_desktop.core.progress import CancelToken, Progress
from genoflow_desktop.core.validation.alignment import validate_alignment

CORPUS = Path(__file__).resolve().parents[2] / "data" / "corpus"
_FLAGSTAT_LINES = {
    "in total": "total",
    "primary": "primary",
    "secondary": "secondary",
    "supplementary": "supplementary",
    "duplicates": "duplicates",
    "primary duplicates": "primary_duplicates",
    "mapped": "mapped",
    "primary mapped": "primary_mapped",
    "paired in sequencing": "paired",
    "read1": "read1",
    "read2": "read2",
    "properly paired": "properly_paired",
    "with itself and mate mapped": "with_itself_and_mate_mapped",
    "singletons": "singletons",
    "with mate mapped to a different chr": "mate_on_different_chr",
    "with mate mapped to a different chr (mapQ>=5)": "mate_on_different_chr_mapq5",
}


def samtools_flagstat(path: Path) -> dict[str, list[int]]:
    text = pysam.samtools.flagstat(str(path))
    result = {}
    for line in text.splitlines():
        match = re.match(r"(\d+) \+ (\d+) (.+?)(?: \(\S+ : \S+\))?$", line)
        if match:
            label = match.group(3).replace(" (QC-passed reads + QC-failed reads)", "")
            result[_FLAGSTAT_LINES[label]] = [int(match.group(1)), int(match.group(2))]
    return result


def make_bam(
    path: Path,
    *,
    n: int = 3000,
    sort_order: str = "coordinate",
    shuffle: bool = False,
    seed: int = 5,
) -> Path:
    """Paired reads over three references with every kind of FLAG flagstat counts."""
    rng = np.random.default_rng(seed)
    header = {
        "HD": {"VN": "1.6", "SO": sort_order},
        "SQ": [{"SN": f"chr{i}", "LN": 1_000_000} for i in (1, 2, 3)],
        "RG": [{"ID": "rg1", "SM": "NA12878", "LB": "lib1", "PL": "ILLUMINA"}],
    }
    reads = []
    for i in range(n):
        read = pysam.AlignedSegment()
        read.query_name = f"r{i:06d}"
        flag = int(
            rng.choice(
                [99, 147, 83, 163, 65, 129, 73, 133, 89, 121, 256 | 99, 2048 | 65, 4, 77, 141]
            )
        )
        if rng.random() < 0.05:
            flag |= 0x200
        if rng.random() < 0.07:
            flag |= 0x400
        read.flag = flag
        unmapped = bool(flag & 4)
        read.reference_id = -1 if unmapped and i % 2 else int(rng.integers(0, 3))
        read.reference_start = -1 if read.reference_id < 0 else int(rng.integers(0, 900_000))
        read.mapping_quality = 0 if unmapped else int(rng.choice([0, 1, 4, 5, 30, 60]))
        read.cigarstring = None if unmapped else "50M"
        read.query_sequence = "ACGT" * 12 + "AC"
        read.query_qualities = pysam.qualitystring_to_array("I" * 50)
        read.next_reference_id = -1 if flag & 8 else int(rng.integers(0, 3))
        read.next_reference_start = (
            -1 if read.next_reference_id < 0 else int(rng.integers(0, 900_000))
        )
        read.template_length = int(rng.integers(-600, 600)) if flag & 2 else 0
        read.set_tag("RG", "rg1")
        reads.append(read)
    if not shuffle:
        reads.sort(key=lambda r: (r.reference_id if r.reference_id >= 0 else 99, r.reference_start))
    with pysam.AlignmentFile(str(path), "wb", header=header) as out:
        for read in reads:
            out.write(read)
    return path


def test_flagstat_matches_samtools(tmp_path: Path) -> None:
    path = make_bam(tmp_path / "a.bam")
    report = validate_alignment(path, fmt=FileFormat.BAM)
    assert report.verdict is Verdict.VALID, report.errors[:3]
    assert report.metrics["flagstat"] == samtools_flagstat(path)
    assert report.records == 3000 and report.compression is Compression.BGZF


@pytest.mark.parametrize(
    "name",
    [
        "bam/hts-specs__level-1.bam",
        "bam/htslib__range.bam",
        "bam/samtools__4.quickcheck.ok.bam",
        "sam/pysam__tag_bug.sam",
        "sam/hts-specs__passed__pnext.triplet-supp.sam",
    ],
)
def test_flagstat_matches_samtools_on_corpus(name: str) -> None:
    path = CORPUS / name
    fmt = FileFormat.SAM if name.endswith(".sam") else FileFormat.BAM
    assert validate_alignment(path, fmt=fmt).metrics["flagstat"] == samtools_flagstat(path)


def test_mapq_and_insert_size(tmp_path: Path) -> None:
    report = validate_alignment(make_bam(tmp_path / "a.bam"), fmt=FileFormat.BAM)
    mapq = report.metrics["mapq"]["counts"]
    assert set(mapq) <= {"0", "1", "4", "5", "30", "60"} and sum(mapq.values()) > 0
    insert = report.metrics["insert_size"]
    assert insert["count"] > 0 and 0 < insert["median"] < 600
    assert sum(insert["histogram"]["counts"]) == insert["count"]


def test_header_metrics(tmp_path: Path) -> None:
    header = validate_alignment(make_bam(tmp_path / "a.bam"), fmt=FileFormat.BAM).metrics["header"]
    assert header["references"] == 3 and header["reference_length"] == 3_000_000
    assert header["read_groups"] == [
        {"id": "rg1", "sample": "NA12878", "library": "lib1", "platform": "ILLUMINA"}
    ]
    assert header["samples"] == ["NA12878"] and header["sort_order"] == "coordinate"


def test_coordinate_claim_is_checked(tmp_path: Path) -> None:
    report = validate_alignment(make_bam(tmp_path / "a.bam", shuffle=True), fmt=FileFormat.BAM)
    assert report.errors[0].code == "sort_order_violated" and report.errors[0].record
    assert report.metrics["sort"] == {"claimed": "coordinate", "coordinate_sorted": False}
    fine = validate_alignment(
        make_bam(tmp_path / "b.bam", shuffle=True, sort_order="unsorted"), fmt=FileFormat.BAM
    )
    assert fine.verdict is Verdict.VALID


@pytest.mark.parametrize(
    ("names", "ok"),
    [(["a1", "a2", "a10", "b"], True), (["a1", "a10", "a2"], True), (["b", "a"], False)],
)
def test_queryname_claim(tmp_path: Path, names: list[str], ok: bool) -> None:
    text = "@HD\tVN:1.6\tSO:queryname\n" + "".join(
        f"{q}\t4\t*\t0\t0\t*\t*\t0\t0\tAC\tII\n" for q in names
    )
    path = tmp_path / "q.sam"
    path.write_text(text)
    report = validate_alignment(path, fmt=FileFormat.SAM)
    assert (report.error_count == 0) is ok
    assert report.metrics["sort"]["queryname_sorted"] is ok


def _rewrite_bam(src: Path, dest: Path, edit: int, value: bytes) -> Path:
    """Copy a BAM, overwriting decompressed bytes at ``edit`` (from the first record)."""
    with pysam.libcbgzf.BGZFile(str(src), "rb") as handle:
        data = bytearray(handle.read())
    l_text = int.from_bytes(data[4:8], "little")
    pos = 8 + l_text
    n_ref = int.from_bytes(data[pos : pos + 4], "little")
    pos += 4
    for _ in range(n_ref):
        l_name = int.from_bytes(data[pos : pos + 4], "little")
        pos += 8 + l_name
    data[pos + edit : pos + edit + len(value)] = value
    with pysam.libcbgzf.BGZFile(str(dest), "wb") as out:
        out.write(bytes(data))
    return dest


@pytest.mark.parametrize(
    ("edit", "value", "code"),
    [
        (4, (7).to_bytes(4, "little"), "bam_reference_index"),  # refID beyond the 3 references
        (20, (999).to_bytes(4, "little"), "bam_record_layout"),  # l_seq larger than the record
        (40, b"\x40", "bam_read_name"),
    ],  # '@' inside the read name
)
def test_bam_record_checks(tmp_path: Path, edit: int, value: bytes, code: str) -> None:
    source = make_bam(tmp_path / "a.bam", n=50)
    report = validate_alignment(
        _rewrite_bam(source, tmp_path / "b.bam", edit, value), fmt=FileFormat.BAM
    )
    assert code in {e.code for e in report.errors}
    finding = next(e for e in report.errors if e.code == code)
    assert finding.record == 1 and finding.offset is not None


def test_cram_reference_handling() -> None:
    path = CORPUS / "cram/hts-specs__0500_mapped.cram"
    without = validate_alignment(path, fmt=FileFormat.CRAM)
    assert without.verdict is Verdict.VALID_WITH_WARNINGS
    warning = next(w for w in without.warnings if w.code == "cram_reference_missing")
    assert "REF_PATH" in warning.hint and without.metrics["cram"]["records_decoded"] is False
    with_ref = validate_alignment(
        path, fmt=FileFormat.CRAM, reference=CORPUS / "cram/ref/htslib__ce.fa"
    )
    assert with_ref.verdict is Verdict.VALID and with_ref.records > 0
    assert with_ref.metrics["cram"] == {"reference": "given", "records_decoded": True}
    wrong = validate_alignment(path, fmt=FileFormat.CRAM, reference=Path("/nonexistent/ref.fa"))
    assert "does not exist" in wrong.warnings[0].message


def test_checksums_and_progress(tmp_path: Path) -> None:
    for path, fmt in [
        (make_bam(tmp_path / "a.bam"), FileFormat.BAM),
        (CORPUS / "sam/pysam__tag_bug.sam", FileFormat.SAM),
        (CORPUS / "cram/hts-specs__0300_unmapped.cram", FileFormat.CRAM),
    ]:
        seen: list[Progress] = []
        report = validate_alignment(path, fmt=fmt, progress=seen.append)
        data = path.read_bytes()
        assert report.md5 == hashlib.md5(data).hexdigest()
        assert report.sha256 == hashlib.sha256(data).hexdigest()
        assert seen and seen[-1].done == len(data)


def test_cancel(tmp_path: Path) -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        validate_alignment(make_bam(tmp_path / "a.bam"), fmt=FileFormat.BAM, cancel=token)


def test_nothing_escapes_for_odd_inputs(tmp_path: Path) -> None:
    (tmp_path / "text.bam").write_text("this is not a BAM file\n")
    (tmp_path / "zeros.cram").write_bytes(b"\x00" * 100)
    (tmp_path / "bin.sam").write_bytes(bytes(range(256)) * 4)
    for name, fmt in [
        ("text.bam", FileFormat.BAM),
        ("zeros.cram", FileFormat.CRAM),
        ("bin.sam", FileFormat.SAM),
        ("missing.bam", FileFormat.BAM),
    ]:
        report = validate_alignment(tmp_path / name, fmt=fmt)
        assert report.verdict is Verdict.INVALID and report.errors[0].message


def test_bgzf_sam_needs_its_eof_marker(tmp_path: Path) -> None:
    text = (CORPUS / "sam/pysam__tag_bug.sam").read_bytes()
    path = tmp_path / "x.sam.gz"
    with pysam.libcbgzf.BGZFile(str(path), "wb", None) as out:
        out.write(text)
    assert validate_alignment(path, fmt=FileFormat.SAM).verdict is Verdict.VALID
    path.write_bytes(path.read_bytes()[:-28])
    report = validate_alignment(path, fmt=FileFormat.SAM)
    assert [e.code for e in report.errors] == ["bgzf_eof_missing"]
