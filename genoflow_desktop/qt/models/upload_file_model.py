"""The Upload view's file list: each file's check, metadata and upload, one row per file.

Rows are plain :class:`FileRow` values changed only on the GUI thread; the view and its upload
queue update them through the model so every change is announced to the table. Paired FASTQ
files sit next to each other, the R2 row naming its R1 (``group_files`` decides the pairs).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from genoflow_desktop.core.samplesheet import SampleMetadata
from genoflow_desktop.core.transfer.progress import human_bytes, human_duration

Index = QModelIndex | QPersistentModelIndex
ROOT = QModelIndex()

# The upload's progress comes right after the check: both must be in sight beside the sample
# form; the sample and project (also in that form) come last.
COLUMNS = ["File", "Pair", "Format", "Check", "Upload", "Speed", "ETA", "Size", "Sample", "Project"]
FILE, PAIR, FORMAT, CHECK, UPLOAD, SPEED, ETA, SIZE, SAMPLE, PROJECT = range(len(COLUMNS))

#: The row's path (for tests and the view's actions).
PATH_ROLE = Qt.ItemDataRole.UserRole
#: The upload's progress as a fraction (0..1) or None, for the progress bar delegate.
FRACTION_ROLE = Qt.ItemDataRole.UserRole + 1

VERDICT_COLORS = {"valid": "#2d8a4e", "valid_with_warnings": "#b7791f", "invalid": "#c53030"}
ERROR_COLOR = "#c53030"


class Transfer(StrEnum):
    """A file's upload as the view shows it: the journal's states plus the moments between."""

    NONE = ""
    QUEUED = "queued"  # waiting for a free upload thread (or for its journal entry)
    UPLOADING = "uploading"
    PAUSING = "pausing"  # asked to pause; the parts in flight are finishing
    PAUSED = "paused"
    CANCELLING = "cancelling"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELED = "canceled"
    #: Failed for a network reason; resumes by itself when the S3 endpoint answers again.
    WAITING = "waiting"


ACTIVE = (Transfer.QUEUED, Transfer.UPLOADING, Transfer.PAUSING, Transfer.CANCELLING)
#: Not running, with a journal to continue from.
STOPPED = (Transfer.PAUSED, Transfer.FAILED, Transfer.WAITING)

TRANSFER_TEXT = {
    Transfer.NONE: "",
    Transfer.QUEUED: "Queued",
    Transfer.UPLOADING: "Uploading",
    Transfer.PAUSING: "Pausing…",
    Transfer.PAUSED: "Paused",
    Transfer.CANCELLING: "Cancelling…",
    Transfer.COMPLETED: "Uploaded",
    Transfer.FAILED: "Failed",
    Transfer.CANCELED: "Cancelled",
    Transfer.WAITING: "Waiting for network",
}


@dataclass
class FileRow:
    path: str
    size: int
    #: The other file of a FASTQ pair, and whether this is its "R1" or "R2".
    mate: str | None = None
    mate_role: str = ""
    format: str = ""
    check: str = "Waiting to be checked"
    check_details: str = ""
    #: The validation verdict's value once checked, else None.
    verdict: str | None = None
    report_file: str | None = None
    metadata: SampleMetadata = field(default_factory=SampleMetadata)
    upload_id: str | None = None
    transfer: Transfer = Transfer.NONE
    done: int = 0
    speed: float | None = None
    eta_s: float | None = None
    #: Why the last action on this file did not work (shown in its row), or None.
    error: str | None = None
    #: Where the completed upload went (the Upload column's tooltip).
    destination: str = ""
    #: Why a waiting upload stopped (the Upload column's tooltip while it waits).
    waiting_reason: str = ""

    @property
    def name(self) -> str:
        return Path(self.path).name

    # What the user may do with the file now (menus, buttons and shortcuts follow these).

    @property
    def can_start(self) -> bool:
        """A new upload: never sent, or the last one was cancelled or failed before it began."""
        return self.transfer in (Transfer.NONE, Transfer.CANCELED) or (
            self.transfer == Transfer.FAILED and self.upload_id is None
        )

    @property
    def can_pause(self) -> bool:
        """Running, or waiting to resume by itself (pausing stops the wait)."""
        return self.transfer in (Transfer.QUEUED, Transfer.UPLOADING, Transfer.WAITING)

    @property
    def can_resume(self) -> bool:
        """Resume a paused upload, or retry a failed or waiting one now (from the journal)."""
        return self.transfer in STOPPED and self.upload_id is not None

    @property
    def can_cancel(self) -> bool:
        """A running upload, or a stopped one that still holds parts on S3."""
        stopped = self.transfer in STOPPED and self.upload_id is not None
        return self.transfer in (Transfer.QUEUED, Transfer.UPLOADING) or stopped

    @property
    def can_remove(self) -> bool:
        return self.transfer not in ACTIVE and not self.can_cancel


class UploadFileModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self._rows: list[FileRow] = []
        self._by_path: dict[str, int] = {}

    # -- reading --------------------------------------------------------------------------------

    @property
    def rows(self) -> list[FileRow]:
        return list(self._rows)

    def row_at(self, row: int) -> FileRow:
        return self._rows[row]

    def find(self, path: str) -> FileRow | None:
        number = self._by_path.get(path)
        return None if number is None else self._rows[number]

    def find_upload(self, upload_id: str) -> FileRow | None:
        return next((r for r in self._rows if r.upload_id == upload_id), None)

    def row_of(self, path: str) -> int:
        return self._by_path[path]

    # -- changing -------------------------------------------------------------------------------

    def add(self, rows: list[FileRow]) -> list[FileRow]:
        """Append the rows whose paths are not listed yet; returns those added."""
        new = [r for r in rows if r.path not in self._by_path]
        if not new:
            return []
        first = len(self._rows)
        self.beginInsertRows(ROOT, first, first + len(new) - 1)
        for row in new:
            self._by_path[row.path] = len(self._rows)
            self._rows.append(row)
        self.endInsertRows()
        return new

    def remove(self, path: str) -> None:
        number = self._by_path[path]
        self.beginRemoveRows(ROOT, number, number)
        del self._rows[number]
        self._by_path = {r.path: i for i, r in enumerate(self._rows)}
        self.endRemoveRows()

    def update(self, path: str, **changes: Any) -> FileRow | None:
        """Change fields of the row of ``path`` (ignored if it was removed meanwhile)."""
        number = self._by_path.get(path)
        if number is None:
            return None
        row = dataclasses.replace(self._rows[number], **changes)
        self._rows[number] = row
        self.dataChanged.emit(self.index(number, 0), self.index(number, len(COLUMNS) - 1))
        return row

    # -- Qt's interface -------------------------------------------------------------------------

    def rowCount(self, parent: Index = ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = ROOT) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row, column = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return _text(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(row, column)
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == CHECK and row.verdict:
                return QBrush(QColor(VERDICT_COLORS[row.verdict]))
            if column == UPLOAD and (row.error or row.transfer == Transfer.FAILED):
                return QBrush(QColor(ERROR_COLOR))
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (SPEED, ETA, SIZE):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == PATH_ROLE:
            return row.path
        if role == FRACTION_ROLE and column == UPLOAD:
            showing = row.transfer not in (Transfer.NONE, Transfer.CANCELED) and not row.error
            return row.done / row.size if showing and row.size else None
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal
        if horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        return None


def upload_text(row: FileRow) -> str:
    """The Upload column: an error on the item wins, then the state with the progress."""
    if row.error:
        return row.error
    text = TRANSFER_TEXT[row.transfer]
    progressing = (Transfer.UPLOADING, Transfer.PAUSING, Transfer.PAUSED, Transfer.WAITING)
    if row.transfer in progressing and row.size:
        return f"{text} {row.done / row.size:.0%}"
    return text


def _text(row: FileRow, column: int) -> str:
    uploading = row.transfer == Transfer.UPLOADING
    if column == FILE:
        return row.name
    if column == PAIR:
        return row.mate_role if row.mate else ""
    if column == FORMAT:
        return row.format
    if column == CHECK:
        return row.check
    if column == SAMPLE:
        return row.metadata.sample_id
    if column == PROJECT:
        return row.metadata.project
    if column == UPLOAD:
        return upload_text(row)
    if column == SPEED:
        return f"{human_bytes(row.speed)}/s" if uploading and row.speed else ""
    if column == ETA:
        return human_duration(row.eta_s) if uploading and row.eta_s is not None else ""
    return human_bytes(row.size)


def _tooltip(row: FileRow, column: int) -> str | None:
    if column == FILE:
        return row.path
    if column == PAIR and row.mate:
        return f"{row.mate_role} of the pair with {Path(row.mate).name}"
    if column == CHECK:
        hint = "\nDouble-click (or Enter) to open the report." if row.report_file else ""
        return (row.check_details or row.check) + hint
    if column == UPLOAD:
        if row.transfer == Transfer.WAITING and not row.error:
            return f"{row.waiting_reason}\nIt resumes by itself when the S3 endpoint answers."
        return row.error or row.destination or upload_text(row) or None
    return None
