"""Settings: the user's preferences, as a form generated from the typed settings model."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from genoflow_desktop.core import settings as core_settings
from genoflow_desktop.qt.views.base import View
from genoflow_desktop.qt.views.settings.services_panel import ServicesPanel

if TYPE_CHECKING:
    from genoflow_desktop.qt.workers.store_access import StoreAccess
    from genoflow_desktop.qt.workers.task_runner import TaskRunner

LABELS = {
    "validation_workers": "Files checked at once",
    "upload_concurrency": "Parallel parts per upload",
    "part_size_mib": "Upload part size",
    "bandwidth_limit_kib_s": "Upload bandwidth limit",
    "poll_interval_s": "Job status check every",
    "notifications": "Desktop notifications",
    "notification_email": "E-mail results to",
    "theme": "Theme",
    "log_level": "Log detail",
    "smtp_host": "SMTP server",
    "smtp_port": "SMTP port",
    "smtp_security": "SMTP security",
    "smtp_username": "SMTP user name",
    "smtp_sender": "E-mail sender",
    "results_folder": "Results folder",
}
SUFFIXES = {"part_size_mib": " MiB", "bandwidth_limit_kib_s": " KiB/s", "poll_interval_s": " s"}


def editor_for(spec: dataclasses.Field[Any], value: Any) -> QWidget:
    meta = spec.metadata
    if spec.type == "bool":
        box = QCheckBox()
        box.setChecked(value)
        return box
    if spec.type == "int":
        spin = QSpinBox()
        spin.setRange(meta.get("minimum", 0), meta.get("maximum", 2**31 - 1))
        spin.setValue(value)
        spin.setSuffix(SUFFIXES.get(spec.name, ""))
        if spec.name == "bandwidth_limit_kib_s":
            spin.setSpecialValueText("No limit")
        return spin
    if "choices" in meta:
        combo = QComboBox()
        for choice in meta["choices"]:
            combo.addItem(choice.capitalize(), choice)
        combo.setCurrentIndex(combo.findData(value))
        return combo
    line = QLineEdit(value)
    return line


def editor_value(editor: QWidget) -> Any:
    if isinstance(editor, QCheckBox):
        return editor.isChecked()
    if isinstance(editor, QSpinBox):
        return editor.value()
    if isinstance(editor, QComboBox):
        return editor.currentData()
    assert isinstance(editor, QLineEdit)
    return editor.text().strip()


class SettingsView(View):
    """Signals:
    settings_saved(object): the new :class:`~genoflow_desktop.core.settings.Settings`, after saving.
    credentials_changed(str): a token of this service was saved or removed.
    """

    title = "Settings"
    subtitle = "Defaults for checking, uploading and following jobs. Tokens are kept in your system keychain."
    icon_name = "settings"

    settings_saved = Signal(object)
    credentials_changed = Signal(str)

    def __init__(
        self, settings: core_settings.Settings, path: Any, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._path = path
        self.editors: dict[str, QWidget] = {}
        form = QFormLayout()
        for spec in dataclasses.fields(core_settings.Settings):
            if spec.name == "schema_version":
                continue
            editor = editor_for(spec, getattr(settings, spec.name))
            editor.setToolTip(spec.metadata["description"])
            editor.setAccessibleName(LABELS.get(spec.name, spec.name))
            self.editors[spec.name] = editor
            form.addRow(LABELS.get(spec.name, spec.name), editor)
        # Full-width spin boxes look odd on a wide window: keep the form at a readable width.
        form_box = QWidget()
        form_box.setMaximumWidth(640)
        form_box.setLayout(form)
        buttons = QHBoxLayout()
        self.saved_label = QLabel()
        self.save_button = QPushButton("Save")
        self.save_button.setShortcut("Ctrl+S")
        self.save_button.clicked.connect(self._on_save_button_clicked)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.saved_label, 1)
        # Services, then the preferences, in one scrolling page: it outgrows small windows.
        content = QWidget()
        self.content = QVBoxLayout(content)
        self.content.setContentsMargins(0, 0, 12, 0)
        self.content.addWidget(form_box)
        self.content.addLayout(buttons)
        self.content.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        self.body.addWidget(scroll, 1)
        self.services: ServicesPanel | None = None

    def attach_services(self, store: StoreAccess, runner: TaskRunner) -> None:
        """Add the services panel once the store is open (it lists what the store holds)."""
        if self.services is not None:
            return
        self.services = ServicesPanel(store, runner)
        self.services.credentials_changed.connect(self.credentials_changed)
        self.content.insertWidget(0, self.services)

    def current(self) -> core_settings.Settings:
        values = {name: editor_value(editor) for name, editor in self.editors.items()}
        settings, _ = core_settings.from_dict(values)
        return settings

    @Slot()
    def _on_save_button_clicked(self) -> None:
        settings = self.current()
        core_settings.save(settings, self._path)
        self.saved_label.setText("Saved.")
        self.settings_saved.emit(settings)
