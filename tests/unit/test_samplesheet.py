"""Sample sheets: column guessing, matching rows to files; and the upload intake rules."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from genoflow_desktop.core.errors import UserError
from genoflow_desktop.core.samplesheet import (
    SampleMetadata,
    guess_mapping,
    match_files,
    parse_sheet,
    read_sheet,
    sequencing_type,
)
from genoflow_desktop.core.transfer.intake import FAILED_CHECK, NOT_CHECKED, expand_paths, refusal

NF_CORE = """sample,fastq_1,fastq_2,Project,Instrument,Assay,Run Date
NA12878,/data/run1/NA12878_R1.fastq.gz,/data/run1/NA12878_R2.fastq.gz,PRJ-1,Illumina,wgs,2024-03-01
NA12891,NA12891_R1.fastq.gz,NA12891_R2.fastq.gz,PRJ-1,Illumina,Exome,20240302
GHOST,ghost_R1.fastq.gz,,PRJ-1,Illumina,panel,yesterday
"""


def test_common_headers_are_recognised() -> None:
    sheet = parse_sheet(NF_CORE)
    assert guess_mapping(sheet.headers) == {
        "sample_id": "sample",
        "file_1": "fastq_1",
        "file_2": "fastq_2",
        "project": "Project",
        "sequencing_type": "Assay",
        "platform": "Instrument",
        "library_prep": None,
        "sequencing_date": "Run Date",
    }
    assert guess_mapping(["Sample_ID", "R1", "R2", "Sample_Project"])["sample_id"] == "Sample_ID"
    assert guess_mapping(["Sample_ID", "R1", "R2", "Sample_Project"])["project"] == "Sample_Project"


def test_rows_match_files_by_path_or_name() -> None:
    sheet = parse_sheet(NF_CORE)
    paths = [
        "/data/run1/NA12878_R1.fastq.gz",
        "/data/run1/NA12878_R2.fastq.gz",
        "/elsewhere/NA12891_R1.fastq.gz",
        "/elsewhere/NA12891_R2.fastq.gz",
        "/elsewhere/extra.bam",
    ]
    match = match_files(sheet, guess_mapping(sheet.headers), paths)
    assert match.metadata[paths[0]] == SampleMetadata(
        "NA12878", "PRJ-1", "WGS", "Illumina", "", date(2024, 3, 1)
    )
    assert match.metadata[paths[3]].sequencing_type == "WES"
    assert match.metadata[paths[3]].sequencing_date == date(2024, 3, 2)
    assert "/elsewhere/extra.bam" not in match.metadata
    assert match.unmatched == ["ghost_R1.fastq.gz"]
    assert match.problems == ["Row 4: 'yesterday' is not a date (use YYYY-MM-DD)."]


def test_a_sheet_without_files_matches_by_sample_id_prefix() -> None:
    sheet = parse_sheet("Sample_ID\tSample_Project\nNA12878\tPRJ-2\nNA1\tPRJ-2\n")
    paths = ["/d/NA12878_R1.fq.gz", "/d/NA12878.bam", "/d/NA128789.bam"]
    match = match_files(sheet, guess_mapping(sheet.headers), paths)
    assert sorted(match.metadata) == ["/d/NA12878.bam", "/d/NA12878_R1.fq.gz"]
    assert match.unmatched == ["NA1"]


def test_illumina_sample_sheet_is_read_from_its_data_section(tmp_path: Path) -> None:
    path = tmp_path / "SampleSheet.csv"
    path.write_text(
        "\ufeff[Header]\nIEMFileVersion,4\n\n[Data]\nSample_ID,Sample_Name,Sample_Project\n"
        "S1,S1,PRJ\n",
        encoding="utf-8",
    )
    sheet = read_sheet(path)
    assert sheet.headers == ["Sample_ID", "Sample_Name", "Sample_Project"]
    assert sheet.rows == [{"Sample_ID": "S1", "Sample_Name": "S1", "Sample_Project": "PRJ"}]


def test_a_sheet_without_rows_is_a_user_error() -> None:
    with pytest.raises(UserError, match="no data rows"):
        parse_sheet("sample_id,file\n")


def test_sequencing_type_synonyms() -> None:
    assert [sequencing_type(v) for v in ("WGS", "whole genome", "WXS", "Amplicon", "RNA")] == [
        "WGS",
        "WGS",
        "WES",
        "targeted",
        "RNA",
    ]


def test_ids_that_cannot_be_in_a_key_are_problems() -> None:
    assert SampleMetadata(sample_id="NA12878", project="PRJ-1").problems() == []
    problems = SampleMetadata(sample_id="bad id/1").problems()
    assert len(problems) == 1 and "sample id 'bad id/1'" in problems[0]


def test_files_that_failed_validation_need_an_override() -> None:
    assert refusal(None, override=True) == NOT_CHECKED
    assert refusal("invalid", override=False) == FAILED_CHECK
    assert refusal("invalid", override=True) is None
    assert refusal("valid_with_warnings", override=False) is None


def test_folders_contribute_only_sequencing_files(tmp_path: Path) -> None:
    run = tmp_path / "run"
    (run / "lane1").mkdir(parents=True)
    for name in ("lane1/a_R1.fastq.gz", "lane1/a_R2.fq", "calls.vcf.gz", "log.txt", ".hidden.bam"):
        (run / name).write_text("x")
    notes = tmp_path / "notes.txt"
    notes.write_text("x")
    assert [p.relative_to(tmp_path).as_posix() for p in expand_paths([run, notes])] == [
        "run/calls.vcf.gz",
        "run/lane1/a_R1.fastq.gz",
        "run/lane1/a_R2.fq",
        "notes.txt",  # named explicitly: the user chose it
    ]
