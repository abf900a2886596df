"""A friendly placeholder for a list or table that has nothing to show yet."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from genoflow_desktop.qt.icons import icon


class EmptyState(QWidget):
    def __init__(
        self, icon_name: str, title: str, text: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        picture = QLabel()
        picture.setPixmap(icon(icon_name).pixmap(48, 48, mode=icon(icon_name).Mode.Disabled))
        picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        heading = QLabel(f"<b>{title}</b>")
        heading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text = QLabel(text)
        self.text.setObjectName("emptyStateText")
        self.text.setWordWrap(True)
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        for widget in (picture, heading, self.text):
            layout.addWidget(widget)
        layout.addStretch(2)
