"""The upload history panel: every journaled upload, filtered, with Resume for unfinished ones."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelection, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from genoflow_desktop.core.domain import UploadStatus
from genoflow_desktop.qt.models.upload_history_model import (
    STARTED,
    UploadHistoryFilter,
    UploadHistoryModel,
    is_resumable,
)

if TYPE_CHECKING:
    from genoflow_desktop.core.transfer.journal import UploadRecord


class UploadHistory(QWidget):
    """Signals:
    resume_requested(object): resume (or retry) this :class:`UploadRecord`.
    refresh_requested(): reload the history from the store.
    """

    resume_requested = Signal(object)
    refresh_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = UploadHistoryModel()
        self.proxy = UploadHistoryFilter(self)
        self.proxy.setSourceModel(self.model)
        self.status = QComboBox()
        self.status.setAccessibleName("Show uploads with status")
        self.status.addItem("All uploads", None)
        self.status.addItem("Unfinished", "unfinished")
        for status in UploadStatus:
            self.status.addItem(status.value.capitalize(), status.value)
        self.status.currentIndexChanged.connect(self._on_status_current_index_changed)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search file, sample, project or key")
        self.search.setAccessibleName("Search uploads")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.proxy.set_text)
        self.resume_button = QPushButton("&Resume")
        self.resume_button.setToolTip(
            "Continue the selected unfinished uploads where they stopped."
        )
        self.resume_button.setEnabled(False)
        self.resume_button.clicked.connect(self._on_resume_button_clicked)
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.refresh_requested)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setAccessibleName("Upload history")
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(STARTED, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        tools = QHBoxLayout()
        tools.addWidget(self.status)
        tools.addWidget(self.search, 1)
        tools.addWidget(self.resume_button)
        tools.addWidget(refresh)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(tools)
        layout.addWidget(self.table, 1)

    def set_records(self, records: list[UploadRecord]) -> None:
        self.model.set_rows(records)
        self._on_selection_changed()

    def selected(self) -> list[UploadRecord]:
        rows = {self.proxy.mapToSource(i).row() for i in self.table.selectionModel().selectedRows()}
        return [self.model.row_at(r) for r in sorted(rows)]

    @Slot(int)
    def _on_status_current_index_changed(self, index: int) -> None:
        self.proxy.set_status(self.status.itemData(index))

    @Slot()
    def _on_selection_changed(
        self, _selected: QItemSelection | None = None, _deselected: QItemSelection | None = None
    ) -> None:
        self.resume_button.setEnabled(any(is_resumable(r) for r in self.selected()))

    @Slot()
    def _on_resume_button_clicked(self) -> None:
        for record in self.selected():
            if is_resumable(record):
                self.resume_requested.emit(record)
