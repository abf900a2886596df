"""Unexpected exceptions from any origin are logged with their traceback and shown in a dialog."""

from __future__ import annotations

import asyncio
import sys
import threading
from pathlib import Path

import pytest

from genoflow_desktop.core import log as core_log
from genoflow_desktop.core.paths import AppDirs
from genoflow_desktop.qt.crash_handler import CrashHandler
from tests.qt.conftest import wait_idle


@pytest.fixture
def handler(qtbot, app_dirs: AppDirs, loop):  # type: ignore[no-untyped-def]
    log_file = core_log.setup_logging(app_dirs.logs)
    crash = CrashHandler(log_file)
    crash.install(loop)
    yield crash
    crash.uninstall()
    if crash.dialog is not None:
        crash.dialog.close()
    core_log.setup_logging(None)


def _log_text(app_dirs: AppDirs) -> str:
    return (app_dirs.logs / core_log.LOG_FILE_NAME).read_text()


def test_excepthook_logs_and_shows_dialog(qtbot, handler, app_dirs: AppDirs) -> None:  # type: ignore[no-untyped-def]
    try:
        raise ValueError("boom in a slot")
    except ValueError:
        with qtbot.waitSignal(handler.crashed):
            sys.excepthook(*sys.exc_info())
    assert handler.dialog is not None and handler.dialog.isVisible()
    assert "ValueError: boom in a slot" in handler.dialog.summary_label.text()
    assert "Traceback" in handler.dialog.details.toPlainText()
    assert "ValueError: boom in a slot" in _log_text(app_dirs)


def test_worker_thread_exception_reaches_the_dialog_on_the_gui_thread(
    qtbot, handler, app_dirs: AppDirs
) -> None:  # type: ignore[no-untyped-def]
    def work() -> None:
        raise RuntimeError("boom in a thread")

    thread = threading.Thread(target=work, name="validation_0")
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: handler.dialog is not None and handler.dialog.isVisible())
    assert "boom in a thread" in handler.dialog.details.toPlainText()
    assert "thread validation_0" in _log_text(app_dirs)


def test_asyncio_task_exception_is_reported(qtbot, handler, loop) -> None:  # type: ignore[no-untyped-def]
    from genoflow_desktop.qt.workers.task_runner import TaskRunner

    async def failing() -> None:
        raise KeyError("boom in a task")

    runner = TaskRunner()
    with qtbot.waitSignal(handler.crashed):
        runner.start("t", failing())
        wait_idle(qtbot, runner)
    assert "boom in a task" in handler.dialog.details.toPlainText()


def test_second_error_is_appended_not_stacked(qtbot, handler) -> None:  # type: ignore[no-untyped-def]
    for text in ("first", "second"):
        try:
            raise ValueError(text)
        except ValueError:
            with qtbot.waitSignal(handler.crashed):
                sys.excepthook(*sys.exc_info())
    assert "first" in handler.dialog.summary_label.text()
    assert "second" in handler.dialog.summary_label.text()


def test_uninstall_restores_the_previous_hooks(qtbot, app_dirs: AppDirs, loop) -> None:  # type: ignore[no-untyped-def]
    previous = sys.excepthook, threading.excepthook
    crash = CrashHandler(Path(app_dirs.logs / "x.log"))
    crash.install(loop)
    assert sys.excepthook != previous[0]
    crash.uninstall()
    assert (sys.excepthook, threading.excepthook) == previous
    assert loop.get_exception_handler() is None
    asyncio.set_event_loop(loop)
