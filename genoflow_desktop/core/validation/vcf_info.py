"""INFO and FORMAT column checks for VCF records (VCFv4.3 section 1.6.1), used as methods of
:class:`~genoflow_desktop.core.validation.vcf_records.VcfRecordChecker` by both the per-line
path and the column-wise fast lane."""

from __future__ import annotations

from typing import TYPE_CHECKING

from genoflow_desktop.core.validation.vcf_values import (
    KEY_B,
    WHITESPACE_RE,
    AlleleInfo,
    FormatInfo,
    TypeCheck,
    check_sv_info,
)
from genoflow_desktop.core.validation.vcf_values import show as _show

if TYPE_CHECKING:
    from genoflow_desktop.core.validation.vcf_records import VcfRecordChecker


def check_info(
    self: VcfRecordChecker,
    info: bytes,
    alleles: AlleleInfo,
    problems: list[str],
    where: dict[str, int],
) -> None:
    """Check an INFO column against the ##INFO declarations (VCFv4.3 section 1.6.1 item 8).

    Args:
        self: The record checker (a method of :class:`VcfRecordChecker`).
        info: The INFO column (not '.').
        alleles: The record's classified REF/ALT, for Number=A/R counts.
        problems: Receives the reasons the record is invalid.
        where: ``record``/``line``/``offset`` for warnings.
    """
    entries = info.split(b";")
    keys: set[bytes] = set()
    values_by_key: dict[bytes, list[bytes]] = {}
    for entry in entries:
        key, eq, value = entry.partition(b"=")
        if not KEY_B.fullmatch(key):
            problems.append(
                f"INFO entry '{_show(entry)}' has an invalid key"
                + (" (INFO may not contain whitespace)" if WHITESPACE_RE.search(entry) else "")
            )
            continue
        if key in keys:
            problems.append(f"INFO key {key.decode()} appears more than once")
            continue
        keys.add(key)
        definition = self.infos.get(key)
        if definition is None and key != b"SB":  # SB's type changed between versions
            definition = self.reserved_info.get(key)
        if definition is None:
            self.warn_once(
                "info:" + key.decode(),
                f"INFO key {key.decode()} is not declared in a ##INFO header line.",
                "Declare it with a ##INFO line so its type is known.",
                **where,
            )
            if WHITESPACE_RE.search(value):
                problems.append(f"INFO {key.decode()} contains whitespace")
            continue
        if definition.type == "Flag":
            if eq and value in (b"0", b"1"):
                self.warn_once(
                    "flag-value:" + key.decode(),
                    f"INFO {key.decode()} is a Flag but is written with a value "
                    f"({key.decode()}={value.decode()}).",
                    "Write a Flag as the bare key when set, and leave it out when not set.",
                    **where,
                )
            elif eq:
                problems.append(f"INFO {key.decode()} is a Flag and takes no value")
            continue
        if not eq:
            problems.append(f"INFO {key.decode()} needs a value")
            continue
        if definition.type == "String" and len(value) > 1 and value[0] == value[-1] == 34:
            values = [value]  # a double-quoted string is one value even with commas in it
        else:
            values = value.split(b",")
        if definition.number != "G":  # INFO has no ploidy, so G counts are undefined
            count_problem = TypeCheck.count(definition.number, values, alleles.n_alt, None, key)
            if count_problem and not self.header.strict:
                self.warn_once(
                    "info-count:" + key.decode(),
                    f"Line {where['line']:,}: INFO {count_problem} (tolerated for VCF "
                    "versions before 4.3).",
                    "Correct the number of values.",
                    **where,
                )
            elif count_problem:
                problems.append("INFO " + count_problem)
                continue
        problem = TypeCheck.values(definition.type, values, key)
        if problem and key == b"END" and value.isdigit():
            self.warn_once(
                "pos-64",
                f"INFO END={value.decode()} is above 2^31-1, the VCF limit; only htslib's "
                "64-bit extension reads it.",
                "Most tools other than bcftools will reject this file.",
                **where,
            )
            problem = None
        if problem:
            problems.append("INFO " + problem)
        values_by_key[key] = values
    if self.v44 and not alleles.problem:
        check_sv_info(values_by_key, alleles, problems)


def check_format(self: VcfRecordChecker, fmt: bytes, where: dict[str, int]) -> FormatInfo:
    """Check a FORMAT column and look up its keys' declarations (result cached by the caller).

    Args:
        self: The record checker (a method of :class:`VcfRecordChecker`).
        fmt: The FORMAT column.
        where: ``record``/``line``/``offset`` for warnings.

    Returns:
        The keys, their definitions and the first problem found, if any.
    """
    if fmt == b".":
        self.warn_once(
            "format-dot",
            "The FORMAT column is '.', which the specification does not define.",
            "Leave FORMAT out, or name the fields (e.g. GT).",
            **where,
        )
        return FormatInfo([], None)
    keys = fmt.split(b":")
    info = FormatInfo(keys, None)
    for key in keys:
        if not key:
            info.problem = f"FORMAT '{_show(fmt)}' has an empty key"
            return info
        if not KEY_B.fullmatch(key):
            info.problem = (
                f"FORMAT key '{_show(key)}' is invalid (letters, digits, '_' and '.', "
                "not starting with a digit)"
            )
            return info
    if len(set(keys)) != len(keys):
        info.problem = f"FORMAT '{_show(fmt)}' lists a key twice"
        return info
    if b"GT" in keys[1:]:
        info.problem = "GT must be the first FORMAT key"
        return info
    info.gt_first = keys[0] == b"GT"
    info.gt_only = keys == [b"GT"]
    for key in keys:
        definition = self.formats.get(key) or self.reserved_format.get(key)
        if definition is None:
            self.warn_once(
                "format:" + key.decode(),
                f"FORMAT key {key.decode()} is not declared in a ##FORMAT header line.",
                "Declare it with a ##FORMAT line so its type is known.",
                **where,
            )
        info.defs.append(definition)
    return info
