"""What every main view shares: a header, a body, and a hook for when it is shown."""

from __future__ import annotations

from typing import ClassVar

from PySide6.QtWidgets import QVBoxLayout, QWidget

from genoflow_desktop.qt.widgets.page_header import PageHeader


class View(QWidget):
    """A main view. Subclasses set the class attributes and fill :attr:`body`."""

    title: ClassVar[str]
    subtitle: ClassVar[str]
    icon_name: ClassVar[str]

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"{type(self).__name__}")
        self.header = PageHeader(self.title, self.subtitle)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.addWidget(self.header)
        self.body = QVBoxLayout()
        layout.addLayout(self.body, 1)

    def on_shown(self) -> None:
        """Called each time the user navigates to this view; refresh what may be stale."""
