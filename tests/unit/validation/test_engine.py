"""The engine entry points: dispatch by content, pairs, reports in the store, HTML export, CLI."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

from genoflow_desktop.core.domain import FileFormat, Verdict
from genoflow_desktop.core.paths import AppDirs
from genoflow_desktop.core.store import open_store
from genoflow_desktop.core.store.models import DataFile, ValidationResult
from genoflow_desktop.core.store.repositories import record_validation
from genoflow_desktop.core.validation import html_report
from genoflow_desktop.core.validation.engine import validate_file, validate_files
from tests.conftest import CORPUS, REPO_ROOT

FASTQ = CORPUS / "fastq" / "biopython__example.fastq"
BAM = CORPUS / "bam" / "generated__ce1000.bam"
BAD_BAM = CORPUS / "bam" / "generated__ce1000_bad_block_crc.bam"


def _write_fastq(path: Path, names: list[str]) -> Path:
    text = "".join(f"@{name}\nACGTN\n+\nIIII#\n" for name in names)
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def test_dispatch_follows_content_not_name(tmp_path: Path) -> None:
    disguised = tmp_path / "reads.vcf"
    disguised.write_bytes(BAM.read_bytes())
    report = validate_file(disguised)
    assert report.format is FileFormat.BAM
    assert report.verdict is Verdict.VALID_WITH_WARNINGS
    assert any(w.code == "sniff.extension_mismatch" for w in report.warnings)


def test_unknown_content_is_invalid_with_a_reason(tmp_path: Path) -> None:
    notes = tmp_path / "notes.fastq"
    notes.write_text("Meeting notes, not reads.\n")
    report = validate_file(notes)
    assert report.verdict is Verdict.INVALID
    assert report.errors[0].message.startswith("Not a FASTQ, SAM, BAM, CRAM, VCF or BCF file.")
    assert report.md5 is not None


def test_unreadable_file_is_a_finding_not_an_exception(tmp_path: Path) -> None:
    report = validate_file(tmp_path / "missing.bam")
    assert report.verdict is Verdict.INVALID
    assert report.errors[0].code == "io.unreadable"


def test_pairs_are_checked_together_and_order_is_kept(tmp_path: Path) -> None:
    r1 = _write_fastq(tmp_path / "s1_R1.fastq.gz", ["a/1", "b/1"])
    r2 = _write_fastq(tmp_path / "s1_R2.fastq.gz", ["a/2", "c/2"])
    reports = validate_files([BAM, r2, r1], workers=2)
    assert [Path(r.path).name for r in reports] == [BAM.name, r2.name, r1.name]
    assert reports[0].verdict is Verdict.VALID
    assert reports[1].verdict is Verdict.INVALID and reports[2].verdict is Verdict.INVALID


def test_reports_are_kept_in_the_store(app_dirs: AppDirs) -> None:
    store = open_store(app_dirs.database)
    try:
        with store.session() as session:
            for report in validate_files([FASTQ, BAD_BAM]):
                record_validation(session, report)
        with store.session() as session:
            files = {f.name: f for f in session.query(DataFile)}
            assert files[FASTQ.name].md5 == validate_file(FASTQ).md5
            results = {r.file.name: r for r in session.query(ValidationResult)}
            assert results[BAD_BAM.name].verdict == "invalid"
            assert results[BAD_BAM.name].report["errors"][0]["message"]
    finally:
        store.close()


def test_html_report_is_self_contained(tmp_path: Path) -> None:
    report = validate_file(BAM)
    target = html_report.write(report, tmp_path / "out" / "bam.html")
    text = target.read_text()
    assert text.startswith("<!DOCTYPE html>")
    assert "<svg" in text and "Mapping quality" in text
    assert report.md5 in text
    assert "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert not list(target.parent.glob(".*.part"))


def test_html_escapes_file_content(tmp_path: Path) -> None:
    report = validate_file(FASTQ)
    report.error("test.injected", "<script>alert(1)</script>")
    assert "<script>" not in html_report.render(report)


def _genoflow(*args: str, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "genoflow_desktop", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=300,
        check=False,
    )


def test_cli_json_and_exit_codes(tmp_path: Path) -> None:
    result = _genoflow("--basedir", str(tmp_path), "validate", "--json", str(FASTQ), str(BAD_BAM))
    assert result.returncode == 1, result.stderr
    reports = json.loads(result.stdout)
    assert [r["verdict"] for r in reports] == ["valid", "invalid"]
    for report in reports:
        assert {
            "path",
            "format",
            "verdict",
            "errors",
            "warnings",
            "metrics",
            "md5",
            "sha256",
        } <= report.keys()
    assert _genoflow("--basedir", str(tmp_path), "validate", str(FASTQ)).returncode == 0
    missing = _genoflow("--basedir", str(tmp_path), "validate", str(tmp_path / "nope.bam"))
    assert missing.returncode == 2 and "not a file" in missing.stderr


def test_cli_preflight_and_fix_round_trip(tmp_path: Path) -> None:
    samples = [f"S{i}" for i in range(25)]
    header = [
        "##fileformat=VCFv4.2",
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t" + "\t".join(samples),
    ]
    body = [
        f"chr20\t{60000 + i}\t.\tA\tG\t.\tPASS\t.\tGT\t" + "\t".join(["0|1"] * 25)
        for i in range(50)
    ]
    source = tmp_path / "study.vcf.gz"
    source.write_bytes(gzip.compress(("\n".join(header + body) + "\n").encode()))
    before = source.read_bytes()

    checked = _genoflow(
        "--basedir",
        str(tmp_path),
        "validate",
        "--json",
        str(source),
        "--preflight",
        "imputation",
        "--build",
        "hg19",
    )
    assert checked.returncode == 1
    codes = {
        f["fix"] for f in json.loads(checked.stdout)[0]["preflight"] if f["severity"] == "error"
    }
    assert {"bgzip_sort_index", "rename_chromosomes"} <= codes

    bgzipped = _genoflow("--basedir", str(tmp_path), "fix", "bgzip_sort_index", str(source))
    assert bgzipped.returncode == 0, bgzipped.stderr
    renamed = _genoflow(
        "--basedir",
        str(tmp_path),
        "fix",
        "rename_chromosomes",
        "--build",
        "hg19",
        bgzipped.stdout.strip(),
    )
    assert renamed.returncode == 0, renamed.stderr
    final = _genoflow(
        "--basedir",
        str(tmp_path),
        "validate",
        renamed.stdout.strip(),
        "--preflight",
        "imputation",
        "--build",
        "hg19",
    )
    assert final.returncode == 0, final.stdout
    assert "the server would accept these files" in final.stdout
    assert source.read_bytes() == before  # the input is never touched


def test_whole_corpus_through_the_engine_meets_the_bar() -> None:
    """What `genoflow validate` says on all 572 cases: >= 97 % agreement per format on the
    undisputed cases, every integrity case rejected, every rejection named, nothing raised."""
    from tests.corpus_agreement import evaluate

    results = evaluate()
    assert len(results) == 572
    assert not [r.case["path"] for r in results if r.raised]
    for fmt in ("fastq", "sam", "bam", "cram", "vcf"):
        undisputed = [r for r in results if r.case["format"] == fmt and not r.dialect]
        assert sum(r.agrees for r in undisputed) / len(undisputed) >= 0.97, fmt
    assert all(r.agrees for r in results if r.integrity)
    assert all(r.message for r in results if r.verdict == "invalid")
