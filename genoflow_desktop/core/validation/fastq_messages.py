"""Plain-words findings for FASTQ problems, and a log that keeps their number bounded.

Every message names the read (so a researcher can search for it) and says what is wrong in
words; the record, line and byte offset travel in the finding's fields and are shown by
:meth:`Finding.where`. Every finding carries a hint saying what to do about it.
"""

from __future__ import annotations

from collections import Counter

from genoflow_desktop.core.domain import Severity
from genoflow_desktop.core.validation.report import Finding, ValidationReport

#: Bytes allowed in a sequence: the IUPAC nucleotide codes in either case, '.' (an old
#: Illumina no-call) and '-' (a gap).
SEQUENCE_ALPHABET = b"ACGTUNRYSWKMBDHVacgtunryswkmbdhv.-"
#: Quality characters are printable ASCII from '!' (33) to '~' (126).
QUALITY_MIN, QUALITY_MAX = 33, 126

_CONTROL_NAMES = {
    0: "a NUL byte (0x00)",
    9: "a tab",
    10: "a line break",
    11: "a vertical tab (0x0B)",
    12: "a form feed (0x0C)",
    13: "a carriage return (0x0D)",
    27: "an escape character (0x1B)",
    31: "a unit separator (0x1F)",
    32: "a space",
    127: "a DEL character (0x7F)",
}

_HINT_REGENERATE = (
    "Regenerate or re-export the file from the sequencer output (or ask the sequencing "
    "provider for a fresh copy); files edited by hand or in a spreadsheet often break this way."
)
_HINT_RECOPY = (
    "The file was probably cut short by an interrupted copy, download or disk-full error. Copy "
    "it again from the original and compare its MD5 checksum with the provider's."
)


def describe_byte(value: int) -> str:
    """Names one byte the way a person would: ``'Z'``, ``a tab``, ``byte 0xC3``."""
    if value in _CONTROL_NAMES:
        return _CONTROL_NAMES[value]
    if 33 <= value < 127:
        return f"'{chr(value)}'"
    if value < 32:
        return f"a control character (0x{value:02X})"
    return f"a non-ASCII byte (0x{value:02X})"


def show_name(title: bytes, limit: int = 60) -> str:
    """A read's title, shortened and made printable for a message."""
    text = title.decode("ascii", errors="replace")
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class FindingLog:
    """Adds findings to a report, keeping at most ``per_code`` of each kind.

    A broken file can have the same problem in millions of records; the user needs the first
    few and a count, not millions of lines. Callers ask :meth:`wants` before building an
    expensive message; :meth:`finish` adds one summary line per kind that was cut off.
    """

    def __init__(self, report: ValidationReport, per_code: int = 10) -> None:
        self._report = report
        self._per_code = per_code
        self._kept: Counter[str] = Counter()
        self._dropped: Counter[str] = Counter()
        self._severity: dict[str, Severity] = {}

    def wants(self, code: str) -> bool:
        return self._kept[code] < self._per_code

    def count_dropped(self, code: str, severity: Severity, number: int) -> None:
        """Records ``number`` further occurrences of ``code`` without describing them."""
        if number > 0:
            self._dropped[code] += number
            self._severity.setdefault(code, severity)

    def add(
        self,
        severity: Severity,
        code: str,
        message: str,
        hint: str,
        *,
        record: int | None = None,
        line: int | None = None,
        offset: int | None = None,
    ) -> None:
        if not self.wants(code):
            self.count_dropped(code, severity, 1)
            return
        self._kept[code] += 1
        self._severity.setdefault(code, severity)
        self._report.add(Finding(severity, code, message, hint, record, line, offset))

    def error(self, code: str, message: str, hint: str, **where: int | None) -> None:
        self.add(Severity.ERROR, code, message, hint, **where)

    def warning(self, code: str, message: str, hint: str, **where: int | None) -> None:
        self.add(Severity.WARNING, code, message, hint, **where)

    def has_errors(self) -> bool:
        return self._report.error_count > 0

    def finish(self) -> None:
        for code, number in sorted(self._dropped.items()):
            self._report.add(
                Finding(
                    self._severity[code],
                    f"{code}.more",
                    f"The same problem ({code}) occurs {number:,} more times; only the first "
                    f"{self._per_code} are listed.",
                    "Fix the cause shown in the first findings; it usually explains the rest.",
                )
            )


class HeldLog(FindingLog):
    """Holds findings back until :meth:`release`; :meth:`drop` forgets them.

    The line-by-line parser may start a record that turns out to continue in the next buffer;
    it then parses the record again later, and what it found the first time must not be
    reported twice.
    """

    def __init__(self, target: FindingLog) -> None:  # no super(): it only forwards
        self._target = target
        self._held: list[tuple[Severity, str, str, str, dict[str, int | None]]] = []
        self._dropped_held: list[tuple[str, Severity, int]] = []

    def wants(self, code: str) -> bool:
        return self._target.wants(code)

    def add(
        self,
        severity: Severity,
        code: str,
        message: str,
        hint: str,
        *,
        record: int | None = None,
        line: int | None = None,
        offset: int | None = None,
    ) -> None:
        self._held.append(
            (severity, code, message, hint, {"record": record, "line": line, "offset": offset})
        )

    def count_dropped(self, code: str, severity: Severity, number: int) -> None:
        self._dropped_held.append((code, severity, number))

    def release(self) -> None:
        for severity, code, message, hint, where in self._held:
            self._target.add(severity, code, message, hint, **where)
        for code, severity, number in self._dropped_held:
            self._target.count_dropped(code, severity, number)
        self.drop()

    def drop(self) -> None:
        self._held.clear()
        self._dropped_held.clear()


def crlf(log: FindingLog, **where: int | None) -> None:
    log.warning(
        "fastq.crlf",
        "The file has Windows (CRLF) line endings. Most tools read them, but some do not.",
        "If a tool rejects the file, convert it with 'dos2unix' (or re-export it on Linux).",
        **where,
    )


# --- message builders shared by the fast (vectorised) and slow (line by line) parsers ------


def unnamed(log: FindingLog, **where: int | None) -> None:
    log.warning(
        "fastq.unnamed",
        "A read has an empty name: its title line is just '@'.",
        "Many tools need read names (for example to match the mates of a pair); regenerate "
        "the file with names if you can.",
        **where,
    )


def bad_base(log: FindingLog, name: bytes, value: int, column: int, **where: int | None) -> None:
    log.error(
        "fastq.sequence_character",
        f"The sequence of read '{show_name(name)}' contains {describe_byte(value)} at base "
        f"{column + 1}, which is not a DNA/RNA base letter.",
        "Sequence lines may hold only base letters (A, C, G, T or U, N and the IUPAC ambiguity "
        "codes). " + _HINT_REGENERATE,
        **where,
    )


def bad_quality(log: FindingLog, name: bytes, value: int, column: int, **where: int | None) -> None:
    log.error(
        "fastq.quality_character",
        f"The quality string of read '{show_name(name)}' contains {describe_byte(value)} at "
        f"position {column + 1}; quality characters must be printable ASCII from '!' to '~'.",
        "Quality strings cannot contain spaces, tabs or control characters. " + _HINT_REGENERATE,
        **where,
    )


def length_mismatch(
    log: FindingLog, name: bytes, bases: int, quals: int, **where: int | None
) -> None:
    log.error(
        "fastq.length_mismatch",
        f"Read '{show_name(name)}' has {bases:,} bases but {quals:,} quality characters; every "
        "base needs exactly one quality character.",
        "The quality line is "
        + ("shorter" if quals < bases else "longer")
        + " than the sequence line. "
        + _HINT_REGENERATE,
        **where,
    )


def plus_mismatch(log: FindingLog, name: bytes, plus: bytes, **where: int | None) -> None:
    log.error(
        "fastq.plus_name",
        f"The '+' line of read '{show_name(name)}' repeats a different name "
        f"('{show_name(plus)}'); when the '+' line carries a name it must match the title.",
        "Records may be mixed up or spliced together. " + _HINT_REGENERATE,
        **where,
    )


def truncated(log: FindingLog, name: bytes | None, missing: str, **where: int | None) -> None:
    who = f"read '{show_name(name)}'" if name is not None else "the last record"
    log.error(
        "fastq.truncated",
        f"The file ends in the middle of {who}: {missing}.",
        _HINT_RECOPY,
        **where,
    )


def missing_plus(log: FindingLog, name: bytes, **where: int | None) -> None:
    log.error(
        "fastq.missing_plus",
        f"Read '{show_name(name)}' has no '+' line and no qualities: a new title line starting "
        "with '@' follows its sequence.",
        "Each record needs four parts: '@' title, sequence, '+' line, qualities. "
        + _HINT_REGENERATE,
        **where,
    )


def not_a_record_start(log: FindingLog, text: bytes, **where: int | None) -> None:
    first = describe_byte(text[0]) if text else "an empty line"
    log.error(
        "fastq.record_start",
        f"A new record should start here with '@', but the line starts with {first} "
        f"('{show_name(text, 40)}'). Checking of the records stops at this point.",
        "A record may have extra lines, or two files may have been joined badly. "
        + _HINT_REGENERATE,
        **where,
    )
