"""A flat, read-only list with columns (a QTreeWidget without a tree), as the views show them."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHeaderView, QTreeWidget


def read_only_list(headers: list[str], accessible_name: str, *, stretch: int = -1) -> QTreeWidget:
    """Columns other than ``stretch`` fit their contents; column ``stretch`` (default: the last)
    takes what they leave, eliding long text, so the list never scrolls sideways."""
    tree = QTreeWidget()
    tree.setHeaderLabels(headers)
    tree.setRootIsDecorated(False)
    tree.setAlternatingRowColors(True)
    tree.setUniformRowHeights(True)
    tree.setAccessibleName(accessible_name)
    stretch %= len(headers)
    header = tree.header()
    header.setStretchLastSection(False)
    for column in range(len(headers)):
        mode = (
            QHeaderView.ResizeMode.Stretch
            if column == stretch
            else (QHeaderView.ResizeMode.ResizeToContents)
        )
        header.setSectionResizeMode(column, mode)
    tree.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return tree
