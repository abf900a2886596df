"""Remembers window geometry, dock/toolbar state and the last view, in the config folder.

A plain INI file (through QSettings) rather than the OS registry, so ``--basedir`` and the
portable/frozen app keep everything together.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

STATE_FILE = "window-state.ini"


class WindowState:
    def __init__(self, config_dir: Path) -> None:
        self._settings = QSettings(str(config_dir / STATE_FILE), QSettings.Format.IniFormat)

    def _bytes(self, key: str) -> QByteArray | None:
        value = self._settings.value(key)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    @property
    def geometry(self) -> QByteArray | None:
        return self._bytes("main_window/geometry")

    @property
    def state(self) -> QByteArray | None:
        return self._bytes("main_window/state")

    @property
    def current_view(self) -> str | None:
        value = self._settings.value("main_window/view")
        return str(value) if value else None

    def save(self, geometry: QByteArray, state: QByteArray, current_view: str) -> None:
        self._settings.setValue("main_window/geometry", geometry)
        self._settings.setValue("main_window/state", state)
        self._settings.setValue("main_window/view", current_view)
        self._settings.sync()
