"""Pipelines: configure WGS/WES/targeted workflows and imputation jobs, and their presets."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from genoflow_desktop.qt.views.base import View
from genoflow_desktop.qt.widgets.empty_state import EmptyState


class PipelinesView(View):
    title = "Pipelines"
    subtitle = "Set up imputation jobs and sequencing workflows, and keep your settings as presets."
    icon_name = "pipelines"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.empty = EmptyState(
            "pipelines",
            "No services set up",
            "Add an imputation server or a workflow (WES) service in Settings to configure jobs here.",
        )
        self.body.addWidget(self.empty, 1)
