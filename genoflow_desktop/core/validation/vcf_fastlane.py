"""Column-wise checks of a batch of VCF lines, for speed on large files.

Most lines of a large VCF are alike: the same few REF/ALT pairs, FILTER, QUAL and FORMAT
values, INFO built from the same declared keys. Checking them column by column (distinct values
once, positions with numpy, INFO of all biallelic lines with one compiled regular expression)
costs a small fraction of the line-by-line checks. The fast lane only ever *accepts* a batch:
as soon as anything looks unusual it returns None and the caller re-checks the batch line by
line with :class:`~genoflow_desktop.core.validation.vcf_records.VcfRecordChecker.check`, which
produces the precise messages. So the fast lane can be conservative without losing findings.

Duplicate INFO keys are the one rule the column-wise INFO check cannot see; the line-by-line INFO
check also runs on the first 2,000 records and on every 500th record after that.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from genoflow_desktop.core.validation.bgzf import yield_gil
from genoflow_desktop.core.validation.vcf_header import FieldDef
from genoflow_desktop.core.validation.vcf_values import (
    CHUNK_SIZE,
    INT_MAX,
    AlleleInfo,
    FormatInfo,
    check_qual,
    classify_alleles,
)

if TYPE_CHECKING:
    from genoflow_desktop.core.validation.vcf_records import VcfRecordChecker

Result = tuple[AlleleInfo, FormatInfo | None, bytes | None]

_BAD_ID_PARTS = (b" ", b"\r", b"\x0b", b"\x0c", b"\n;", b";\n", b";;", b"\n\n")
_INFO_KEYS = re.compile(rb"(?:^|;)([^;=\n]*)", re.M)
_FLOAT = (
    rb"[-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?"
    rb"|[-+]?(?:[Ii][Nn][Ff](?:[Ii][Nn][Ii][Tt][Yy])?|[Nn][Aa][Nn])"
)
_NON_NEGATIVE = {"AC", "AN", "DP", "NS", "MQ0", "AD", "ADF", "ADR", "END"}
_SAMPLED_BASE = 2_000
_SAMPLED_EVERY = 500


def build_info_pattern(defs: dict[bytes, FieldDef]) -> re.Pattern[bytes]:
    """A regex that fully matches the INFO columns (joined by newlines) of biallelic lines
    whose INFO values all have legal types and counts; integers are limited to nine digits
    so that a match is always within the 32-bit range."""
    return _info_pattern(tuple(sorted((k, d.id, d.number, d.type) for k, d in defs.items())))


@lru_cache(maxsize=32)
def _info_pattern(defs: tuple[tuple[bytes, str, str, str], ...]) -> re.Pattern[bytes]:
    """Compiled once per distinct set of INFO declarations (files of one study share it)."""
    entries: list[bytes] = []
    for key, ident, number, kind in sorted(defs, key=lambda d: len(d[0]), reverse=True):
        definition = FieldDef(ident, number, kind, 0)
        name = re.escape(key)
        if definition.type == "Flag":
            entries.append(name + rb"(?=;|$)")
            continue
        if definition.type == "Integer":
            value = rb"\+?[0-9]{1,9}" if definition.id in _NON_NEGATIVE else rb"[-+]?[0-9]{1,9}"
        elif definition.type == "Float":
            value = _FLOAT
        elif definition.type == "Character":
            value = rb"[^\s,;=]"
        else:
            value = rb"[^\s,;=]*"
        v = rb"(?:" + value + rb"|\.)"
        number = definition.number
        if number == "A":
            values = v
        elif number == "R":
            values = v + b"," + v + rb"|\."
        elif number.isdigit() and int(number) >= 1:
            values = (
                v
                + (
                    rb"(?:," + v + rb"){" + str(int(number) - 1).encode() + b"}"
                    if int(number) > 1
                    else b""
                )
                + rb"|\."
            )
        else:
            values = v + rb"(?:," + v + rb")*"
        entries.append(name + rb"=(?:" + values + rb")(?=;|$)")
    declared = b"|".join(re.escape(d[0]) for d in defs) or rb"(?!)"
    generic = (
        rb"(?!(?:"
        + declared
        + rb")(?:[=;]|$))(?:[A-Za-z_][0-9A-Za-z_.]*|1000G)(?:=[^\s;]*)?(?=;|$)"
    )
    entry = rb"(?:" + b"|".join([*entries, generic]) + rb")"
    line = rb"(?:\.|" + entry + rb"(?:;" + entry + rb")*)"
    return re.compile(line + rb"(?:\n" + line + rb")*", re.M)


def check_batch(
    ck: VcfRecordChecker,
    lines: list[bytes],
    first_record: int,
    first_line: int,
    offsets: list[int],
) -> list[Result] | None:
    """Check a batch column-wise; None when the batch needs the line-by-line checks."""
    want = 10 if ck.header.has_format else 8
    fields = [line.split(b"\t", 9) for line in lines]
    yield_gil()  # long Python stretches: let the inflate worker continue
    if set(map(len, fields)) != {want}:
        return None
    columns = list(zip(*fields, strict=True))
    chrom, pos, ident, ref, alt, qual, filt, info = columns[:8]
    where = {"record": first_record, "line": first_line, "offset": offsets[0]}
    for name in set(chrom):
        problems: list[str] = []
        ck._check_chrom(name, problems, where)
        if problems or name.startswith((b"<", b"#")):
            return None
    pos_blob = b"\n".join(pos)
    if (
        pos_blob.translate(None, b"0123456789\n")
        or b"\n\n" in pos_blob
        or not pos[0]
        or not pos[-1]
    ):
        return None
    if max(map(len, pos)) > 10:
        return None
    positions = np.array(pos).astype(np.int64)
    if int(positions.max()) > INT_MAX:
        return None
    id_blob = b"\n" + b"\n".join(ident) + b"\n"
    if any(bad in id_blob for bad in _BAD_ID_PARTS):
        return None
    for value in ident:
        if b";" in value and len(set(value.split(b";"))) != value.count(b";") + 1:
            return None
    alleles_cache = ck._alleles
    for pair in set(zip(ref, alt, strict=True)):
        info_ = alleles_cache.get(pair)
        if info_ is None:
            info_ = classify_alleles(pair[0], pair[1], ck.v44)
            alleles_cache[pair] = info_
        if (
            info_.problem
            or info_.ref_eq_alt
            or (ck.v44 and any(k is not None for k in info_.sv_kinds))
        ):
            return None  # the line-by-line path reports these with their locations
    alleles = list(map(alleles_cache.__getitem__, zip(ref, alt, strict=True)))
    for value in set(qual):
        problem = ck._quals.get(value, "")
        if problem == "":
            problem = check_qual(value)
            ck._quals[value] = problem
        if problem:
            return None
    filters = Counter(filt)
    for value in filters:
        problem = ck._filters.get(value, "")
        if problem == "":
            problem = ck._check_filter(value, where)
            ck._filters[value] = problem
        if problem:
            return None
    formats: list[FormatInfo | None] = [None] * len(lines)
    if want == 10:
        for value in set(columns[8]):
            fmt = ck._formats.get(value)
            if fmt is None:
                fmt = ck.check_format(value, where)
                ck._formats[value] = fmt
            if fmt.problem:
                return None
        formats = list(map(ck._formats.__getitem__, columns[8]))
    yield_gil()
    if not _info_ok(ck, info, alleles, first_record, where):
        return None
    order = _order(ck, chrom, positions)
    if order is None:
        return None
    # Everything passed: commit the counts and the ordering state.
    counter = Counter(zip(ref, alt, strict=True))
    for pair, count in counter.items():
        _count_pair(ck, alleles_cache[pair], count)
    ck.counts["filtered"] += len(lines) - filters.get(b"PASS", 0) - filters.get(b".", 0)
    if want == 10:
        with_gt = sum(1 for fmt in formats if fmt is not None and fmt.gt_first)
        ck.counts["with_gt"] += with_gt
        ck.counts["without_gt"] += len(lines) - with_gt
    order()
    samples = columns[9] if want == 10 else [None] * len(lines)
    return [
        (a, f, s) if f is not None else (a, None, None)
        for a, f, s in zip(alleles, formats, samples, strict=True)
    ]


def _info_ok(
    ck: VcfRecordChecker,
    info: tuple[bytes, ...],
    alleles: list[AlleleInfo],
    first_record: int,
    where: dict[str, int],
) -> bool:
    if ck._info_pattern is None:
        defs = {k: v for k, v in ck.reserved_info.items() if k != b"SB"}
        defs.update(ck.infos)
        ck._info_pattern = build_info_pattern(defs)
    biallelic = [value for value, a in zip(info, alleles, strict=True) if a.n_alt == 1]
    if len(biallelic) != len(info):
        for value, a in zip(info, alleles, strict=True):
            if a.n_alt != 1 and value != b".":
                problems: list[str] = []
                ck.check_info(value, a, problems, where)
                if problems:
                    return False
    blob = b"\n".join(biallelic)
    if blob and ck._info_pattern.fullmatch(blob) is None:
        return False
    all_blob = b"\n".join(info)
    declared = ck.infos.keys() | ck.reserved_info.keys()
    for key in set(_INFO_KEYS.findall(all_blob)):
        if key not in declared and key != b".":
            ck.warn_once(
                "info:" + key.decode("utf-8", "replace"),
                f"INFO key {key.decode('utf-8', 'replace')} is not declared in a ##INFO header "
                "line.",
                "Declare it with a ##INFO line so its type is known.",
                **where,
            )
    for index, value in enumerate(info):
        record = first_record + index
        if value != b"." and (record <= _SAMPLED_BASE or record % _SAMPLED_EVERY == 0):
            problems = []
            ck.check_info(value, alleles[index], problems, where)
            if problems:
                return False
    return True


def _order(
    ck: VcfRecordChecker, chrom: tuple[bytes, ...], positions: npt.NDArray[np.int64]
) -> Callable[[], None] | None:
    """Validate sort order and contiguity; return a commit function, or None to fall back."""
    codes: dict[bytes, int] = {}
    code_list = [codes.setdefault(name, len(codes)) for name in chrom]
    code = np.array(code_list, dtype=np.int64)
    starts = np.concatenate(([0], np.flatnonzero(code[1:] != code[:-1]) + 1))
    ends = np.concatenate((starts[1:], [len(code)]))
    same = code[1:] == code[:-1]
    if (same & (positions[1:] < positions[:-1])).any():
        return None
    names = [chrom[int(s)] for s in starts]
    if ck.last_chrom is not None and names[0] == ck.last_chrom and int(positions[0]) < ck.last_pos:
        return None
    done = set(ck.done_chroms)
    previous = ck.last_chrom
    for name in names:
        if name != previous:
            if previous is not None:
                done.add(previous)
            if name in done:
                return None
            rank, last_rank = (
                ck.contig_rank.get(name),
                ck.contig_rank.get(previous) if previous else None,
            )
            if rank is not None and last_rank is not None and rank < last_rank:
                return None  # the line-by-line path explains the order problem
            previous = name
    maxima = np.maximum.reduceat(positions, starts)
    for name, top in zip(names, maxima.tolist(), strict=True):
        length = ck.contigs.get(name)
        if length is not None and top > length + 1:
            return None

    def commit() -> None:
        for name, start, end, top in zip(
            names, starts.tolist(), ends.tolist(), maxima.tolist(), strict=True
        ):
            chunks = np.unique((positions[start:end] - 1) // CHUNK_SIZE).tolist()
            ck.chunks.setdefault(name, set()).update(chunks)
            ck.chrom_counts[name] = ck.chrom_counts.get(name, 0) + (end - start)
            if top > ck.max_pos.get(name, 0):
                ck.max_pos[name] = top
        ck.done_chroms = done
        ck.last_chrom = names[-1]
        ck.last_pos = int(positions[-1])

    return commit


def _count_pair(ck: VcfRecordChecker, a: AlleleInfo, count: int) -> None:
    counts = ck.counts
    if a.n_alt == 0:
        counts["no_alt"] += count
    elif a.n_alt == 1:
        counts["biallelic"] += count
    else:
        counts["multiallelic"] += count
    if a.indel:
        counts["indels"] += count
    elif a.mnp:
        counts["mnps"] += count
    elif a.snv and not a.other:
        counts["snps"] += count
    elif a.other:
        counts["other"] += count
    counts["transitions"] += a.ts * count
    counts["transversions"] += a.tv * count
