"""VCF meta-information lines and the #CHROM line (VCFv4.3/4.4 section 1.4-1.5).

bcftools turns most header problems into warnings or repairs them silently; here they are
findings: ``##fileformat`` first and well-formed, structured lines closed and parsed
(quoted strings with escapes, ``[...]`` lists), ``ID`` present and unique, ``Number`` and
``Type`` legal, ``Description`` quoted, the reserved INFO/FORMAT keys declared with their
reserved Number and Type, ALT/contig/SAMPLE/PEDIGREE/META rules, and the #CHROM line itself.

Rules that VCF 4.3 introduced or tightened are errors for files that declare 4.3 or later and
warnings for older files, which were written under looser rules.
"""

from __future__ import annotations

import re

from genoflow_desktop.core.validation.report import ValidationReport
from genoflow_desktop.core.validation.vcf_header_model import (
    _FILEFORMAT_RE,
    _FIXED_COLUMNS,
    CONTIG_RE,
    KEY_RE,
    RESERVED_FORMAT,
    RESERVED_INFO,
    FieldDef,
    HeaderParser,
    VcfHeader,
)
from genoflow_desktop.core.validation.vcf_header_model import short as _short
from genoflow_desktop.core.validation.vcf_header_rules import check_structured

__all__ = [
    "CONTIG_RE",
    "KEY_RE",
    "RESERVED_FORMAT",
    "RESERVED_INFO",
    "FieldDef",
    "VcfHeader",
    "parse_vcf_header",
]


def parse_vcf_header(lines: list[str], report: ValidationReport) -> VcfHeader:
    """Parse header lines (each without its line ending), the last being the #CHROM line.

    The caller has already established that the last line starts with ``#CHROM`` (or reports
    its absence itself); earlier lines are the ``##`` meta-information lines.
    """
    header = VcfHeader(lines=len(lines))
    parser = HeaderParser(report, header)
    if not lines or not lines[0].startswith("##fileformat="):
        report.error(
            "vcf_fileformat",
            "The first line must be '##fileformat=VCFv4.x'.",
            hint="Add the ##fileformat line as the very first line of the file.",
            line=1,
        )
    build_text: list[str] = []
    for index, line in enumerate(lines[:-1]):
        number = index + 1
        if not line.startswith("##"):
            parser.err(
                number, f"'{_short(line)}' is not a meta-information line (they start with '##')."
            )
            continue
        key, sep, value = line[2:].partition("=")
        if not sep or not key:
            parser.err(number, f"'{_short(line)}' is not of the form ##key=value.")
            continue
        if key != key.strip() or (value != value.rstrip() and not value.startswith("<")):
            parser.spaces(number)
            key, value = key.strip(), value.rstrip()
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", key):
            parser.err(number, f"'{_short(key)}' is not a valid meta-information key.")
            continue
        if key == "fileformat":
            if index != 0:
                parser.err(number, "##fileformat must be the first line and appear only once.")
                continue
            match = _FILEFORMAT_RE.fullmatch(value)
            if match is None:
                parser.err(
                    number,
                    f"##fileformat={_short(value)} is not of the form VCFv4.x.",
                    "vcf_fileformat",
                )
            else:
                header.version = (int(match.group(1)), int(match.group(2)))
                header.version_text = value
            continue
        if not value:
            parser.err(number, f"##{key} has an empty value.")
            continue
        if key in ("reference", "assembly", "source"):
            build_text.append(value)
        if not value.startswith("<"):
            continue
        items = _parse_structured(value, number, parser)
        if items is None:
            continue
        check_structured(key, items, number, parser)
        if key == "contig":
            build_text.extend(v for k, v in items if k == "assembly")
    header.text_for_build = " ".join(build_text)
    _check_chrom_line(lines[-1] if lines else "", len(lines), parser)
    header.complete = True
    return header


def _parse_structured(value: str, line: int, parser: HeaderParser) -> list[tuple[str, str]] | None:
    """Parse ``<k=v,k="quoted \\" text",k=[a, b]>``; None (after reporting) when malformed."""
    text = value.rstrip()
    if text != value:
        parser.spaces(line)
    if not text.endswith(">"):
        parser.err(line, "the structured line is not closed with '>'.")
        return None
    body = text[1:-1]
    items: list[tuple[str, str]] = []
    pos, n = 0, len(body)
    while pos < n:
        eq = body.find("=", pos)
        comma = body.find(",", pos)
        if eq < 0 or (0 <= comma < eq):
            parser.err(
                line,
                f"'{_short(body[pos : comma if comma >= 0 else n])}' inside <...> is not a "
                "key=value pair.",
            )
            return None
        key = body[pos:eq]
        if key != key.strip():
            parser.spaces(line)
            key = key.strip()
        pos = eq + 1
        while pos < n and body[pos] == " ":
            parser.spaces(line)
            pos += 1
        if pos < n and body[pos] == '"':
            chars: list[str] = []
            pos += 1
            closed = False
            while pos < n:
                c = body[pos]
                if c == "\\" and pos + 1 < n:
                    chars.append(body[pos + 1])
                    pos += 2
                    continue
                if c == '"':
                    closed = True
                    pos += 1
                    break
                chars.append(c)
                pos += 1
            if not closed:
                parser.err(line, f"the quoted value of {key} has no closing quote.")
                return None
            item_value = '"' + "".join(chars) + '"'
        elif pos < n and body[pos] == "[":
            close = body.find("]", pos)
            if close < 0:
                parser.err(line, f"the [...] list of {key} is not closed.")
                return None
            item_value = body[pos : close + 1]
            pos = close + 1
        else:
            end = body.find(",", pos)
            end = n if end < 0 else end
            item_value = body[pos:end]
            if item_value != item_value.strip():
                parser.spaces(line)
                item_value = item_value.strip()
            pos = end
        while pos < n and body[pos] == " ":
            parser.spaces(line)
            pos += 1
        if pos < n:
            if body[pos] != ",":
                parser.err(
                    line,
                    f"unexpected text after the value of {key} (a quote inside a quoted value "
                    'must be written as \\").',
                )
                return None
            pos += 1
        if not key:
            parser.err(line, "an attribute inside <...> has an empty name.")
            return None
        items.append((key, item_value))
    return items


def _check_chrom_line(line: str, number: int, parser: HeaderParser) -> None:
    header = parser.header
    columns = line.split("\t")
    if columns[:8] != _FIXED_COLUMNS:
        hint = (
            "The header line must be exactly #CHROM, POS, ID, REF, ALT, QUAL, FILTER, INFO "
            "(TAB-separated)."
        )
        if " " in line and "\t" not in line:
            hint += " It seems to use spaces instead of TABs."
        parser.err(
            number,
            f"the #CHROM line does not name the fixed columns correctly ('{_short(line)}').",
            "vcf_chrom_line",
            hint,
        )
        return
    if len(columns) == 8:
        return
    if columns[8] != "FORMAT":
        parser.err(
            number,
            f"the ninth column of the #CHROM line must be FORMAT (found '{_short(columns[8])}').",
            "vcf_chrom_line",
        )
        return
    header.has_format = True
    samples = columns[9:]
    if not samples:
        parser.err(
            number, "the #CHROM line has a FORMAT column but no sample columns.", "vcf_chrom_line"
        )
        return
    seen: dict[str, int] = {}
    duplicates: list[str] = []
    for position, name in enumerate(samples):
        if not name:
            parser.err(number, f"sample column {position + 1} has an empty name.", "vcf_samples")
        elif name in seen and name not in duplicates:
            duplicates.append(name)
        seen.setdefault(name, position)
    if duplicates:
        parser.err(
            number,
            "sample names must be unique; repeated: "
            f"{', '.join(_short(d, 30) for d in duplicates[:5])}"
            + (f" and {len(duplicates) - 5} more" if len(duplicates) > 5 else "")
            + ".",
            "vcf_duplicate_samples",
            "Rename or remove the repeated samples (bcftools reheader -s / bcftools view -s).",
        )
    header.samples = samples
