"""The metadata form: sample, project and sequencing details for the selected files."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from genoflow_desktop.core.samplesheet import PLATFORMS, SEQUENCING_TYPES, SampleMetadata

ERROR_STYLE = "color: #c53030;"


class MetadataForm(QGroupBox):
    """Signals:
    apply_requested(object): the user applies this :class:`SampleMetadata` to the selection.
    import_requested(): the user wants to import a sample sheet.
    """

    apply_requested = Signal(object)
    import_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Sample details", parent)
        self.sample_id = QLineEdit()
        self.sample_id.setPlaceholderText("e.g. NA12878")
        self.project = QLineEdit()
        self.project.setPlaceholderText("e.g. PRJ-001")
        self.sequencing_type = QComboBox()
        self.sequencing_type.addItem("", "")
        for kind in SEQUENCING_TYPES:
            self.sequencing_type.addItem(kind, kind)
        self.platform = QComboBox()
        self.platform.setEditable(True)  # labs run instruments this list does not name
        self.platform.addItems(["", *PLATFORMS])
        self.library_prep = QLineEdit()
        self.library_prep.setPlaceholderText("e.g. TruSeq DNA PCR-Free")
        self.date = QLineEdit()
        self.date.setPlaceholderText("YYYY-MM-DD")
        form = QFormLayout()
        for label, widget in (
            ("&Sample ID", self.sample_id),
            ("&Project", self.project),
            ("Sequencing &type", self.sequencing_type),
            ("P&latform", self.platform),
            ("Library pr&ep", self.library_prep),
            ("&Date", self.date),
        ):
            widget.setAccessibleName(label.replace("&", ""))
            form.addRow(label, widget)
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.error.setAccessibleName("Sample details problems")
        self.error.hide()
        self.apply_button = QPushButton("&Apply to selected files")
        self.apply_button.setEnabled(False)
        self.apply_button.clicked.connect(self._on_apply_button_clicked)
        self.import_button = QPushButton("I&mport sample sheet…")
        self.import_button.setToolTip(
            "Read sample ids, projects and sequencing details from a CSV, matched to the files "
            "by name (or by sample id)."
        )
        self.import_button.clicked.connect(self.import_requested)
        self.sheet_result = QLabel()
        self.sheet_result.setWordWrap(True)
        self.sheet_result.setAccessibleName("Sample sheet import result")
        self.sheet_result.hide()
        buttons = QHBoxLayout()
        buttons.addWidget(self.apply_button)
        buttons.addWidget(self.import_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        layout.addWidget(self.sheet_result)

    def set_selection(self, metadata: list[SampleMetadata]) -> None:
        """Show the selected files' metadata: one file's values, or those all files share."""
        self.apply_button.setEnabled(bool(metadata))
        self.error.hide()

        def shared(name: str) -> str:
            values = {getattr(m, name) for m in metadata}
            value = values.pop() if len(values) == 1 else None
            return "" if value is None else str(value)

        self.sample_id.setText(shared("sample_id"))
        self.project.setText(shared("project"))
        self.sequencing_type.setCurrentIndex(
            max(0, self.sequencing_type.findData(shared("sequencing_type")))
        )
        self.platform.setCurrentText(shared("platform"))
        self.library_prep.setText(shared("library_prep"))
        self.date.setText(shared("sequencing_date"))

    def metadata(self) -> SampleMetadata:
        """The form's values.

        Raises:
            ValueError: the date is not a date.
        """
        text = self.date.text().strip()
        return SampleMetadata(
            sample_id=self.sample_id.text().strip(),
            project=self.project.text().strip(),
            sequencing_type=self.sequencing_type.currentData() or "",
            platform=self.platform.currentText().strip(),
            library_prep=self.library_prep.text().strip(),
            sequencing_date=date.fromisoformat(text) if text else None,
        )

    def show_sheet_result(self, text: str, *, problem: bool) -> None:
        self.sheet_result.setText(text)
        self.sheet_result.setStyleSheet(ERROR_STYLE if problem else "")
        self.sheet_result.setVisible(bool(text))

    @Slot()
    def _on_apply_button_clicked(self) -> None:
        try:
            metadata = self.metadata()
        except ValueError:
            problems = [f"'{self.date.text()}' is not a date: use YYYY-MM-DD."]
        else:
            problems = metadata.problems()
        if problems:
            self.error.setText("\n".join(problems))
            self.error.show()
            return
        self.error.hide()
        self.apply_requested.emit(metadata)
