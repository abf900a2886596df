"""The lab sync in the app, against the real server: the Settings panel, the background sync,
the Results view, TOTP enrolment and the idle timeout.

The app's parts are built as app.py builds them (a store on a db thread, the task runner, the
:class:`SyncRunner`, the panel, the Results view) with short timers; the server is
`genoflow server` on 127.0.0.1 (see conftest.py). The keychain is the tests' in-memory one.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyotp
import pytest
from PySide6.QtCore import Qt

from genoflow_desktop.core.domain import JobState
from genoflow_desktop.core.paths import AppDirs
from genoflow_desktop.core.store import Store, open_store
from genoflow_desktop.core.store.models import Job
from genoflow_desktop.core.sync.records import record_of
from genoflow_desktop.qt.views.results import ResultsView
from genoflow_desktop.qt.views.settings.sync_panel import NEEDS_CODE, SyncPanel
from genoflow_desktop.qt.workers.store_access import StoreAccess
from genoflow_desktop.qt.workers.sync_runner import SYNC_TASK, SyncRunner
from genoflow_desktop.qt.workers.task_runner import TaskRunner
from tests.helpers.memory_keyring import MemoryKeyring
from tests.integration.sync.conftest import PASSWORD, Admin, LabServer
from tests.qt.conftest import wait_idle

pytestmark = pytest.mark.integration

ADA = "ada@lab.example"
BOB = "bob@lab.example"
WAIT_MS = 30_000


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class App:
    store: Store
    runner: TaskRunner
    sync: SyncRunner
    panel: SyncPanel
    results: ResultsView
    clock: FakeClock


@pytest.fixture
def app(qtbot, loop, app_dirs: AppDirs) -> Iterator[App]:  # type: ignore[no-untyped-def]
    store = open_store(app_dirs.database)
    db = ThreadPoolExecutor(1, thread_name_prefix="test-db")
    runner = TaskRunner()
    access = StoreAccess(lambda: store, db)
    clock = FakeClock()
    sync = SyncRunner(
        access,
        runner,
        interval_s=3.0,
        idle_timeout_s=60.0,
        clock=clock,
        tick_ms=100,
        debounce_ms=100,
        idle_check_ms=100,
        first_backoff_s=0.3,
    )
    panel = SyncPanel(sync, runner)
    qtbot.addWidget(panel)
    panel.show()
    results = ResultsView(access, runner, None, disk=db)
    qtbot.addWidget(results)
    sync.synced.connect(results.on_synced)
    results.resize(1100, 700)
    results.show()
    yield App(store, runner, sync, panel, results, clock)
    runner.start("test.close", sync.aclose())
    wait_idle(qtbot, runner)
    db.shutdown(wait=True)
    store.close()


NAMES = {ADA: "Ada Lovelace", BOB: "Bob Marley"}


def lab_with(admin: Admin, *emails: str) -> dict[str, Any]:
    """Users with these addresses, members of the lab "Genomics"."""
    for email in emails:
        admin.user(email, NAMES[email])
    return admin.lab("Genomics", dict.fromkeys(emails, "member"))


def sign_in(qtbot, app: App, url: str, email: str, *, remember: bool, code: str = "") -> None:  # type: ignore[no-untyped-def]
    panel = app.panel
    panel.server.setText(url)
    panel.email.setText(email)
    panel.password.setText(PASSWORD)
    panel.remember.setChecked(remember)
    if code:
        panel.code.setText(code)
    qtbot.mouseClick(panel.sign_in_button, Qt.MouseButton.LeftButton)


def wait_signed_in(qtbot, app: App) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: app.panel.pages.currentWidget() is app.panel.signed_in, timeout=WAIT_MS)
    # The first sync follows the sign-in at once.
    qtbot.waitUntil(lambda: not app.runner.is_running(SYNC_TASK), timeout=WAIT_MS)


def add_job(store: Store, name: str) -> str:
    with store.session() as session:
        job = Job(name=name, kind="imputation", state=JobState.QUEUED.value)
        session.add(job)
        session.flush()
        return job.id


def files_text(dirs: AppDirs) -> bytes:
    """Everything the app wrote to disk (store, its WAL, settings, logs)."""
    found = b""
    for folder in (dirs.data, dirs.config, dirs.cache, dirs.logs):
        for path in Path(folder).rglob("*"):
            if path.is_file():
                found += path.read_bytes()
    return found


def test_sign_in_with_remember_me_keeps_the_token_only_in_the_keychain(
    qtbot, app: App, app_dirs: AppDirs, lab_server: LabServer, admin: Admin
) -> None:  # type: ignore[no-untyped-def]
    lab_with(admin, ADA)
    panel = app.panel
    # A wrong password first: said inline, nothing stored.
    panel.server.setText(lab_server.url)
    panel.email.setText(ADA)
    panel.password.setText("not-the-password")
    qtbot.mouseClick(panel.sign_in_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.sign_in_error.isVisible(), timeout=WAIT_MS)
    assert "e-mail address or password is wrong" in panel.sign_in_error.text()

    sign_in(qtbot, app, lab_server.url, ADA, remember=True)
    wait_signed_in(qtbot, app)
    assert panel.who.text() == f"Signed in as Ada Lovelace ({ADA}) · lab Genomics (member)"
    assert panel.last_sync.text().startswith("Last sync: 20")
    assert panel.pending.text() == "Pending local changes: 0"
    assert panel.password.text() == ""
    with qtbot.waitSignal(app.sync.synced, timeout=WAIT_MS):
        qtbot.mouseClick(panel.sync_now, Qt.MouseButton.LeftButton)
    tokens = [v for (_, k), v in MemoryKeyring._passwords.items() if k.startswith("sync-refresh")]
    assert len(tokens) == 1
    wait_idle(qtbot, app.runner)
    on_disk = files_text(app_dirs)
    assert tokens[0].encode() not in on_disk and PASSWORD.encode() not in on_disk

    # Signing out revokes it and empties the keychain.
    qtbot.mouseClick(panel.sign_out, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.pages.currentWidget() is panel.signed_out, timeout=WAIT_MS)
    wait_idle(qtbot, app.runner)
    assert not MemoryKeyring._passwords
    refused = admin.http.post("/api/v1/auth/refresh", json={"refresh_token": tokens[0]})
    assert refused.status_code == 401


def test_totp_enrolment_in_the_panel_then_signing_in_needs_the_code(
    qtbot, app: App, app_dirs: AppDirs, lab_server: LabServer, admin: Admin
) -> None:  # type: ignore[no-untyped-def]
    lab_with(admin, ADA)
    panel = app.panel
    sign_in(qtbot, app, lab_server.url, ADA, remember=False)
    wait_signed_in(qtbot, app)
    qtbot.waitUntil(lambda: panel.totp_enable.isVisible(), timeout=WAIT_MS)  # "Off"
    qtbot.mouseClick(panel.totp_enable, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.enrolment.isVisible(), timeout=WAIT_MS)
    assert not panel.qr.pixmap().isNull() and panel.qr.pixmap().width() > 100
    secret = panel.secret.text()
    assert len(secret) >= 16
    totp = pyotp.TOTP(secret)
    panel.confirm_code.setText("000000" if totp.now() != "000000" else "111111")
    qtbot.mouseClick(panel.confirm, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.totp_error.isVisible(), timeout=WAIT_MS)
    assert "authenticator code is wrong" in panel.totp_error.text()
    panel.confirm_code.setText(totp.now())
    qtbot.mouseClick(panel.confirm, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.totp_disable.isVisible(), timeout=WAIT_MS)
    assert panel.totp_status.text().startswith("On")
    assert not panel.enrolment.isVisible() and panel.secret.text() == ""

    qtbot.mouseClick(panel.sign_out, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.pages.currentWidget() is panel.signed_out, timeout=WAIT_MS)
    assert panel.server.text() == lab_server.url and panel.email.text() == ADA  # prefilled
    panel.password.setText(PASSWORD)
    qtbot.mouseClick(panel.sign_in_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.code.isVisible(), timeout=WAIT_MS)
    assert panel.sign_in_error.text() == NEEDS_CODE
    # The confirmation spent the current code; one step of drift is accepted: the next one.
    panel.code.setText(totp.at(time.time() + 30))
    qtbot.mouseClick(panel.sign_in_button, Qt.MouseButton.LeftButton)
    wait_signed_in(qtbot, app)
    assert not panel.code.isVisible() and panel.code.text() == ""
    wait_idle(qtbot, app.runner)
    assert secret.encode() not in files_text(app_dirs)


def test_background_sync_pushes_local_changes_and_pulls_lab_jobs_into_results(
    qtbot, app: App, tmp_path: Path, lab_server: LabServer, admin: Admin
) -> None:  # type: ignore[no-untyped-def]
    lab = lab_with(admin, ADA, BOB)
    mine = add_job(app.store, "Ada's array batch")
    sign_in(qtbot, app, lab_server.url, ADA, remember=False)
    wait_signed_in(qtbot, app)
    qtbot.waitUntil(lambda: mine in {r["record"]["id"] for r in admin.pull_all(lab["id"])})

    # Bob's desktop pushes a job of his; Ada changes hers here.
    bob_store = open_store(tmp_path / "bob" / "genoflow.sqlite3")
    try:
        bobs = add_job(bob_store, "Bob's WGS run")
        with bob_store.session() as session:
            job = session.get(Job, bobs)
            assert job is not None
            record = record_of(session, job)
    finally:
        bob_store.close()
    bob_token = admin.login(BOB, PASSWORD)["access_token"]
    admin.call(
        "POST",
        f"/api/v1/labs/{lab['id']}/sync/push",
        token=bob_token,
        json={"records": [{"kind": "job", "record": record}]},
    )
    with app.store.session() as session:
        job = session.get(Job, mine)
        assert job is not None
        job.state = JobState.RUNNING.value
    synced: list[Any] = []
    app.sync.synced.connect(synced.append)
    app.sync.note_local_change(mine, "running", "")  # what JobRunner.job_changed does

    qtbot.waitUntil(lambda: any(r.pulled for r in synced), timeout=WAIT_MS)
    server_copy = {r["record"]["id"]: r["record"] for r in admin.pull_all(lab["id"])}
    assert server_copy[mine]["state"] == "running"

    app.results.on_shown()
    panel = app.results.panel
    assert panel is not None
    qtbot.waitUntil(lambda: panel.model.row_of(bobs) is not None, timeout=WAIT_MS)
    row = panel.model.row_of(bobs)
    assert panel.model.index(row, 6).data() == "Bob Marley"  # Owner
    assert panel.model.index(row, 7).data() == "from lab"  # Sync
    qtbot.waitUntil(lambda: panel.model.index(panel.model.row_of(mine), 7).data() == "synced")
    assert panel.model.index(panel.model.row_of(mine), 6).data() == "me"
    assert panel.select_job(bobs)
    qtbot.waitUntil(lambda: panel.detail.detail is not None and panel.detail.detail.id == bobs)
    assert not panel.detail.cancel.isEnabled() and not panel.detail.download.isEnabled()
    assert "belongs to Bob Marley" in panel.detail.status.text()
    wait_idle(qtbot, app.runner)


def test_server_down_leaves_changes_pending_and_the_sync_resumes_by_itself(
    qtbot, app: App, lab_server: LabServer, admin: Admin
) -> None:  # type: ignore[no-untyped-def]
    lab = lab_with(admin, ADA)
    panel = app.panel
    sign_in(qtbot, app, lab_server.url, ADA, remember=True)
    wait_signed_in(qtbot, app)
    errors: list[str] = []
    app.sync.error.connect(errors.append)
    runs: list[str] = []
    app.runner.started.connect(lambda name: runs.append(name) if name == SYNC_TASK else None)

    lab_server.stop()
    job_id = add_job(app.store, "Made offline")
    app.sync.note_local_change(job_id, "queued", "")
    qtbot.waitUntil(lambda: panel.sync_error.isVisible(), timeout=WAIT_MS)
    assert "could not be reached" in panel.sync_error.text()
    assert panel.pending.text() == "Pending local changes: 1"
    qtbot.waitUntil(lambda: len(runs) >= 3, timeout=WAIT_MS)  # it keeps trying, backing off
    assert len(errors) == 1  # ... quietly: one error for one reason

    lab_server.start()
    qtbot.waitUntil(lambda: panel.pending.text() == "Pending local changes: 0", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not panel.sync_error.isVisible(), timeout=WAIT_MS)
    assert job_id in {r["record"]["id"] for r in admin.pull_all(lab["id"])}
    wait_idle(qtbot, app.runner)


def test_idle_sign_in_that_is_not_remembered_ends(
    qtbot, app: App, lab_server: LabServer, admin: Admin
) -> None:  # type: ignore[no-untyped-def]
    lab_with(admin, ADA)
    panel = app.panel
    sign_in(qtbot, app, lab_server.url, ADA, remember=False)
    wait_signed_in(qtbot, app)
    assert not MemoryKeyring._passwords  # not remembered: the token is in memory only

    app.clock.now += 50
    qtbot.keyClick(panel.who, Qt.Key.Key_Shift)  # the user is there: the timeout restarts
    app.clock.now += 50
    app.sync._on_idle_timeout()  # what the idle check timer does: 50 s idle is not too long
    assert app.sync.signed_in and not app.runner.is_running("sync.idle")
    app.clock.now += 20  # 70 s since the last input, with a 60 s timeout
    qtbot.waitUntil(lambda: not app.sync.signed_in, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: panel.pages.currentWidget() is panel.signed_out, timeout=WAIT_MS)
    assert panel.note.text() == "Signed out after 1 minute idle."
    assert panel.email.text() == ADA
    wait_idle(qtbot, app.runner)


def test_several_labs_offer_a_choice_and_repeated_failures_say_when_to_retry(
    qtbot, app: App, lab_server: LabServer, admin: Admin
) -> None:  # type: ignore[no-untyped-def]
    lab_with(admin, ADA)
    admin.lab("Proteomics", {ADA: "viewer"})
    panel = app.panel
    sign_in(qtbot, app, lab_server.url, ADA, remember=False)
    qtbot.waitUntil(lambda: panel.lab.isVisible(), timeout=WAIT_MS)
    assert "choose the one to sync with" in panel.sign_in_error.text()
    assert [panel.lab.itemText(i) for i in range(panel.lab.count())] == [
        "Genomics (member)",
        "Proteomics (viewer)",
    ]
    panel.lab.setCurrentIndex(1)
    qtbot.mouseClick(panel.sign_in_button, Qt.MouseButton.LeftButton)
    wait_signed_in(qtbot, app)
    assert panel.who.text().endswith("· lab Proteomics (viewer)")
    qtbot.mouseClick(panel.sign_out, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.pages.currentWidget() is panel.signed_out, timeout=WAIT_MS)

    # Wrong passwords until the server stops listening for a while: the wait is said inline.
    for _attempt in range(10):
        panel.password.setText("not-the-password")
        qtbot.mouseClick(panel.sign_in_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not app.runner.is_running("settings.sync"), timeout=WAIT_MS)
        if "Too many" in panel.sign_in_error.text():
            break
    assert "Too many sign-in attempts" in panel.sign_in_error.text()
    assert "Try again in" in panel.sign_in_error.text()


def test_an_unreachable_server_is_said_inline(qtbot, app: App) -> None:  # type: ignore[no-untyped-def]
    from tests.integration.conftest import _free_port

    sign_in(qtbot, app, f"http://127.0.0.1:{_free_port()}", ADA, remember=False)
    qtbot.waitUntil(lambda: app.panel.sign_in_error.isVisible(), timeout=WAIT_MS)
    assert "could not be reached" in app.panel.sign_in_error.text()
    assert not app.sync.signed_in
