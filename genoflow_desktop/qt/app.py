"""The composition root: builds the QApplication, the qasync loop, the engines and the window,
and wires them together. Nothing else creates long-lived objects; nothing is a singleton."""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import qasync
from PySide6.QtCore import (
    QEvent,
    QMessageLogContext,
    QObject,
    QSettings,
    QTimer,
    QtMsgType,
    Signal,
    qInstallMessageHandler,
)
from PySide6.QtWidgets import QApplication, QMessageBox, QSystemTrayIcon, QWidget

import genoflow_desktop
from genoflow_desktop.core import settings as core_settings
from genoflow_desktop.core.errors import UserError
from genoflow_desktop.core.log import FILE_ONLY, LOG_FILE_NAME
from genoflow_desktop.core.messages import MessageBus
from genoflow_desktop.core.paths import AppDirs
from genoflow_desktop.core.uptime import seconds_since_process_start
from genoflow_desktop.qt.connectivity import ConnectivityIndicator, ConnectivityMonitor
from genoflow_desktop.qt.crash_handler import CrashHandler
from genoflow_desktop.qt.icons import app_icon
from genoflow_desktop.qt.main_window import MainWindow
from genoflow_desktop.qt.single_instance import SingleInstance
from genoflow_desktop.qt.style import apply_theme
from genoflow_desktop.qt.views.base import View
from genoflow_desktop.qt.views.dashboard import DashboardView
from genoflow_desktop.qt.views.pipelines import PipelinesView
from genoflow_desktop.qt.views.results import ResultsView
from genoflow_desktop.qt.views.settings import SettingsView
from genoflow_desktop.qt.views.upload import UploadView
from genoflow_desktop.qt.views.upload.validation_queue import ValidationQueue
from genoflow_desktop.qt.window_state import STATE_FILE, WindowState
from genoflow_desktop.qt.workers.executors import Executors
from genoflow_desktop.qt.workers.job_runner import JobRunner
from genoflow_desktop.qt.workers.store_access import StoreAccess
from genoflow_desktop.qt.workers.sync_runner import SyncRunner
from genoflow_desktop.qt.workers.task_runner import TaskRunner

if TYPE_CHECKING:
    from genoflow_desktop.core.store import Store

log = logging.getLogger(__name__)
qt_log = logging.getLogger("qt")

#: --smoke gives up (exit 1) if the window has not painted by then.
SMOKE_TIMEOUT_MS = 30_000


class FirstPaintWatcher(QObject):
    """Notices the first paint event of any widget: the moment the user sees the app."""

    def __init__(self, on_painted: Callable[[], None]) -> None:
        super().__init__()
        self._on_painted = on_painted
        #: Seconds from process start to the first paint, and the wall-clock time of that paint.
        self.elapsed: float | None = None
        self.painted_at: float | None = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and self.elapsed is None:
            self.elapsed = seconds_since_process_start()
            self.painted_at = time.time()
            log.info("first paint %.0f ms after start", self.elapsed * 1000)
            QTimer.singleShot(0, self._on_painted)
        return False


class MessageBridge(QObject):
    """Signals:
    posted(object): a :class:`~genoflow_desktop.core.messages.Message` was posted (any thread).
    """

    posted = Signal(object)


def create_application() -> QApplication:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("GenoFlow")
    app.setApplicationDisplayName("GenoFlow Desktop")
    app.setOrganizationName("GenoFlow")
    app.setApplicationVersion(genoflow_desktop.__version__)
    app.setDesktopFileName("genoflow")
    app.setWindowIcon(app_icon())
    return app


def results_folder(dirs: AppDirs, settings: core_settings.Settings) -> Path:
    return Path(settings.results_folder) if settings.results_folder else dirs.data / "results"


def build_views(
    *,
    store: StoreAccess,
    runner: TaskRunner,
    settings: core_settings.Settings,
    dirs: AppDirs,
    executors: Executors,
    jobs: JobRunner,
) -> dict[str, View]:
    settings_file = dirs.settings_file
    # Column widths and splitter positions, next to the window's own state.
    ui_state = QSettings(str(dirs.config / STATE_FILE), QSettings.Format.IniFormat)
    return {
        "dashboard": DashboardView(
            store,
            runner,
            data_folder=dirs.data,
            results_folder=results_folder(dirs, settings),
            disk_executor=executors.disk,
        ),
        "upload": UploadView(
            store, runner, executors, settings, executors.upload, ui_state=ui_state
        ),
        "pipelines": PipelinesView(store, runner, jobs, executors),
        "results": ResultsView(
            store,
            runner,
            jobs,
            disk=executors.disk,
            ui_state=ui_state,
        ),
        "settings": SettingsView(settings, settings_file),
    }


class GenoflowApp:
    """Everything one running app owns, created in dependency order and closed in reverse."""

    def __init__(
        self,
        app: QApplication,
        dirs: AppDirs,
        settings: core_settings.Settings,
        store_opener: Callable[[], Store] | None = None,
    ) -> None:
        self.app = app
        self.dirs = dirs
        self.settings = settings
        self.messages = MessageBus()
        self.message_bridge = MessageBridge()
        self.executors = Executors.create(settings.validation_workers)
        self.runner = TaskRunner()
        self.store_access = StoreAccess(
            store_opener or (lambda: _open_store(dirs)), self.executors.db
        )
        self.jobs = JobRunner()
        self.views = build_views(
            store=self.store_access,
            runner=self.runner,
            settings=settings,
            dirs=dirs,
            executors=self.executors,
            jobs=self.jobs,
        )
        self.tray: QSystemTrayIcon | None = None
        self.window = MainWindow(self.views, WindowState(dirs.config), dirs.logs)
        self.validation = ValidationQueue(
            self.runner,
            self.executors.validation,
            self.executors.disk,
            self.store_access,
            dirs.cache / "reports",
        )
        # Started in services_ready(): it reads the configured services from the store.
        self.connectivity = ConnectivityMonitor(self.store_access, self.runner, self.jobs)
        # The status bar's "Online"/"Offline" text; clicking it checks at once.
        self.connectivity_label = ConnectivityIndicator(self.connectivity)
        self.window.statusBar().addPermanentWidget(self.connectivity_label)
        # The lab sync; started in services_ready() (it restores a sign-in from the store).
        # A child of the window: its timers go when the window does.
        self.sync = SyncRunner(
            self.store_access,
            self.runner,
            interval_s=float(settings.sync_interval_seconds),
            idle_timeout_s=settings.sync_idle_timeout_minutes * 60.0,
            parent=self.window,
        )
        self._wire()

    def _wire(self) -> None:
        upload = self.views["upload"]
        assert isinstance(upload, UploadView)
        dashboard = self.views["dashboard"]
        assert isinstance(dashboard, DashboardView)
        settings_view = self.views["settings"]
        assert isinstance(settings_view, SettingsView)

        pipelines = self.views["pipelines"]
        assert isinstance(pipelines, PipelinesView)

        def add_files(files: list[str]) -> None:
            # Folders are scanned off the GUI thread: the files arrive through files_added.
            upload.add_files(files)
            self.window.show_view("upload")

        self.window.files_dropped.connect(add_files)
        upload.files_added.connect(self.validation.check)
        upload.files_added.connect(
            lambda added: self.window.statusBar().showMessage(f"Added {len(added)} file(s)", 5000)
        )
        settings_view.settings_saved.connect(upload.apply_settings)
        results = self.views["results"]
        assert isinstance(results, ResultsView)

        def show_job(job_id: str) -> None:
            results.show_job(job_id)
            self.window.show_view("results")

        pipelines.show_job_requested.connect(show_job)
        dashboard.open_job_requested.connect(show_job)
        self.jobs.job_changed.connect(results.on_job_changed)
        self.jobs.download_progress.connect(results.on_download_progress)
        self.validation.file_progress.connect(upload.show_progress)
        self.validation.file_checked.connect(upload.show_report)
        dashboard.navigate_requested.connect(self.window.show_view)
        settings_view.settings_saved.connect(self._on_settings_saved)
        # Messages may be posted from any thread; the queued signal brings them to the GUI thread.
        self.messages.subscribe(self.message_bridge.posted.emit)
        self.message_bridge.posted.connect(
            lambda message: self.window.statusBar().showMessage(message.text, 8000)
        )
        self.jobs.notified.connect(self._show_notification)
        settings_view.credentials_changed.connect(self.jobs.credentials_changed)
        self.jobs.job_changed.connect(dashboard.on_job_changed)
        # Offline mode: probes and the jobs thread's own requests say what can be reached;
        # the views disable what needs an unreachable service and say why.
        self.jobs.service_reached.connect(self.connectivity.report)
        for view in (upload, pipelines, results):
            self.connectivity.changed.connect(view.on_connectivity_changed)
        self.connectivity_label.check_requested.connect(self.connectivity.check_now)
        upload.check_connectivity_requested.connect(self.connectivity.check_now)
        settings_view.check_connectivity_requested.connect(self.connectivity.check_now)
        pipelines.check_connectivity_requested.connect(self.connectivity.check_now)
        # An upload that failed for a network reason marks its endpoint down; when the monitor
        # sees it answer again, the Upload view resumes the uploads waiting for it.
        upload.s3_unreachable.connect(self.connectivity.report_unreachable)
        # Lab sync: local changes are sent a few seconds later; what a sync brought or sent
        # shows in Results.
        self.jobs.job_changed.connect(self.sync.note_local_change)
        upload.queue.ended.connect(self.sync.note_local_change)
        self.sync.synced.connect(results.on_synced)
        settings_view.settings_saved.connect(self.sync.apply_settings)

    def start_jobs(self) -> None:
        """Follow every unfinished job: after a restart, polling resumes where it stopped.

        Runs on the db executor (it touches the store and waits for the jobs thread to start).
        """
        from genoflow_desktop.core.services.catalog import ensure_builtin_services

        store = self.store_access.store
        with store.session() as session:
            ensure_builtin_services(session)
        self.jobs.start(store, self.settings, results_folder(self.dirs, self.settings))

    def _show_notification(self, level: str, title: str, body: str) -> None:
        """A job ended or needs the user: the status bar, and the desktop's notification area."""
        self.window.statusBar().showMessage(title, 10000)
        if self.tray is None and QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(app_icon(), self.window)
            self.tray.setToolTip("GenoFlow Desktop")
            self.tray.activated.connect(lambda _reason: self.window.activate([]))
            self.tray.show()
        if self.tray is not None:
            icon = {
                "error": QSystemTrayIcon.MessageIcon.Critical,
                "warning": QSystemTrayIcon.MessageIcon.Warning,
            }.get(level, QSystemTrayIcon.MessageIcon.Information)
            self.tray.showMessage(title, body, icon, 10000)

    def services_ready(self) -> None:
        """The store and the jobs thread are up: the Settings view can manage services, and
        the connectivity monitor starts probing them."""
        settings_view = self.views["settings"]
        assert isinstance(settings_view, SettingsView)
        # The S3 access test is a blocking boto3 call: on the disk pool, not the db thread.
        settings_view.attach_services(self.store_access, self.runner, self.executors.disk)
        assert settings_view.services is not None
        self.connectivity.changed.connect(settings_view.services.on_connectivity_changed)
        upload = self.views["upload"]
        assert isinstance(upload, UploadView)
        # A new or changed destination: the Upload view lists it, the monitor probes it.
        settings_view.s3_profiles_changed.connect(upload.refresh)
        settings_view.s3_profiles_changed.connect(self.connectivity.check_now)
        self.connectivity.start()
        from genoflow_desktop.qt.views.settings.sync_panel import SyncPanel

        settings_view.attach_sync(SyncPanel(self.sync, self.runner))
        self.sync.start()

    def _on_settings_saved(self, settings: core_settings.Settings) -> None:
        if settings.theme != self.settings.theme:
            apply_theme(self.app, settings.theme)
        self.settings = settings

    async def aclose(self) -> None:
        """Stop background work, then the executors, then the store (the reverse of creation)."""
        self.connectivity.stop()
        await self.sync.aclose()
        await self.runner.shutdown()
        await asyncio.get_running_loop().run_in_executor(None, self.jobs.stop)
        self.executors.shutdown()
        self.store_access.close()


#: Allocations between two young-generation collections (Python's default is 700).
GC_YOUNG_THRESHOLD = 100_000


def settle_heap() -> None:
    """Start-up is over: keep the garbage collector from stalling the GUI thread from now on.

    A collection holds the GIL, so while it runs no other thread (the GUI thread included) runs
    Python. Checking a VCF makes tens of thousands of short-lived lists per batch; at Python's
    default thresholds they were promoted and set off a full collection every few batches, each
    walking the whole heap: 100-550 ms freezes of the window (bench_heartbeat.py). So:

    - ``gc.freeze()``: everything alive now (modules, classes, the views) lives as long as the
      app, so full collections need not walk it again (Python's docs suggest this after start-up);
    - a larger young generation: a batch's lists die (by reference counting) before a collection
      comes, so they are no longer promoted and full collections become rare.
    """
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])


#: What the first check, report and upload would otherwise import (pysam, numpy, boto3, ...).
ENGINE_MODULES = (
    "genoflow_desktop.core.validation.engine",
    "genoflow_desktop.core.validation.fastq",
    "genoflow_desktop.core.validation.alignment",
    "genoflow_desktop.core.validation.vcf",
    "genoflow_desktop.core.validation.html_report",
    "genoflow_desktop.core.transfer.engine",
)


def warm_up_engines() -> None:
    """Load the engines now, on a worker thread, while the user looks at the first view.

    Loaded on first use instead, their imports (and the parsing of S3's service model) ran
    while files were being checked and uploaded, and froze the window for up to 200 ms.
    """
    import importlib

    for name in ENGINE_MODULES:
        importlib.import_module(name)
    from genoflow_desktop.core.transfer.profiles import warm_up

    warm_up()


def _open_store(dirs: AppDirs) -> Store:
    # Imported on the db thread, after the first paint (see StoreAccess).
    from genoflow_desktop.core.store import open_store

    return open_store(dirs.database)


def _fatal(parent: QWidget | None, message: str, hint: str) -> None:
    """A start-up error the user must read before anything else can happen (a modal is right)."""
    box = QMessageBox(QMessageBox.Icon.Critical, "GenoFlow cannot start", message, parent=parent)
    box.setInformativeText(hint)
    box.exec()


def _route_qt_messages(mode: QtMsgType, context: QMessageLogContext, message: str) -> None:
    """Qt's own diagnostics go to the log file; the user's terminal is not the place for them."""
    level = {
        QtMsgType.QtDebugMsg: logging.DEBUG,
        QtMsgType.QtInfoMsg: logging.INFO,
        QtMsgType.QtWarningMsg: logging.WARNING,
    }.get(mode, logging.ERROR)
    qt_log.log(level, "%s", message, extra=FILE_ONLY)


def run_app(dirs: AppDirs, *, files: list[str], smoke: bool) -> int:
    qInstallMessageHandler(_route_qt_messages)
    app = create_application()
    instance = SingleInstance(dirs.data)
    # --smoke must paint its own window even when the app is already open for this user.
    if not smoke and instance.forward(files):
        return 0

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    crash_handler = CrashHandler(dirs.logs / LOG_FILE_NAME)
    crash_handler.install(loop)

    settings, warnings = core_settings.load(dirs.settings_file)
    apply_theme(app, settings.theme)
    genoflow = GenoflowApp(app, dirs, settings)
    for warning in warnings:
        genoflow.messages.warning(warning)
    if not smoke:
        instance.listen()
        instance.activation_requested.connect(genoflow.window.activate)

    exit_code = 0
    store_ready = asyncio.Event()

    async def open_store_or_quit() -> None:
        nonlocal exit_code
        try:
            await genoflow.store_access.open()
            if not smoke:
                db = genoflow.executors.db
                await asyncio.get_running_loop().run_in_executor(db, genoflow.start_jobs)
                genoflow.services_ready()
                await asyncio.get_running_loop().run_in_executor(db, warm_up_engines)
            settle_heap()  # after the store, the jobs thread and the engines are loaded
        except UserError as error:
            log.error("cannot open the store: %s", error)
            exit_code = 1
            if not smoke:
                _fatal(genoflow.window, error.message, error.hint)
            app.quit()
        store_ready.set()

    if smoke:

        def painted() -> None:
            async def finish() -> None:
                await store_ready.wait()  # opening the store is part of the check (migrations!)
                if genoflow.store_access.is_open:
                    elapsed_ms = (watcher.elapsed or 0) * 1000
                    # The wall-clock time lets a launcher measure from before exec (the bench).
                    print(
                        f"smoke ok: first paint after {elapsed_ms:.0f} ms "
                        f"(first paint at {watcher.painted_at:.6f})"
                    )
                app.quit()

            genoflow.runner.start("smoke", finish())

        def timed_out() -> None:
            nonlocal exit_code
            log.error("--smoke: no paint within %d ms", SMOKE_TIMEOUT_MS)
            exit_code = 1
            app.quit()

        watcher = FirstPaintWatcher(painted)
        # On the application: the first paint may reach a child before the window itself.
        app.installEventFilter(watcher)
        QTimer.singleShot(SMOKE_TIMEOUT_MS, timed_out)

    genoflow.window.show()
    log.info("main window shown")
    # After show(): the first paint comes before the store (and SQLAlchemy) is loaded.
    QTimer.singleShot(0, lambda: genoflow.runner.start("store.open", open_store_or_quit()))
    if files:
        genoflow.window.files_dropped.emit(files)

    quit_requested = asyncio.Event()
    app.aboutToQuit.connect(quit_requested.set)
    with loop:
        try:
            loop.run_until_complete(quit_requested.wait())
        finally:
            genoflow.window.save_state()
            loop.run_until_complete(genoflow.aclose())
            instance.close()
            crash_handler.uninstall()
    return exit_code
