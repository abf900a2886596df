"""Shared set-up for the Results view tests: a real store, a real runner, the view on them."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from genoflow_desktop.core.store import Store
from genoflow_desktop.core.store.models import Job, Service
from genoflow_desktop.qt.views.results import ResultsView
from genoflow_desktop.qt.views.results.results_panel import ResultsPanel
from genoflow_desktop.qt.workers.store_access import StoreAccess
from genoflow_desktop.qt.workers.task_runner import TaskRunner
from tests.qt.conftest import wait_idle

START = datetime(2026, 3, 1, tzinfo=UTC)
SERVICES = ("Michigan Imputation Server 2", "Lab WES")
STATES = ("completed", "running", "failed", "queued")


def seed_jobs(store: Store, count: int) -> list[str]:
    """``count`` jobs: services and states in turn, created one hour apart (job 0 oldest)."""
    with store.session() as session:
        services = [Service(name=n, kind="cloudgene", base_url="https://x") for n in SERVICES]
        session.add_all(services)
        session.flush()
        jobs = [
            Job(
                name=f"Batch {i:03d}",
                kind="imputation" if i % 2 == 0 else "workflow",
                state=STATES[i % len(STATES)],
                service_id=services[i % 2].id,
                owner="ana" if i % 3 else "li",
                created_at=START + timedelta(hours=i),
                updated_at=START + timedelta(hours=i, minutes=5),
            )
            for i in range(count)
        ]
        session.add_all(jobs)
        session.flush()
        return [job.id for job in jobs]


@pytest.fixture
def executor() -> Iterator[ThreadPoolExecutor]:
    pool = ThreadPoolExecutor(1, thread_name_prefix="test-db")
    yield pool
    pool.shutdown(wait=True)


@pytest.fixture
def runner() -> TaskRunner:
    return TaskRunner()


@pytest.fixture
def make_view(qtbot, loop, store, executor, runner, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Build, show and load a Results view; returns its panel."""
    created: list[ResultsView] = []

    def make(jobs: object = None) -> ResultsPanel:
        ui_state = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
        view = ResultsView(
            StoreAccess(lambda: store, executor),
            runner,
            jobs,
            disk=executor,
            ui_state=ui_state,  # type: ignore[arg-type]
        )
        qtbot.addWidget(view)
        view.resize(1000, 800)
        view.show()
        view.on_shown()
        wait_idle(qtbot, runner)
        created.append(view)
        assert view.panel is not None
        return view.panel

    yield make
    runner.cancel_all()
    wait_idle(qtbot, runner)
