"""S3 destinations in Settings against moto's S3 server: add, test, edit, remove through the panel.

The secret key must reach the keychain and nothing else: not the store's database (nor its WAL),
not the settings file, not a widget.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from genoflow_desktop.core import settings as core_settings
from genoflow_desktop.core.paths import AppDirs
from genoflow_desktop.core.services.credentials import KEYRING_SERVICE
from genoflow_desktop.core.store import Store
from genoflow_desktop.core.transfer.profiles import get_profile, list_profiles
from genoflow_desktop.qt.views.settings import SettingsView
from genoflow_desktop.qt.views.settings.s3_profiles_panel import S3ProfilesPanel
from genoflow_desktop.qt.workers.executors import Executors
from genoflow_desktop.qt.workers.store_access import StoreAccess
from genoflow_desktop.qt.workers.task_runner import TaskRunner
from tests.helpers.memory_keyring import MemoryKeyring
from tests.integration.conftest import ACCESS_KEY_ID, SECRET_KEY, _free_port
from tests.qt.conftest import wait_idle

pytestmark = pytest.mark.integration


@pytest.fixture
def view(qtbot, loop, store: Store, app_dirs: AppDirs) -> Iterator[SettingsView]:  # type: ignore[no-untyped-def]
    executors = Executors.create(1)
    runner = TaskRunner()
    settings_view = SettingsView(core_settings.Settings(), app_dirs.settings_file)
    settings_view.attach_services(StoreAccess(lambda: store, executors.db), runner, executors.disk)
    qtbot.addWidget(settings_view)
    settings_view.show()
    wait_idle(qtbot, runner)
    settings_view.runner = runner  # type: ignore[attr-defined]  # for wait_idle in the tests
    yield settings_view
    runner.cancel_all()
    wait_idle(qtbot, runner)
    executors.shutdown()


def _panel(view: SettingsView) -> S3ProfilesPanel:
    assert view.s3_profiles is not None
    return view.s3_profiles


def _fill(panel: S3ProfilesPanel, name: str, endpoint: str, bucket: str) -> None:
    form = panel.form
    form.name.setText(name)
    form.endpoint_url.setText(endpoint)
    form.bucket.setText(bucket)
    form.prefix.setText("incoming")
    form.access_key_id.setText(ACCESS_KEY_ID)
    form.secret_key.setText(SECRET_KEY)


def _files_without_secret(*paths: Path) -> None:
    for path in paths:
        if path.exists():
            assert SECRET_KEY.encode() not in path.read_bytes(), path


def test_add_test_edit_and_remove_a_destination(  # type: ignore[no-untyped-def]
    qtbot, view: SettingsView, store: Store, moto_endpoint: str, bucket: str, app_dirs: AppDirs
) -> None:
    panel = _panel(view)
    runner: TaskRunner = view.runner  # type: ignore[attr-defined]
    panel.add_button.click()
    assert panel.form.isVisible()
    _fill(panel, "lab", moto_endpoint, bucket)
    with qtbot.waitSignal(panel.profiles_changed, timeout=10_000):
        panel.form.save_button.click()
    wait_idle(qtbot, runner)
    assert not panel.form.isVisible()
    assert panel.form.secret_key.text() == ""
    assert panel.model.rowCount() == 1
    assert panel.selected() is not None and panel.selected().name == "lab"

    # The secret is in the keychain only.
    assert MemoryKeyring._passwords[(KEYRING_SERVICE, "s3:lab")] == SECRET_KEY
    view.save_button.click()  # the settings file too must not hold it
    database = app_dirs.database
    _files_without_secret(
        database,
        database.with_name(database.name + "-wal"),
        database.with_name(database.name + "-journal"),
        app_dirs.settings_file,
    )
    assert SECRET_KEY not in panel.status.text()

    # Test: one request to the bucket with the stored credentials.
    panel.test_button.click()
    qtbot.waitUntil(lambda: "reachable" in panel.status.text(), timeout=15_000)
    assert bucket in panel.status.text()

    # Edit without typing the secret again: the stored one is kept.
    panel.edit_button.click()
    assert panel.form.name.isReadOnly() and panel.form.bucket.text() == bucket
    panel.form.prefix.setText("runs/2026")
    with qtbot.waitSignal(panel.profiles_changed, timeout=10_000):
        panel.form.save_button.click()
    wait_idle(qtbot, runner)
    with store.session() as session:
        assert get_profile(session, "lab").prefix == "runs/2026"
    assert MemoryKeyring._passwords[(KEYRING_SERVICE, "s3:lab")] == SECRET_KEY

    # Remove asks first; the key leaves the keychain.
    panel.remove_button.click()
    dialog = panel.remove_dialog
    assert dialog is not None
    remove = next(b for b in dialog.buttons() if b.text() == "Remove")
    with qtbot.waitSignal(panel.profiles_changed, timeout=10_000):
        remove.click()
    wait_idle(qtbot, runner)
    assert panel.model.rowCount() == 0
    with store.session() as session:
        assert list_profiles(session) == []
    assert (KEYRING_SERVICE, "s3:lab") not in MemoryKeyring._passwords


def test_a_missing_bucket_and_a_closed_port_are_explained(  # type: ignore[no-untyped-def]
    qtbot, view: SettingsView, moto_endpoint: str
) -> None:
    panel = _panel(view)
    runner: TaskRunner = view.runner  # type: ignore[attr-defined]
    panel.add_button.click()
    _fill(panel, "gone", moto_endpoint, "no-such-bucket-here")
    with qtbot.waitSignal(panel.profiles_changed, timeout=10_000):
        panel.form.save_button.click()
    wait_idle(qtbot, runner)
    panel.test_button.click()
    qtbot.waitUntil(lambda: "does not exist" in panel.status.text(), timeout=15_000)
    assert "no-such-bucket-here" in panel.status.text()

    panel.add_button.click()
    _fill(panel, "closed", f"http://127.0.0.1:{_free_port()}", "some-bucket")
    with qtbot.waitSignal(panel.profiles_changed, timeout=10_000):
        panel.form.save_button.click()
    wait_idle(qtbot, runner)
    assert panel.selected() is not None and panel.selected().name == "closed"
    panel.test_button.click()
    qtbot.waitUntil(lambda: "connection" in panel.status.text().lower(), timeout=15_000)


def test_a_duplicate_name_is_shown_at_the_name_field(  # type: ignore[no-untyped-def]
    qtbot, view: SettingsView, moto_endpoint: str, bucket: str
) -> None:
    panel = _panel(view)
    runner: TaskRunner = view.runner  # type: ignore[attr-defined]
    for _ in range(2):
        panel.add_button.click()
        _fill(panel, "lab", moto_endpoint, bucket)
        panel.form.save_button.click()
        wait_idle(qtbot, runner)
    assert "already a profile called 'lab'" in panel.form.errors["name"].text()
    assert panel.form.isVisible()


def test_remove_can_be_cancelled(
    qtbot, view: SettingsView, store: Store, moto_endpoint: str, bucket: str
) -> None:  # type: ignore[no-untyped-def]
    from tests.integration.conftest import add_profile

    add_profile(store, moto_endpoint, bucket)
    panel = _panel(view)
    panel.refresh(select="lab")
    wait_idle(qtbot, view.runner)  # type: ignore[attr-defined]
    panel.remove_button.click()
    assert panel.remove_dialog is not None
    panel.remove_dialog.button(QMessageBox.StandardButton.Cancel).click()
    wait_idle(qtbot, view.runner)  # type: ignore[attr-defined]
    assert panel.model.rowCount() == 1
