"""Shared test set-up: Qt offscreen, every app folder under tmp_path, a test keychain."""

from __future__ import annotations

import os

# Before anything imports Qt: no display is needed, and none is used even if one exists.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# keyring honours this variable: tests get an in-memory keychain instead of the user's.
os.environ["PYTHON_KEYRING_BACKEND"] = "tests.helpers.memory_keyring.MemoryKeyring"

from pathlib import Path

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
