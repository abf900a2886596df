"""The dialog shown when GenoFlow hits a bug: what happened, where the details are, what next."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
)


class CrashDialog(QDialog):
    def __init__(self, summary: str, details: str, log_file: Path | None) -> None:
        super().__init__()
        self.setWindowTitle("GenoFlow hit a problem")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setMinimumWidth(560)
        self._log_file = log_file

        intro = QLabel(
            "<b>Something went wrong that GenoFlow did not expect.</b><br>"
            "Your files and your job history are safe. You can keep working, or quit and start "
            "GenoFlow again. If it happens again, please send us the details below"
            + (f" or the log file <code>{log_file}</code>." if log_file else ".")
        )
        intro.setWordWrap(True)
        intro.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary_label = QLabel(summary)
        self.summary_label.setWordWrap(True)
        self.details = QPlainTextEdit(details)
        self.details.setReadOnly(True)
        self.details.setAccessibleName("Error details")
        self.details.setMinimumHeight(180)

        buttons = QDialogButtonBox()
        copy = QPushButton("Copy details")
        copy.clicked.connect(self._on_copy_clicked)
        buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        if log_file is not None:
            open_logs = QPushButton("Open log folder")
            open_logs.clicked.connect(self._on_open_logs_clicked)
            buttons.addButton(open_logs, QDialogButtonBox.ButtonRole.ActionRole)
        quit_button = buttons.addButton(
            "Quit GenoFlow", QDialogButtonBox.ButtonRole.DestructiveRole
        )
        quit_button.clicked.connect(QApplication.quit)
        keep = buttons.addButton("Keep working", QDialogButtonBox.ButtonRole.AcceptRole)
        keep.setDefault(True)
        buttons.accepted.connect(self.accept)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.details)
        layout.addWidget(buttons)

    def add_report(self, summary: str, details: str) -> None:
        """A further error while the dialog is open: append instead of stacking dialogs."""
        self.summary_label.setText(f"{self.summary_label.text()}\n{summary}")
        self.details.appendPlainText("\n" + details)

    @Slot()
    def _on_copy_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self.details.toPlainText())

    @Slot()
    def _on_open_logs_clicked(self) -> None:
        if self._log_file is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self._log_file.parent)))
