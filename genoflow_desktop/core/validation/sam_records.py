"""Checks of SAM text alignment lines against SAMv1 sections 1.4 and 1.5.

htslib rejects only what breaks parsing; these checks also catch what it lets through:
FLAG/MAPQ ranges, illegal characters in QNAME/RNAME/RNEXT/SEQ/QUAL, undeclared references,
interior clipping operations, and every optional-field type (A, i, f, Z, H, B) with its range.
Lines are checked one at a time with compiled regular expressions on bytes; SAM text is the
rare, small case (large data is BAM or CRAM, checked in C and numpy).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from genoflow_desktop.core.validation.report import ValidationReport
from genoflow_desktop.core.validation.sam_header import MAX_POS, RNAME_RE, SamHeader

_QNAME = re.compile(rb"[!-?A-~]{1,254}")
_UINT = re.compile(rb"0|[1-9][0-9]*")
_INT = re.compile(rb"[-+]?(?:0|[1-9][0-9]*)")
_CIGAR = re.compile(rb"\*|(?:[0-9]+[MIDNSHP=X])+")
_CIGAR_OP = re.compile(rb"([0-9]+)([MIDNSHP=X])")
_RNAME = re.compile(RNAME_RE.pattern.encode())
_SEQ = re.compile(rb"\*|[A-Za-z=.]+")
_SEQ_STRICT = re.compile(rb"\*|[ACMGRSVTWYHKDBN=.]+")
_QUAL = re.compile(rb"[!-~]+")
_TAG = re.compile(rb"[A-Za-z][A-Za-z0-9]")
_AUX_INT = re.compile(rb"[-+]?[0-9]+")
_AUX_FLOAT = re.compile(rb"[-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?")
_AUX_Z = re.compile(rb"[ !-~]*")
_AUX_H = re.compile(rb"(?:[0-9A-F][0-9A-F])*")
_AUX_B = re.compile(rb"[cCsSiIf](?:,[-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)*")
_B_RANGES = {
    b"c": (-(2**7), 2**7 - 1),
    b"C": (0, 2**8 - 1),
    b"s": (-(2**15), 2**15 - 1),
    b"S": (0, 2**16 - 1),
    b"i": (-(2**31), 2**31 - 1),
    b"I": (0, 2**32 - 1),
}
_FLT_MAX = 3.4028234663852886e38
_FLT_TRUE_MIN = 1.401298464324817e-45

_HINT_RECORD = "Correct the program that wrote this file, or regenerate the file with samtools."


@dataclass(slots=True)
class SamCore:
    """Core fields of the records of one batch, for the vectorised metrics."""

    flag: list[int] = field(default_factory=list)
    mapq: list[int] = field(default_factory=list)
    tid: list[int] = field(default_factory=list)
    pos: list[int] = field(default_factory=list)
    mtid: list[int] = field(default_factory=list)
    tlen: list[int] = field(default_factory=list)
    names: list[bytes] = field(default_factory=list)


class SamRecordChecker:
    """Checks SAM alignment lines one by one against the parsed header."""

    def __init__(self, header: SamHeader, report: ValidationReport) -> None:
        self.header = header
        self.report = report
        self._undeclared_warned = False
        self._seq_warned = False
        self._pos_warned = False

    def check(self, line: bytes, record: int, line_no: int, offset: int, out: SamCore) -> None:
        """Check one alignment line (without its newline); append its core fields to ``out``."""
        report = self.report
        where = {"record": record, "line": line_no, "offset": offset}
        fields = line.split(b"\t")
        if len(fields) < 11:
            hint = _HINT_RECORD
            if b"\t" not in line and b" " in line:
                hint = "The columns seem to be separated by spaces; SAM requires TAB characters."
            report.error(
                "sam_columns",
                f"Line {line_no:,} has {len(fields)} column(s); an alignment line needs at least "
                "11 TAB-separated columns.",
                hint=hint,
                **where,
            )
            return
        qname, flag_b, rname, pos_b, mapq_b, cigar, rnext, pnext_b, tlen_b, seq, qual = fields[:11]
        problems: list[str] = []
        if not _QNAME.fullmatch(qname):
            problems.append(_describe_qname(qname))
        flag = _uint(flag_b, 0xFFFF, "FLAG", problems)
        pos = _uint(pos_b, None, "POS", problems)
        mapq = _uint(mapq_b, 255, "MAPQ", problems)
        pnext = _uint(pnext_b, None, "PNEXT", problems)
        tid = self._reference(rname, "RNAME", problems, allow_equals=False)
        mtid = self._reference(rnext, "RNEXT", problems, allow_equals=True)
        if mtid == -2:
            mtid = tid
        tlen = 0
        if _INT.fullmatch(tlen_b):
            tlen = int(tlen_b)
            if not -MAX_POS <= tlen <= MAX_POS:
                problems.append(f"TLEN {tlen_b.decode()} is outside [-2^31+1, 2^31-1]")
        else:
            problems.append(f"TLEN '{_show(tlen_b)}' is not a whole number")
        for value, label in ((pos, "POS"), (pnext, "PNEXT")):
            if value is not None and value > MAX_POS:
                self._warn_long_position(label, record, line_no, offset)
        query_length = self._cigar(cigar, problems)
        self._seq_qual(seq, qual, query_length, problems, record, line_no, offset)
        if len(fields) > 11:
            self._aux(fields[11:], problems)
        if problems:
            report.error(
                "sam_record",
                f"Line {line_no:,} (record {record:,}): " + "; ".join(problems) + ".",
                hint=_HINT_RECORD,
                **where,
            )
            return
        assert flag is not None and pos is not None and mapq is not None
        if tid >= 0 and pos > 0:
            length = self.header.refs[tid][1]
            if length > 0 and pos > length and not self._pos_warned:
                self._pos_warned = True
                report.warning(
                    "sam_pos_beyond_reference",
                    f"Line {line_no:,}: POS {pos:,} lies beyond the end of reference "
                    f"'{self.header.refs[tid][0]}' ({length:,} bases).",
                    hint="Check that the header matches the reference the reads were aligned to.",
                    **where,
                )
        out.flag.append(flag)
        out.mapq.append(mapq)
        out.tid.append(tid if tid >= 0 else -1)
        out.pos.append(pos - 1)
        out.mtid.append(mtid if mtid >= 0 else -1)
        out.tlen.append(tlen)
        out.names.append(qname)

    def _reference(
        self, name: bytes, label: str, problems: list[str], *, allow_equals: bool
    ) -> int:
        """Index of the reference, -1 for '*', -2 for '=' (RNEXT only)."""
        if name == b"*":
            return -1
        if allow_equals and name == b"=":
            return -2
        if not _RNAME.fullmatch(name):
            problems.append(
                f"{label} '{_show(name)}' is not a legal reference name"
                if name
                else f"{label} is empty (use '*' when unknown)"
            )
            return -1
        text = name.decode("ascii")
        index = self.header.ref_index.get(text)
        if index is None:
            if self.header.has_sq:
                problems.append(f"{label} '{text}' is not declared in an @SQ header line")
            elif not self._undeclared_warned:
                self._undeclared_warned = True
                self.report.warning(
                    "sam_no_sq",
                    f"Reads are placed on reference '{text}', but the header has no @SQ lines.",
                    hint="Add @SQ lines (samtools reheader) so the file can be converted to BAM.",
                )
            return -1
        return index

    def _cigar(self, cigar: bytes, problems: list[str]) -> int | None:
        if not _CIGAR.fullmatch(cigar):
            problems.append(
                f"CIGAR '{_show(cigar)}' is malformed" if cigar else "CIGAR is empty (use '*')"
            )
            return None
        if cigar == b"*":
            return None
        ops = _CIGAR_OP.findall(cigar)
        kinds = b"".join(op for _, op in ops)
        # H only at the ends; S only at the ends or next to an end H.
        inner = kinds.strip(b"H")
        if b"H" in inner:
            problems.append("CIGAR has a hard clip (H) that is not the first or last operation")
        elif b"S" in inner.strip(b"S"):
            problems.append("CIGAR has a soft clip (S) between other operations")
        return sum(int(n) for n, op in ops if op in b"MIS=X")

    def _seq_qual(
        self,
        seq: bytes,
        qual: bytes,
        query_length: int | None,
        problems: list[str],
        record: int,
        line_no: int,
        offset: int,
    ) -> None:
        if not _SEQ.fullmatch(seq):
            problems.append(
                "SEQ contains characters other than letters, '=' and '.'" if seq else "SEQ is empty"
            )
            return
        if not self._seq_warned and not _SEQ_STRICT.fullmatch(seq):
            self._seq_warned = True
            self.report.warning(
                "sam_seq_letters",
                f"Line {line_no:,}: SEQ uses lowercase or non-IUPAC letters; many tools turn "
                "them into N.",
                hint="Write bases in uppercase IUPAC codes.",
                record=record,
                line=line_no,
                offset=offset,
            )
        if not qual:
            problems.append("QUAL is empty (use '*' when unknown)")
            return
        if qual != b"*":
            if not _QUAL.fullmatch(qual):
                problems.append("QUAL contains characters outside '!' to '~'")
            elif seq == b"*":
                problems.append("QUAL is given while SEQ is '*'")
            elif len(qual) != len(seq):
                problems.append(f"QUAL has {len(qual)} characters but SEQ has {len(seq)}")
        if seq != b"*" and query_length is not None and query_length != len(seq):
            problems.append(f"the CIGAR covers {query_length} query bases but SEQ has {len(seq)}")

    def _aux(self, fields: list[bytes], problems: list[str]) -> None:
        seen: set[bytes] = set()
        for item in fields:
            parts = item.split(b":", 2)
            if len(parts) != 3:
                problems.append(f"optional field '{_show(item)}' is not TAG:TYPE:VALUE")
                continue
            tag, kind, value = parts
            if not _TAG.fullmatch(tag):
                problems.append(f"optional field tag '{_show(tag)}' is not a letter + letter/digit")
                continue
            if tag in seen:
                problems.append(f"optional field {tag.decode()} appears more than once")
            seen.add(tag)
            problem = _check_aux_value(kind, value)
            if problem:
                problems.append(f"optional field {tag.decode()}: {problem}")

    def _warn_long_position(self, label: str, record: int, line_no: int, offset: int) -> None:
        if self._pos_warned:
            return
        self._pos_warned = True
        self.report.warning(
            "sam_long_position",
            f"Line {line_no:,}: {label} is above 2^31-1, the SAM specification's limit; only "
            "htslib's 64-bit extension reads such files.",
            hint="Most tools other than samtools will reject this file.",
            record=record,
            line=line_no,
            offset=offset,
        )


def _check_aux_value(kind: bytes, value: bytes) -> str | None:
    if kind == b"A":
        if len(value) != 1 or not 33 <= value[0] <= 126:
            return "type A needs exactly one printable character"
    elif kind == b"i":
        if not _AUX_INT.fullmatch(value):
            return f"'{_show(value)}' is not an integer"
        if not -(2**31) <= int(value) <= 2**32 - 1:
            return f"{_show(value)} is outside the 32-bit range"
    elif kind == b"f":
        if not _AUX_FLOAT.fullmatch(value):
            return f"'{_show(value)}' is not a number"
        return _float32_problem(value)
    elif kind == b"Z":
        if not _AUX_Z.fullmatch(value):
            return "type Z may contain only printable characters and spaces"
    elif kind == b"H":
        if not _AUX_H.fullmatch(value):
            return "type H needs an even number of uppercase hex digits"
    elif kind == b"B":
        if not _AUX_B.fullmatch(value):
            return "type B needs a subtype letter (cCsSiIf) followed by comma-separated numbers"
        sub, numbers = value[:1], value[2:].split(b",") if len(value) > 1 else []
        if sub == b"f":
            for number in numbers:
                problem = _float32_problem(number)
                if problem:
                    return problem
        else:
            low, high = _B_RANGES[sub]
            for number in numbers:
                if not _AUX_INT.fullmatch(number):
                    return f"array element '{_show(number)}' is not an integer"
                if not low <= int(number) <= high:
                    return f"array element {_show(number)} does not fit subtype {sub.decode()}"
    else:
        return f"'{_show(kind)}' is not a type (A, i, f, Z, H or B)"
    return None


def _float32_problem(text: bytes) -> str | None:
    number = float(text)
    if abs(number) > _FLT_MAX:
        return f"{_show(text)} is too large for a single-precision float"
    if number != 0 and abs(number) < _FLT_TRUE_MIN / 2:
        return f"{_show(text)} is too small for a single-precision float (it would become 0)"
    return None


def _uint(text: bytes, limit: int | None, label: str, problems: list[str]) -> int | None:
    if not _UINT.fullmatch(text):
        problems.append(
            f"{label} '{_show(text)}' is not a whole number (no signs, leading zeros or hex)"
        )
        return None
    value = int(text)
    if limit is not None and value > limit:
        problems.append(f"{label} {value} is above its maximum {limit}")
        return None
    return value


def _describe_qname(qname: bytes) -> str:
    if not qname:
        return "QNAME is empty (use '*' when unknown)"
    if len(qname) > 254:
        return f"QNAME is {len(qname)} characters long; the limit is 254"
    return f"QNAME '{_show(qname)}' contains '@', a space or a non-printable character"


def _show(value: bytes, limit: int = 40) -> str:
    text = value.decode("ascii", "backslashreplace")
    return text if len(text) <= limit else text[: limit - 1] + "…"
