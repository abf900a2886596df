"""Dashboard: what is going on right now — jobs, uploads, services, storage and notifications.

Everything is read from the local store on the db thread (so it opens offline), refreshed when
the jobs thread reports a change (debounced) and every few seconds while the view is visible.
Service health is asked of the services themselves, in the background. The live charts
are built after the first paint, off the path to the window.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import Executor
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from genoflow_desktop.core.domain.records import StoreSummary
from genoflow_desktop.core.units import human_size
from genoflow_desktop.qt.views.base import View
from genoflow_desktop.qt.views.dashboard.live_charts import LiveCharts
from genoflow_desktop.qt.widgets.read_only_list import read_only_list
from genoflow_desktop.qt.workers.store_access import StoreAccess
from genoflow_desktop.qt.workers.task_runner import TaskRunner

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from genoflow_desktop.core.activity import (
        ActiveJob,
        NotificationItem,
        RecentUpload,
        Storage,
    )
    from genoflow_desktop.core.services.catalog import ServiceHealth, ServiceView

#: While visible, uploads, throughput and the charts refresh this often.
REFRESH_MS = 2000


class StatCard(QFrame):
    def __init__(self, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statCard")
        self.value = QLabel("–")
        self.value.setObjectName("statValue")
        self.caption = QLabel(caption)
        self.caption.setObjectName("statCaption")
        layout = QVBoxLayout(self)
        layout.addWidget(self.value)
        layout.addWidget(self.caption)
        self.setAccessibleName(caption)

    def set_value(self, value: int) -> None:
        self.value.setText(f"{value:,}")
        self.setAccessibleDescription(f"{value:,}")


def _ago(moment: datetime) -> str:
    seconds = (datetime.now(UTC) - moment).total_seconds()
    if seconds < 90:
        return "just now"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 129600:
        return f"{seconds / 3600:.0f} h ago"
    return f"{seconds / 86400:.0f} days ago"


class DashboardView(View):
    """Signals:
    navigate_requested(str): a quick action asks for another view ("upload", "pipelines", "results").
    open_job_requested(str): the user double-clicked a job (its id).
    """

    title = "Dashboard"
    subtitle = "Jobs, uploads, services and storage at a glance."
    icon_name = "dashboard"

    navigate_requested = Signal(str)
    open_job_requested = Signal(str)

    def __init__(
        self,
        store: StoreAccess,
        runner: TaskRunner,
        *,
        data_folder: Path | None = None,
        results_folder: Path | None = None,
        disk_executor: Executor | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._runner = runner
        self._data_folder = data_folder
        self._results_folder = results_folder
        self._disk = disk_executor
        self.health: dict[str, ServiceHealth] = {}
        self.cards = {
            "active_jobs": StatCard("Active jobs"),
            "completed_jobs": StatCard("Completed jobs"),
            "failed_jobs": StatCard("Failed jobs"),
            "active_uploads": StatCard("Uploads in progress"),
            "files": StatCard("Files checked"),
            "unread_notifications": StatCard("Unread notifications"),
        }
        grid = QGridLayout()
        grid.setSpacing(12)
        for index, card in enumerate(self.cards.values()):
            grid.addWidget(card, 0, index)
        self.body.addLayout(grid)

        actions = QHBoxLayout()
        for label, target, shortcut in (
            ("New upload", "upload", "Ctrl+Shift+U"),
            ("New job", "pipelines", "Ctrl+Shift+J"),
            ("Open results", "results", "Ctrl+Shift+R"),
        ):
            button = QPushButton(label)
            button.setObjectName("quickAction")
            button.setShortcut(shortcut)
            button.setToolTip(f"{label} ({shortcut})")
            button.clicked.connect(lambda _=False, t=target: self.navigate_requested.emit(t))
            actions.addWidget(button)
        actions.addStretch(1)
        self.storage_label = QLabel()
        self.storage_label.setAccessibleName("Storage")
        actions.addWidget(self.storage_label)
        self.body.addLayout(actions)

        self.jobs_list = read_only_list(
            ["Active job", "Service", "State", "Progress"], "Active jobs", stretch=0
        )
        self.jobs_list.itemDoubleClicked.connect(
            lambda item: self.open_job_requested.emit(item.data(0, Qt.ItemDataRole.UserRole))
        )
        self.uploads_list = read_only_list(
            ["Upload", "Status", "Done", "Speed"], "Recent uploads", stretch=0
        )
        self.services_list = read_only_list(
            ["Service", "Reachable", "Token"], "Service health", stretch=0
        )
        self.check_button = QPushButton("Check services")
        self.check_button.clicked.connect(lambda: self.check_services())
        self.notifications_list = read_only_list(
            ["Notification", "When"], "Notifications", stretch=0
        )
        self.mark_read_button = QPushButton("Mark all read")
        self.mark_read_button.clicked.connect(self._on_mark_read_clicked)
        self.charts_box = QGroupBox("Live")
        self.charts_box.setLayout(QVBoxLayout())
        self.charts: LiveCharts | None = None

        # Top: what runs now (jobs, and the live charts); below: uploads, services, news.
        columns = QGridLayout()
        columns.setSpacing(12)
        columns.addWidget(self._box("Active jobs", self.jobs_list), 0, 0, 1, 2)
        columns.addWidget(self.charts_box, 0, 2)
        columns.addWidget(self._box("Recent uploads", self.uploads_list), 1, 0)
        columns.addWidget(self._box("Services", self.services_list, self.check_button), 1, 1)
        columns.addWidget(
            self._box("Notifications", self.notifications_list, self.mark_read_button), 1, 2
        )
        for column in range(3):
            columns.setColumnStretch(column, 1)
        # The lists below share the height with the jobs: the charts' fixed height sets row 0.
        columns.setRowStretch(0, 0)
        columns.setRowStretch(1, 1)
        self.body.addLayout(columns, 1)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(300)
        self._debounce.timeout.connect(self.refresh)
        self._ticker = QTimer(self)
        self._ticker.setInterval(REFRESH_MS)
        self._ticker.timeout.connect(self._tick)
        self._throughput: deque[float] = deque(maxlen=60)
        # Child timers, not QTimer.singleShot: they die with the view, never firing into it.
        self._charts_timer = self._one_shot(500, self._build_charts)
        self._health_timer = self._one_shot(1000, self._check_configured_services)

    def _one_shot(self, milliseconds: int, slot: Any) -> QTimer:
        timer = QTimer(self)
        timer.setSingleShot(True)
        timer.setInterval(milliseconds)
        timer.timeout.connect(slot)
        return timer

    @staticmethod
    def _box(title: str, content: QWidget, button: QPushButton | None = None) -> QGroupBox:
        box = QGroupBox(title)
        layout = QVBoxLayout(box)
        layout.addWidget(content)
        if button is not None:
            row = QHBoxLayout()
            row.addStretch(1)
            row.addWidget(button)
            layout.addLayout(row)
        return box

    # -- refreshing ----------------------------------------------------------------------

    def on_shown(self) -> None:
        self.refresh()
        self._ticker.start()
        if self.charts is None:
            # After the first paint: pyqtgraph's import is not on the path to the window.
            self._charts_timer.start()
        if not self.health:
            # Only the services the user set up (a token is saved): the others may never be used.
            self._health_timer.start()

    def hideEvent(self, event: Any) -> None:
        self._ticker.stop()
        super().hideEvent(event)

    @Slot(str, str, str)
    def on_job_changed(self, job_id: str, state: str, message: str) -> None:
        """The jobs thread reported a change: refresh soon (many changes make one refresh)."""
        self._debounce.start()

    @Slot()
    def refresh(self) -> None:
        self._runner.start("dashboard.refresh", self._refresh())

    async def _refresh(self) -> None:
        def read(
            session: Session,
        ) -> tuple[
            StoreSummary, list[ActiveJob], list[RecentUpload], list[NotificationItem], list[Any]
        ]:
            # Imported here, on the db thread: the first refresh comes before the first paint,
            # and SQLAlchemy and httpx take ~0.4 s to import.
            from genoflow_desktop.core import activity
            from genoflow_desktop.core.services.catalog import list_services
            from genoflow_desktop.core.store import repositories

            return (
                repositories.summary(session),
                activity.active_jobs(session),
                activity.recent_uploads(session),
                activity.notifications(session, limit=50),
                list_services(session),
            )

        summary, jobs, uploads, notes, services = await self._store.run(read)
        self._show_summary(summary)
        self._show_jobs(jobs)
        self._show_uploads(uploads)
        self._show_notifications(notes)
        self._show_services(services)
        if self._data_folder and self._results_folder and self._disk:
            folders = (self._data_folder, self._results_folder)
            self._runner.start("dashboard.storage", self._read_storage(*folders))

    async def _read_storage(self, data: Path, results: Path) -> None:
        import asyncio

        from genoflow_desktop.core.activity import storage

        found: Storage = await asyncio.get_running_loop().run_in_executor(
            self._disk, storage, data, results
        )
        self.storage_label.setText(
            f"Free disk: {human_size(found.free_bytes)} of {human_size(found.total_bytes)}"
            f" · results: {human_size(found.results_bytes)}"
        )

    def _tick(self) -> None:
        if not self.isVisible():  # hidden with its window, or the app is closing
            self._ticker.stop()
            return
        self._runner.start("dashboard.tick", self._sample())

    async def _sample(self) -> None:
        def read(session: Session) -> tuple[list[RecentUpload], float]:
            from genoflow_desktop.core import activity  # on the db thread, as in _refresh

            return activity.recent_uploads(session), activity.upload_throughput(session)

        uploads, throughput = await self._store.run(read)
        self._show_uploads(uploads)
        self._throughput.append(throughput)
        if self.charts is not None:
            self.charts.add_sample(throughput)

    def _build_charts(self) -> None:
        if self.charts is None:
            self._runner.start("dashboard.charts", self._import_then_build_charts())

    async def _import_then_build_charts(self) -> None:
        if self._disk is not None:
            import asyncio
            import importlib

            # pyqtgraph's import takes 0.3-0.8 s of Python: on a worker thread the window keeps
            # its GIL share and stays responsive; only the widgets are made here.
            await asyncio.get_running_loop().run_in_executor(
                self._disk, importlib.import_module, "pyqtgraph"
            )
        if self.charts is None:
            self.charts = LiveCharts()
            layout = self.charts_box.layout()
            assert layout is not None
            layout.addWidget(self.charts)

    # -- showing ---------------------------------------------------------------------------

    def _show_summary(self, summary: StoreSummary) -> None:
        for name, card in self.cards.items():
            card.set_value(getattr(summary, name))

    def _show_jobs(self, jobs: list[ActiveJob]) -> None:
        self.jobs_list.clear()
        for job in jobs:
            state = job.state
            if job.queue_position is not None and job.state == "queued":
                state = f"queued (#{job.queue_position + 1})"
            progress = "" if job.progress is None else f"{job.progress:.0%}"
            item = QTreeWidgetItem([job.name, job.service, state, progress])
            item.setData(0, Qt.ItemDataRole.UserRole, job.id)
            if job.attention:
                item.setToolTip(2, job.attention)
                item.setText(2, f"{state} — needs attention")
            self.jobs_list.addTopLevelItem(item)
        if not jobs:
            self.jobs_list.addTopLevelItem(QTreeWidgetItem(["No job is running", "", "", ""]))

    def _show_uploads(self, uploads: list[RecentUpload]) -> None:
        self.uploads_list.clear()
        for upload in uploads:
            speed = (
                f"{human_size(upload.speed_bps)}/s"
                if upload.speed_bps and upload.status == "uploading"
                else ""
            )
            item = QTreeWidgetItem([upload.name, upload.status, f"{upload.fraction:.0%}", speed])
            if upload.error:
                item.setToolTip(1, upload.error)
            self.uploads_list.addTopLevelItem(item)
        if not uploads:
            self.uploads_list.addTopLevelItem(QTreeWidgetItem(["No upload yet", "", "", ""]))

    def _show_notifications(self, notes: list[NotificationItem]) -> None:
        self.notifications_list.clear()
        for note in notes:
            # A dot, not a bold font: PySide6 6.12.0's QFont setters corrupt reference counts
            # (the interpreter aborts at exit after a few hundred calls).
            title = note.title if note.read else f"● {note.title}"
            item = QTreeWidgetItem([title, _ago(note.created_at)])
            item.setToolTip(0, note.body)
            self.notifications_list.addTopLevelItem(item)
        unread = sum(not n.read for n in notes)
        self.mark_read_button.setEnabled(unread > 0)
        self.mark_read_button.setText(f"Mark {unread} read" if unread else "All read")

    def _show_services(self, services: list[ServiceView]) -> None:
        self.services_list.clear()
        for service in services:
            health = self.health.get(service.name)
            if health is None:
                reach = "not checked"
            elif health.api_ok:
                reach = f"yes, {health.latency_ms:.0f} ms"
            else:
                reach = "no"
            if not service.has_token:
                token = "no token"
            elif service.token_days_left is None:
                token = "saved"
            elif service.token_days_left < 0:
                token = "expired"
            else:
                token = f"{service.token_days_left} days left"
            item = QTreeWidgetItem([service.name, reach, token])
            if health is not None and health.error:
                item.setToolTip(1, health.error)
            self.services_list.addTopLevelItem(item)

    # -- actions ---------------------------------------------------------------------------

    @Slot()
    def _check_configured_services(self) -> None:
        if self.isVisible():  # not for a window that was closed (or never shown) meanwhile
            self.check_services(configured_only=True)

    def check_services(self, configured_only: bool = False) -> None:
        self.check_button.setEnabled(False)
        self._runner.start("dashboard.health", self._check_services(configured_only))

    async def _check_services(self, configured_only: bool) -> None:
        import asyncio

        from genoflow_desktop.core.services.backends import ServiceRef, make_backend, service_ref
        from genoflow_desktop.core.services.catalog import check_health, list_services

        def read(session: Session) -> list[ServiceRef]:
            return [
                service_ref(session, view.name)
                for view in list_services(session)
                if view.has_token or not configured_only
            ]

        try:
            refs = await self._store.run(read)
            # Health needs no token: every service answers its public endpoint.
            backends = [make_backend(ref, None) for ref in refs]
            try:
                results = await asyncio.gather(
                    *(check_health(ref.name, b) for ref, b in zip(refs, backends, strict=True))
                )
            finally:
                for backend in backends:
                    await backend.aclose()
            self.health = {health.name: health for health in results}
        finally:
            self.check_button.setEnabled(True)
        self.refresh()

    @Slot()
    def _on_mark_read_clicked(self) -> None:
        from genoflow_desktop.core.activity import mark_notifications_read

        async def mark() -> None:
            await self._store.run(mark_notifications_read)
            self.refresh()

        self._runner.start("dashboard.mark-read", mark())
