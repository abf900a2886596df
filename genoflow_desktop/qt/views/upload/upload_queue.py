"""Drives the transfer engine for the Upload view: one task per file, pause/resume/cancel.

Each upload is a :class:`TaskRunner` task named ``upload:<path>``: its journal entry is created
on the ``db`` executor (:func:`prepare_upload`), then :func:`run_upload` runs on the
``upload`` pool (one thread per concurrent upload; the engine starts its own reader and
sender threads). The engine throttles its progress reports to ~10/s; they cross to the GUI
thread with ``call_soon_threadsafe``. Pause and cancel go through the upload's
:class:`UploadControl`, so parts in flight finish and are journaled before the run stops.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from genoflow_desktop.core.errors import UserError
from genoflow_desktop.core.progress import Progress, ProgressCallback
from genoflow_desktop.core.samplesheet import SampleMetadata
from genoflow_desktop.core.transfer.control import UploadCanceled, UploadControl, UploadPaused
from genoflow_desktop.core.transfer.result import UploadOptions, UploadResult
from genoflow_desktop.qt.views.upload.network_waits import waits_for_network
from genoflow_desktop.qt.workers.store_access import StoreAccess
from genoflow_desktop.qt.workers.task_runner import TaskRunner

if TYPE_CHECKING:
    from genoflow_desktop.core.store import Store
    from genoflow_desktop.core.transfer.journal import UploadRecord

TASK_PREFIX = "upload:"


@dataclass(frozen=True, slots=True)
class NewUpload:
    """What a file's first upload needs besides its path."""

    profile: str
    metadata: SampleMetadata
    part_size: int


def _drive(
    store: Store,
    upload_id: str,
    options: UploadOptions,
    report: ProgressCallback,
    control: UploadControl,
) -> UploadResult:
    """Run the upload on this worker thread, unless it was stopped while it waited for one."""
    # Imported on the worker: the engine brings SQLAlchemy and boto3, kept out of start-up.
    from genoflow_desktop.core.transfer.cleanup import cancel_upload
    from genoflow_desktop.core.transfer.engine import run_upload

    if control.cancelled:
        if control.abort_requested:
            cancel_upload(store, upload_id)
            raise UploadCanceled(upload_id)
        raise UploadPaused(upload_id)
    return run_upload(store, upload_id, options=options, progress=report, cancel=control)


def _prepare(store: Store, path: str, new: NewUpload) -> UploadRecord:
    from genoflow_desktop.core.transfer.prepare import prepare_upload

    return prepare_upload(store, new.profile, path, new.metadata, new.part_size)


def _cancel(store: Store, upload_id: str) -> None:
    from genoflow_desktop.core.transfer.cleanup import cancel_upload

    cancel_upload(store, upload_id)


class UploadQueue(QObject):
    """Signals:
    created(str, str): a file's path and the id of its new journaled upload.
    progressed(str, object): a path and its :class:`TransferProgress` (at most ~10/s).
    ended(str, str, str): path, how the run ended ("completed", "paused", "canceled",
        "failed", or "waiting": failed for a network reason, worth resuming when the endpoint
        answers) and a message (where the object is, or what went wrong and what to do).
    """

    created = Signal(str, str)
    progressed = Signal(str, object)
    ended = Signal(str, str, str)

    def __init__(
        self,
        store: StoreAccess,
        runner: TaskRunner,
        db_pool: Executor,
        upload_pool: Executor,
        options: UploadOptions,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._runner = runner
        self._db_pool = db_pool
        self._upload_pool = upload_pool
        self.options = options
        self._controls: dict[str, UploadControl] = {}

    def send(
        self, path: str, *, upload_id: str | None = None, new: NewUpload | None = None
    ) -> None:
        """Start (``new``) or resume/retry (``upload_id``) the upload of ``path``."""
        assert (upload_id is None) != (new is None), "give an upload id or a new upload"
        control = UploadControl()
        self._controls[path] = control
        self._runner.start(TASK_PREFIX + path, self._send(path, upload_id, new, control))

    def pause(self, path: str) -> None:
        control = self._controls.get(path)
        if control is not None:
            control.pause()

    def cancel(self, path: str, upload_id: str | None) -> None:
        """Cancel the upload of ``path`` and delete its parts from S3, running or not."""
        control = self._controls.get(path)
        if control is not None:
            control.abort()  # the running task aborts it on the server and ends as "canceled"
        elif upload_id is not None:
            self._runner.start(TASK_PREFIX + path, self._cancel_idle(path, upload_id))

    def is_running(self, path: str) -> bool:
        return path in self._controls

    async def _send(
        self, path: str, upload_id: str | None, new: NewUpload | None, control: UploadControl
    ) -> None:
        loop = asyncio.get_running_loop()
        try:
            await self._store.open()
            store = self._store.store
            if upload_id is None:
                assert new is not None
                record = await loop.run_in_executor(self._db_pool, _prepare, store, path, new)
                upload_id = record.id
                self.created.emit(path, upload_id)

            def report(progress: Progress) -> None:
                loop.call_soon_threadsafe(self.progressed.emit, path, progress)

            result = await loop.run_in_executor(
                self._upload_pool, _drive, store, upload_id, self.options, report, control
            )
        except asyncio.CancelledError:
            # The app is quitting: pause, so everything sent so far stays journaled and on S3.
            control.pause()
            raise
        except UploadPaused:
            self.ended.emit(path, "paused", "")
        except UploadCanceled:
            self.ended.emit(path, "canceled", "")
        except UserError as error:
            how = "waiting" if waits_for_network(error) else "failed"
            self.ended.emit(path, how, f"{error.message} {error.hint}".strip())
        else:
            self.ended.emit(path, "completed", f"s3://{result.bucket}/{result.key}")
        finally:
            if self._controls.get(path) is control:
                del self._controls[path]

    async def _cancel_idle(self, path: str, upload_id: str) -> None:
        await self._store.open()
        try:
            # A network call (AbortMultipartUpload): on the upload pool, never the db thread.
            await asyncio.get_running_loop().run_in_executor(
                self._upload_pool, _cancel, self._store.store, upload_id
            )
        except UserError as error:
            self.ended.emit(path, "failed", f"{error.message} {error.hint}".strip())
        else:
            self.ended.emit(path, "canceled", "")
