"""Upload: the files the user dropped or picked, ready to be checked and sent."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHeaderView, QLabel, QStackedWidget, QTreeWidget, QTreeWidgetItem, QWidget

from genoflow_desktop.qt.views.base import View
from genoflow_desktop.qt.widgets.empty_state import EmptyState


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files in ``paths``, with folders replaced by the files inside them (recursively, sorted)."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")))
        elif path.is_file():
            files.append(path)
    return files


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


class UploadView(View):
    """Signals:
    files_added(list): paths newly added to the list.
    """

    title = "Upload"
    subtitle = "Drop FASTQ, BAM, CRAM or VCF files (or whole folders) anywhere on this window."
    icon_name = "upload"

    files_added = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.files = QTreeWidget()
        self.files.setHeaderLabels(["File", "Folder", "Size"])
        self.files.setRootIsDecorated(False)
        self.files.setAlternatingRowColors(True)
        self.files.setAccessibleName("Files to upload")
        self.files.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.files.header().setStretchLastSection(False)
        self.files.header().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.empty = EmptyState(
            "upload",
            "No files yet",
            "Drag files or folders here, or use File ▸ Add files… (Ctrl+O).",
        )
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.files)
        self.body.addWidget(self.stack, 1)
        self.count = QLabel()
        self.count.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.body.addWidget(self.count)
        self._paths: set[Path] = set()

    def add_files(self, paths: Iterable[str | Path]) -> list[Path]:
        """Add files (folders are expanded); returns the ones that were new."""
        added = []
        for path in expand_paths(paths):
            resolved = path.resolve()
            if resolved in self._paths:
                continue
            self._paths.add(resolved)
            item = QTreeWidgetItem([resolved.name, str(resolved.parent), human_size(resolved.stat().st_size)])
            item.setTextAlignment(2, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            item.setData(0, Qt.ItemDataRole.UserRole, str(resolved))
            self.files.addTopLevelItem(item)
            added.append(resolved)
        self.stack.setCurrentWidget(self.files if self._paths else self.empty)
        self.count.setText(f"{len(self._paths)} file(s)" if self._paths else "")
        if added:
            self.files_added.emit([str(p) for p in added])
        return added
