"""Sample metadata and sample sheets: which sample, project and sequencing run each file is.

A sample sheet is a CSV (or TSV) with one row per sample or per file. Labs name their columns
in many ways (``Sample_ID``, ``sample``, ``fastq_1``, ``R1`` ...), so the columns are mapped to
our fields by a guess the user can correct (:func:`guess_mapping`), then rows are matched to
the files being uploaded by file name, or by sample id when the sheet names no files.
Illumina's SampleSheet.csv is read from its ``[Data]`` section.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from genoflow_desktop.core.errors import UserError
from genoflow_desktop.core.transfer.planner import check_segment

SEQUENCING_TYPES = ("WGS", "WES", "targeted")
PLATFORMS = ("Illumina", "Oxford Nanopore", "PacBio", "MGI", "Ion Torrent", "Element")

#: Our fields, in the order the mapping dialog shows them, with their labels.
FIELDS: dict[str, str] = {
    "sample_id": "Sample ID",
    "file_1": "File (or R1)",
    "file_2": "R2 file",
    "project": "Project",
    "sequencing_type": "Sequencing type",
    "platform": "Platform",
    "library_prep": "Library prep",
    "sequencing_date": "Date",
}

#: Headers seen in lab sheets (nf-core, Illumina, LIMS exports), normalised by :func:`_norm`.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "sample_id": ("sample_id", "sampleid", "sample", "sample_name", "samplename", "sample_alias"),
    "file_1": ("file", "file_1", "file1", "fastq_1", "fastq1", "r1", "read1", "read_1", "fastq",
               "filename", "file_name", "path", "bam", "cram", "vcf"),
    "file_2": ("file_2", "file2", "fastq_2", "fastq2", "r2", "read2", "read_2"),
    "project": ("project", "project_id", "projectid", "sample_project", "study", "study_id"),
    "sequencing_type": ("sequencing_type", "seq_type", "assay", "library_strategy", "assay_type"),
    "platform": ("platform", "instrument", "instrument_platform", "sequencer", "instrument_model"),
    "library_prep": ("library_prep", "library_prep_kit", "library_kit", "library", "kit"),
    "sequencing_date": ("date", "sequencing_date", "run_date", "seq_date", "collection_date"),
}  # fmt: skip

_SEQUENCING_SYNONYMS = {
    "wgs": "WGS",
    "whole_genome": "WGS",
    "genome": "WGS",
    "wes": "WES",
    "wxs": "WES",
    "exome": "WES",
    "whole_exome": "WES",
    "targeted": "targeted",
    "panel": "targeted",
    "amplicon": "targeted",
    "targeted_capture": "targeted",
}


@dataclass(frozen=True, slots=True)
class SampleMetadata:
    """What the user says a file is; empty strings mean "not given"."""

    sample_id: str = ""
    project: str = ""
    sequencing_type: str = ""
    platform: str = ""
    library_prep: str = ""
    sequencing_date: date | None = None

    def problems(self) -> list[str]:
        """Why these values cannot be used (ids become parts of S3 keys); empty when fine."""
        found = []
        for value, what in ((self.project, "project id"), (self.sample_id, "sample id")):
            if value:
                try:
                    check_segment(value, what)
                except UserError as error:
                    found.append(f"{error.message} {error.hint}")
        return found


@dataclass(frozen=True, slots=True)
class SampleSheet:
    headers: list[str]
    rows: list[dict[str, str]]


@dataclass(frozen=True, slots=True)
class SheetMatch:
    """What a sheet says about the files in the list.

    ``metadata``: path -> metadata for each file a row matched. ``unmatched``: rows that matched
    no file, as the user would recognise them (their file name or sample id). ``problems``:
    values that could not be read (a date that is not a date).
    """

    metadata: dict[str, SampleMetadata] = field(default_factory=dict)
    unmatched: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _norm(header: str) -> str:
    return re.sub(r"[\s\-./]+", "_", header.strip().lower()).strip("_")


def parse_sheet(text: str, *, name: str = "the sample sheet") -> SampleSheet:
    """Parse CSV/TSV text (the delimiter is sniffed); an Illumina sheet from its [Data] section.

    Raises:
        UserError: there is no header row, or no data row.
    """
    lines = text.splitlines()
    data_start = next((i for i, line in enumerate(lines) if line.strip().startswith("[Data]")), -1)
    body = "\n".join(lines[data_start + 1 :]) if data_start >= 0 else text
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
            body[:8192], delimiters=",\t;"
        )
    except csv.Error:
        dialect = csv.excel  # a single column has no delimiter to sniff
    reader = csv.reader(io.StringIO(body), dialect)
    records = [[cell.strip() for cell in row] for row in reader if any(c.strip() for c in row)]
    if len(records) < 2:
        raise UserError(
            f"{name} has no data rows.",
            hint="A sample sheet needs a header row (sample_id, file, ...) and one row per sample.",
        )
    headers = records[0]
    rows = [
        dict(zip(headers, row + [""] * (len(headers) - len(row)), strict=False))
        for row in records[1:]
    ]
    return SampleSheet(headers, rows)


def read_sheet(path: str | Path) -> SampleSheet:
    """Read a sample sheet file (UTF-8, with or without a byte-order mark, as Excel writes it).

    Raises:
        UserError: the file cannot be read or is not a sample sheet.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(
            f"Cannot read the sample sheet {path.name}: {exc}",
            hint="Save it as CSV (UTF-8) and try again.",
        ) from exc
    return parse_sheet(text, name=path.name)


def guess_mapping(headers: Sequence[str]) -> dict[str, str | None]:
    """Our field -> the sheet's column holding it (None when no header looks like it)."""
    by_norm = {_norm(h): h for h in reversed(headers)}  # the first of equal headers wins
    mapping: dict[str, str | None] = {}
    for key, aliases in HEADER_ALIASES.items():
        mapping[key] = next((by_norm[a] for a in aliases if a in by_norm), None)
    return mapping


def sequencing_type(value: str) -> str:
    """WGS/WES/targeted from the usual spellings; anything else is kept as written."""
    return _SEQUENCING_SYNONYMS.get(_norm(value), value.strip())


def _parse_date(value: str) -> date:
    for pattern in ("%Y-%m-%d", "%Y%m%d", "%Y/%m/%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(value.strip(), pattern).date()
        except ValueError:
            continue
    raise ValueError(value)


def match_files(
    sheet: SampleSheet, mapping: Mapping[str, str | None], paths: Sequence[str]
) -> SheetMatch:
    """Match the sheet's rows to ``paths`` and build each matched file's metadata.

    A row's file cell matches a path equal to it, or else a file of the same name. A sheet with
    no file column matches files whose name starts with the row's sample id followed by
    ``_``, ``.`` or ``-`` (``NA12878_R1.fastq.gz`` for ``NA12878``).
    """

    def cell(row: Mapping[str, str], key: str) -> str:
        column = mapping.get(key)
        return row.get(column, "").strip() if column else ""

    by_name: dict[str, list[str]] = {}
    for path in paths:
        by_name.setdefault(Path(path).name, []).append(path)
    result = SheetMatch()
    for number, row in enumerate(sheet.rows, start=2):  # row 1 is the header
        metadata = SampleMetadata(
            sample_id=cell(row, "sample_id"),
            project=cell(row, "project"),
            sequencing_type=sequencing_type(cell(row, "sequencing_type")),
            platform=cell(row, "platform"),
            library_prep=cell(row, "library_prep"),
        )
        if when := cell(row, "sequencing_date"):
            try:
                metadata = dataclasses.replace(metadata, sequencing_date=_parse_date(when))
            except ValueError:
                result.problems.append(f"Row {number}: '{when}' is not a date (use YYYY-MM-DD).")
        names = [v for v in (cell(row, "file_1"), cell(row, "file_2")) if v]
        if names:
            for value in names:
                matched = [value] if value in paths else by_name.get(Path(value).name, [])
                if not matched:
                    result.unmatched.append(Path(value).name)
                for path in matched:
                    result.metadata[path] = metadata
        elif metadata.sample_id:
            pattern = re.compile(re.escape(metadata.sample_id) + r"[_.\-]")
            matched = [p for p in paths if pattern.match(Path(p).name)]
            if not matched:
                result.unmatched.append(metadata.sample_id)
            for path in matched:
                result.metadata[path] = metadata
        else:
            result.problems.append(f"Row {number} names neither a file nor a sample.")
    return result
