"""Presets in the Pipelines view: save the form's values under a name, load, delete, and
export to or import from a JSON file (see :mod:`genoflow_desktop.core.pipelines.presets`).

Store work runs on the db thread, file reads and writes on the disk pool. A file that does not
fit the pipeline is refused with the reason shown here; nothing of it reaches the form.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine, Mapping
from concurrent.futures import Executor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from genoflow_desktop.core.errors import UserError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from genoflow_desktop.core.pipelines.presets import Preset
    from genoflow_desktop.qt.workers.store_access import StoreAccess
    from genoflow_desktop.qt.workers.task_runner import TaskRunner


class PresetsBar(QWidget):
    """Signals:
    preset_loaded(dict): put these values into the form.
    """

    preset_loaded = Signal(dict)

    def __init__(
        self,
        store: StoreAccess,
        runner: TaskRunner,
        disk_pool: Executor,
        values: Callable[[], dict[str, Any]],
        parent: QWidget | None = None,
    ) -> None:
        """``values()`` gives the form's current values, at the time of saving or exporting."""
        super().__init__(parent)
        self._store = store
        self._runner = runner
        self._disk = disk_pool
        self._values = values
        self._pipeline = ""
        self._schema: Mapping[str, Any] = {}
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        self.presets = QComboBox()
        self.presets.setAccessibleName("Saved presets")
        self.load_button = QPushButton("Load")
        self.delete_button = QPushButton("Delete")
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("Name for the current values")
        self.name_edit.setAccessibleName("Preset name")
        self.save_button = QPushButton("Save preset")
        self.save_button.setToolTip("Save the current values under this name (Ctrl+S)")
        self.export_button = QPushButton("Export…")
        self.import_button = QPushButton("Import…")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Presets message")
        # Two short rows rather than one long one: the view must fit a narrow window.
        grid.addWidget(QLabel("Presets"), 0, 0)
        grid.addWidget(self.presets, 0, 1)
        grid.addWidget(self.load_button, 0, 2)
        grid.addWidget(self.delete_button, 0, 3)
        grid.addWidget(self.name_edit, 1, 1)
        grid.addWidget(self.save_button, 1, 2)
        grid.addWidget(self.export_button, 1, 3)
        grid.addWidget(self.import_button, 1, 4)
        grid.setColumnStretch(1, 1)
        grid.addWidget(self.message, 2, 0, 1, 5)
        self.load_button.clicked.connect(self._on_load_clicked)
        self.delete_button.clicked.connect(self._on_delete_clicked)
        self.save_button.clicked.connect(self.save)
        self.export_button.clicked.connect(self._on_export_clicked)
        self.import_button.clicked.connect(self._on_import_clicked)
        self.presets.currentIndexChanged.connect(self._on_selection_changed)
        self._on_selection_changed()

    def set_pipeline(self, pipeline: str, schema: Mapping[str, Any]) -> None:
        """Show the presets of ``pipeline``; imports are checked against ``schema``."""
        self._pipeline, self._schema = pipeline, schema
        self._say("")
        self.refresh()

    def refresh(self, select: str | None = None) -> None:
        from genoflow_desktop.core.pipelines.presets import list_presets

        pipeline = self._pipeline

        async def load() -> None:
            names = await self._store.run(lambda session: list_presets(session, pipeline))
            if pipeline != self._pipeline:
                return  # the user chose another pipeline meanwhile
            self.presets.clear()
            self.presets.addItems(names)
            if select is not None:
                self.presets.setCurrentText(select)

        self._runner.start("pipelines.presets.refresh", load())

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setProperty("role", "error" if error else "")
        self.message.style().polish(self.message)

    def _run(self, name: str, work: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run ``work()`` as a task; a UserError it raises is shown here."""

        async def task() -> None:
            try:
                await work()
            except UserError as error:
                self._say(f"{error.message} {error.hint}".strip(), error=True)

        self._runner.start(name, task())

    def _current(self, name: str) -> Preset:
        from genoflow_desktop.core.pipelines.presets import Preset

        return Preset(self._pipeline, name, self._values())

    @Slot()
    def _on_selection_changed(self) -> None:
        chosen = bool(self.presets.currentText())
        self.load_button.setEnabled(chosen)
        self.delete_button.setEnabled(chosen)

    # -- actions ---------------------------------------------------------------------------

    @Slot()
    def save(self) -> None:
        from genoflow_desktop.core.pipelines.presets import save_preset

        preset = self._current(self.name_edit.text().strip())

        async def work() -> None:
            await self._store.run(lambda session: save_preset(session, preset))
            self._say(f"Saved the preset '{preset.name}'.")
            self.refresh(select=preset.name)

        self._run("pipelines.presets.save", work)

    @Slot()
    def _on_load_clicked(self) -> None:
        from genoflow_desktop.core.pipelines.presets import load_preset

        pipeline, name = self._pipeline, self.presets.currentText()

        async def work() -> None:
            preset = await self._store.run(lambda session: load_preset(session, pipeline, name))
            self.preset_loaded.emit(preset.params)
            self.name_edit.setText(preset.name)
            self._say(f"Loaded the preset '{preset.name}'.")

        self._run("pipelines.presets.load", work)

    @Slot()
    def _on_delete_clicked(self) -> None:
        from genoflow_desktop.core.pipelines.presets import delete_preset

        pipeline, name = self._pipeline, self.presets.currentText()

        def delete(session: Session) -> None:
            delete_preset(session, pipeline, name)

        async def work() -> None:
            await self._store.run(delete)
            self._say(f"Deleted the preset '{name}'.")
            self.refresh()

        self._run("pipelines.presets.delete", work)

    @Slot()
    def _on_export_clicked(self) -> None:
        name = self.name_edit.text().strip() or self.presets.currentText() or self._pipeline
        target, _ = QFileDialog.getSaveFileName(
            self, "Export preset", f"{name}.genoflow-preset.json", "Preset files (*.json)"
        )
        if target:
            self.export_to(Path(target), name)

    def export_to(self, path: Path, name: str) -> None:
        """Write the current values as preset ``name`` to ``path`` (on the disk pool)."""
        from genoflow_desktop.core.pipelines.presets import export_preset

        write = functools.partial(export_preset, self._current(name), path)

        async def work() -> None:
            await asyncio.get_running_loop().run_in_executor(self._disk, write)
            self._say(f"Exported to {path}.")

        self._run("pipelines.presets.export", work)

    @Slot()
    def _on_import_clicked(self) -> None:
        source, _ = QFileDialog.getOpenFileName(
            self, "Import preset", "", "Preset files (*.json);;All files (*)"
        )
        if source:
            self.import_from(Path(source))

    def import_from(self, path: Path) -> None:
        """Read, check and keep the preset in ``path``, then load it into the form."""
        from genoflow_desktop.core.pipelines.presets import read_preset_file, save_preset

        read = functools.partial(
            read_preset_file, path, pipeline=self._pipeline, schema=self._schema
        )

        async def work() -> None:
            preset = await asyncio.get_running_loop().run_in_executor(self._disk, read)
            await self._store.run(lambda session: save_preset(session, preset))
            self.preset_loaded.emit(preset.params)
            self.name_edit.setText(preset.name)
            self._say(f"Imported the preset '{preset.name}'.")
            self.refresh(select=preset.name)

        self._run("pipelines.presets.import", work)
