"""How a file's row changes when its upload run ends (see ``UploadQueue.ended``)."""

from __future__ import annotations

from typing import Any

from genoflow_desktop.qt.models.upload_file_model import FileRow, Transfer
from genoflow_desktop.qt.views.upload.network_waits import NetworkWaits


def ended_changes(
    row: FileRow | None, how: str, message: str, waits: NetworkWaits
) -> tuple[dict[str, Any], str | None]:
    """The row's new fields, and the connectivity target to report unreachable (or None).

    A run that failed for a network reason waits for its endpoint, unless it has waited often
    enough without sending a byte: then it is failed, for the user to look at.
    """
    path = row.path if row is not None else ""
    changes: dict[str, Any] = {"transfer": Transfer(how), "speed": None, "eta_s": None}
    unreachable = None
    if how != "waiting":
        waits.forget(path)
    elif row is not None and waits.wait(path, row.done):
        changes.update(error=None, waiting_reason=message)
        unreachable = waits.target_of(path)
    else:
        how = "failed"
        changes["transfer"] = Transfer.FAILED
    if how == "completed":
        changes.update(done=row.size if row else 0, destination=message, error=None)
    elif how == "failed":
        changes["error"] = message
    elif how == "canceled":
        changes.update(done=0, upload_id=None)
    return changes, unreachable
