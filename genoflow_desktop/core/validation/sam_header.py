"""SAM header parsing and conformance checks (SAMv1 section 1.3), shared by SAM, BAM and CRAM.

htslib reads almost any header text; these checks follow the specification instead: the
``@HD`` line (once, first, ``VN`` format, ``SO``/``GO``/``SS`` values), ``@SQ`` names and
lengths (unique names and alternative names, ``M5``, ``TP``, ``AH``), ``@RG`` (unique ``ID``,
``DT`` as ISO 8601, ``PI`` as an integer, ``PL`` from the list of platforms, ``FO``) and
``@PG`` (unique ``ID``, ``PP`` pointing at an existing program).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from genoflow_desktop.core.validation.report import ValidationReport

#: SAMv1 reference-name regex: printable ASCII except \ , " ` ' ( ) [ ] { } < >, not starting
#: with '*' or '='.
RNAME_RE = re.compile(r"[0-9A-Za-z!#$%&+./:;?@^_|~-][0-9A-Za-z!#$%&*+./:;=?@^_|~-]*")
_TAG_RE = re.compile(r"[A-Za-z][A-Za-z0-9]")
_VN_RE = re.compile(r"[0-9]+\.[0-9]+")
_SS_RE = re.compile(r"(coordinate|queryname|unsorted)(:[A-Za-z0-9_-]+)+")
_M5_RE = re.compile(r"[0-9a-f]{32}")
_FO_RE = re.compile(r"\*|[ACMGRSVTWYHKDBN]+")
_PI_RE = re.compile(r"[+-]?[0-9]+")
_AH_RE = re.compile(r"\*|(?P<chr>.+?)(?::[0-9]+-[0-9]+)?")
# ISO 8601 date, optionally with a time and a zone (the forms used in practice).
_DT_RE = re.compile(
    r"(?P<y>[0-9]{4})-?(?P<m>[0-9]{2})-?(?P<d>[0-9]{2})"
    r"(?:[T ](?P<H>[0-9]{2})(?::?(?P<M>[0-9]{2})(?::?(?P<S>[0-9]{2})(?:[.,][0-9]+)?)?)?"
    r"(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)?)?"
)
_PLATFORMS = {
    "CAPILLARY",
    "DNBSEQ",
    "ELEMENT",
    "HELICOS",
    "ILLUMINA",
    "IONTORRENT",
    "LS454",
    "ONT",
    "PACBIO",
    "SINGULAR",
    "SOLID",
    "ULTIMA",
}
_SORT_ORDERS = {"unknown", "unsorted", "queryname", "coordinate"}
_GROUP_ORDERS = {"none", "query", "reference"}
MAX_POS = 2**31 - 1

#: Reports one problem on the current header line: ``err(code, message[, hint])``.
_Err = Callable[..., None]

_HINT_HEADER = (
    "Fix the header text (for example with 'samtools reheader') so that it follows the SAM "
    "specification, section 1.3."
)


@dataclass(slots=True)
class SamHeader:
    """The parts of a SAM header the record checks and the metrics need."""

    version: str | None = None
    sort_order: str = "unknown"
    sub_sort: str | None = None
    group_order: str | None = None
    refs: list[tuple[str, int]] = field(default_factory=list)
    ref_index: dict[str, int] = field(default_factory=dict)
    read_groups: list[dict[str, str]] = field(default_factory=list)
    programs: list[dict[str, str]] = field(default_factory=list)
    comments: int = 0
    has_sq: bool = False

    @property
    def samples(self) -> list[str]:
        """Sorted, de-duplicated SM values of the @RG lines."""
        return sorted({rg["SM"] for rg in self.read_groups if "SM" in rg})


def parse_sam_header(
    text: str, report: ValidationReport, *, first_line: int = 1, where: str = "header"
) -> SamHeader:
    """Parse and check SAM header text (lines starting with '@').

    Args:
        text: The header text; a trailing newline is optional.
        report: Findings are added here.
        first_line: Line number of the first header line in the file (1 for SAM text).
        where: How to name the header in messages ("header", "BAM header text", ...).
    """
    header = SamHeader()
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    names: dict[str, int] = {}  # every SN and AN seen -> line
    rg_ids: dict[str, int] = {}
    pg_ids: dict[str, int] = {}
    pg_pp: list[tuple[str, int]] = []
    hd_seen = False
    for index, raw in enumerate(lines):
        line_no = first_line + index
        line = raw[:-1] if raw.endswith("\r") else raw

        def err(code: str, message: str, hint: str = _HINT_HEADER, _line: int = line_no) -> None:
            report.error(
                code,
                f"{where[0].upper() + where[1:]} line {_line}: {message}",
                hint=hint,
                line=_line,
            )

        def warn(code: str, message: str, hint: str = _HINT_HEADER, _line: int = line_no) -> None:
            report.warning(
                code,
                f"{where[0].upper() + where[1:]} line {_line}: {message}",
                hint=hint,
                line=_line,
            )

        if not line.startswith("@") or len(line) < 3:
            err(
                "sam_header_line", "a header line must start with '@' and a two-letter record type."
            )
            continue
        kind = line[1:3]
        if kind == "CO":
            header.comments += 1
            if len(line) > 3 and line[3] != "\t":
                err("sam_header_co", "an @CO comment must be separated from '@CO' by a TAB.")
            continue
        if kind not in ("HD", "SQ", "RG", "PG"):
            if re.fullmatch(r"[A-Za-z][A-Za-z]", kind) and (len(line) == 3 or line[3] == "\t"):
                report.warning(
                    "sam_header_unknown_type",
                    f"{(where[0].upper() + where[1:])} line {line_no}: record type @{kind} is not "
                    "defined by "
                    "the SAM specification; tools will ignore it.",
                    hint="Use @CO for free-text notes.",
                    line=line_no,
                )
            else:
                err("sam_header_line", f"'@{kind}' is not a header record type.")
            continue
        tags = _parse_tags(line, kind, err)
        if tags is None:
            continue
        if kind == "HD":
            if hd_seen:
                err("sam_header_hd_twice", "@HD appears more than once; only one is allowed.")
            elif index != 0:
                err("sam_header_hd_position", "@HD must be the first line of the header.")
            hd_seen = True
            _check_hd(tags, header, err, warn)
        elif kind == "SQ":
            _check_sq(tags, header, names, line_no, err, warn)
        elif kind == "RG":
            _check_rg(tags, header, rg_ids, line_no, err)
        else:
            header.programs.append(tags)
            if "ID" not in tags:
                err("sam_header_pg_id", "@PG has no ID tag; every @PG line needs a unique ID.")
            elif tags["ID"] in pg_ids:
                err(
                    "sam_header_pg_dup",
                    f"@PG ID '{tags['ID']}' is already used on line {pg_ids[tags['ID']]}.",
                )
            else:
                pg_ids[tags["ID"]] = line_no
            if "PP" in tags:
                pg_pp.append((tags["PP"], line_no))
    for pp, line_no in pg_pp:
        if pp not in pg_ids:
            report.error(
                "sam_header_pg_pp",
                f"{(where[0].upper() + where[1:])} line {line_no}: @PG PP:{pp} refers to a "
                "program ID that no "
                "@PG line defines.",
                hint=_HINT_HEADER,
                line=line_no,
            )
    return header


def _parse_tags(line: str, kind: str, err: _Err) -> dict[str, str] | None:
    report_err = err
    fields = line.split("\t")[1:]
    if not fields:
        report_err("sam_header_empty", f"@{kind} line has no TAG:VALUE fields.")
        return None
    tags: dict[str, str] = {}
    for item in fields:
        tag, sep, value = item.partition(":")
        if not sep or not _TAG_RE.fullmatch(tag):
            report_err(
                "sam_header_field",
                f"field '{_short(item)}' is not a TAG:VALUE pair with a two-character tag.",
            )
            return None
        if not value:
            report_err("sam_header_empty_value", f"tag {tag} has an empty value.")
            return None
        if any(ord(c) < 32 or ord(c) == 127 for c in value):
            report_err(
                "sam_header_control", f"the value of tag {tag} contains a control character."
            )
            return None
        if tag in tags:
            report_err("sam_header_dup_tag", f"tag {tag} appears more than once on the same line.")
            return None
        tags[tag] = value
    return tags


def _check_hd(tags: dict[str, str], header: SamHeader, err: _Err, warn: _Err) -> None:
    e = err
    vn = tags.get("VN")
    if vn is None:
        e("sam_header_hd_vn", "@HD has no VN (format version) tag.")
    elif not _VN_RE.fullmatch(vn):
        e("sam_header_hd_vn", f"@HD VN:{vn} is not a version of the form MAJOR.MINOR (e.g. 1.6).")
    header.version = vn
    so = tags.get("SO")
    if so is not None:
        if so == "sorted":
            # Written by old aligners (e.g. TopHat 1); readers treat it as an unknown order.
            warn(
                "sam_header_hd_so_legacy",
                "@HD SO:sorted is a legacy value, not one of the SAM sort orders; tools will "
                "treat the order as unknown.",
            )
        elif so not in _SORT_ORDERS:
            e(
                "sam_header_hd_so",
                f"@HD SO:{so} is not a sort order; use unknown, unsorted, queryname or coordinate.",
            )
        else:
            header.sort_order = so
    go = tags.get("GO")
    if go is not None:
        if go not in _GROUP_ORDERS:
            e("sam_header_hd_go", f"@HD GO:{go} is not a grouping; use none, query or reference.")
        header.group_order = go
    ss = tags.get("SS")
    if ss is not None:
        if not _SS_RE.fullmatch(ss):
            e(
                "sam_header_hd_ss",
                f"@HD SS:{_short(ss)} is not of the form SORT-ORDER:SUB-SORT with SORT-ORDER one "
                "of coordinate, queryname, unsorted.",
            )
        else:
            header.sub_sort = ss


def _check_sq(
    tags: dict[str, str],
    header: SamHeader,
    names: dict[str, int],
    line_no: int,
    err: _Err,
    warn: _Err,
) -> None:
    e = err
    header.has_sq = True
    sn = tags.get("SN")
    ln_text = tags.get("LN")
    if sn is None:
        e("sam_header_sq_sn", "@SQ has no SN (reference name) tag.")
    elif not RNAME_RE.fullmatch(sn) and RNAME_RE.fullmatch(sn.replace(",", "_")):
        # Commas were legal before SAM 1.6 narrowed the character set; such files still exist
        # and htslib reads them, so this is a warning rather than a rejection.
        warn(
            "sam_header_sq_comma",
            f"@SQ SN:{_short(sn)} contains a comma, which SAM 1.6 no longer allows in "
            "reference names; region strings naming it are ambiguous.",
            "Rename the reference if other tools must read this file.",
        )
    elif not RNAME_RE.fullmatch(sn):
        e(
            "sam_header_sq_sn",
            f"@SQ SN:{_short(sn)} is not a legal reference name (no \\ , \" ` ' ( ) [ ] {{ }} < > "
            "and it may not start with '*' or '=').",
        )
    elif sn in names:
        e("sam_header_sq_dup", f"reference name '{sn}' is already used on line {names[sn]}.")
    length = -1
    if ln_text is None:
        e("sam_header_sq_ln", "@SQ has no LN (reference length) tag.")
    elif not ln_text.isdigit():
        e("sam_header_sq_ln", f"@SQ LN:{_short(ln_text)} is not a whole number.")
    else:
        length = int(ln_text)
        if length < 1:
            e("sam_header_sq_ln", f"@SQ LN:{ln_text} is out of range; lengths start at 1.")
    if sn is not None:
        if sn not in names:
            names[sn] = line_no
            header.ref_index.setdefault(sn, len(header.refs))
        header.refs.append((sn, length))
    an = tags.get("AN")
    if an is not None:
        for alt in an.split(","):
            if not RNAME_RE.fullmatch(alt):
                e(
                    "sam_header_sq_an",
                    f"@SQ AN alternative name '{_short(alt)}' is not a legal name.",
                )
            elif alt in names:
                e(
                    "sam_header_sq_an",
                    f"@SQ AN alternative name '{alt}' clashes with a name used on line "
                    f"{names[alt]}.",
                )
            else:
                names[alt] = line_no
    ah = tags.get("AH")
    if ah is not None:
        match = _AH_RE.fullmatch(ah)
        if match is None or (
            match.group("chr") is not None and not RNAME_RE.fullmatch(match.group("chr"))
        ):
            e("sam_header_sq_ah", f"@SQ AH:{_short(ah)} is not '*', a name, or name:start-end.")
    m5 = tags.get("M5")
    if m5 is not None and not _M5_RE.fullmatch(m5):
        e("sam_header_sq_m5", f"@SQ M5:{_short(m5)} is not 32 lowercase hexadecimal digits.")
    tp = tags.get("TP")
    if tp is not None and tp not in ("linear", "circular"):
        e("sam_header_sq_tp", f"@SQ TP:{_short(tp)} must be 'linear' or 'circular'.")


def _check_rg(
    tags: dict[str, str], header: SamHeader, rg_ids: dict[str, int], line_no: int, err: _Err
) -> None:
    e = err
    header.read_groups.append(tags)
    rg_id = tags.get("ID")
    if rg_id is None:
        e("sam_header_rg_id", "@RG has no ID tag; every read group needs a unique ID.")
    elif rg_id in rg_ids:
        e("sam_header_rg_dup", f"read group ID '{rg_id}' is already used on line {rg_ids[rg_id]}.")
    else:
        rg_ids[rg_id] = line_no
    dt = tags.get("DT")
    if dt is not None and not _valid_date(dt.strip()):
        e("sam_header_rg_dt", f"@RG DT:{_short(dt)} is not an ISO 8601 date or date-time.")
    pi = tags.get("PI")
    if pi is not None and not _PI_RE.fullmatch(pi.strip()):
        e("sam_header_rg_pi", f"@RG PI:{_short(pi)} is not a whole number (predicted insert size).")
    pl = tags.get("PL")
    if pl is not None and pl.upper() not in _PLATFORMS:
        e(
            "sam_header_rg_pl",
            f"@RG PL:{_short(pl)} is not a platform the specification knows ("
            + ", ".join(sorted(_PLATFORMS))
            + "); leave PL out when the platform is not in this list.",
        )
    fo = tags.get("FO")
    if fo is not None and not _FO_RE.fullmatch(fo):
        e("sam_header_rg_fo", f"@RG FO:{_short(fo)} is not '*' or a string of IUPAC base codes.")


def _valid_date(text: str) -> bool:
    match = _DT_RE.fullmatch(text)
    if match is None:
        return False
    month, day = int(match.group("m")), int(match.group("d"))
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return False
    hour, minute, second = (int(match.group(k) or 0) for k in ("H", "M", "S"))
    return hour <= 24 and minute <= 59 and second <= 60


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
