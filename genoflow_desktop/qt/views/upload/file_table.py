"""The Upload view's file table, and the rows it starts from (folders scanned, pairs grouped)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from genoflow_desktop.core.transfer.intake import expand_paths
from genoflow_desktop.qt.models.upload_file_model import (
    CHECK,
    FILE,
    FORMAT,
    FRACTION_ROLE,
    PAIR,
    UPLOAD,
    FileRow,
    UploadFileModel,
)

if TYPE_CHECKING:
    from genoflow_desktop.core.validation.report import ValidationReport


def scan(paths: Iterable[str | Path]) -> list[FileRow]:
    """Rows for ``paths`` (folders expanded), FASTQ pairs next to each other. Disk work."""
    from genoflow_desktop.core.validation.engine import group_files

    rows: list[FileRow] = []
    for group in group_files(expand_paths(paths)):
        if len(group) == 2:
            first, second = (str(p) for p in group)
            rows.append(FileRow(first, group[0].stat().st_size, mate=second, mate_role="R1"))
            rows.append(FileRow(second, group[1].stat().st_size, mate=first, mate_role="R2"))
        else:
            rows.append(FileRow(str(group[0]), group[0].stat().st_size))
    return rows


def verdict_text(report: ValidationReport) -> str:
    if report.verdict.value == "valid":
        return "Valid"
    if report.verdict.value == "valid_with_warnings":
        return f"Valid, {report.warning_count:,} warning(s)"
    first = report.errors[0].message if report.errors else "invalid"
    return f"Invalid: {first}"


class ProgressDelegate(QStyledItemDelegate):
    """Draws the Upload column as a progress bar while a file has an upload under way."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        fraction = index.data(FRACTION_ROLE)
        if fraction is None:
            super().paint(painter, option, index)
            return
        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(2, 3, -2, -3)
        bar.minimum, bar.maximum = 0, 1000
        bar.progress = int(fraction * 1000)
        bar.text = index.data()
        bar.textVisible = True
        style = QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter)


class FileTable(QTableView):
    """The files to upload: whole rows selected, the Upload column drawn as a progress bar."""

    def __init__(self, model: UploadFileModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.setAccessibleName("Files to upload")
        self.setToolTip("Double-click a checked file to open its report.")
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setAlternatingRowColors(True)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.verticalHeader().hide()
        self.horizontalHeader().setStretchLastSection(True)
        widths = ((FILE, 230), (PAIR, 44), (FORMAT, 64), (CHECK, 140), (UPLOAD, 170))
        for column, width in widths:
            self.setColumnWidth(column, width)
        self.setItemDelegateForColumn(UPLOAD, ProgressDelegate(self))
