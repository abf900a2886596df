"""Rules for the structured meta-information lines of a VCF header (VCFv4.3/4.4 section 1.4):
INFO, FORMAT, FILTER, ALT, contig, META, SAMPLE and PEDIGREE."""

from __future__ import annotations

import re

from genoflow_desktop.core.validation.vcf_header_model import (
    CONTIG_RE,
    KEY_RE,
    NUMBER_RE,
    RESERVED_FORMAT,
    RESERVED_INFO,
    SV_TYPES,
    VALUE_TYPES,
    FieldDef,
    HeaderParser,
)
from genoflow_desktop.core.validation.vcf_header_model import short as _short


def check_structured(
    key: str, items: list[tuple[str, str]], line: int, parser: HeaderParser
) -> None:
    """Check one structured header line (``##KEY=<...>``) and record its definition.

    Args:
        key: The meta-information key, e.g. ``INFO`` or ``contig``.
        items: The ``<...>`` attributes in file order.
        line: 1-based line number, for messages.
        parser: Shared parser state; findings go to its report.
    """
    header = parser.header
    attrs = dict(items)
    names = [k for k, _ in items]
    if len(set(names)) != len(names):
        parser.err(line, f"##{key} repeats an attribute.")
    ident = attrs.get("ID")
    if ident is None:
        if key in ("INFO", "FORMAT", "FILTER", "ALT", "contig", "META", "SAMPLE", "PEDIGREE"):
            if key == "PEDIGREE":
                parser.strict(line, "##PEDIGREE has no ID.")
            else:
                parser.err(line, f"##{key} has no ID.")
        else:
            parser.warn(line, f"##{key} is a structured line without an ID.")
        if key not in ("PEDIGREE",):
            return
    elif names[0] != "ID" and key in ("INFO", "FORMAT", "ALT", "META", "FILTER", "contig"):
        parser.strict(line, f"ID must be the first attribute of ##{key}.")
    if ident is not None:
        seen = parser.ids.setdefault(key, {})
        if ident in seen:
            parser.err(
                line, f"##{key} ID '{_short(ident)}' is already defined on line {seen[ident]}."
            )
            return
        seen[ident] = line
    if key in ("INFO", "FORMAT"):
        _check_info_format(key, items, attrs, line, parser)
    elif key == "FILTER":
        assert ident is not None
        header.filters.add(ident)
        _need_description(
            key, attrs, line, parser, required=header.version is None or header.version < (4, 4)
        )
    elif key == "ALT":
        assert ident is not None
        _check_alt(ident, items, attrs, line, parser)
    elif key == "contig":
        assert ident is not None
        _check_contig(ident, attrs, line, parser)
    elif key == "META":
        number, kind, values = attrs.get("Number"), attrs.get("Type"), attrs.get("Values")
        if number is not None and not NUMBER_RE.fullmatch(number):
            parser.err(line, f"##META Number={_short(number)} is not a legal Number.")
        if kind is not None and kind not in VALUE_TYPES:
            parser.err(line, f"##META Type={_short(kind)} is not a legal Type.")
        if values is not None and not (values.startswith("[") and values.endswith("]")):
            parser.err(line, "##META Values must be a list in square brackets.")
    elif key == "SAMPLE":
        assert ident is not None
        if re.search(r"\s", ident):
            parser.err(line, f"##SAMPLE ID '{_short(ident)}' contains whitespace.")
    elif key == "PEDIGREE":
        for name, value in items:
            if re.search(r"[\s:,<>]", value.strip('"')):
                parser.err(
                    line,
                    f"##PEDIGREE {name}={_short(value)} contains whitespace or punctuation ( : , "
                    "< > ) that sample names may not use here.",
                )


def _check_info_format(
    key: str, items: list[tuple[str, str]], attrs: dict[str, str], line: int, parser: HeaderParser
) -> None:
    header = parser.header
    ident = attrs["ID"]
    if not KEY_RE.fullmatch(ident):
        parser.err(
            line,
            f"##{key} ID '{_short(ident)}' is not a valid key (letters, digits, '_' and '.', not "
            "starting with a digit).",
        )
    number, kind = attrs.get("Number"), attrs.get("Type")
    ok = True
    if number is None or kind is None:
        parser.err(line, f"##{key} {ident} must have Number and Type.")
        ok = False
    else:
        legal_number = bool(NUMBER_RE.fullmatch(number)) or (
            number == "P" and key == "FORMAT" and (header.version or (4, 4)) >= (4, 4)
        )
        if not legal_number:
            parser.err(
                line,
                f"##{key} {ident} has Number={_short(number)}; use an integer, A, R, G or '.'"
                + (" (P for FORMAT in VCF 4.4)." if key == "FORMAT" else "."),
            )
            ok = False
        legal_types = VALUE_TYPES - ({"Flag"} if key == "FORMAT" else set())
        if kind not in legal_types:
            parser.err(
                line,
                f"##{key} {ident} has Type={_short(kind)}; use "
                + ", ".join(sorted(legal_types))
                + ".",
            )
            ok = False
        elif kind == "Flag" and number != "0":
            parser.warn(line, f"##INFO {ident} is a Flag, so its Number should be 0.")
    order = [name for name in ("ID", "Number", "Type", "Description") if name in attrs]
    if [name for name, _ in items if name in order] != order:
        parser.strict(
            line,
            f"the attributes of ##{key} {ident} must come in the order ID, Number, Type, "
            "Description.",
        )
    _need_description(key, attrs, line, parser, required=True)
    reserved = (RESERVED_INFO if key == "INFO" else RESERVED_FORMAT).get(ident)
    if ok and reserved is not None and (number, kind) != reserved:
        parser.strict(
            line,
            f"{ident} is a reserved {key} key that must be declared Number={reserved[0]}, "
            f"Type={reserved[1]} (found Number={number}, Type={kind}).",
            "vcf_reserved_key",
        )
    if ok:
        target = header.infos if key == "INFO" else header.formats
        target[ident] = FieldDef(ident, number or ".", kind or "String", line)


def _need_description(
    key: str, attrs: dict[str, str], line: int, parser: HeaderParser, *, required: bool
) -> None:
    description = attrs.get("Description")
    if description is None:
        if required:
            (parser.err if key in ("INFO", "FORMAT") else parser.warn)(
                line, f"##{key} {attrs.get('ID')} has no Description."
            )
    elif not description.startswith('"'):
        parser.err(line, f"the Description of ##{key} {attrs.get('ID')} must be in double quotes.")


def _check_alt(
    ident: str, items: list[tuple[str, str]], attrs: dict[str, str], line: int, parser: HeaderParser
) -> None:
    header = parser.header
    if re.search(r"[\s,<>]", ident):
        parser.err(
            line,
            f"##ALT ID '{_short(ident)}' may not contain whitespace, commas or angle brackets.",
        )
        return
    if ":" in ident:
        first = ident.split(":", 1)[0]
        allowed = SV_TYPES - ({"BND"} if (header.version or (4, 3)) >= (4, 4) else set())
        if first not in allowed:
            parser.err(
                line,
                f"##ALT ID '{_short(ident)}' starts with '{first}', which is not a structural "
                f"variant type ({', '.join(sorted(allowed))}).",
            )
    number, kind = attrs.get("Number"), attrs.get("Type")
    if number is not None and not NUMBER_RE.fullmatch(number):
        parser.err(line, f"##ALT {ident} has Number={_short(number)}, which is not a legal Number.")
    if kind is not None and kind not in VALUE_TYPES:
        parser.err(line, f"##ALT {ident} has Type={_short(kind)}, which is not a legal Type.")
    order = [name for name in ("ID", "Number", "Type", "Description") if name in attrs]
    if [name for name, _ in items if name in order] != order:
        parser.err(
            line,
            f"the attributes of ##ALT {ident} are out of order (ID, Number, Type, Description).",
        )
    _need_description(
        "ALT", attrs, line, parser, required=header.version is None or header.version < (4, 4)
    )
    header.alts.add(ident)


def _check_contig(ident: str, attrs: dict[str, str], line: int, parser: HeaderParser) -> None:
    header = parser.header
    if not CONTIG_RE.fullmatch(ident):
        parser.strict(
            line,
            f"##contig ID '{_short(ident)}' is not a legal contig name (no whitespace, "
            "\\ , \" ` ' ( ) [ ] { } < >, not starting with '*' or '=').",
            "vcf_contig_name",
        )
    length_text = attrs.get("length")
    length = None
    if length_text is not None:
        if length_text.isdigit() and int(length_text) > 0:
            length = int(length_text)
        else:
            parser.err(
                line,
                f"##contig {ident} has length={_short(length_text)}, which is not a positive "
                "whole number.",
            )
    header.contigs[ident] = length
