"""Upload: the files the user dropped or picked, checked at once, described, and sent to S3.

Everything slow runs elsewhere: folders are scanned on the ``disk`` pool, the store is read on
the ``db`` pool, uploads run on the ``upload`` pool (see :mod:`.upload_queue`). Problems with a
file are shown in its row; the only modal dialogs are decisions (which sample sheet, which
column is which).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QPoint, QSettings, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from genoflow_desktop.core.samplesheet import SampleMetadata
from genoflow_desktop.core.transfer.intake import refusal
from genoflow_desktop.core.transfer.planner import MiB
from genoflow_desktop.core.transfer.progress import TransferProgress
from genoflow_desktop.core.transfer.result import UploadOptions
from genoflow_desktop.qt.models.upload_file_model import (
    FileRow,
    Transfer,
    UploadFileModel,
)
from genoflow_desktop.qt.views.base import View
from genoflow_desktop.qt.views.upload.file_table import FileTable, scan, verdict_text
from genoflow_desktop.qt.views.upload.metadata_form import MetadataForm
from genoflow_desktop.qt.views.upload.network_waits import NetworkWaits
from genoflow_desktop.qt.views.upload.outcomes import ended_changes
from genoflow_desktop.qt.views.upload.row_menu import row_menu
from genoflow_desktop.qt.views.upload.sheet_import import import_sheet
from genoflow_desktop.qt.views.upload.upload_history import UploadHistory
from genoflow_desktop.qt.views.upload.upload_queue import NewUpload, UploadQueue
from genoflow_desktop.qt.widgets.empty_state import EmptyState
from genoflow_desktop.qt.widgets.remembered_layout import remember
from genoflow_desktop.qt.workers.executors import Executors
from genoflow_desktop.qt.workers.store_access import StoreAccess
from genoflow_desktop.qt.workers.task_runner import TaskRunner

if TYPE_CHECKING:
    from genoflow_desktop.core.settings import Settings
    from genoflow_desktop.core.store import Store
    from genoflow_desktop.core.transfer.journal import UploadRecord
    from genoflow_desktop.core.transfer.profiles import Profile
    from genoflow_desktop.core.validation.report import ValidationReport

NO_PROFILE = "Add an S3 destination in Settings (or `genoflow s3 add-profile`)"
OVERRIDE_WARNING = (
    "Files that failed validation are usually truncated or corrupt: pipelines will reject "
    "them, or worse, silently use part of them."
)
ERROR_STYLE = "color: #c53030;"


def _destinations_and_uploads(store: Store) -> tuple[list[Profile], list[UploadRecord]]:
    """The S3 profiles and the upload journal, read on the db thread (imports included: they
    bring SQLAlchemy and the keychain, kept off the GUI thread)."""
    from genoflow_desktop.core.transfer.journal import Journal
    from genoflow_desktop.core.transfer.profiles import list_profiles

    with store.session() as session:
        profiles = list_profiles(session)
    return profiles, Journal(store).uploads()


class UploadView(View):
    """Signals:
    files_added(list): paths newly added to the list (to be checked).
    s3_unreachable(str, str): an upload to this connectivity target failed for a network
        reason (and why); connect to ``ConnectivityMonitor.report_unreachable`` so it probes the endpoint
        and says when it answers again (then the waiting uploads resume).
    check_connectivity_requested(): "Check now" next to an offline destination (connect to
        ``ConnectivityMonitor.check_now``).
    """

    title = "Upload"
    subtitle = (
        "Drop FASTQ, BAM, CRAM or VCF files (or whole folders) anywhere on this window. "
        "Each file is checked at once."
    )
    icon_name = "upload"

    files_added = Signal(list)
    s3_unreachable = Signal(str, str)
    check_connectivity_requested = Signal()

    def __init__(
        self,
        store: StoreAccess,
        runner: TaskRunner,
        executors: Executors,
        settings: Settings,
        upload_pool: Executor,
        parent: QWidget | None = None,
        *,
        ui_state: QSettings | None = None,
    ) -> None:
        """``ui_state``: where column widths and the splitter are remembered (None: nowhere)."""
        super().__init__(parent)
        self._store = store
        self._runner = runner
        self._executors = executors
        self._part_size = settings.part_size_mib * MiB
        self._scans = 0
        #: S3 destinations that cannot be reached now (target name → reason).
        self._offline: dict[str, str] = {}
        self.waits = NetworkWaits()
        self.queue = UploadQueue(
            store, runner, executors.db, upload_pool, UploadOptions.from_settings(settings), self
        )
        self.queue.created.connect(self._on_queue_created)
        self.queue.progressed.connect(self._on_queue_progressed)
        self.queue.ended.connect(self._on_queue_ended)

        self.model = UploadFileModel()
        self.table = FileTable(self.model)
        self.table.activated.connect(self._on_table_activated)
        self.table.customContextMenuRequested.connect(self._on_table_context_menu_requested)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self._build_actions()

        self.empty = EmptyState(
            "upload",
            "No files yet",
            "Drag files or folders here, or use File ▸ Add files… (Ctrl+O).",
        )
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.table)
        self.form = MetadataForm()
        self.form.apply_requested.connect(self._on_form_apply_requested)
        self.form.import_requested.connect(self._on_form_import_requested)
        splitter = QSplitter()
        splitter.addWidget(self.stack)
        splitter.addWidget(self.form)
        splitter.setStretchFactor(0, 1)
        # The form needs ~290 px; the rest shows the table up to the upload's speed and ETA.
        splitter.setSizes([700, 290])
        remember(ui_state, "upload/files-header", self.table.horizontalHeader())
        remember(ui_state, "upload/splitter", splitter)

        self.profile = QComboBox()
        self.profile.setAccessibleName("S3 destination")
        self.profile.currentIndexChanged.connect(self._update_destination)
        self.profile_reason = QLabel(NO_PROFILE)
        self.profile_reason.setStyleSheet(ERROR_STYLE)
        self.override = QCheckBox("Upload files that fa&iled validation")
        self.override.setToolTip("Applies to the files selected when you press Upload.")
        self.override_warning = QLabel(OVERRIDE_WARNING)
        self.override_warning.setStyleSheet(ERROR_STYLE)
        self.override_warning.setWordWrap(True)
        self.override_warning.hide()
        self.override.toggled.connect(self.override_warning.setVisible)
        self.upload_button = QPushButton("&Upload")
        self.upload_button.clicked.connect(self.upload_action.trigger)
        destination = QHBoxLayout()
        destination.addWidget(QLabel("Destination:"))
        destination.addWidget(self.profile)
        destination.addWidget(self.profile_reason, 1)
        self.check_now_button = QPushButton("Check now")
        self.check_now_button.setToolTip("Try to reach the S3 destination again now.")
        self.check_now_button.clicked.connect(self.check_connectivity_requested)
        destination.addWidget(self.check_now_button)
        destination.addStretch(1)  # the reason is hidden when all is well: keep the row packed
        destination.addWidget(self.override)
        destination.addWidget(self.upload_button)

        files_page = QWidget()
        files_layout = QVBoxLayout(files_page)
        files_layout.setContentsMargins(0, 0, 0, 0)
        files_layout.addWidget(splitter, 1)
        files_layout.addWidget(self.override_warning)
        files_layout.addLayout(destination)
        self.history = UploadHistory()
        self.history.resume_requested.connect(self._on_history_resume_requested)
        self.history.refresh_requested.connect(self.refresh)
        self.tabs = QTabWidget()
        self.tabs.addTab(files_page, "Files")
        self.tabs.addTab(self.history, "History")
        self.body.addWidget(self.tabs, 1)
        self.count = QLabel()
        self.count.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.body.addWidget(self.count)
        self._set_profiles([])  # until the store answers: disabled, with the reason

    def _build_actions(self) -> None:
        def action(text: str, shortcut: QKeySequence, slot: Any) -> QAction:
            made = QAction(text, self)
            made.setShortcut(shortcut)
            # Keys like Space and Del belong to whatever text field has the focus elsewhere.
            made.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            made.triggered.connect(slot)
            self.table.addAction(made)
            return made

        self.upload_action = action("&Upload", QKeySequence("Ctrl+U"), self.upload_selected)
        # Ctrl+U works anywhere in the view (the form included), not only in the table.
        self.upload_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.addAction(self.upload_action)
        self.pause_action = action(
            "&Pause / Resume", QKeySequence(Qt.Key.Key_Space), self.toggle_pause_selected
        )
        self.cancel_action = action(
            "&Cancel / Remove",
            QKeySequence(QKeySequence.StandardKey.Delete),
            self.cancel_or_remove_selected,
        )
        self.report_action = action("Open &report", QKeySequence(), self._open_selected_report)

    # -- adding files and their checks ----------------------------------------------------------

    def add_files(self, paths: Iterable[str | Path]) -> None:
        """Add files and folders (scanned on the disk pool); new files arrive as files_added."""
        self._scans += 1
        self._runner.start(f"upload.scan:{self._scans}", self._add(list(paths)))

    async def _add(self, paths: list[str | Path]) -> None:
        rows = await asyncio.get_running_loop().run_in_executor(self._executors.disk, scan, paths)
        added = self.model.add(rows)
        self._update_count()
        if added:
            self.files_added.emit([r.path for r in added])

    def _update_count(self) -> None:
        rows = self.model.rowCount()
        self.stack.setCurrentWidget(self.table if rows else self.empty)
        self.count.setText(f"{rows} file(s)" if rows else "")

    @Slot(str, float)
    def show_progress(self, path: str, fraction: float) -> None:
        text = "Checking…" if fraction < 0 else f"Checking… {fraction:.0%}"
        self.model.update(path, check=text)

    @Slot(str, object, str)
    def show_report(self, path: str, report: ValidationReport, report_file: str) -> None:
        findings = [*report.errors, *report.warnings][:5]
        self.model.update(
            path,
            format="—" if report.format.value == "unknown" else report.format.value.upper(),
            check=verdict_text(report),
            check_details="\n".join(f"{f.message} {f.hint}".strip() for f in findings)
            or "No problems found.",
            verdict=report.verdict.value,
            report_file=report_file,
        )

    @Slot(QModelIndex)
    def _on_table_activated(self, index: QModelIndex) -> None:
        report_file = self.model.row_at(index.row()).report_file
        if report_file:
            QDesktopServices.openUrl(QUrl.fromLocalFile(report_file))

    @Slot()
    def _open_selected_report(self) -> None:
        for index in self.table.selectionModel().selectedRows()[:1]:
            self._on_table_activated(index)

    # -- selection, metadata and sample sheets --------------------------------------------------

    def selected_rows(self) -> list[FileRow]:
        """The selected files, with the mates of selected paired files (a pair travels together)."""
        paths = [
            self.model.row_at(i.row()).path for i in self.table.selectionModel().selectedRows()
        ]
        for path in list(paths):
            row = self.model.find(path)
            if row is not None and row.mate and row.mate not in paths and self.model.find(row.mate):
                paths.append(row.mate)
        return [row for path in paths if (row := self.model.find(path)) is not None]

    @Slot()
    def _on_selection_changed(self) -> None:
        self.form.set_selection([r.metadata for r in self.selected_rows()])

    @Slot(object)
    def _on_form_apply_requested(self, metadata: SampleMetadata) -> None:
        for row in self.selected_rows():
            self.model.update(row.path, metadata=metadata)

    @Slot()
    def _on_form_import_requested(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Import sample sheet", "", "Sample sheets (*.csv *.tsv *.txt);;All files (*)"
        )
        if path:
            self.import_sheet(path)

    def import_sheet(self, path: str) -> None:
        """Read the sheet on the disk pool, then let the user map its columns (a dialog)."""
        self._runner.start("upload.sheet", import_sheet(self, path, self._executors.disk))

    # -- destinations and settings --------------------------------------------------------------

    def on_shown(self) -> None:
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        """Reload the S3 profiles and the upload history from the store."""
        self._runner.start("upload.refresh", self._refresh())

    async def _refresh(self) -> None:
        await self._store.open()
        profiles, records = await asyncio.get_running_loop().run_in_executor(
            self._executors.db, _destinations_and_uploads, self._store.store
        )
        self._set_profiles(profiles)
        self.history.set_records(records)

    def _set_profiles(self, profiles: Sequence[Profile]) -> None:
        current = self.profile.currentData()
        self.profile.clear()
        for profile in profiles:
            self.profile.addItem(f"{profile.name} (s3://{profile.bucket})", profile.name)
        self.profile.setCurrentIndex(max(0, self.profile.findData(current)))
        self._update_destination()

    @Slot()
    def _update_destination(self) -> None:
        """Upload needs a destination that can be reached; say why not next to it."""
        from genoflow_desktop.core.connectivity import s3_target_name

        has_profiles = self.profile.count() > 0
        profile = self.profile.currentData()
        offline = self._offline.get(s3_target_name(profile), "") if profile else ""
        reason = offline if has_profiles else NO_PROFILE
        self.profile.setVisible(has_profiles)
        self.profile_reason.setText(reason)
        self.profile_reason.setVisible(bool(reason))
        self.check_now_button.setVisible(bool(offline))
        self.upload_button.setEnabled(not reason)
        self.upload_action.setEnabled(not reason)  # Ctrl+U too
        self.upload_button.setToolTip(
            reason or "Upload the selected files, or all files when none is (Ctrl+U)."
        )

    @Slot(str, bool, str)
    def on_connectivity_changed(self, name: str, online: bool, reason: str) -> None:
        """Connect to ``ConnectivityMonitor.changed`` (only S3 destinations matter here).

        An endpoint that answers again resumes the uploads waiting for it.
        """
        if online:
            self._offline.pop(name, None)
        else:
            self._offline[name] = reason
        self._update_destination()
        for path in self.waits.due(name) if online else []:
            row = self.model.find(path)
            if row is not None and row.transfer == Transfer.WAITING:
                self._resume(row)

    @Slot(object)
    def apply_settings(self, settings: Settings) -> None:
        """New concurrency, part size and bandwidth limit, for uploads started from now on."""
        self.queue.options = UploadOptions.from_settings(settings)
        self._part_size = settings.part_size_mib * MiB

    # -- uploading ------------------------------------------------------------------------------

    @Slot()
    def upload_selected(self) -> None:
        """Upload the selected files (all when none is selected); resume stopped ones."""
        profile = self.profile.currentData()
        override = self.override.isChecked()
        for row in self.selected_rows() or self.model.rows:
            if row.can_resume:
                self._resume(row)  # the journal knows its destination
            elif row.can_start and profile is not None:
                reason = refusal(row.verdict, override=override)
                if reason is not None:
                    self.model.update(row.path, error=reason)
                    continue
                self.model.update(
                    row.path, transfer=Transfer.QUEUED, upload_id=None, done=0, error=None
                )
                self.waits.sent(row.path, profile)
                self.queue.send(row.path, new=NewUpload(profile, row.metadata, self._part_size))

    def _resume(self, row: FileRow, *, force: bool = False) -> None:
        """Continue from the journal; while its endpoint is known to be down, wait for it
        (unless ``force``: the user asked to try now)."""
        assert row.upload_id is not None
        target = self.waits.target_of(row.path)
        if not force and target in self._offline and self.waits.wait(row.path, row.done):
            self.model.update(
                row.path,
                transfer=Transfer.WAITING,
                error=None,
                waiting_reason=self._offline[target],
            )
            return
        self.model.update(row.path, transfer=Transfer.QUEUED, error=None)
        self.queue.send(row.path, upload_id=row.upload_id)

    @Slot()
    def toggle_pause_selected(self) -> None:
        """Space: pause what runs or waits, resume what is paused or failed."""
        for row in self.selected_rows():
            if row.can_pause:
                self._pause(row)
            elif row.can_resume:
                self._resume(row)

    @Slot()
    def pause_selected(self) -> None:
        for row in self.selected_rows():
            if row.can_pause:
                self._pause(row)

    @Slot()
    def resume_selected(self) -> None:
        """Resume or retry now (a waiting upload too, without waiting for the monitor)."""
        for row in self.selected_rows():
            if row.can_resume:
                self._resume(row, force=True)

    def _pause(self, row: FileRow) -> None:
        if row.transfer == Transfer.WAITING:  # paused by the user: no longer resumes itself
            self.waits.forget(row.path)
            self.model.update(row.path, transfer=Transfer.PAUSED)
        else:
            self.model.update(row.path, transfer=Transfer.PAUSING)
            self.queue.pause(row.path)

    @Slot()
    def cancel_or_remove_selected(self) -> None:
        for row in self.selected_rows():
            self.waits.forget(row.path)
            if row.can_cancel:
                self.model.update(row.path, transfer=Transfer.CANCELLING, error=None)
                self.queue.cancel(row.path, row.upload_id)
            elif row.can_remove:
                self.model.remove(row.path)
        self._update_count()

    @Slot(object)
    def _on_history_resume_requested(self, record: UploadRecord) -> None:
        row = self.model.find(record.source_path)
        if row is None:
            self.model.add([FileRow(record.source_path, record.source_size)])
            self._update_count()
        elif self.queue.is_running(record.source_path):
            return  # already under way in the list
        row = self.model.update(record.source_path, upload_id=record.id, done=record.bytes_done)
        self.waits.sent(record.source_path, record.profile)
        assert row is not None
        self._resume(row)
        self.tabs.setCurrentIndex(0)

    @Slot(str, str)
    def _on_queue_created(self, path: str, upload_id: str) -> None:
        self.model.update(path, upload_id=upload_id)

    @Slot(str, object)
    def _on_queue_progressed(self, path: str, progress: TransferProgress) -> None:
        row = self.model.find(path)
        if row is None:
            return
        # Pausing and cancelling stay shown as such until the run has really stopped.
        transfer = Transfer.UPLOADING if row.transfer == Transfer.QUEUED else row.transfer
        self.model.update(
            path, transfer=transfer, done=progress.done, speed=progress.speed, eta_s=progress.eta_s
        )

    @Slot(str, str, str)
    def _on_queue_ended(self, path: str, how: str, message: str) -> None:
        changes, unreachable = ended_changes(self.model.find(path), how, message, self.waits)
        if unreachable is not None:
            self.s3_unreachable.emit(unreachable, message)  # the monitor probes it from now on
        self.model.update(path, **changes)
        self.refresh()

    @Slot(QPoint)
    def _on_table_context_menu_requested(self, position: QPoint) -> None:
        rows = self.selected_rows()
        if rows:
            menu = row_menu(self, rows)
            menu.popup(self.table.viewport().mapToGlobal(position))
