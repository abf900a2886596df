"""Column widths, sort order and splitter positions that outlive the session.

A header or splitter given to :func:`remember` gets back the state saved under its key (if any)
and saves its state again whenever the user resizes, sorts or drags it.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QHeaderView, QSplitter


def remember(ui_state: QSettings | None, key: str, widget: QHeaderView | QSplitter) -> None:
    """Restore ``widget``'s saved layout now and keep saving it (``ui_state`` None: nowhere)."""
    if ui_state is None:
        return
    saved = ui_state.value(key)
    if saved is not None:
        widget.restoreState(saved)

    def save() -> None:
        ui_state.setValue(key, widget.saveState())

    if isinstance(widget, QSplitter):
        widget.splitterMoved.connect(save)
    else:
        widget.sectionResized.connect(save)
        widget.sectionMoved.connect(save)
        widget.sortIndicatorChanged.connect(save)
