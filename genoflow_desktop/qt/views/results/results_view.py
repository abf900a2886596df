"""Results: every job the app knows about, searchable and sortable, available offline."""

from __future__ import annotations

from concurrent.futures import Executor
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, Slot
from PySide6.QtWidgets import QWidget

from genoflow_desktop.qt.views.base import View
from genoflow_desktop.qt.workers.store_access import StoreAccess
from genoflow_desktop.qt.workers.task_runner import TaskRunner

if TYPE_CHECKING:
    from genoflow_desktop.qt.views.results.results_panel import ResultsPanel
    from genoflow_desktop.qt.workers.job_runner import JobRunner


class ResultsView(View):
    """The view's content (:class:`ResultsPanel`) is built when the view is first shown: it
    needs numpy and the store's models, which must stay off the app's start-up path."""

    title = "Results"
    subtitle = "All your jobs, their state and their results — also when you are offline."
    icon_name = "results"

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
        """``jobs``: the jobs thread, for cancel and download (None: those stay off);
        ``disk``: the executor for file reads and exports (None: asyncio's default one);
        ``ui_state``: where column widths and the splitter are remembered (None: nowhere)."""
        super().__init__(parent)
        self._store = store
        self._runner = runner
        self._jobs = jobs
        self._disk = disk
        self._ui_state = ui_state
        self.panel: ResultsPanel | None = None
        self._pending_job: str | None = None
        #: Services that cannot be reached now (name → reason), kept for the panel.
        self._offline: dict[str, str] = {}

    def show_job(self, job_id: str) -> None:
        """Select ``job_id`` when the jobs are next loaded (call before showing the view)."""
        self._pending_job = job_id

    def on_shown(self) -> None:
        if self.panel is None:
            from genoflow_desktop.qt.views.results.results_panel import ResultsPanel

            self.panel = ResultsPanel(
                self._store, self._runner, self._jobs, disk=self._disk, ui_state=self._ui_state
            )
            self.body.addWidget(self.panel, 1)
            self.panel.set_offline(self._offline)
        self.panel.pending_job, self._pending_job = self._pending_job, None
        self.panel.refresh()

    @Slot(str, bool, str)
    def on_connectivity_changed(self, name: str, online: bool, reason: str) -> None:
        """Connect to ``ConnectivityMonitor.changed``: cancel and download need the service."""
        if online:
            self._offline.pop(name, None)
        else:
            self._offline[name] = reason
        if self.panel is not None:
            self.panel.set_offline(self._offline)

    @Slot(str, str, str)
    def on_job_changed(self, job_id: str, state: str, message: str) -> None:
        """Connect to ``JobRunner.job_changed``. Before the first show there is nothing to
        update: the panel reads every job when it is built."""
        if self.panel is not None:
            self.panel.on_job_changed(job_id, state, message)

    @Slot(object)
    @Slot(str, str, object, object)
    def on_download_progress(self, job_id: str, name: str, done: int, total: int | None) -> None:
        """Connect to ``JobRunner.download_progress``: the shown job's files as they arrive."""
        if self.panel is not None:
            self.panel.on_download_progress(job_id, name, done, total)

    def on_synced(self, result: object) -> None:
        """Connect to ``SyncRunner.synced``: pulled jobs are new rows and pushed ones changed
        their Sync state; one re-read of the table (off the GUI thread) shows both."""
        changed = getattr(result, "pulled", 0) or getattr(result, "pushed", 0)
        if self.panel is not None and changed:
            self.panel.refresh()
