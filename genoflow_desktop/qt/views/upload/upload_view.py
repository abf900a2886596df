"""Upload: the files the user dropped or picked, each checked at once, ready to be sent."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal, Slot
from PySide6.QtGui import QBrush, QColor, QDesktopServices
from PySide6.QtWidgets import (
    QLabel,
    QStackedWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from genoflow_desktop.qt.views.base import View
from genoflow_desktop.qt.widgets.empty_state import EmptyState

COLUMNS = ["File", "Format", "Check", "Records", "Size", "Folder"]
FILE, FORMAT, CHECK, RECORDS, SIZE, FOLDER = range(len(COLUMNS))
PATH_ROLE = Qt.ItemDataRole.UserRole
REPORT_ROLE = Qt.ItemDataRole.UserRole + 1
VERDICT_COLORS = {"valid": "#2d8a4e", "valid_with_warnings": "#b7791f", "invalid": "#c53030"}


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files in ``paths``, with folders replaced by the files inside them (recursively, sorted)."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files.extend(
                sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
            )
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


def verdict_text(report: Any) -> str:
    if report.verdict.value == "valid":
        return "Valid"
    if report.verdict.value == "valid_with_warnings":
        return f"Valid, {report.warning_count:,} warning(s)"
    first = report.errors[0].message if report.errors else "invalid"
    return f"Invalid: {first}"


class UploadView(View):
    """Signals:
    files_added(list): paths newly added to the list (to be checked).
    """

    title = "Upload"
    subtitle = "Drop FASTQ, BAM, CRAM or VCF files (or whole folders) anywhere on this window. Each file is checked at once."
    icon_name = "upload"

    files_added = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.files = QTreeWidget()
        self.files.setHeaderLabels(COLUMNS)
        self.files.setRootIsDecorated(False)
        self.files.setAlternatingRowColors(True)
        self.files.setAccessibleName("Files to upload")
        self.files.setToolTip("Double-click a checked file to open its report.")
        header = self.files.header()
        header.setStretchLastSection(True)
        for column, width in ((FILE, 260), (FORMAT, 90), (CHECK, 300), (RECORDS, 90), (SIZE, 80)):
            header.resizeSection(column, width)
        self.files.itemDoubleClicked.connect(self._on_files_item_double_clicked)
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
        self._items: dict[str, QTreeWidgetItem] = {}

    def add_files(self, paths: Iterable[str | Path]) -> list[Path]:
        """Add files (folders are expanded); returns the ones that were new."""
        added = []
        for path in expand_paths(paths):
            resolved = path.resolve()
            if str(resolved) in self._items:
                continue
            item = QTreeWidgetItem(
                [
                    resolved.name,
                    "",
                    "Waiting to be checked",
                    "",
                    human_size(resolved.stat().st_size),
                    str(resolved.parent),
                ]
            )
            for column in (RECORDS, SIZE):
                item.setTextAlignment(
                    column, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                )
            item.setData(FILE, PATH_ROLE, str(resolved))
            self.files.addTopLevelItem(item)
            self._items[str(resolved)] = item
            added.append(resolved)
        self.stack.setCurrentWidget(self.files if self._items else self.empty)
        self.count.setText(f"{len(self._items)} file(s)" if self._items else "")
        if added:
            self.files_added.emit([str(p) for p in added])
        return added

    def item_for(self, path: str) -> QTreeWidgetItem | None:
        return self._items.get(str(Path(path).resolve()))

    @Slot(str, float)
    def show_progress(self, path: str, fraction: float) -> None:
        item = self.item_for(path)
        if item is not None:
            item.setText(CHECK, "Checking…" if fraction < 0 else f"Checking… {fraction:.0%}")

    @Slot(str, object, str)
    def show_report(self, path: str, report: Any, report_file: str) -> None:
        item = self.item_for(path)
        if item is None:
            return
        item.setText(
            FORMAT, "—" if report.format.value == "unknown" else report.format.value.upper()
        )
        item.setText(CHECK, verdict_text(report))
        item.setForeground(CHECK, QBrush(QColor(VERDICT_COLORS[report.verdict.value])))
        item.setText(RECORDS, f"{report.records:,}")
        findings = [*report.errors, *report.warnings][:5]
        item.setToolTip(
            CHECK,
            "\n".join(f"{f.message} {f.hint}".strip() for f in findings) or "No problems found.",
        )
        item.setData(FILE, REPORT_ROLE, report_file)

    @Slot(QTreeWidgetItem, int)
    def _on_files_item_double_clicked(self, item: QTreeWidgetItem, column: int) -> None:
        report_file = item.data(FILE, REPORT_ROLE)
        if report_file:
            QDesktopServices.openUrl(QUrl.fromLocalFile(report_file))
