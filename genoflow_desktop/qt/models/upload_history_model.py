"""Upload history: every journaled upload (:class:`UploadRecord`), filtered by status and text."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

from genoflow_desktop.core.domain import UploadStatus
from genoflow_desktop.core.transfer.progress import human_bytes

if TYPE_CHECKING:
    from genoflow_desktop.core.transfer.journal import UploadRecord

Index = QModelIndex | QPersistentModelIndex
ROOT = QModelIndex()

COLUMNS = ["File", "Status", "Done", "Size", "Project", "Sample", "Destination", "Started", "Error"]
FILE, STATUS, DONE, SIZE, PROJECT, SAMPLE, DESTINATION, STARTED, ERROR = range(len(COLUMNS))

#: The upload id of a row.
UPLOAD_ID_ROLE = Qt.ItemDataRole.UserRole
#: Raw values for sorting (sizes as numbers, dates as timestamps).
SORT_ROLE = Qt.ItemDataRole.UserRole + 1

#: As ``journal.RESUMABLE``, which cannot be imported here: the journal brings SQLAlchemy,
#: kept out of the app's start-up.
RESUMABLE_STATUSES = frozenset(
    s.value
    for s in (
        UploadStatus.PENDING,
        UploadStatus.UPLOADING,
        UploadStatus.PAUSED,
        UploadStatus.FAILED,
    )
)


def is_resumable(record: UploadRecord) -> bool:
    return record.status in RESUMABLE_STATUSES


class UploadHistoryModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self._rows: list[UploadRecord] = []

    def set_rows(self, rows: list[UploadRecord]) -> None:
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def row_at(self, row: int) -> UploadRecord:
        return self._rows[row]

    def rowCount(self, parent: Index = ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = ROOT) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        record, column = self._rows[index.row()], index.column()
        if role == UPLOAD_ID_ROLE:
            return record.id
        if role == SORT_ROLE:
            if column in (DONE, SIZE):
                return record.bytes_done if column == DONE else record.source_size
            if column == STARTED:
                return record.created_at.timestamp()
            return _text(record, column).lower()
        if role == Qt.ItemDataRole.DisplayRole:
            return _text(record, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == FILE:
                return record.source_path
            if column == ERROR:
                return record.error
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (DONE, SIZE):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal
        if horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        return None


def _text(record: UploadRecord, column: int) -> str:
    if column == FILE:
        return Path(record.source_path).name
    if column == STATUS:
        return record.status
    if column == DONE:
        percent = record.bytes_done / record.source_size if record.source_size else 0.0
        return f"{percent:.0%}"
    if column == SIZE:
        return human_bytes(record.source_size)
    if column == PROJECT:
        return record.project_id or ""
    if column == SAMPLE:
        return record.sample_id or ""
    if column == DESTINATION:
        return f"s3://{record.bucket}/{record.key}"
    if column == STARTED:
        return record.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
    return "" if record.status == "completed" else (record.error or "")


class UploadHistoryFilter(QSortFilterProxyModel):
    """Shows the uploads with one status (or all) whose file, ids or key contain the text."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._status: str | None = None
        self._text = ""
        self.setSortRole(SORT_ROLE)

    def set_status(self, status: str | None) -> None:
        """Only uploads with this status; None shows all, "unfinished" those that can resume."""
        self.beginFilterChange()
        self._status = status
        self.endFilterChange()

    def set_text(self, text: str) -> None:
        self.beginFilterChange()
        self._text = text.strip().lower()
        self.endFilterChange()

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        model = self.sourceModel()
        assert isinstance(model, UploadHistoryModel)
        record = model.row_at(source_row)
        if self._status == "unfinished" and not is_resumable(record):
            return False
        if self._status not in (None, "unfinished") and record.status != self._status:
            return False
        if not self._text:
            return True
        haystack = " ".join(
            [
                record.source_path,
                record.id,
                record.key,
                record.project_id or "",
                record.sample_id or "",
            ]
        ).lower()
        return self._text in haystack
