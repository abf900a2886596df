"""The detail pane of the Results view: one job's state, history, step messages and files.

It only renders a :class:`~genoflow_desktop.core.jobs.details.JobDetail` and announces what the
user asks for; the view does the work (store, jobs thread, disk).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QMenu,
    QProgressBar,
    QPushButton,
    QStyle,
    QTabWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from genoflow_desktop.core.jobs.details import JobDetail, retention_text
from genoflow_desktop.core.units import human_size
from genoflow_desktop.qt.models.job_table_model import format_time
from genoflow_desktop.qt.widgets.read_only_list import read_only_list


def lab_reason(owner: str) -> str:
    """Why a job pulled from the lab has no actions here."""
    return f"This job belongs to {owner}; only they can act on it."


class JobDetailPane(QWidget):
    """Signals:
    open_folder_requested(): open the job's folder.
    cancel_requested(): cancel the job (after the user confirmed).
    download_requested(): download the results again.
    export_results_requested(bool): export the results; True for a .zip, False for a folder.
    """

    open_folder_requested = Signal()
    cancel_requested = Signal()
    download_requested = Signal()
    export_results_requested = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.detail: JobDetail | None = None
        #: The owner's name when the job is another member's, pulled from the lab (read-only).
        self.lab_owner: str | None = None
        self.title = QLabel()
        self.title.setObjectName("detailTitle")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.facts = QLabel()
        self.facts.setWordWrap(True)
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Job progress")
        self.progress.setMaximumHeight(14)
        self.problem = QLabel()
        self.problem.setObjectName("inlineError")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #d13438;")
        self.retention = QLabel()

        self.open_folder = QPushButton("Open folder")
        self.open_folder.setToolTip("Open the job's results folder (Enter)")
        self.cancel = QPushButton("Cancel job")
        self.cancel.setToolTip("Ask the server to stop this job (Del)")
        self.download = QPushButton("Download again")
        self.export = QPushButton("Export results")
        export_menu = QMenu(self.export)
        export_menu.addAction("To a folder…", lambda: self.export_results_requested.emit(False))
        export_menu.addAction("As a .zip file…", lambda: self.export_results_requested.emit(True))
        self.export.setMenu(export_menu)
        for button in (self.open_folder, self.cancel, self.download, self.export):
            button.setAccessibleName(button.text())
        self.open_folder.clicked.connect(self.open_folder_requested)
        self.cancel.clicked.connect(self.cancel_requested)
        self.download.clicked.connect(self.download_requested)
        #: Why network actions are off (the jobs thread is not running).
        self.status = QLabel()
        self.status.setWordWrap(True)
        #: What a download or export is doing, or how it ended.
        self.task = QLabel()
        self.task.setWordWrap(True)
        self.busy = QProgressBar()
        self.busy.setAccessibleName("Download progress")
        self.busy.setMaximumHeight(10)
        self.busy.hide()

        buttons = QHBoxLayout()
        for button in (self.open_folder, self.cancel, self.download, self.export):
            buttons.addWidget(button)
        buttons.addStretch(1)

        self.history = read_only_list(["Time", "State", "Message"], "Status history")
        self.messages = read_only_list(["Step", "Message"], "Step messages")
        self.files = read_only_list(["Name", "Size", "SHA-256"], "Result files")
        self.files.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.files.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        copy = QAction("Copy SHA-256", self.files)
        copy.setShortcut(QKeySequence.StandardKey.Copy)
        copy.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        copy.triggered.connect(self.copy_checksums)
        self.files.addAction(copy)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.history, "History")
        self.tabs.addTab(self.messages, "Messages")
        self.tabs.addTab(self.files, "Files")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        for widget in (self.title, self.facts, self.progress, self.problem, self.retention):
            layout.addWidget(widget)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(self.task)
        layout.addWidget(self.busy)
        layout.addWidget(self.tabs, 1)
        self.show_detail(None)

    def show_detail(
        self, detail: JobDetail | None, *, lab_owner: str | None = None, service: str = ""
    ) -> None:
        """Show ``detail``; ``lab_owner`` names the owner of a job from the lab (no actions),
        ``service`` names its service when the store has no service row for it (lab jobs)."""
        if detail is None or self.detail is None or detail.id != self.detail.id:
            self.task.clear()
            self.task.hide()
        self.detail = detail
        self.lab_owner = lab_owner if detail is not None else None
        for tree in (self.history, self.messages, self.files):
            tree.clear()
        self.title.setText(f"<b>{detail.name}</b>" if detail else "No job selected")
        self.title.setTextFormat(Qt.TextFormat.RichText if detail else Qt.TextFormat.PlainText)
        for widget in (self.facts, self.progress, self.problem, self.retention):
            widget.setVisible(detail is not None)
        if detail is None:
            self.set_actions(network_reason="", busy=False)
            return
        facts = [detail.service or service or "no service", detail.state.replace("_", " ")]
        if lab_owner is not None:
            facts.insert(0, f"{lab_owner}'s job, from the lab")
        if detail.remote_state:
            facts.append(f"server state {detail.remote_state}")
        if detail.remote_id:
            facts.append(f"server id {detail.remote_id}")
        if detail.queue_position is not None:
            facts.append(f"position {detail.queue_position} in the queue")
        self.facts.setText(" · ".join(facts))
        self.progress.setVisible(not detail.finished and detail.progress is not None)
        self.progress.setValue(round((detail.progress or 0) * 100))
        problem = detail.error or detail.attention or ""
        self.problem.setText(problem)
        self.problem.setVisible(bool(problem))
        retention = retention_text(detail.results_expire_at)
        self.retention.setText(retention.capitalize())
        self.retention.setVisible(bool(retention))

        for event in detail.history:
            QTreeWidgetItem(
                self.history,
                [format_time(event.at.timestamp()), event.state.replace("_", " "), event.message],
            )
        style = self.style()
        icons = {
            "error": style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical),
            "warning": style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning),
        }
        info = style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation)
        for message in detail.messages:
            item = QTreeWidgetItem(self.messages, [message.step, message.text])
            item.setIcon(0, icons.get(message.level, info))
            item.setToolTip(0, message.level)
        for result in detail.results:
            item = QTreeWidgetItem(
                self.files, [result.name, human_size(result.size), result.sha256]
            )
            item.setToolTip(0, result.path)
            item.setData(0, Qt.ItemDataRole.UserRole, result.path)
        self.tabs.setTabText(2, f"Files ({len(detail.results)})")

    def set_actions(self, *, network_reason: str, busy: bool) -> None:
        """Enable what makes sense for the job; network actions need the jobs thread, and a
        job from the lab has none here (its owner's machine follows it)."""
        detail = self.detail
        mine = self.lab_owner is None
        reason = network_reason if mine else lab_reason(self.lab_owner or "")
        ready = mine and not network_reason and not busy
        self.open_folder.setEnabled(bool(detail and detail.output_dir))
        self.cancel.setEnabled(bool(detail and not detail.finished and ready))
        self.download.setEnabled(bool(detail and detail.remote_id and ready))
        self.export.setEnabled(bool(detail and detail.results and not busy))
        for button in (self.cancel, self.download):
            button.setAccessibleDescription(reason if not button.isEnabled() else "")
        self.status.setText(reason if detail else "")
        self.status.setVisible(bool(detail and reason))
        self.busy.setVisible(busy)

    def show_task(self, text: str, fraction: float | None) -> None:
        """A download or export runs: show its progress (a busy bar when unknown); after
        :meth:`set_actions` with ``busy=False`` the bar hides and the text stays."""
        self.busy.setRange(0, 0 if fraction is None else 1000)
        if fraction is not None:
            self.busy.setValue(round(fraction * 1000))
        self.busy.show()
        self.task.setText(text)
        self.task.show()

    def show_error(self, text: str) -> None:
        """An action failed: say so inline, in plain words."""
        self.problem.setText(text)
        self.problem.setVisible(bool(text))

    def copy_checksums(self) -> None:
        rows = [f"{i.text(2)}  {i.text(0)}" for i in self.files.selectedItems()]
        if rows:
            QGuiApplication.clipboard().setText("\n".join(rows))
