"""The app's side of services and jobs, against the Cloudgene server: Settings saves a token to
the keychain and tests the connection; the jobs thread follows several jobs to the end while the
GUI thread keeps its heartbeat."""

from __future__ import annotations

import time
from pathlib import Path

import keyring
import pytest
from PySide6.QtCore import QTimer

from genoflow_desktop.core import settings as core_settings
from genoflow_desktop.core.services.catalog import add_service, ensure_builtin_services
from genoflow_desktop.core.services.credentials import KEYRING_SERVICE, set_token
from genoflow_desktop.core.store import Store
from genoflow_desktop.qt.views.settings.services_panel import ServicesPanel
from genoflow_desktop.qt.workers.job_runner import JobRunner
from genoflow_desktop.qt.workers.store_access import StoreAccess
from genoflow_desktop.qt.workers.task_runner import TaskRunner
from tests.fakes.vcf import write_input_vcf
from tests.integration.cloudgene.conftest import FakeCloudgene
from tests.qt.conftest import wait_idle

pytestmark = pytest.mark.integration

SERVICE = "Test MIS"


@pytest.fixture
def panel(qtbot, loop, store: Store, cloudgene: FakeCloudgene):  # type: ignore[no-untyped-def]
    from concurrent.futures import ThreadPoolExecutor

    with store.session() as session:
        ensure_builtin_services(session)
        add_service(session, SERVICE, "cloudgene", cloudgene.url)
    executor = ThreadPoolExecutor(1)
    runner = TaskRunner()
    widget = ServicesPanel(StoreAccess(lambda: store, executor), runner)
    qtbot.addWidget(widget)
    wait_idle(qtbot, runner)
    yield widget, runner
    runner.cancel_all()
    wait_idle(qtbot, runner)
    executor.shutdown()


def select(widget: ServicesPanel, name: str) -> None:
    for row in range(widget.table.topLevelItemCount()):
        item = widget.table.topLevelItem(row)
        item.setSelected(item.text(0) == name)


def test_token_goes_to_the_keychain_and_the_connection_is_tested(qtbot, panel, cloudgene) -> None:  # type: ignore[no-untyped-def]
    widget, runner = panel
    select(widget, SERVICE)
    assert widget.test_button.isEnabled()
    changed: list[str] = []
    widget.credentials_changed.connect(changed.append)

    widget.token_edit.setText(cloudgene.token)
    widget.save_token_button.click()
    assert widget.token_edit.text() == ""  # the field keeps nothing
    wait_idle(qtbot, runner)
    assert changed == [SERVICE]
    assert keyring.get_password(KEYRING_SERVICE, f"token:cloudgene:{SERVICE}") == cloudgene.token

    select(widget, SERVICE)
    widget.test_button.click()
    wait_idle(qtbot, runner)
    assert "The token is valid" in widget.status.text()
    assert "days" in widget.status.text() and "ms" in widget.status.text()
    token_cell = next(
        widget.table.topLevelItem(r).text(3)
        for r in range(widget.table.topLevelItemCount())
        if widget.table.topLevelItem(r).text(0) == SERVICE
    )
    assert "days left" in token_cell

    cloudgene.control("tokens", {"token": cloudgene.token, "state": "revoked"})
    select(widget, SERVICE)
    widget.test_button.click()
    wait_idle(qtbot, runner)
    assert "refused" in widget.status.text() or "403" in widget.status.text()
    assert widget.status.property("role") == "error"


def test_jobs_thread_follows_jobs_without_stalling_the_gui(  # type: ignore[no-untyped-def]
    qtbot,
    loop,
    store: Store,
    cloudgene: FakeCloudgene,
    tmp_path: Path,
) -> None:
    with store.session() as session:
        ensure_builtin_services(session)
        add_service(session, SERVICE, "cloudgene", cloudgene.url)
        set_token(session, SERVICE, cloudgene.token)
    cloudgene.control("config", {"auto_advance_s": 0.3})
    cloudgene.control("job-limit", {"limit": 5})
    runner = JobRunner()
    events: list[tuple[str, str, str]] = []
    runner.job_changed.connect(lambda *event: events.append(event))
    notes: list[str] = []
    runner.notified.connect(lambda level, title, body: notes.append(title))
    downloads: list[tuple[str, str, int, int | None]] = []
    runner.download_progress.connect(lambda *progress: downloads.append(progress))
    settings = core_settings.Settings(poll_interval_s=5)
    runner.start(store, settings, tmp_path / "results")
    runner.orchestrator.poll_interval_s = 0.2  # the settings floor is 5 s; tests need less

    gaps: list[float] = []
    last = [time.perf_counter()]

    def beat() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    heartbeat = QTimer()
    heartbeat.timeout.connect(beat)
    heartbeat.start(10)
    for n in range(3):
        (tmp_path / f"in{n}").mkdir()
    try:
        futures = [
            runner.submit_new(
                service=SERVICE,
                name=f"cohort {n}",
                params={"refpanel": "hapmap-2", "build": "hg19"},
                files=[write_input_vcf(tmp_path / f"in{n}" / "chr20.vcf.gz")],
            )
            for n in range(3)
        ]
        qtbot.waitUntil(lambda: all(f.done() for f in futures), timeout=30_000)
        job_ids = {f.result() for f in futures}
        qtbot.waitUntil(
            lambda: {e[0] for e in events if e[1] == "completed"} == job_ids, timeout=60_000
        )
    finally:
        heartbeat.stop()
        runner.stop()
    assert len(notes) == 3 and all("finished" in title for title in notes)
    # Every job's results were reported as they arrived, each file up to its whole size.
    assert {job for job, *_ in downloads} == job_ids
    whole = {(job, name) for job, name, done, total in downloads if total and done == total}
    assert {job for job, _ in whole} == job_ids
    assert len(gaps) > 50
    # The GUI thread only receives signals: no network wait or store write ever runs on it.
    assert max(gaps) < 0.25, f"longest GUI stall {max(gaps) * 1000:.0f} ms"
