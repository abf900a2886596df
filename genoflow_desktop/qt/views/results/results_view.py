"""Results: every job the app knows about, searchable and sortable, available offline."""

from __future__ import annotations

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLineEdit,
    QStackedWidget,
    QTableView,
    QWidget,
)

from genoflow_desktop.qt.models.job_table_model import SORT_ROLE, JobTableModel
from genoflow_desktop.qt.views.base import View
from genoflow_desktop.qt.widgets.empty_state import EmptyState
from genoflow_desktop.qt.workers.store_access import StoreAccess
from genoflow_desktop.qt.workers.task_runner import TaskRunner

COLUMN_WIDTHS = (230, 100, 110, 140, 140, 120)


class ResultsView(View):
    title = "Results"
    subtitle = "All your jobs, their state and their results — also when you are offline."
    icon_name = "results"

    def __init__(
        self, store: StoreAccess, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._runner = runner
        self.model = JobTableModel()
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterKeyColumn(-1)

        self.search = QLineEdit()
        self.search.setPlaceholderText("Search jobs by name, service, state or owner")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search jobs")
        self.search.textChanged.connect(self.proxy.setFilterFixedString)

        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(4, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        # Fixed starting widths: sizing to contents would read every row, too slow for big histories.
        for column, width in enumerate(COLUMN_WIDTHS, start=1):
            header.resizeSection(column, width)
        self.table.setAccessibleName("Jobs")

        self.empty = EmptyState(
            "results",
            "No jobs yet",
            "Jobs you submit appear here, with their results, for as long as you keep them.",
        )
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.table)
        self.body.addWidget(self.search)
        self.body.addWidget(self.stack, 1)

    def on_shown(self) -> None:
        self._runner.start("results.refresh", self._refresh())

    async def _refresh(self) -> None:
        from genoflow_desktop.core.store import repositories  # loads SQLAlchemy: not at start-up

        rows = await self._store.run(repositories.job_rows)
        self.model.set_rows(rows)
        self.stack.setCurrentWidget(self.table if rows else self.empty)
