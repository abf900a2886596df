"""The sample-sheet mapping dialog: which of the sheet's columns holds which of our fields.

A decision, so a modal dialog: the columns start as :func:`guess_mapping` guessed them, and a
live line tells how many of the listed files the rows match with the current choice.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from genoflow_desktop.core.samplesheet import (
    FIELDS,
    SampleSheet,
    SheetMatch,
    guess_mapping,
    match_files,
)

NONE_TEXT = "(not in this sheet)"


class SampleSheetDialog(QDialog):
    def __init__(
        self,
        sheet: SampleSheet,
        paths: Sequence[str],
        name: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Import {name}")
        self._sheet = sheet
        self._paths = list(paths)
        guessed = guess_mapping(sheet.headers)
        form = QFormLayout()
        self.columns: dict[str, QComboBox] = {}
        for key, label in FIELDS.items():
            combo = QComboBox()
            combo.setAccessibleName(f"Column for {label}")
            combo.addItem(NONE_TEXT, None)
            for header in sheet.headers:
                combo.addItem(header, header)
            combo.setCurrentIndex(max(0, combo.findData(guessed[key])))
            combo.currentIndexChanged.connect(self._on_column_current_index_changed)
            self.columns[key] = combo
            form.addRow(label, combo)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Files matched")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(f"{len(sheet.rows)} row(s). Choose the column that holds each detail:")
        )
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(buttons)
        self._on_column_current_index_changed()

    def mapping(self) -> dict[str, str | None]:
        return {key: combo.currentData() for key, combo in self.columns.items()}

    def match(self) -> SheetMatch:
        return match_files(self._sheet, self.mapping(), self._paths)

    @Slot()
    def _on_column_current_index_changed(self) -> None:
        self.summary.setText(summary_text(self.match(), len(self._paths)))


def summary_text(match: SheetMatch, listed: int) -> str:
    """One paragraph on what the import did (or would do), for the dialog and the form."""
    lines = [f"Matches {len(match.metadata)} of {listed} listed file(s)."]
    if match.unmatched:
        shown = ", ".join(match.unmatched[:5]) + (" …" if len(match.unmatched) > 5 else "")
        lines.append(f"Not in the list: {shown}")
    lines.extend(match.problems[:5])
    return "\n".join(lines)
