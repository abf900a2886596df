"""Dashboard: what is going on right now, read from the local store."""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from genoflow_desktop.core.domain.records import StoreSummary
from genoflow_desktop.qt.views.base import View
from genoflow_desktop.qt.workers.store_access import StoreAccess
from genoflow_desktop.qt.workers.task_runner import TaskRunner


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


class DashboardView(View):
    """Signals:
    navigate_requested(str): a quick action asks for another view ("upload", "pipelines", "results").
    """

    title = "Dashboard"
    subtitle = "Jobs, uploads and files at a glance."
    icon_name = "dashboard"

    navigate_requested = Signal(str)

    def __init__(
        self, store: StoreAccess, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._runner = runner
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
            grid.addWidget(card, index // 3, index % 3)
        self.body.addLayout(grid)

        actions = QHBoxLayout()
        for label, target in (
            ("New upload", "upload"),
            ("New job", "pipelines"),
            ("Open results", "results"),
        ):
            button = QPushButton(label)
            button.setObjectName("quickAction")
            button.clicked.connect(lambda _=False, t=target: self.navigate_requested.emit(t))
            actions.addWidget(button)
        actions.addStretch(1)
        self.body.addSpacing(12)
        self.body.addLayout(actions)
        self.body.addStretch(1)

    def on_shown(self) -> None:
        self._runner.start("dashboard.refresh", self._refresh())

    async def _refresh(self) -> None:
        from genoflow_desktop.core.store import repositories  # loads SQLAlchemy: not at start-up

        result = await self._store.run(repositories.summary)
        self._show_summary(result)

    @Slot(object)
    def _show_summary(self, summary: StoreSummary) -> None:
        for name, card in self.cards.items():
            card.set_value(getattr(summary, name))
