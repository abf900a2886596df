"""Imputation pre-flight: each server rule gives the server's message, and each fix works.

Every fix must write a new file that then passes the pre-flight and leave its input
byte-identical.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from vcf_factory import vcf_text, write_vcf

from genoflow_desktop.core.domain import Severity
from genoflow_desktop.core.errors import UserError
from genoflow_desktop.core.validation.fixes import (
    apply_fix,
    bgzip_sort_index,
    rename_chromosomes,
    server_name,
    set_vcf_version,
    split_by_chromosome,
)
from genoflow_desktop.core.validation.preflight import PreflightResult, imputation_preflight


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _codes(result: PreflightResult) -> set[str]:
    return {f.code for f in result.errors}


def _messages(result: PreflightResult) -> str:
    return "\n".join(f.message for f in result.findings)


def test_clean_file_passes(tmp_path: Path) -> None:
    path = write_vcf(tmp_path / "study.chr20.vcf.gz", vcf_text())
    result = imputation_preflight([path], build="hg19")
    assert result.ok, _messages(result)
    assert "1 valid VCF file(s) found." in result.summary_text()
    assert "Datatype: phased" in result.summary_text()
    assert result.summary["chromosomes"] == ["20"]
    assert result.summary["samples"] == 25


def test_plain_gzip_is_malformed_and_the_fix_bgzips(tmp_path: Path) -> None:
    path = write_vcf(tmp_path / "study.vcf.gz", vcf_text(), compression="gzip")
    before = _digest(path)
    result = imputation_preflight([path], build="hg19")
    finding = next(f for f in result.errors if f.code == "not_bgzf")
    assert finding.message == (
        "The provided VCF file is malformed.\nError: [tabix] the compression of 'study.vcf.gz' is "
        "not BGZF"
    )
    assert finding.hint and finding.fix == "bgzip_sort_index"
    fixed = apply_fix(finding.fix, path)
    assert _digest(path) == before
    assert fixed == [tmp_path / "study.sorted.vcf.gz"]
    assert (tmp_path / "study.sorted.vcf.gz.tbi").is_file()
    assert imputation_preflight(fixed, build="hg19").ok


def test_unsorted_positions_and_the_sort_fix(tmp_path: Path) -> None:
    path = write_vcf(tmp_path / "study.vcf.gz", vcf_text(unsorted=True))
    before = _digest(path)
    result = imputation_preflight([path], build="hg19")
    finding = next(f for f in result.errors if f.code == "unsorted")
    assert finding.message.startswith(
        "The provided VCF file is malformed.\nError: [E::hts_idx_push] Unsorted positions on "
        "sequence #1:"
    )
    assert "tbx_index_build failed: study.vcf.gz" in finding.message
    fixed = bgzip_sort_index(path)
    assert _digest(path) == before
    assert imputation_preflight([fixed], build="hg19").ok


def test_two_chromosomes_and_the_split_fix(tmp_path: Path) -> None:
    path = write_vcf(tmp_path / "study.vcf.gz", vcf_text(chroms=("20", "21")))
    before = _digest(path)
    result = imputation_preflight([path], build="hg19")
    finding = next(f for f in result.errors if f.code == "multiple_chromosomes")
    assert finding.message == (
        "The provided VCF file contains more than one chromosome. Please split your input VCF file "
        "by chromosome"
    )
    outputs = split_by_chromosome(path, tmp_path / "split")
    assert _digest(path) == before
    assert [p.name for p in outputs] == ["study.20.vcf.gz", "study.21.vcf.gz"]
    after = imputation_preflight(outputs, build="hg19")
    assert after.ok, _messages(after)
    assert after.summary["chromosomes"] == ["20", "21"]


@pytest.mark.parametrize(
    ("build", "chrom", "wanted"), [("hg19", "chr20", "20"), ("hg38", "20", "chr20")]
)
def test_chromosome_encoding_for_the_build(
    tmp_path: Path, build: str, chrom: str, wanted: str
) -> None:
    path = write_vcf(tmp_path / "study.vcf.gz", vcf_text(chroms=(chrom,)))
    before = _digest(path)
    result = imputation_preflight([path], build=build)
    finding = next(f for f in result.errors if f.code == "build_encoding")
    assert finding.message == (
        f"Your upload data contains chromosome '{chrom}'. This is not a valid {build} encoding. "
        f"Please ensure that your input data is build {build} and chromosome is encoded as "
        f"'{wanted}'."
    )
    fixed = rename_chromosomes(path, build)
    assert _digest(path) == before
    after = imputation_preflight([fixed], build=build)
    assert after.ok, _messages(after)
    assert list(after.reports[str(fixed)].metrics["chromosomes"]) == [wanted]


def test_too_few_samples(tmp_path: Path) -> None:
    path = write_vcf(tmp_path / "study.vcf.gz", vcf_text(samples=10))
    result = imputation_preflight([path], build="hg19")
    assert "At least 20 samples must be uploaded." in _messages(result)
    assert imputation_preflight([path], build="hg19", min_samples=5).ok


def test_sample_limits_come_from_the_server(tmp_path: Path) -> None:
    path = write_vcf(tmp_path / "study.vcf.gz", vcf_text(samples=25))
    result = imputation_preflight([path], build="hg19", min_samples=1, max_samples=20)
    assert "The maximum number of samples is 20." in _messages(result)
    assert "too_many_samples" in _codes(result)


def test_duplicate_sample_ids(tmp_path: Path) -> None:
    names = [f"S{i}" for i in range(24)] + ["S3"]
    path = write_vcf(tmp_path / "study.vcf.gz", vcf_text(sample_names=names))
    result = imputation_preflight([path], build="hg19")
    assert "Two individuals or more have the following ID: S3" in _messages(result)


def test_ref_equals_alt(tmp_path: Path) -> None:
    path = write_vcf(tmp_path / "study.vcf.gz", vcf_text(ref_equals_alt=True))
    result = imputation_preflight([path], build="hg19")
    assert (
        "The provided VCF file is malformed at variation rs6: reference allele (C) and alternate "
        "allele  (C) are the same." in _messages(result)
    )


def test_no_genotypes(tmp_path: Path) -> None:
    path = write_vcf(tmp_path / "study.vcf.gz", vcf_text(no_gt=True))
    result = imputation_preflight([path], build="hg19", min_samples=0)
    assert "no_genotypes" in _codes(result)
    assert "needs the GT field" in _messages(result)


def test_unphased_needs_a_phasing_algorithm(tmp_path: Path) -> None:
    path = write_vcf(tmp_path / "study.vcf.gz", vcf_text(phased=False))
    assert imputation_preflight([path], build="hg19", phasing="eagle").ok
    result = imputation_preflight([path], build="hg19", phasing="no_phasing")
    assert "Your input data is unphased. Please select an algorithm for phasing." in _messages(
        result
    )
    assert result.summary["datatype"] == "unphased"


def test_unknown_phasing_option(tmp_path: Path) -> None:
    path = write_vcf(tmp_path / "study.vcf.gz", vcf_text())
    result = imputation_preflight([path], build="hg19", phasing="shapeit")
    assert "For phasing, only options 'eagle', 'beagle' or 'no_phasing' are allowed." in _messages(
        result
    )


def test_different_sample_ids_across_files(tmp_path: Path) -> None:
    a = write_vcf(tmp_path / "a.chr20.vcf.gz", vcf_text(chroms=("20",)))
    other = [f"T{i:03d}" for i in range(25)]
    b = write_vcf(tmp_path / "b.chr21.vcf.gz", vcf_text(chroms=("21",), sample_names=other))
    result = imputation_preflight([a, b], build="hg19")
    assert "samples_differ" in _codes(result)
    c = write_vcf(tmp_path / "c.chr22.vcf.gz", vcf_text(chroms=("22",), samples=30))
    result = imputation_preflight([a, c], build="hg19")
    assert (
        "Please double check, if all uploaded VCF files include the same amount of samples (30 vs "
        "25)" in _messages(result)
    )


def test_same_chromosome_in_two_files(tmp_path: Path) -> None:
    a = write_vcf(tmp_path / "a.vcf.gz", vcf_text())
    b = write_vcf(tmp_path / "b.vcf.gz", vcf_text())
    assert "chromosome_twice" in _codes(imputation_preflight([a, b], build="hg19"))


def test_invalid_chromosome(tmp_path: Path) -> None:
    path = write_vcf(tmp_path / "study.vcf.gz", vcf_text(chroms=("Y",)))
    assert "Invalid chromosome found: Y" in _messages(imputation_preflight([path], build="hg19"))


def test_not_named_vcf_gz(tmp_path: Path) -> None:
    path = write_vcf(tmp_path / "study.vcf", vcf_text(), compression="none")
    result = imputation_preflight([path], build="hg19")
    assert "No vcf.gz input files detected." in _messages(result)
    fixed = bgzip_sort_index(path)
    assert fixed.name == "study.sorted.vcf.gz"
    assert imputation_preflight([fixed], build="hg19").ok


def test_vcf43_on_chromosome_x_warns_and_the_version_fix(tmp_path: Path) -> None:
    path = write_vcf(tmp_path / "study.chrX.vcf.gz", vcf_text(chroms=("X",), version="VCFv4.3"))
    before = _digest(path)
    result = imputation_preflight([path], build="hg19")
    assert result.ok
    warning = next(f for f in result.warnings if f.code == "vcf43_chrx")
    assert (
        "Calculating QC Statistics failed." in warning.message and warning.fix == "vcf_version_42"
    )
    fixed = set_vcf_version(path)
    assert _digest(path) == before
    assert "vcf43_chrx" not in {
        f.code for f in imputation_preflight([fixed], build="hg19").warnings
    }


def test_qc_exclusions_are_warnings(tmp_path: Path) -> None:
    text = vcf_text().replace("\tA\tC\t", "\tA\tC,G\t", 1).replace("\tC\tG\t", "\tC\tCT\t", 1)
    path = write_vcf(tmp_path / "study.vcf.gz", text)
    result = imputation_preflight([path], build="hg19")
    codes = {f.code for f in result.warnings}
    assert {"qc_multiallelic", "qc_indels"} <= codes
    assert all(f.severity is Severity.WARNING for f in result.findings if f.code.startswith("qc_"))


def test_damaged_file_is_malformed(tmp_path: Path) -> None:
    path = write_vcf(tmp_path / "study.vcf.gz", vcf_text())
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    result = imputation_preflight([path], build="hg19")
    assert next(f for f in result.errors if f.code == "malformed").message.startswith(
        "The provided VCF file is malformed.\nError: "
    )


def test_fixes_refuse_to_overwrite(tmp_path: Path) -> None:
    path = write_vcf(tmp_path / "study.vcf.gz", vcf_text())
    bgzip_sort_index(path)
    with pytest.raises(UserError, match="already exists"):
        bgzip_sort_index(path)
    assert bgzip_sort_index(path, overwrite=True).is_file()
    with pytest.raises(UserError, match="overwrite its own input"):
        bgzip_sort_index(path, path)


def test_fix_failure_leaves_no_partial_file(tmp_path: Path) -> None:
    folder = tmp_path / "work"
    folder.mkdir()
    path = write_vcf(folder / "broken.vcf.gz", "##fileformat=VCFv4.2\nnot a vcf\n")
    with pytest.raises(UserError):
        bgzip_sort_index(path)
    assert sorted(p.name for p in folder.iterdir()) == ["broken.vcf.gz"]


def test_reports_are_reused(tmp_path: Path) -> None:
    path = write_vcf(tmp_path / "study.vcf.gz", vcf_text())
    first = imputation_preflight([path], build="hg19")
    again = imputation_preflight([path], build="hg19", reports=first.reports)
    assert again.reports[str(path)] is first.reports[str(path)]


@pytest.mark.parametrize(
    ("name", "build", "expected"),
    [
        ("chr20", "hg19", "20"),
        ("20", "hg38", "chr20"),
        ("chrM", "hg19", "MT"),
        ("MT", "hg38", "chrMT"),
        ("chrX", "hg19", "X"),
        ("GL000192.1", "hg38", "GL000192.1"),
        ("23", "hg38", "chr23"),
    ],
)
def test_server_chromosome_names(name: str, build: str, expected: str) -> None:
    assert server_name(name, build) == expected
