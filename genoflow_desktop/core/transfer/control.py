"""Pause and cancel for a running upload, and a lock so one upload never runs twice at once.

:class:`UploadControl` is a :class:`CancelToken`: whoever cancels work in general (the task
runner when the app quits, Ctrl-C in the terminal) *pauses* an upload, which keeps everything
sent so far. Only :meth:`UploadControl.abort` throws the upload away on the server.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import IO

from genoflow_desktop.core.errors import Cancelled
from genoflow_desktop.core.progress import CancelToken


class UploadPaused(Cancelled):
    """The upload stopped on request; its journal holds every acknowledged part."""

    def __init__(self, upload_id: str) -> None:
        super().__init__(f"upload {upload_id} paused")
        self.upload_id = upload_id


class UploadCanceled(Cancelled):
    """The upload was cancelled: its parts were deleted from the server."""

    def __init__(self, upload_id: str) -> None:
        super().__init__(f"upload {upload_id} cancelled")
        self.upload_id = upload_id


class UploadControl(CancelToken):
    """Pause (``cancel()``/``pause()``) or abort (``abort()``) an upload from any thread."""

    def __init__(self) -> None:
        super().__init__()
        self._abort = False

    def pause(self) -> None:
        self.cancel()

    def abort(self) -> None:
        self._abort = True
        self.cancel()

    @property
    def abort_requested(self) -> bool:
        return self._abort

    @property
    def event(self) -> threading.Event:
        """The underlying event, for waits that must end early when the upload stops."""
        return self._event


class LinkedStop(threading.Event):
    """An event that also reads as set once ``cancel`` fires, so every wait ends on a pause.

    The run sets it itself on failures; a cancel token (any :class:`CancelToken`, set from
    another thread) is seen through it within a tenth of a second, even during retry waits
    before any part is sent.
    """

    def __init__(self, cancel: CancelToken | None) -> None:
        super().__init__()
        self._cancel = cancel

    def is_set(self) -> bool:
        return super().is_set() or (self._cancel is not None and self._cancel.cancelled)

    def wait(self, timeout: float | None = None) -> bool:
        if self._cancel is None:
            return super().wait(timeout)
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.is_set():
            step = 0.1 if deadline is None else min(0.1, deadline - time.monotonic())
            if step <= 0:
                return False
            super().wait(step)
        return True


class UploadBusy(Exception):
    """Another process (or thread) is running this upload right now."""


class UploadLock:
    """An exclusive OS file lock per upload id, released by the OS even after ``kill -9``.

    Two runs of the same upload (the app and ``genoflow upload --resume-all``, say) would send
    the same parts twice and race on the journal; the second one is refused instead.
    """

    def __init__(self, folder: Path, upload_id: str) -> None:
        self.path = folder / f"{upload_id}.lock"
        self._handle: IO[bytes] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+b")  # noqa: SIM115 - held until release()
        try:
            if sys.platform == "win32":
                import msvcrt

                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            handle.close()
            raise UploadBusy(str(self.path)) from exc
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()).encode())
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            # Closing the file releases the lock; the file itself stays (removing it would race
            # with a process that opened it and is about to lock it).
            self._handle.close()
            self._handle = None

    def __enter__(self) -> UploadLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
