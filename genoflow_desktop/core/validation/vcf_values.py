"""Value-level rules of VCF records: REF/ALT alleles, QUAL, typed INFO/FORMAT values and counts.

Shared by the line-by-line checks (:mod:`vcf_records`), the column-wise fast lane
(:mod:`vcf_fastlane`) and the genotype checks (:mod:`vcf_samples`). Alleles follow VCFv4.3
section 1.6.1 (bases A/C/G/T/N, ``*``, ``<symbolic>`` IDs, breakend notation); numbers follow
section 1.3 (32-bit integers except the eight values BCF reserves, the Float patterns).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from genoflow_desktop.core.validation.vcf_header import CONTIG_RE, KEY_RE, FieldDef

CONTIG_B = re.compile(CONTIG_RE.pattern.encode())
KEY_B = re.compile(KEY_RE.pattern.encode())
_BASES = re.compile(rb"[ACGTNacgtn]+")
SYMBOLIC_RE = re.compile(rb"<[^\s,<>]+>")
_BREAKEND = re.compile(
    rb"(?:[ACGTNacgtn]+(?P<a>[\[\]])(?:<[^\s<>,]+>|[^\s\[\]<>,]+):[0-9]+(?P=a)"
    rb"|(?P<b>[\[\]])(?:<[^\s<>,]+>|[^\s\[\]<>,]+):[0-9]+(?P=b)[ACGTNacgtn]+"
    rb"|\.[ACGTNacgtn]+|[ACGTNacgtn]+\.)"
)
#: VCF 4.3 section 1.3: Float values match one of these two patterns (case-insensitive words).
_FLOAT = re.compile(
    rb"[-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?|[-+]?(?:[Ii][Nn][Ff](?:[Ii][Nn][Ii][Tt][Yy])?|[Nn][Aa][Nn])"
)
_INT = re.compile(rb"[-+]?[0-9]+")
WHITESPACE_RE = re.compile(rb"\s")
_TRANSITIONS = {(b"A", b"G"), (b"G", b"A"), (b"C", b"T"), (b"T", b"C")}
INT_MIN_OK = -(2**31) + 8  # -2^31 .. -2^31+7 are reserved by BCF for missing/end-of-vector
INT_MAX = 2**31 - 1
CHUNK_SIZE = 20_000_000  # the imputation servers' chunk length
_NON_NEGATIVE = {b"AC", b"AN", b"DP", b"NS", b"MQ0", b"AD", b"ADF", b"ADR", b"END"}
#: VCF 4.4 structural-variant keys whose value count is a multiple of the ALT count.
_SV_MULTIPLES = {b"CIPOS": 2, b"CIEND": 2, b"CILEN": 2, b"CICN": 2, b"MEINFO": 4, b"METRANS": 4}
_SV_KINDS = {b"DEL", b"INS", b"DUP", b"INV", b"CNV"}
RECORD_HINT = "Correct the record, or regenerate the file with bcftools."


@dataclass(slots=True)
class AlleleInfo:
    """Validated REF/ALT pair, cached per distinct pair."""

    n_alt: int
    problem: str | None
    snv: int = 0
    ts: int = 0
    tv: int = 0
    indel: bool = False
    mnp: bool = False
    other: bool = False
    ref_eq_alt: bool = False
    sv_kinds: tuple[bytes | None, ...] = ()


@dataclass(slots=True)
class FormatInfo:
    """Validated FORMAT column, cached per distinct value."""

    keys: list[bytes]
    problem: str | None
    gt_first: bool = False
    gt_only: bool = False
    defs: list[FieldDef | None] = field(default_factory=list)


class TypeCheck:
    """Checks one typed value list against a declaration (shared by INFO and FORMAT)."""

    @staticmethod
    def values(kind: str, values: list[bytes], key: bytes) -> str | None:
        for value in values:
            if value == b".":
                continue
            if kind == "Integer":
                if not _INT.fullmatch(value):
                    return f"{key.decode()}={show(b','.join(values))} is not an integer"
                number = int(value)
                if number > INT_MAX or number < INT_MIN_OK:
                    return (
                        f"{key.decode()}={show(value)} is outside the 32-bit integer range VCF "
                        "allows (-2^31+8 to 2^31-1)"
                    )
                if number < 0 and key in _NON_NEGATIVE:
                    return f"{key.decode()}={show(value)} is negative, but it is a count"
            elif kind == "Float":
                if not _FLOAT.fullmatch(value):
                    return f"{key.decode()}={show(b','.join(values))} is not a number"
            elif kind == "Character":
                if len(value) != 1:
                    return f"{key.decode()}={show(value)} is not a single character"
            elif WHITESPACE_RE.search(value):
                return f"{key.decode()} contains whitespace"
        return None

    @staticmethod
    def count(
        number: str, values: list[bytes], n_alt: int, ploidy: int | None, key: bytes
    ) -> str | None:
        if number == "." or values == [b"."]:
            return None
        if n_alt == 0 and number in ("A", "R", "G"):
            return None  # ALT '.': per-allele counts have nothing to count against
        n = len(values)
        if number == "A":
            expected: set[int] = {n_alt}
        elif number == "R":
            expected = {n_alt + 1}
        elif number == "G":
            if ploidy is None:
                expected = {n_alt + 1, (n_alt + 1) * (n_alt + 2) // 2}
            else:
                expected = {_n_genotypes(n_alt + 1, ploidy)}
        elif number == "P":
            expected = {ploidy} if ploidy is not None else {n}
        else:
            expected = {int(number)}
        if n not in expected:
            want = " or ".join(str(e) for e in sorted(expected))
            return f"{key.decode()} has {n} value(s) but its Number={number} means {want} here"
        return None


def _n_genotypes(alleles: int, ploidy: int) -> int:
    # Number of unordered genotypes: C(alleles + ploidy - 1, ploidy).
    result = 1
    for k in range(1, ploidy + 1):
        result = result * (alleles + k - 1) // k
    return result


def classify_alleles(ref: bytes, alt: bytes, v44: bool) -> AlleleInfo:
    """Check REF/ALT and classify the record (SNP, indel, multiallelic, symbolic...).

    Args:
        ref: The REF column.
        alt: The ALT column.
        v44: Whether VCFv4.4 rules apply (e.g. ``<*>`` and BND symbolic alleles).

    Returns:
        The classification, with ``why`` set when the alleles are invalid.
    """
    if not _BASES.fullmatch(ref):
        if ref == b"." or not ref:
            why = "REF is missing"
        elif b"," in ref:
            why = f"REF '{show(ref)}' lists several alleles; alternatives belong in ALT"
        else:
            why = f"REF '{show(ref)}' may contain only A, C, G, T and N"
        return AlleleInfo(0, why)
    if alt == b".":
        return AlleleInfo(0, None)
    alleles = alt.split(b",")
    info = AlleleInfo(len(alleles), None)
    ref_upper = ref.upper()
    kinds: list[bytes | None] = []
    seen: set[bytes] = set()
    for allele in alleles:
        kind: bytes | None = None
        if not allele:
            info.problem = f"ALT '{show(alt)}' has an empty allele"
            return info
        if _BASES.fullmatch(allele):
            upper = allele.upper()
            if upper == ref_upper:
                info.ref_eq_alt = True
            if len(allele) == len(ref) == 1:
                info.snv += 1
                if (ref_upper, upper) in _TRANSITIONS:
                    info.ts += 1
                elif upper != ref_upper and upper != b"N" and ref_upper != b"N":
                    info.tv += 1
            elif len(allele) == len(ref):
                info.mnp = True
            else:
                info.indel = True
        elif allele == b"*":
            info.other = True
        elif SYMBOLIC_RE.fullmatch(allele):
            info.other = True
            name = allele[1:-1]
            kind = name.split(b":", 1)[0]
            if v44 and kind == b"BND":
                info.problem = (
                    f"ALT '{show(allele)}': VCF 4.4 does not allow <BND> alleles; write "
                    "breakends in bracket notation"
                )
                return info
            kind = kind if kind in _SV_KINDS else None
        elif _BREAKEND.fullmatch(allele):
            info.other = True
            kind = b"breakend"
        else:
            info.problem = (
                f"ALT allele '{show(allele)}' is not bases (A, C, G, T, N), '*', a <symbolic> "
                "allele or a breakend"
            )
            return info
        if allele in seen and not allele.startswith(b"<"):
            info.problem = f"ALT lists allele '{show(allele)}' twice"
            return info
        seen.add(allele)
        kinds.append(kind)
    info.sv_kinds = tuple(kinds)
    return info


def check_qual(qual: bytes) -> str | None:
    """Return why the QUAL column is invalid, or None when it is a number or '.'."""
    if qual == b".":
        return None
    if not _FLOAT.fullmatch(qual):
        return f"QUAL '{show(qual)}' is not a number"
    if qual.startswith(b"-") and float(qual) < 0:
        return f"QUAL {show(qual)} is negative"
    return None


def check_sv_info(
    values: dict[bytes, list[bytes]], alleles: AlleleInfo, problems: list[str]
) -> None:
    """VCF 4.4 structural-variant rules for SVLEN, SVCLAIM and the interval keys."""
    kinds = alleles.sv_kinds
    for key, multiple in _SV_MULTIPLES.items():
        found = values.get(key)
        if found is not None and found != [b"."] and len(found) != multiple * alleles.n_alt:
            problems.append(
                f"INFO {key.decode()} needs {multiple} values per ALT allele "
                f"({multiple * alleles.n_alt}), found {len(found)}"
            )
    svlen = values.get(b"SVLEN")
    if svlen is not None and len(svlen) == len(kinds):
        for kind, value in zip(kinds, svlen, strict=True):
            if kind is None and value != b".":
                problems.append(
                    "INFO SVLEN must be '.' for ALT alleles that are not structural variants"
                )
                break
    claims = values.get(b"SVCLAIM")
    allowed: dict[bytes | None, set[bytes]] = {
        b"DEL": {b"D", b"J", b"DJ"},
        b"DUP": {b"D", b"J", b"DJ"},
        b"CNV": {b"D", b"."},
        b"INV": {b"J", b"DJ", b"."},
        b"INS": {b"J", b"DJ", b"."},
        b"breakend": {b"J", b"."},
        None: {b"."},
    }
    if claims is None:
        # Records in the pre-4.4 style (END without SVLEN) are left alone: VCF 4.4 keeps
        # reading them for backwards compatibility.
        if svlen is not None and any(kind in (b"DEL", b"DUP") for kind in kinds):
            problems.append("INFO SVCLAIM is required for <DEL> and <DUP> alleles in VCF 4.4")
        return
    if len(claims) == len(kinds):
        for kind, claim in zip(kinds, claims, strict=True):
            if claim not in allowed[kind]:
                label = "non-SV" if kind is None else kind.decode()
                problems.append(
                    f"INFO SVCLAIM={claim.decode('ascii', 'replace')} is not allowed for a "
                    f"{label} allele"
                )
                break


def show(value: bytes, limit: int = 40) -> str:
    """Decode ``value`` for a message, shortened to ``limit`` characters."""
    text = value.decode("utf-8", "backslashreplace")
    return text if len(text) <= limit else text[: limit - 1] + "…"
