"""The jobs table's data as plain tuples, loaded in one query, sorted and filtered with numpy.

The Results view lists every job in the store, 100,000 or more. An ORM object per job, or a
proxy model comparing rows in Python one pair at a time, would take seconds. Instead one query
returns plain tuples (SQLite computes the times as epoch seconds, so no datetime is built per
row), and a sort or a filter is one numpy argsort or mask over a whole column.

With lab sync, the Owner and Sync columns are computed by SQLite in the same query (a CASE per
row, in C), so they cost the GUI thread nothing either.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import ColumnElement, Select, case, exists, func, literal, or_, select
from sqlalchemy.orm import Session

from genoflow_desktop.core.store.models import ORIGIN_LAB, Job, Service, SyncAccount

#: One job as the table shows it: id, then one value per entry of :data:`COLUMNS`.
JobTuple = tuple[str, str, str, str, str, float, float, str, str]

#: The Owner of a job made on this computer.
ME = "me"
#: The Sync column's values.
LOCAL_ONLY = "local only"
PENDING = "pending"
SYNCED = "synced"
FROM_LAB = "from lab"
SYNC_TIPS = {
    LOCAL_ONLY: "Only on this computer: not signed in to a lab (or a viewer there)",
    PENDING: "Changed here since the last sync; sent to the lab at the next one",
    SYNCED: "The lab has this version",
    FROM_LAB: "Another lab member's job, from the lab's history (read-only here)",
}
#: The owner filter's values ("" is everyone).
MINE = "mine"
LAB = "lab"

#: The visible columns (key, header); column ``c`` is field ``c + 1`` of a :data:`JobTuple`.
COLUMNS: list[tuple[str, str]] = [
    ("name", "Name"),
    ("service", "Service"),
    ("kind", "Type"),
    ("state", "State"),
    ("created_at", "Created"),
    ("updated_at", "Updated"),
    ("owner", "Owner"),
    ("sync", "Sync"),
]
NAME, SERVICE, KIND, STATE, CREATED, UPDATED, OWNER, SYNC = range(len(COLUMNS))
TIME_COLUMNS = (CREATED, UPDATED)
#: The columns searched by the search box.
SEARCHED = (NAME, SERVICE, KIND, STATE, OWNER)


def _epoch(column: Any) -> ColumnElement[float]:
    # The store keeps UTC as "YYYY-MM-DD HH:MM:SS.ffffff"; julianday() reads it in C, far
    # cheaper than SQLAlchemy building an aware datetime per value. Rounded to milliseconds:
    # a Julian day in a double is only exact to ~40 µs, and 10:00:00 must not read 09:59:59.
    return func.round((func.julianday(column) - 2440587.5) * 86400.0, 3)


def _sync_state() -> ColumnElement[str]:
    """The Sync column. Rows are shared only by a signed-in account that may push (viewers only
    read the lab's history); the subquery does not depend on the row, so SQLite runs it once."""
    shares = exists().where(or_(SyncAccount.role.is_(None), SyncAccount.role != "viewer"))
    return case(
        (Job.origin == ORIGIN_LAB, literal(FROM_LAB)),
        (~shares, literal(LOCAL_ONLY)),
        (or_(Job.synced_at.is_(None), Job.synced_at != Job.updated_at), literal(PENDING)),
        else_=literal(SYNCED),
    )


def _select() -> Select[str, str, str, str, str, float, float, str, str]:
    # A lab row has no service row here: it names its service (service_name) instead.
    return select(
        Job.id,
        Job.name,
        func.coalesce(Service.name, Job.service_name, ""),
        Job.kind,
        Job.state,
        _epoch(Job.created_at),
        _epoch(Job.updated_at),
        case(
            (Job.origin == ORIGIN_LAB, func.coalesce(func.nullif(Job.owner, ""), "a lab member")),
            else_=literal(ME),
        ),
        _sync_state(),
    ).outerjoin(Service, Service.id == Job.service_id)


def load(session: Session) -> JobTable:
    """Every job in the store (run on the db thread)."""
    connection = session.connection()
    sql = str(_select().compile(connection, compile_kwargs={"literal_binds": True}))
    # The DB-API cursor of the session's own connection returns plain tuples: at 100,000 jobs
    # SQLAlchemy's per-row Result processing would add a third to the query time.
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql)
        return JobTable(cursor.fetchall())
    finally:
        cursor.close()


def load_row(session: Session, job_id: str) -> JobTuple | None:
    """One job's row, re-read after it changed."""
    return session.connection().execute(_select().where(Job.id == job_id)).first()


@dataclass(frozen=True, slots=True)
class Filter:
    """What the user narrowed the table to. Empty strings mean "any"."""

    state: str = ""
    service: str = ""
    search: str = ""
    #: :data:`MINE` (made on this computer), :data:`LAB` (other members', from the lab) or "".
    owner: str = ""

    def matches(self, row: JobTuple) -> bool:
        return (
            (not self.state or _text(row, STATE) == self.state.casefold())
            and (not self.service or _text(row, SERVICE) == self.service.casefold())
            and (not self.owner or (row[SYNC + 1] == FROM_LAB) == (self.owner == LAB))
            and (not self.search or self.search.casefold() in _haystack(row))
        )


def _text(row: JobTuple, column: int) -> str:
    return str(row[column + 1]).casefold()


def _haystack(row: JobTuple) -> str:
    return "\t".join(_text(row, c) for c in SEARCHED)


class JobTable:
    """All jobs, in load order; :meth:`view` gives the row order for a sort and a filter.

    Sort keys and search text are built per column on first use and dropped when a row changes,
    so a live update costs nothing until the user sorts or searches again.
    """

    def __init__(self, rows: Sequence[JobTuple]) -> None:
        self.rows = list(rows)
        self._position = {row[0]: index for index, row in enumerate(self.rows)}
        self.services = {str(row[SERVICE + 1]) for row in self.rows}
        self.states = {str(row[STATE + 1]) for row in self.rows}
        self._keys: dict[int, NDArray[Any]] = {}
        self._haystacks: list[str] | None = None

    def __len__(self) -> int:
        return len(self.rows)

    def position(self, job_id: str) -> int | None:
        return self._position.get(job_id)

    def upsert(self, row: JobTuple) -> tuple[int, bool]:
        """Replace the job's row, or append it if it is new: (its position, whether new)."""
        position = self._position.get(row[0])
        new = position is None
        if position is None:
            position = len(self.rows)
            self.rows.append(row)
            self._position[row[0]] = position
        else:
            self.rows[position] = row
        self.services.add(str(row[SERVICE + 1]))
        self.states.add(str(row[STATE + 1]))
        self._keys.clear()
        self._haystacks = None
        return position, new

    def _key(self, column: int) -> NDArray[Any]:
        key = self._keys.get(column)
        if key is None:
            field = column + 1
            if column in TIME_COLUMNS:
                key = np.fromiter((row[field] for row in self.rows), np.float64, len(self.rows))
            else:
                # A fixed-width unicode array: numpy sorts it in C (an object array would call
                # Python's comparison per pair).
                key = np.array([_text(row, column) for row in self.rows], dtype=np.str_)
            self._keys[column] = key
        return key

    def view(self, column: int, descending: bool, where: Filter = Filter()) -> NDArray[np.intp]:
        """Positions of the rows that pass ``where``, sorted by ``column`` (stable)."""
        keep = np.ones(len(self.rows), dtype=bool)
        if where.state:
            keep &= self._key(STATE) == where.state.casefold()
        if where.service:
            keep &= self._key(SERVICE) == where.service.casefold()
        if where.owner:
            keep &= (self._key(SYNC) == FROM_LAB) == (where.owner == LAB)
        if where.search:
            if self._haystacks is None:
                self._haystacks = [_haystack(row) for row in self.rows]
            needle = where.search.casefold()
            found = np.fromiter((needle in text for text in self._haystacks), bool, len(self.rows))
            keep &= found
        positions = np.flatnonzero(keep)
        key = self._key(column)[positions]
        if descending and column in TIME_COLUMNS:
            order = np.argsort(-key, kind="stable")
        else:
            order = np.argsort(key, kind="stable")
            if descending:
                order = order[::-1]
        return positions[order]
