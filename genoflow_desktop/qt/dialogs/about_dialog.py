"""Help > About: what this is, and the versions a bug report needs."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from genoflow_desktop.core.versions import component_versions
from genoflow_desktop.qt.icons import app_icon


def versions_html(versions: dict[str, str]) -> str:
    rows = "".join(
        f"<tr><td style='padding-right:12px'>{name}</td><td>{value}</td></tr>"
        for name, value in versions.items()
    )
    return f"<table>{rows}</table>"


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About GenoFlow Desktop")
        self.versions = component_versions()
        logo = QLabel()
        logo.setPixmap(app_icon().pixmap(72, 72))
        logo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title = QLabel(f"<h2>GenoFlow Desktop {self.versions['GenoFlow']}</h2>")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        blurb = QLabel(
            "Validate and QC sequencing and genotype files, upload them to S3, and run "
            "imputation and workflow jobs on remote services."
        )
        blurb.setWordWrap(True)
        table = QLabel(versions_html(self.versions))
        table.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (logo, title, blurb, table, buttons):
            layout.addWidget(widget)
