"""The main window: navigation between the views, menus, status bar. A shell only: the views do
the work, and app.py wires them to the engines."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QUrl, Signal, Slot
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QWidget,
)

import genoflow_desktop
from genoflow_desktop.qt.icons import app_icon, icon
from genoflow_desktop.qt.views.base import View
from genoflow_desktop.qt.window_state import WindowState

log = logging.getLogger(__name__)

FILE_FILTER = (
    "Sequencing files (*.fastq *.fq *.fastq.gz *.fq.gz *.bam *.cram *.sam *.vcf *.vcf.gz *.bcf);;"
    "All files (*)"
)


class MainWindow(QMainWindow):
    """Signals:
    files_dropped(list): files dropped on the window or picked with File > Add files.
    view_changed(str): the user navigated to the view with this key.
    """

    files_dropped = Signal(list)
    view_changed = Signal(str)

    def __init__(self, views: dict[str, View], state: WindowState, log_dir: Path) -> None:
        super().__init__()
        self.setWindowTitle("GenoFlow Desktop")
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.views = views
        self._state = state
        self._log_dir = log_dir

        self.navigation = QListWidget()
        self.navigation.setObjectName("navigation")
        self.navigation.setAccessibleName("Views")
        self.navigation.setIconSize(QSize(22, 22))
        self.navigation.setFixedWidth(184)
        self.stack = QStackedWidget()
        for key, view in views.items():
            item = QListWidgetItem(icon(view.icon_name), view.title)
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setSizeHint(QSize(0, 40))
            self.navigation.addItem(item)
            self.stack.addWidget(view)
        self.navigation.currentRowChanged.connect(self._on_navigation_current_row_changed)

        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.navigation)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self._build_menus()
        self.version_label = QLabel(f"GenoFlow {genoflow_desktop.__version__}")
        self.statusBar().addPermanentWidget(self.version_label)
        self.statusBar().showMessage("Ready", 5000)

        if state.geometry is not None:
            self.restoreGeometry(state.geometry)
        else:
            self.resize(1180, 760)
        if state.state is not None:
            self.restoreState(state.state)
        self.show_view(state.current_view if state.current_view in views else next(iter(views)))

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.add_files_action = QAction("&Add files…", self)
        self.add_files_action.setShortcut(QKeySequence.StandardKey.Open)
        self.add_files_action.triggered.connect(self._on_add_files_triggered)
        file_menu.addAction(self.add_files_action)
        file_menu.addSeparator()
        self.quit_action = QAction("&Quit", self)
        self.quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.quit_action.triggered.connect(self.close)
        file_menu.addAction(self.quit_action)

        view_menu = self.menuBar().addMenu("&View")
        self.view_actions: dict[str, QAction] = {}
        for number, (key, view) in enumerate(self.views.items(), start=1):
            action = QAction(icon(view.icon_name), view.title, self)
            action.setShortcut(QKeySequence(f"Ctrl+{number}"))
            action.triggered.connect(lambda _=False, k=key: self.show_view(k))
            view_menu.addAction(action)
            self.view_actions[key] = action

        help_menu = self.menuBar().addMenu("&Help")
        self.open_logs_action = QAction("Open &log folder", self)
        self.open_logs_action.triggered.connect(self._on_open_logs_triggered)
        help_menu.addAction(self.open_logs_action)
        self.about_action = QAction("&About GenoFlow", self)
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.about_action.triggered.connect(self._on_about_triggered)
        help_menu.addAction(self.about_action)

    @property
    def current_view_key(self) -> str:
        return list(self.views)[max(0, self.stack.currentIndex())]

    def show_view(self, key: str) -> None:
        self.navigation.setCurrentRow(list(self.views).index(key))

    @Slot(int)
    def _on_navigation_current_row_changed(self, row: int) -> None:
        if row < 0:
            return
        self.stack.setCurrentIndex(row)
        key = list(self.views)[row]
        self.views[key].on_shown()
        self.view_changed.emit(key)

    @Slot(list)
    def activate(self, files: list[str]) -> None:
        """Bring the window to the front (another launch asked for it), adding ``files`` if any."""
        log.info("another launch asked for the window, with %d file(s)", len(files))
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()
        if files:
            self.files_dropped.emit(files)

    @Slot()
    def _on_add_files_triggered(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Add files", "", FILE_FILTER)
        if files:
            self.files_dropped.emit(files)

    @Slot()
    def _on_open_logs_triggered(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self._log_dir)))

    @Slot()
    def _on_about_triggered(self) -> None:
        # Imported when asked for: it reads every package's version (importlib.metadata),
        # ~20 ms that start-up need not pay.
        from genoflow_desktop.qt.dialogs.about_dialog import AboutDialog

        AboutDialog(self).exec()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        files = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if files:
            event.acceptProposedAction()
            self.files_dropped.emit(files)

    def save_state(self) -> None:
        self._state.save(self.saveGeometry(), self.saveState(), self.current_view_key)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_state()
        super().closeEvent(event)
