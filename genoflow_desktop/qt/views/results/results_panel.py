"""The content of the Results view: the jobs table with its filters, and the detail pane.

Built when the view is first shown (it imports numpy and the store's models). Opening it reads the whole jobs table in one query on the db thread (plain tuples, see
``core/jobs/job_table.py``) and resets the model once; afterwards :meth:`on_job_changed`
re-reads single rows. Everything except cancel and download works without the jobs thread.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Executor
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QSettings, Qt, QTimer, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from genoflow_desktop.core.jobs import details, exports, job_table
from genoflow_desktop.core.jobs.job_table import (
    CREATED,
    FROM_LAB,
    LAB,
    MINE,
    OWNER,
    SERVICE,
    SYNC,
    Filter,
)
from genoflow_desktop.core.progress import Progress
from genoflow_desktop.core.units import human_size
from genoflow_desktop.qt.models.job_table_model import JobTableModel
from genoflow_desktop.qt.views.results.job_detail import JobDetailPane, lab_reason
from genoflow_desktop.qt.views.results.qc_plots import QcPanel
from genoflow_desktop.qt.widgets.empty_state import EmptyState
from genoflow_desktop.qt.widgets.remembered_layout import remember
from genoflow_desktop.qt.workers.store_access import StoreAccess
from genoflow_desktop.qt.workers.task_runner import TaskRunner

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from genoflow_desktop.qt.workers.job_runner import JobRunner

# Narrow enough that every column shows in a 1180-pixel window (Sync takes the rest).
COLUMN_WIDTHS = (185, 150, 80, 100, 124, 124, 95, 85)
ANY = ""
#: The owner filter: everyone's, the jobs made here, or other members' (from the lab).
OWNER_CHOICES = (("Everyone", ANY), ("Mine", MINE), ("Lab", LAB))
#: Typing pauses this long before the table is filtered: one filter per word, not per key.
SEARCH_DELAY_MS = 200
OFFLINE = "Cancel and download need the job service, which is not running (offline or starting)."
EXPORT_TASK = "results.export"
DOWNLOAD_TASK = "results.download"


class ResultsPanel(QWidget):
    def __init__(
        self,
        store: StoreAccess,
        runner: TaskRunner,
        jobs: JobRunner | None = None,
        *,
        disk: Executor | None = None,
        ui_state: QSettings | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._runner = runner
        self._jobs = jobs
        self._disk = disk
        self._ui_state = ui_state
        self._busy = False
        self._selected: str | None = None
        self._offline: dict[str, str] = {}
        #: A job to select once the next load has finished ("Show in Results" elsewhere).
        self.pending_job: str | None = None
        self.model = JobTableModel()

        self.search = QLineEdit()
        self.search.setPlaceholderText(
            "Search jobs by name, service, type, state or owner (Ctrl+F)"
        )
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search jobs")
        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._apply_filter)
        self.search.textChanged.connect(self._search_timer.start)
        self.state_filter = QComboBox()
        self.state_filter.setAccessibleName("Filter by state")
        self.service_filter = QComboBox()
        self.service_filter.setAccessibleName("Filter by service")
        self.owner_filter = QComboBox()
        self.owner_filter.setAccessibleName("Filter by owner")
        self.owner_filter.setToolTip("Mine: jobs made on this computer; Lab: other members' jobs")
        for text, value in OWNER_CHOICES:
            self.owner_filter.addItem(text, value)
        for combo in (self.state_filter, self.service_filter, self.owner_filter):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            combo.currentIndexChanged.connect(self._apply_filter)
        self.export_jobs = QPushButton("Export jobs…")
        self.export_jobs.setAccessibleName("Export the listed jobs as CSV or TSV")
        self.export_jobs.clicked.connect(self._on_export_jobs_clicked)
        filters = QHBoxLayout()
        filters.addWidget(self.search, 1)
        filters.addWidget(self.state_filter)
        filters.addWidget(self.service_filter)
        filters.addWidget(self.owner_filter)
        filters.addWidget(self.export_jobs)

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setAccessibleName("Jobs")
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        vertical = self.table.verticalHeader()
        vertical.hide()
        # Fixed row heights: Qt never measures 100,000 rows.
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        # Fixed starting widths: sizing to contents would read every row.
        for column, width in enumerate(COLUMN_WIDTHS):
            header.resizeSection(column, width)
        header.setSortIndicator(CREATED, Qt.SortOrder.DescendingOrder)

        self.detail = JobDetailPane()
        self.qc = QcPanel(runner, disk)
        self.detail.tabs.addTab(self.qc, "Quality")
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)

        self.empty = EmptyState(
            "results",
            "No jobs yet",
            "Jobs you submit appear here, with their results, for as long as you keep them.",
        )
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.splitter)
        self.notice = QLabel()
        self.notice.setAccessibleName("Export result")
        self.notice.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(filters)
        layout.addWidget(self.notice)
        layout.addWidget(self.stack, 1)

        remember(self._ui_state, "results/header", header)
        remember(self._ui_state, "results/splitter", self.splitter)
        # After restoring: this sorts the model by the (restored) indicator.
        self.table.setSortingEnabled(True)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_row_changed)
        self.model.modelReset.connect(self._reselect)

        self.detail.open_folder_requested.connect(self.open_folder)
        self.detail.cancel_requested.connect(self._on_cancel_requested)
        self.detail.download_requested.connect(self.download_again)
        self.detail.export_results_requested.connect(self._on_export_results_requested)
        runner.progress.connect(self._on_runner_progress)
        runner.failed.connect(self._on_runner_failed)
        self._shortcuts()
        self._fill_filters()

    # -- keyboard ------------------------------------------------------------------------------

    def _shortcuts(self) -> None:
        def shortcut(keys: QKeySequence | str, target: QWidget, slot: object) -> None:
            item = QShortcut(QKeySequence(keys), target)
            item.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            item.activated.connect(slot)

        shortcut(QKeySequence(QKeySequence.StandardKey.Find), self, self._focus_search)
        for key in ("Return", "Enter"):
            shortcut(key, self.table, self.open_folder)
        for key in ("Delete", "Ctrl+."):
            shortcut(key, self.table, self._on_cancel_requested)

    @Slot()
    def _focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    # -- loading and live updates ----------------------------------------------------------------

    def refresh(self) -> None:
        """Re-read every job (in the background), keeping the sort, filter and selection."""
        self._runner.start("results.refresh", self._refresh())

    async def _refresh(self) -> None:
        header = self.table.horizontalHeader()
        column = header.sortIndicatorSection()
        descending = header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
        where = self.model.filter

        def read(session: Session) -> job_table.JobTable:
            table = job_table.load(session)
            table.view(column, descending, where)  # builds the sort keys here, off the GUI thread
            return table

        table = await self._store.run(read)
        self.model.set_table(table)
        self._fill_filters()
        self.stack.setCurrentWidget(self.splitter if len(table) else self.empty)
        self._update_actions()
        if self.pending_job is not None and self.select_job(self.pending_job):
            self.pending_job = None

    @Slot(str, str, str)
    def on_job_changed(self, job_id: str, state: str, message: str) -> None:
        """A job changed (from the jobs thread): re-read its row, and its detail if shown."""
        self._runner.start(f"results.row.{job_id}", self._reload_row(job_id))

    async def _reload_row(self, job_id: str) -> None:
        row = await self._store.run(lambda session: job_table.load_row(session, job_id))
        if row is None:
            return
        known = set(self.model.table.services), set(self.model.table.states)
        self.model.update_row(row)
        if known != (self.model.table.services, self.model.table.states):
            self._fill_filters()
        self.stack.setCurrentWidget(self.splitter)
        if job_id == self._selected:
            self._load_detail(job_id)

    def _fill_filters(self) -> None:
        for combo, everything, values in (
            (self.state_filter, "All states", self.model.table.states),
            (self.service_filter, "All services", self.model.table.services),
        ):
            chosen = combo.currentData() or ANY
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(everything, ANY)
            for value in sorted(v for v in values if v):
                combo.addItem(value.replace("_", " "), value)
            combo.setCurrentIndex(max(0, combo.findData(chosen)))
            combo.blockSignals(False)

    @Slot()
    def _apply_filter(self) -> None:
        self._search_timer.stop()
        self.model.set_filter(
            Filter(
                state=self.state_filter.currentData() or ANY,
                service=self.service_filter.currentData() or ANY,
                search=self.search.text().strip(),
                owner=self.owner_filter.currentData() or ANY,
            )
        )

    # -- selection and detail ------------------------------------------------------------------

    @Slot()
    def _reselect(self) -> None:
        """After a reset keep the same job selected (if it still passes the filter)."""
        row = self.model.row_of(self._selected) if self._selected else None
        if row is None:
            return
        self.table.selectionModel().setCurrentIndex(
            self.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )

    @Slot(QModelIndex, QModelIndex)
    def _on_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return
        job_id = self.model.job_id(current.row())
        if job_id != self._selected:
            self._selected = job_id
            self._load_detail(job_id)

    def select_job(self, job_id: str) -> bool:
        """Select ``job_id`` in the table (False if it is filtered out or unknown)."""
        row = self.model.row_of(job_id)
        if row is None:
            return False
        self.table.setCurrentIndex(self.model.index(row, 0))
        return True

    def _load_detail(self, job_id: str) -> None:
        self._runner.start("results.detail", self._read_detail(job_id))

    async def _read_detail(self, job_id: str) -> None:
        detail = await self._store.run(lambda session: details.load(session, job_id))
        if job_id != self._selected:
            return
        refresh_qc = self.detail.detail is None or self.detail.detail.results != (
            detail.results if detail else None
        )
        lab_owner, service = self._lab_facts(job_id)
        self.detail.show_detail(detail, lab_owner=lab_owner, service=service)
        if refresh_qc:
            self.qc.show_detail(detail)
        self._update_actions()

    def _lab_facts(self, job_id: str) -> tuple[str | None, str]:
        """The owner's name if ``job_id`` came from the lab (else None), and its service name,
        from the table's row (the store has no service row for a lab job)."""
        position = self.model.table.position(job_id)
        if position is None:
            return None, ""
        row = self.model.table.rows[position]
        lab_owner = str(row[OWNER + 1]) if row[SYNC + 1] == FROM_LAB else None
        return lab_owner, str(row[SERVICE + 1])

    def set_offline(self, offline: dict[str, str]) -> None:
        """Services that cannot be reached now (name → reason shown instead of the actions)."""
        self._offline = dict(offline)
        self._update_actions()

    def _network_reason(self) -> str:
        if self._jobs is None or not self._jobs.running:
            return OFFLINE
        detail = self.detail.detail
        return self._offline.get(detail.service or "", "") if detail is not None else ""

    def _update_actions(self) -> None:
        self.detail.set_actions(network_reason=self._network_reason(), busy=self._busy)

    # -- actions -------------------------------------------------------------------------------

    @Slot()
    def open_folder(self) -> None:
        detail = self.detail.detail
        if detail is None or not detail.output_dir:
            return
        folder = Path(detail.output_dir)
        # Checking one folder's existence is a single stat call, cheap enough for the GUI thread.
        if not folder.is_dir():
            self.detail.show_error(f"The folder {folder} no longer exists.")
            return
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    @Slot()
    def _on_cancel_requested(self) -> None:
        detail = self.detail.detail
        if detail is None or not self.detail.cancel.isEnabled():
            return
        answer = QMessageBox.question(
            self,
            "Cancel job?",
            f"Cancel “{detail.name}” on {detail.service or 'the server'}? "
            "The server stops it; this cannot be undone.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.cancel_job(detail.id)

    def cancel_job(self, job_id: str) -> None:
        """Ask the jobs thread to cancel (no confirmation: callers asked the user)."""
        jobs, reason = self._jobs, self._network_reason()
        lab_owner, _ = self._lab_facts(job_id)
        if lab_owner is not None:
            reason = lab_reason(lab_owner)
        if jobs is None or reason:
            self.detail.show_error(reason or OFFLINE)
            return

        async def cancel() -> None:
            await asyncio.wrap_future(jobs.call(jobs.orchestrator.cancel(job_id)))
            if job_id == self._selected:
                self._load_detail(job_id)

        self._runner.start(f"results.cancel.{job_id}", cancel())

    @Slot()
    def download_again(self) -> None:
        detail, jobs = self.detail.detail, self._jobs
        if detail is None or jobs is None or self._network_reason() or self.detail.lab_owner:
            return

        async def download() -> None:
            self._set_busy(True, "Downloading results…")
            try:
                files = await asyncio.wrap_future(jobs.call(jobs.orchestrator.download(detail.id)))
                self.detail.show_task(f"{len(files)} result file(s) on disk.", 1.0)
            finally:
                self._set_busy(False)
            if detail.id == self._selected:
                self._load_detail(detail.id)

        self._runner.start(DOWNLOAD_TASK, download())

    @Slot(bool)
    def _on_export_results_requested(self, as_zip: bool) -> None:
        detail = self.detail.detail
        if detail is None:
            return
        if as_zip:
            target, _ = QFileDialog.getSaveFileName(
                self, "Export results", f"{detail.name}.zip", "Zip archives (*.zip)"
            )
        else:
            target = QFileDialog.getExistingDirectory(self, "Export results to a folder")
        if target:
            self.export_results_to(Path(target))

    def export_results_to(self, target: Path) -> None:
        """Copy the selected job's results to ``target`` (a folder, or a ``.zip`` file)."""
        detail = self.detail.detail
        if detail is None:
            return
        files = [(f.name, Path(f.path)) for f in detail.results]
        if target.suffix.lower() != ".zip":
            target = target / Path(detail.output_dir or detail.name).name
        self._set_busy(True, f"Exporting to {target}…")
        task = self._runner.run_blocking(
            EXPORT_TASK,
            self._disk,  # type: ignore[arg-type]  # None: asyncio's default executor
            exports.export_results,
            files,
            target,
        )
        task.add_done_callback(lambda done: self._on_exported(done, target))

    def _on_exported(self, task: asyncio.Task[Path | None], target: Path) -> None:
        if not task.cancelled() and task.result() is not None:
            self.detail.show_task(f"Exported to {target}.", 1.0)
        self._set_busy(False)

    @Slot()
    def _on_export_jobs_clicked(self) -> None:
        target, _ = QFileDialog.getSaveFileName(
            self, "Export jobs", "jobs.csv", "CSV (*.csv);;TSV (*.tsv)"
        )
        if target:
            self.export_jobs_to(Path(target))

    def export_jobs_to(self, target: Path) -> asyncio.Task[int | None]:
        """Write the rows as listed (filter and sort applied) to ``target`` (.csv or .tsv)."""
        rows = self.model.visible_rows()
        loop = asyncio.get_running_loop()

        async def write() -> int:
            count = await loop.run_in_executor(self._disk, exports.write_jobs, rows, target)
            self.notice.setText(f"{count:,} jobs written to {target}.")
            self.notice.show()
            return count

        return self._runner.start("results.export_jobs", write())

    def on_download_progress(self, job_id: str, name: str, done: int, total: int | None) -> None:
        """Bytes of a result file arrived; shown when that job is the one in the detail."""
        detail = self.detail.detail
        if detail is None or detail.id != job_id:
            return
        if total and done >= total:
            self.detail.show_task(f"Downloaded {name} ({human_size(total)})", 1.0)
        elif total:
            text = f"Downloading {name}: {human_size(done)} of {human_size(total)}"
            self.detail.show_task(text, done / total)
        else:
            self.detail.show_task(f"Downloading {name}: {human_size(done)}", None)

    def _set_busy(self, busy: bool, text: str = "") -> None:
        self._busy = busy
        self._update_actions()
        if busy:
            self.detail.show_task(text, None)

    @Slot(str, object)
    def _on_runner_progress(self, name: str, progress: Progress) -> None:
        if name == EXPORT_TASK:
            self.detail.show_task(f"Exporting {progress.message}…", progress.fraction)

    @Slot(str, str, str)
    def _on_runner_failed(self, name: str, message: str, hint: str) -> None:
        if name.startswith("results."):
            self.detail.show_error(f"{message} {hint}".strip())
