"""The Upload list's context menu: what can be done with the selected files right now."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu

from genoflow_desktop.qt.models.upload_file_model import FileRow, Transfer

if TYPE_CHECKING:
    from genoflow_desktop.qt.views.upload.upload_view import UploadView


def row_menu(view: UploadView, rows: Sequence[FileRow]) -> QMenu:
    """A menu for ``rows``, its actions enabled as the rows' states allow (deleted on close)."""
    menu = QMenu(view)
    menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    upload = menu.addAction("Upload")
    upload.setEnabled(view.upload_button.isEnabled() and any(r.can_start for r in rows))
    upload.triggered.connect(view.upload_selected)
    pause = menu.addAction("Pause")
    pause.setEnabled(any(r.can_pause for r in rows))
    pause.triggered.connect(view.pause_selected)
    if all(r.transfer == Transfer.WAITING for r in rows):
        label = "Retry now"  # rather than wait for the monitor to see the endpoint answer
    elif all(r.transfer == Transfer.FAILED for r in rows):
        label = "Retry"
    else:
        label = "Resume"
    resume = menu.addAction(label)
    resume.setEnabled(any(r.can_resume for r in rows))
    resume.triggered.connect(view.resume_selected)
    cancel = menu.addAction("Cancel upload")
    cancel.setEnabled(any(r.can_cancel for r in rows))
    remove = menu.addAction("Remove from list")
    remove.setEnabled(any(r.can_remove for r in rows))
    for action in (cancel, remove):
        action.triggered.connect(view.cancel_or_remove_selected)
    menu.addSeparator()
    menu.addAction(view.report_action)
    return menu
