"""The jobs table: adapts a list of :class:`~genoflow_desktop.core.domain.records.JobRow`."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from genoflow_desktop.core.domain.records import JobRow

Index = QModelIndex | QPersistentModelIndex

COLUMNS: list[tuple[str, str]] = [
    ("name", "Name"),
    ("service", "Service"),
    ("kind", "Type"),
    ("state", "State"),
    ("created_at", "Created"),
    ("updated_at", "Updated"),
    ("owner", "Owner"),
]

#: The invisible root: the parent of every row in a table.
ROOT = QModelIndex()

#: Role returning the raw value (datetimes, not their text) so sorting is by value.
SORT_ROLE = Qt.ItemDataRole.UserRole + 1


class JobTableModel(QAbstractTableModel):
    def __init__(self, rows: list[JobRow] | None = None) -> None:
        super().__init__()
        self._rows: list[JobRow] = rows or []

    def set_rows(self, rows: list[JobRow]) -> None:
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def row_at(self, row: int) -> JobRow:
        return self._rows[row]

    def rowCount(self, parent: Index = ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = ROOT) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        value = getattr(self._rows[index.row()], COLUMNS[index.column()][0])
        if role == SORT_ROLE:
            return value.timestamp() if hasattr(value, "timestamp") else str(value).lower()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if hasattr(value, "astimezone"):
                return value.astimezone().strftime("%Y-%m-%d %H:%M")
            return (
                str(value).replace("_", " ")
                if COLUMNS[index.column()][0] == "state"
                else str(value)
            )
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal
        if horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(COLUMNS):
            return COLUMNS[section][1]
        return None
