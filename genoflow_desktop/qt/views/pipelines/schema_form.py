"""A form generated from a template's parameter schema, validated while the user types.

One editor per property, by type: a combo box for ``enum``, a check box for booleans, spin boxes
for numbers (bounded by ``minimum``/``maximum``), a line edit with a "Browse…" button for files
and a line edit for other text. Required fields carry a "*". After every change the values are
checked against the schema (:func:`~genoflow_desktop.core.pipelines.schema.field_errors`: cheap,
no I/O) and each message appears under the field it is about, and disappears once fixed.
Resource fields (CPUs, memory, time) are grouped apart, as they ask the server, not the science.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from genoflow_desktop.core.pipelines import schema as schemas

RESOURCE_FIELDS = ("cpus", "memory_gb", "time_h")
_INT_LIMIT = 2**31 - 1


def _set_error(label: QLabel, text: str) -> None:
    label.setText(text)
    label.setVisible(bool(text))


class SchemaField:
    """One property's editor, its inline message and how to read and write its value."""

    def __init__(self, name: str, prop: Mapping[str, Any], required: bool) -> None:
        self.name = name
        self.prop = prop
        self.required = required
        self.title = str(prop.get("title", name))
        self.editor = self._make_editor()
        self.editor.setAccessibleName(self.title)
        self.editor.setAccessibleDescription(str(prop.get("description", "")))
        self.editor.setToolTip(str(prop.get("description", "")))
        self.error = QLabel()
        self.error.setObjectName("fieldError")
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self.error.setAccessibleName(f"{self.title}: problem")
        _set_error(self.error, "")
        self.browse: QPushButton | None = None
        if schemas.is_file(prop):
            self.browse = QPushButton("Browse…")
            self.browse.setAccessibleName(f"Choose the file for {self.title}")

    def _make_editor(self) -> QWidget:
        prop, kind = self.prop, self.prop.get("type")
        default = prop.get("default")
        if "enum" in prop:
            combo = QComboBox()
            if not self.required and default is None:
                combo.addItem("", None)  # "not set"
            for value in prop["enum"]:
                combo.addItem(str(value), value)
            if default is not None:
                combo.setCurrentIndex(combo.findData(default))
            return combo
        if kind == "boolean":
            box = QCheckBox(str(prop.get("title", self.name)))
            box.setChecked(bool(default))
            return box
        # Number fields always have a default (templates.py checks it): a spin box shows one.
        if kind == "integer":
            spin = QSpinBox()
            spin.setRange(
                int(prop.get("minimum", -_INT_LIMIT)), int(prop.get("maximum", _INT_LIMIT))
            )
            spin.setValue(int(prop["default"]))
            return spin
        if kind == "number":
            double = QDoubleSpinBox()
            double.setDecimals(3)
            double.setRange(float(prop.get("minimum", -1e12)), float(prop.get("maximum", 1e12)))
            double.setValue(float(prop["default"]))
            return double
        line = QLineEdit(str(default or ""))
        if "maxLength" in prop:
            line.setMaxLength(int(prop["maxLength"]))
        if schemas.is_file(prop):
            line.setPlaceholderText("A local file, or an https:// or s3:// address")
        return line

    def value(self) -> Any:
        """The value, or None when the field is empty (then it is left out of the values)."""
        editor = self.editor
        if isinstance(editor, QComboBox):
            return editor.currentData()
        if isinstance(editor, QCheckBox):
            return editor.isChecked()
        if isinstance(editor, QSpinBox | QDoubleSpinBox):
            return editor.value()
        assert isinstance(editor, QLineEdit)
        return editor.text().strip() or None

    def set_value(self, value: Any) -> None:
        editor = self.editor
        if isinstance(editor, QComboBox):
            editor.setCurrentIndex(max(editor.findData(value), 0))
        elif isinstance(editor, QCheckBox):
            editor.setChecked(bool(value))
        elif isinstance(editor, QSpinBox):
            editor.setValue(int(value))
        elif isinstance(editor, QDoubleSpinBox):
            editor.setValue(float(value))
        else:
            assert isinstance(editor, QLineEdit)
            editor.setText("" if value is None else str(value))

    def connect_changed(self, slot: Any) -> None:
        editor = self.editor
        if isinstance(editor, QComboBox):
            editor.currentIndexChanged.connect(slot)
        elif isinstance(editor, QCheckBox):
            editor.toggled.connect(slot)
        elif isinstance(editor, QSpinBox | QDoubleSpinBox):
            editor.valueChanged.connect(slot)
        else:
            assert isinstance(editor, QLineEdit)
            editor.textChanged.connect(slot)


class SchemaForm(QWidget):
    """Signals:
    validity_changed(bool): the values went from valid to invalid or back.
    """

    validity_changed = Signal(bool)

    def __init__(self, schema: Mapping[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.schema = schema
        self.fields: dict[str, SchemaField] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        parameters = QFormLayout()
        resources_box = QGroupBox("Resources")
        resources = QFormLayout(resources_box)
        required = schemas.required(schema)
        for name, prop in schemas.properties(schema).items():
            field = SchemaField(name, prop, name in required)
            self.fields[name] = field
            target = resources if name in RESOURCE_FIELDS else parameters
            target.addRow(self._label(field), self._cell(field))
            field.connect_changed(self._on_field_changed)
        # Messages about the whole object (e.g. an unknown key in a preset) have no field.
        self.general_error = QLabel()
        self.general_error.setProperty("role", "error")
        self.general_error.setAccessibleName("Parameters: problem")
        _set_error(self.general_error, "")
        layout.addLayout(parameters)
        if resources.rowCount():
            layout.addWidget(resources_box)
        layout.addWidget(self.general_error)
        self._valid = True
        self.validate()

    @staticmethod
    def _label(field: SchemaField) -> QLabel:
        label = QLabel(field.title + (" *" if field.required else ""))
        label.setBuddy(field.editor)
        if field.required:
            label.setToolTip("Required")
        return label

    def _cell(self, field: SchemaField) -> QWidget:
        cell = QWidget()
        column = QVBoxLayout(cell)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        row = QHBoxLayout()
        row.addWidget(field.editor, 1)
        if field.browse is not None:
            field.browse.clicked.connect(lambda: self._choose_file(field))
            row.addWidget(field.browse)
        column.addLayout(row)
        column.addWidget(field.error)
        return cell

    def _choose_file(self, field: SchemaField) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self,
            field.title,
            "",
            f"{field.prop.get('x-file-filter', '')};;All files (*)".lstrip(";"),
        )
        if name:
            field.set_value(name)

    def values(self) -> dict[str, Any]:
        """The values as the schema sees them: empty fields are left out."""
        return {name: v for name, field in self.fields.items() if (v := field.value()) is not None}

    def set_values(self, values: Mapping[str, Any]) -> None:
        """Put ``values`` into their fields (others keep theirs), then validate once."""
        for name, value in values.items():
            if name in self.fields:
                field = self.fields[name]
                field.editor.blockSignals(True)
                field.set_value(value)
                field.editor.blockSignals(False)
        self.validate()

    @property
    def is_valid(self) -> bool:
        return self._valid

    @Slot()
    def _on_field_changed(self) -> None:
        self.validate()

    def validate(self) -> dict[str, str]:
        """Check the values now; show each message next to its field; return the messages."""
        errors = schemas.field_errors(self.schema, self.values())
        for name, field in self.fields.items():
            _set_error(field.error, errors.get(name, ""))
        _set_error(self.general_error, errors.get(schemas.GENERAL, ""))
        valid = not errors
        if valid != self._valid:
            self._valid = valid
            self.validity_changed.emit(valid)
        return errors
