"""Fixtures for the Qt tests: a real store and the real task runner (the ``loop`` fixture is in
the root conftest, shared with the integration tests that drive views)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication

from genoflow_desktop.core import settings as core_settings
from genoflow_desktop.core.paths import AppDirs
from genoflow_desktop.core.store import Store, open_store
from genoflow_desktop.qt.workers.task_runner import TaskRunner


def wait_idle(qtbot, runner: TaskRunner, timeout: int = 10_000) -> None:  # type: ignore[no-untyped-def]
    """Let the event loop run until ``runner`` has no task left."""
    qtbot.waitUntil(lambda: not runner.running, timeout=timeout)


@pytest.fixture
def store(app_dirs: AppDirs) -> Iterator[Store]:
    opened = open_store(app_dirs.database)
    yield opened
    opened.close()


@pytest.fixture
def genoflow_app(qapp: QApplication, qtbot, loop, app_dirs: AppDirs, store: Store):  # type: ignore[no-untyped-def]
    """The real composition root, as `genoflow` builds it, minus the event-loop run."""
    from genoflow_desktop.qt.app import GenoflowApp

    app = GenoflowApp(
        qapp, app_dirs, core_settings.Settings(validation_workers=1), store_opener=lambda: store
    )
    yield app
    app.window.close()
    app.runner.cancel_all()
    wait_idle(qtbot, app.runner)
    app.executors.shutdown()
    app.store_access.close()
    # Delete the window now: its views' timers must not fire into later tests.
    app.window.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
