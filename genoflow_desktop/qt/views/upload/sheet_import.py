"""Importing a sample sheet into the Upload view: read it off the GUI thread, let the user map
its columns (a dialog), then give the matched files their metadata."""

from __future__ import annotations

import asyncio
from concurrent.futures import Executor
from pathlib import Path
from typing import TYPE_CHECKING

from genoflow_desktop.core.errors import UserError
from genoflow_desktop.core.samplesheet import SampleSheet, read_sheet
from genoflow_desktop.qt.views.upload.sample_sheet import SampleSheetDialog, summary_text

if TYPE_CHECKING:
    from genoflow_desktop.qt.views.upload.upload_view import UploadView


async def import_sheet(view: UploadView, path: str, disk: Executor) -> None:
    """Read the sheet on the ``disk`` pool; problems show in the metadata form."""
    try:
        sheet = await asyncio.get_running_loop().run_in_executor(disk, read_sheet, path)
    except UserError as error:
        view.form.show_sheet_result(f"{error.message} {error.hint}", problem=True)
        return
    open_mapping_dialog(view, sheet, Path(path).name)


def open_mapping_dialog(view: UploadView, sheet: SampleSheet, name: str) -> SampleSheetDialog:
    dialog = SampleSheetDialog(sheet, [r.path for r in view.model.rows], name, view)
    dialog.accepted.connect(lambda: apply_sheet(view, dialog))
    dialog.finished.connect(dialog.deleteLater)
    dialog.open()  # window-modal, without a nested event loop
    return dialog


def apply_sheet(view: UploadView, dialog: SampleSheetDialog) -> None:
    match = dialog.match()
    for path, metadata in match.metadata.items():
        row = view.model.update(path, metadata=metadata)
        # A sheet naming only R1 describes the pair.
        if row is not None and row.mate and row.mate not in match.metadata:
            view.model.update(row.mate, metadata=metadata)
    view.form.show_sheet_result(
        summary_text(match, view.model.rowCount()),
        problem=bool(match.unmatched or match.problems),
    )
    view.form.set_selection([r.metadata for r in view.selected_rows()])
