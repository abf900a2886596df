"""The jobs table: adapts a :class:`~genoflow_desktop.core.jobs.job_table.JobTable`.

The model sorts and filters itself (numpy, in the core table) instead of sitting behind a
QSortFilterProxyModel, whose per-comparison Python calls take seconds for 100,000 jobs.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap

from genoflow_desktop.core.jobs.job_table import (
    COLUMNS,
    CREATED,
    FROM_LAB,
    LOCAL_ONLY,
    PENDING,
    STATE,
    SYNC,
    SYNC_TIPS,
    SYNCED,
    TIME_COLUMNS,
    Filter,
    JobTable,
    JobTuple,
)

Index = QModelIndex | QPersistentModelIndex

#: The invisible root: the parent of every row in a table.
ROOT = QModelIndex()

#: Role returning the job's id for a row.
JOB_ID_ROLE = Qt.ItemDataRole.UserRole + 1

#: A colour per state, readable on light and dark backgrounds.
STATE_COLORS = {
    "draft": "#8a8f98",
    "submitting": "#3b82f6",
    "queued": "#8b5cf6",
    "running": "#0ea5e9",
    "downloading": "#14b8a6",
    "completed": "#22a559",
    "failed": "#e5484d",
    "canceled": "#a1a1aa",
}
STATE_TIPS = {
    "draft": "Not sent yet",
    "submitting": "Being sent to the server",
    "queued": "Waiting on the server",
    "running": "Running on the server",
    "downloading": "Results are being downloaded",
    "completed": "Finished; results on disk",
    "failed": "Failed on the server",
    "canceled": "Canceled",
}

#: The Sync column's marks: the same colours as the states they resemble.
SYNC_COLORS = {LOCAL_ONLY: "#8a8f98", PENDING: "#f59e0b", SYNCED: "#22a559", FROM_LAB: "#8b5cf6"}


def _dot(color: str) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(color))
    painter.drawEllipse(1, 1, 10, 10)
    painter.end()
    return QIcon(pixmap)


def format_time(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(epoch))


class JobTableModel(QAbstractTableModel):
    """Rows are the table's jobs in the order :meth:`JobTable.view` gives for the current sort
    and filter. Live updates (:meth:`update_row`) change a row in place and do not re-sort, so
    rows never jump away from under the pointer; the next sort or filter change places them."""

    def __init__(self, table: JobTable | None = None) -> None:
        super().__init__()
        self._table = table or JobTable([])
        self._sort_column = CREATED
        self._descending = True
        self._filter = Filter()
        self._order: NDArray[np.intp] = np.arange(0, dtype=np.intp)
        self._icons: dict[str, QIcon] = {}
        self._apply()

    # -- what the view asks ------------------------------------------------------------------

    @property
    def table(self) -> JobTable:
        return self._table

    @property
    def filter(self) -> Filter:
        return self._filter

    def job_id(self, row: int) -> str:
        return self._row(row)[0]

    def row_of(self, job_id: str) -> int | None:
        """The visible row showing ``job_id``, if it passes the filter."""
        position = self._table.position(job_id)
        if position is None:
            return None
        rows = np.flatnonzero(self._order == position)
        return int(rows[0]) if rows.size else None

    def visible_rows(self) -> list[JobTuple]:
        """The rows as shown (for exporting what the user sees)."""
        rows = self._table.rows
        return [rows[position] for position in self._order.tolist()]

    # -- changes -------------------------------------------------------------------------------

    def set_table(self, table: JobTable) -> None:
        self.beginResetModel()
        self._table = table
        self._apply()
        self.endResetModel()

    def set_filter(self, where: Filter) -> None:
        if where == self._filter:
            return
        self.beginResetModel()
        self._filter = where
        self._apply()
        self.endResetModel()

    def update_row(self, row: JobTuple) -> None:
        """One job changed (or is new): update its row only."""
        position, new = self._table.upsert(row)
        if new:
            if self._filter.matches(row):
                # On top, where a job the user just submitted is looked for.
                self.beginInsertRows(ROOT, 0, 0)
                self._order = np.concatenate(([position], self._order)).astype(np.intp)
                self.endInsertRows()
            return
        visible = self.row_of(row[0])
        if visible is not None:
            self.dataChanged.emit(self.index(visible, 0), self.index(visible, len(COLUMNS) - 1))

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            return
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        kept = [(index, self._order[index.row()]) for index in persistent]
        self._sort_column = column
        self._descending = order == Qt.SortOrder.DescendingOrder
        self._apply()
        # The same jobs stay selected and current: a sort only moves rows.
        new_row = np.empty(len(self._table), dtype=np.intp)
        new_row[self._order] = np.arange(len(self._order))
        for index, position in kept:
            self.changePersistentIndex(index, self.index(int(new_row[position]), index.column()))
        self.layoutChanged.emit()

    def _apply(self) -> None:
        self._order = self._table.view(self._sort_column, self._descending, self._filter)

    # -- Qt's model interface ----------------------------------------------------------------

    def _row(self, row: int) -> JobTuple:
        return self._table.rows[int(self._order[row])]

    def rowCount(self, parent: Index = ROOT) -> int:
        return 0 if parent.isValid() else len(self._order)

    def columnCount(self, parent: Index = ROOT) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._order):
            return None
        column = index.column()
        row = self._row(index.row())
        value = row[column + 1]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            if column in TIME_COLUMNS:
                return format_time(float(value))
            return str(value).replace("_", " ") if column == STATE else value
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == STATE:
                return STATE_TIPS.get(str(value), str(value))
            if column == SYNC:
                return SYNC_TIPS.get(str(value), str(value))
            return format_time(float(value)) if column in TIME_COLUMNS else value
        if role == Qt.ItemDataRole.DecorationRole and column in (STATE, SYNC):
            # Icons are cached by value: a few QIcons for 100,000 rows.
            key = str(value)
            if key not in self._icons:
                colors = STATE_COLORS if column == STATE else SYNC_COLORS
                self._icons[key] = _dot(colors.get(key, "#8a8f98"))
            return self._icons[key]
        if role == JOB_ID_ROLE:
            return row[0]
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal
        if horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(COLUMNS):
            return COLUMNS[section][1]
        return None
