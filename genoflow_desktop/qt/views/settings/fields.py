"""The preference fields of the Settings view: sections, labels, editors and inline checks.

Editors are generated from the typed :class:`~genoflow_desktop.core.settings.Settings` model;
this module only says how they are grouped and worded. A setting added to the model but not to
any section still shows, under "Other", so nothing becomes unreachable.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QLineEdit, QSpinBox, QWidget

from genoflow_desktop.core import settings as core_settings

#: (section title, the settings it holds, in order). The services and S3 panels are sections of
#: their own, placed before these by the view.
SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Transfers",
        ("validation_workers", "upload_concurrency", "part_size_mib", "bandwidth_limit_kib_s"),
    ),
    ("Jobs", ("poll_interval_s", "results_folder")),
    (
        "Notifications and e-mail",
        (
            "notifications",
            "notification_email",
            "smtp_host",
            "smtp_port",
            "smtp_security",
            "smtp_username",
            "smtp_sender",
        ),
    ),
    ("Lab sync", ("sync_interval_seconds", "sync_idle_timeout_minutes")),
    ("Appearance", ("theme",)),
    ("Diagnostics", ("log_level",)),
)
OTHER = "Other"

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
    "sync_interval_seconds": "Sync with the lab every",
    "sync_idle_timeout_minutes": "Forget an idle lab sign-in after",
}
SUFFIXES = {
    "part_size_mib": " MiB",
    "bandwidth_limit_kib_s": " KiB/s",
    "poll_interval_s": " s",
    "sync_interval_seconds": " s",
    "sync_idle_timeout_minutes": " min",
}
#: What a spin box shows at its minimum when that value means "off".
SPECIAL_VALUES = {"bandwidth_limit_kib_s": "No limit", "sync_interval_seconds": "Only when asked"}
#: Choice texts where capitalising the stored value would read wrongly.
CHOICE_TEXTS = {"starttls": "STARTTLS", "ssl": "SSL/TLS", "none": "None (plain text)"}
PLACEHOLDERS = {
    "notification_email": "you@lab.example.org (empty: no e-mail)",
    "smtp_host": "smtp.lab.example.org",
    "smtp_sender": "Default: the SMTP user name",
    "results_folder": "Default: 'results' in the data folder",
}
#: Kept red on both themes (readable on the light and the dark window colour).
ERROR_COLOR = "#d13438"

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def label(name: str) -> str:
    return LABELS.get(name, name.replace("_", " ").capitalize())


def sections() -> list[tuple[str, list[dataclasses.Field[Any]]]]:
    """The sections with the model's fields, plus "Other" for fields no section names."""
    specs = {
        f.name: f for f in dataclasses.fields(core_settings.Settings) if f.name != "schema_version"
    }
    grouped = [(title, [specs[n] for n in names if n in specs]) for title, names in SECTIONS]
    placed = {name for _, names in SECTIONS for name in names}
    rest = [spec for name, spec in specs.items() if name not in placed]
    return [(title, fields) for title, fields in [*grouped, (OTHER, rest)] if fields]


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
        if spec.name in SPECIAL_VALUES:
            spin.setSpecialValueText(SPECIAL_VALUES[spec.name])
        return spin
    if "choices" in meta:
        combo = QComboBox()
        for choice in meta["choices"]:
            combo.addItem(CHOICE_TEXTS.get(choice, choice.capitalize()), choice)
        combo.setCurrentIndex(combo.findData(value))
        return combo
    line = QLineEdit(value)
    line.setPlaceholderText(PLACEHOLDERS.get(spec.name, ""))
    line.setClearButtonEnabled(True)
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


def set_editor_value(editor: QWidget, value: Any) -> None:
    if isinstance(editor, QCheckBox):
        editor.setChecked(value)
    elif isinstance(editor, QSpinBox):
        editor.setValue(value)
    elif isinstance(editor, QComboBox):
        editor.setCurrentIndex(editor.findData(value))
    elif isinstance(editor, QLineEdit):
        editor.setText(value)


def problems(values: dict[str, Any]) -> dict[str, str]:
    """What is wrong with the form's values, by setting name (empty when they can be saved).

    The model checks types and ranges (the editors already keep to them); these are the
    mistakes only a person makes: a malformed address, or e-mail without a server to send it.
    """
    found: dict[str, str] = {}
    for name in ("notification_email", "smtp_sender"):
        text = values.get(name, "")
        if text and not _EMAIL.match(text):
            found[name] = f"'{text}' is not an e-mail address (name@example.org)."
    if values.get("notification_email") and not values.get("smtp_host"):
        found["smtp_host"] = "E-mail needs an SMTP server: give its host name."
    host = values.get("smtp_host", "")
    if host and (" " in host or "/" in host):
        found["smtp_host"] = "Give the host name only, for example smtp.lab.example.org."
    folder = values.get("results_folder", "")
    if folder and not Path(folder).expanduser().is_absolute():
        found["results_folder"] = "Give a full path, for example /data/genoflow-results."
    return found


class FieldError(QLabel):
    """The inline message under a field; hidden while there is none."""

    def __init__(self, field_label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setStyleSheet(f"color: {ERROR_COLOR};")
        self.setAccessibleName(f"{field_label}: problem")
        self.hide()

    def show_message(self, text: str) -> None:
        self.setText(text)
        self.setVisible(bool(text))
