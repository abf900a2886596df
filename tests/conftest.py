"""Shared test set-up: Qt offscreen, every app folder under tmp_path, a test keychain."""

from __future__ import annotations

import os

# Before anything imports Qt: no display is needed, and none is used even if one exists.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# keyring honours this variable: tests get an in-memory keychain instead of the user's.
os.environ["PYTHON_KEYRING_BACKEND"] = "tests.helpers.memory_keyring.MemoryKeyring"

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from genoflow_desktop.core import paths

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if {"qtbot", "qapp", "qtmodeltester"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.gui)


@pytest.fixture(autouse=True)
def app_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> paths.AppDirs:
    """Every test gets fresh, private data/config/cache/log folders, as the app would see them."""
    for kind, variable in paths.ENV_OVERRIDES.items():
        monkeypatch.setenv(variable, str(tmp_path / "genoflow" / kind))
    dirs = paths.resolve_dirs()
    dirs.ensure()
    return dirs


@pytest.fixture(autouse=True)
def _fresh_keychain() -> None:
    from tests.helpers.memory_keyring import MemoryKeyring

    MemoryKeyring.clear()


@pytest.fixture
def corpus() -> Path:
    return CORPUS


@pytest.fixture(scope="session")
def _qasync_loop(qapp: Any) -> Iterator[asyncio.AbstractEventLoop]:
    """One qasync loop for the session, marked as running as in the app: tasks advance whenever
    Qt processes events, i.e. while ``qtbot`` waits (use :func:`wait_idle`, never ``sleep``).

    Session-wide because stopping an "already running" qasync loop calls QApplication.exit(),
    which would make every later nested event loop (qtbot's waits) return at once.
    """
    import qasync

    event_loop = qasync.QEventLoop(qapp, already_running=True)
    # "Already running" also makes it the thread's running loop, which would stop every later
    # non-Qt test from calling asyncio.run(): it is installed only while a test uses it.
    asyncio.events._set_running_loop(None)
    yield event_loop


@pytest.fixture
def loop(_qasync_loop: asyncio.AbstractEventLoop) -> Iterator[asyncio.AbstractEventLoop]:
    """The session's qasync loop, current and running for the duration of one test."""
    asyncio.events._set_running_loop(_qasync_loop)
    asyncio.set_event_loop(_qasync_loop)
    yield _qasync_loop
    asyncio.events._set_running_loop(None)
    asyncio.set_event_loop(None)
