"""The one place unexpected exceptions end up: logged with their traceback, then shown in a dialog.

Three hooks feed it: ``sys.excepthook`` (Qt slots and qasync's ``asyncSlot`` errors land here),
``threading.excepthook`` (worker threads) and the asyncio loop's exception handler (tasks).
Reports from other threads reach the dialog through a queued signal: only the GUI thread touches
widgets. The user can keep working or quit; nothing is swallowed.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import traceback
from pathlib import Path
from types import TracebackType
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from genoflow_desktop.qt.dialogs.crash_dialog import CrashDialog

log = logging.getLogger(__name__)


class CrashHandler(QObject):
    """Installs the exception hooks and shows :class:`CrashDialog`.

    Signals:
        crashed(str, str): an unexpected exception happened (summary, traceback text).
    """

    crashed = Signal(str, str)

    def __init__(self, log_file: Path | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._log_file = log_file
        self._dialog: CrashDialog | None = None
        self._previous_excepthook = sys.excepthook
        self._previous_threading_hook = threading.excepthook
        self._loop: asyncio.AbstractEventLoop | None = None
        self.crashed.connect(self._on_crashed)

    def install(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        sys.excepthook = self._excepthook
        threading.excepthook = self._threading_hook
        if loop is not None:
            self._loop = loop
            loop.set_exception_handler(self._asyncio_handler)

    def uninstall(self) -> None:
        sys.excepthook = self._previous_excepthook
        threading.excepthook = self._previous_threading_hook
        if self._loop is not None:
            self._loop.set_exception_handler(None)
            self._loop = None

    def report(
        self,
        exc_type: type[BaseException],
        exc: BaseException,
        tb: TracebackType | None,
        origin: str,
    ) -> None:
        log.error("unexpected error in %s", origin, exc_info=(exc_type, exc, tb))
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        summary = f"{exc_type.__name__}: {exc}" if str(exc) else exc_type.__name__
        self.crashed.emit(summary, text)

    def _excepthook(
        self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            self._previous_excepthook(exc_type, exc, tb)
            return
        self.report(exc_type, exc, tb, "the user interface")

    def _threading_hook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit or args.exc_value is None:
            return
        name = args.thread.name if args.thread is not None else "a worker thread"
        self.report(args.exc_type, args.exc_value, args.exc_traceback, f"thread {name}")

    def _asyncio_handler(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if exc is None:
            log.error("asyncio: %s", context.get("message"))
            return
        self.report(type(exc), exc, exc.__traceback__, context.get("message", "a background task"))

    @Slot(str, str)
    def _on_crashed(self, summary: str, details: str) -> None:
        if self._dialog is not None and self._dialog.isVisible():
            self._dialog.add_report(summary, details)
            return
        self._dialog = CrashDialog(summary, details, self._log_file)
        self._dialog.open()

    @property
    def dialog(self) -> CrashDialog | None:
        return self._dialog
