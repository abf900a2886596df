"""The lab sync wired into the app: the Settings section, and a remembered sign-in restored at
start-up that finds the server down (no server here: a closed port on 127.0.0.1; the real
server's tests are in tests/integration/sync/test_app_sync.py)."""

from __future__ import annotations

from genoflow_desktop.core.store import Store
from genoflow_desktop.core.store.models import Job
from genoflow_desktop.core.sync import account
from genoflow_desktop.core.sync.account import AccountInfo
from genoflow_desktop.qt.views.settings import SettingsView
from genoflow_desktop.qt.views.settings.settings_view import (
    LAB_ACCOUNT_TITLE,
    S3_TITLE,
    SERVICES_TITLE,
)
from genoflow_desktop.qt.views.settings.sync_panel import SyncPanel
from tests.integration.conftest import _free_port
from tests.qt.conftest import wait_idle


def remember_account(store: Store, server_url: str) -> None:
    info = AccountInfo(
        server_url=server_url,
        user_id="3",
        email="ada@lab.example",
        display_name="Ada Lovelace",
        lab_id="1",
        lab_name="Genomics",
        role="member",
        remember=True,
    )
    account.save_account(store, info)
    account.save_refresh_token(server_url, info.email, "a-remembered-refresh-token")


def test_settings_gets_a_lab_sync_section_and_a_signed_out_form(  # type: ignore[no-untyped-def]
    qtbot, loop, genoflow_app
) -> None:
    genoflow_app.services_ready()
    try:
        settings_view = genoflow_app.views["settings"]
        assert isinstance(settings_view, SettingsView)
        titles = list(settings_view.sections)
        assert titles[:3] == [SERVICES_TITLE, S3_TITLE, LAB_ACCOUNT_TITLE], titles
        assert "Lab account" in settings_view.jump_buttons
        assert "Lab sync" in settings_view.sections  # its preferences, further down
        panel = settings_view.sections[LAB_ACCOUNT_TITLE]
        assert isinstance(panel, SyncPanel)
        wait_idle(qtbot, genoflow_app.runner)
        assert panel.pages.currentWidget() is panel.signed_out
        assert not genoflow_app.sync.signed_in
        for widget in (panel.server, panel.email, panel.password, panel.remember, panel.code):
            assert widget.accessibleName()
    finally:
        genoflow_app.connectivity.stop()


def test_a_remembered_sign_in_is_restored_and_waits_for_the_server(  # type: ignore[no-untyped-def]
    qtbot, loop, genoflow_app, store: Store
) -> None:
    remember_account(store, f"http://127.0.0.1:{_free_port()}")
    with store.session() as session:
        session.add(Job(name="Made here", kind="imputation", state="queued"))
    genoflow_app.services_ready()
    try:
        settings_view = genoflow_app.views["settings"]
        panel = settings_view.sections[LAB_ACCOUNT_TITLE]
        assert isinstance(panel, SyncPanel)
        qtbot.waitUntil(lambda: not panel.sync_error.isHidden(), timeout=10_000)
        assert panel.pages.currentWidget() is panel.signed_in
        assert panel.who.text() == (
            "Signed in as Ada Lovelace (ada@lab.example) · lab Genomics (member)"
        )
        assert "could not be reached" in panel.sync_error.text()
        assert panel.pending.text() == "Pending local changes: 1"
        assert panel.last_sync.text() == "Last sync: never"
        # Still signed in: the next attempt may find the server.
        assert genoflow_app.sync.signed_in
    finally:
        genoflow_app.sync.stop()
        genoflow_app.connectivity.stop()
        wait_idle(qtbot, genoflow_app.runner)
