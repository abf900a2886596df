"""Paired-end FASTQ: grouping R1/R2 files by name, and comparing mates' read ids.

Mates are compared id by id while both files are read side by side (see ``fastq.py``), so
only the ids of the reads one file is ahead of the other are held, never a whole file's. Ids
are compared as fixed-width byte matrices: the id is the title up to the first space or tab,
without a trailing ``/1`` or ``/2``; the comment after the space (Casava's ``1:N:0:...``)
is ignored.
"""

from __future__ import annotations

import re
from collections import deque
from pathlib import Path

import numpy as np

from genoflow_desktop.core.validation import fastq_messages as msg
from genoflow_desktop.core.validation.fastq_messages import FindingLog
from genoflow_desktop.core.validation.fastq_metrics import I64, U8
from genoflow_desktop.core.validation.fastq_records import gather_rows

#: Ids are compared on at most this many leading bytes.
MAX_ID = 256
_FIRST_REPORTED = 5

_MATE = re.compile(r"^(?P<stem>.*?)(?P<sep>[._])(?P<r>[Rr]?)(?P<mate>[12])(?P<tail>_\d{3})?$")
_FASTQ_SUFFIX = re.compile(
    r"(?P<ext>\.(?:fastq|fq))(?P<comp>\.(?:gz|bgz|bgzf|bz2|xz|zst))?$", re.IGNORECASE
)


def pair_files(paths: list[Path] | list[str]) -> list[tuple[Path, Path] | Path]:
    """Groups FASTQ files into (R1, R2) pairs by name; the rest stay single.

    Recognised mate markers, before the ``.fastq``/``.fq`` extension (and any compression
    suffix): ``_R1``/``_R2``, ``_1``/``_2``, ``.1``/``.2``, each optionally followed by
    Illumina's ``_001`` chunk number; the two names must otherwise be identical and in the same
    folder. The result keeps the order in which files were given (a pair sits where its R1 or
    R2 came first).
    """
    found: dict[tuple[str, ...], dict[str, Path]] = {}
    keys: list[tuple[str, ...] | Path] = []
    for raw in paths:
        path = Path(raw)
        key = _mate_key(path)
        if key is None:
            keys.append(path)
            continue
        slot = found.setdefault(key[0], {})
        if key[1] in slot:  # two files claim the same mate: leave this one alone
            keys.append(path)
            continue
        if not slot:
            keys.append(key[0])
        slot[key[1]] = path
    result: list[tuple[Path, Path] | Path] = []
    for item in keys:
        if isinstance(item, Path):
            result.append(item)
            continue
        slot = found[item]
        if "1" in slot and "2" in slot:
            result.append((slot["1"], slot["2"]))
        else:
            result.extend(slot.values())
    return result


def _mate_key(path: Path) -> tuple[tuple[str, ...], str] | None:
    suffix = _FASTQ_SUFFIX.search(path.name)
    if suffix is None:
        return None
    match = _MATE.match(path.name[: suffix.start()])
    if match is None:
        return None
    key = (
        str(path.parent),
        match["stem"],
        match["sep"],
        match["r"].upper(),
        match["tail"] or "",
        suffix.group().lower(),
    )
    return key, match["mate"]


def read_id(name: bytes) -> bytes:
    """A read's id: its name up to the first space or tab, without a ``/1`` or ``/2``."""
    rid = re.split(rb"[ \t]", name, maxsplit=1)[0][:MAX_ID]
    if len(rid) >= 2 and rid[-2:] in (b"/1", b"/2"):
        rid = rid[:-2]
    return rid


class ReadIds:
    """Read ids of one file waiting to be compared with its mate's, oldest first."""

    def __init__(self) -> None:
        self._blocks: deque[tuple[U8, I64]] = deque()
        self.pending = 0

    def add_titles(self, a: U8, starts: I64, ends: I64) -> None:
        """Adds the ids of titles ``a[starts:ends]`` (without the '@'), all at once."""
        lengths = np.minimum(ends - starts, MAX_ID)
        width = int(lengths.max()) if lengths.size else 0
        rows = gather_rows(a, starts, width)
        cols = np.arange(width)
        stop = (rows == 32) | (rows == 9) | (cols >= lengths[:, None])
        stop = np.concatenate((stop, np.ones((rows.shape[0], 1), dtype=bool)), axis=1)
        id_len = np.argmax(stop, axis=1).astype(np.int64)
        last = np.take_along_axis(rows, np.maximum(id_len - 1, 0)[:, None], axis=1)[:, 0]
        prev = np.take_along_axis(rows, np.maximum(id_len - 2, 0)[:, None], axis=1)[:, 0]
        mate_suffix = (prev == ord("/")) & ((last == ord("1")) | (last == ord("2")))
        id_len -= 2 * ((id_len >= 2) & mate_suffix)
        rows *= cols < id_len[:, None]
        self._push(rows, id_len)

    def add_names(self, names: list[bytes]) -> None:
        ids = [read_id(name) for name in names]
        lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
        width = int(lengths.max()) if ids else 0
        rows = np.zeros((len(ids), width), dtype=np.uint8)
        for row, rid in enumerate(ids):
            rows[row, : len(rid)] = np.frombuffer(rid, dtype=np.uint8)
        self._push(rows, lengths)

    def _push(self, rows: U8, lengths: I64) -> None:
        if lengths.size:
            self._blocks.append((rows, lengths))
            self.pending += int(lengths.size)

    def take(self, count: int) -> tuple[U8, I64]:
        """Removes and returns the oldest ``count`` ids, padded to one width."""
        parts: list[tuple[U8, I64]] = []
        need = count
        while need:
            rows, lengths = self._blocks.popleft()
            if lengths.size > need:
                self._blocks.appendleft((rows[need:], lengths[need:]))
                rows, lengths = rows[:need], lengths[:need]
            parts.append((rows, lengths))
            need -= lengths.size
        self.pending -= count
        width = max((r.shape[1] for r, _ in parts), default=0)
        rows = np.zeros((count, width), dtype=np.uint8)
        at = 0
        for r, length in parts:
            rows[at : at + length.size, : r.shape[1]] = r
            at += length.size
        if not parts:
            return rows, np.zeros(0, dtype=np.int64)
        return rows, np.concatenate([length for _, length in parts])

    def drop(self) -> None:
        self._blocks.clear()
        self.pending = 0


class PairChecker:
    """Compares the ids of two mate files as their reads become available."""

    def __init__(self, logs: tuple[FindingLog, FindingLog], names: tuple[str, str]) -> None:
        self._logs = logs
        self._names = names
        self.compared = 0
        self.mismatches = 0

    def compare(self, ids1: ReadIds, ids2: ReadIds) -> None:
        count = min(ids1.pending, ids2.pending)
        if count == 0:
            return
        a, la = ids1.take(count)
        b, lb = ids2.take(count)
        width = max(a.shape[1], b.shape[1])
        a = np.pad(a, ((0, 0), (0, width - a.shape[1])))
        b = np.pad(b, ((0, 0), (0, width - b.shape[1])))
        differ = np.flatnonzero((la != lb) | (a != b).any(axis=1))
        for row in differ[: max(0, _FIRST_REPORTED - self.mismatches)].tolist():
            name1 = a[row, : la[row]].tobytes()
            name2 = b[row, : lb[row]].tobytes()
            for log in self._logs:
                log.error(
                    "pair.id_mismatch",
                    f"Read {self.compared + row + 1:,} is '{msg.show_name(name1)}' in "
                    f"{self._names[0]} but '{msg.show_name(name2)}' in {self._names[1]}: mates "
                    "must come in the same order with the same read id.",
                    "The two files may not belong together, or one was filtered or sorted on "
                    "its own. Use the R1 and R2 files exactly as the sequencer produced them.",
                    record=self.compared + row + 1,
                )
        self.mismatches += differ.size
        self.compared += count

    def finish(self, reads1: int, reads2: int) -> None:
        for log in self._logs:
            if self.mismatches > _FIRST_REPORTED:
                log.error(
                    "pair.id_mismatch_total",
                    f"In all, {self.mismatches:,} of {self.compared:,} read pairs have different "
                    f"ids in {self._names[0]} and {self._names[1]}.",
                    "Check that these two files are mates of the same sample and lane.",
                )
            if reads1 != reads2:
                log.error(
                    "pair.count_mismatch",
                    f"{self._names[0]} has {reads1:,} reads but {self._names[1]} has "
                    f"{reads2:,}: the two files of a pair must have exactly the same number.",
                    "One file may be truncated or filtered on its own; copy both again from the "
                    "original source and validate them.",
                )
