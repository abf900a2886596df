"""The connectivity monitor against the Cloudgene server and a closed port on 127.0.0.1: what
answers stays online, what does not goes offline with the reason views show, and a service that
answers again wakes the jobs thread. Services the user has not set up are never contacted."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from genoflow_desktop.core import connectivity
from genoflow_desktop.core.connectivity import Connectivity, Target
from genoflow_desktop.core.services.catalog import add_service, ensure_builtin_services
from genoflow_desktop.core.services.credentials import set_token
from genoflow_desktop.core.store import Store
from genoflow_desktop.core.store.models import Service
from genoflow_desktop.qt.connectivity import ConnectivityMonitor
from genoflow_desktop.qt.workers.store_access import StoreAccess
from genoflow_desktop.qt.workers.task_runner import TaskRunner
from tests.integration.cloudgene.conftest import FakeCloudgene
from tests.qt.conftest import wait_idle

pytestmark = pytest.mark.integration


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


class Waker:
    def __init__(self) -> None:
        self.woken: list[str] = []

    def service_back(self, service_name: str) -> None:
        self.woken.append(service_name)


@pytest.fixture
def parts(qtbot, loop, store: Store) -> Iterator[tuple[TaskRunner, StoreAccess]]:  # type: ignore[no-untyped-def]
    executor = ThreadPoolExecutor(1)
    runner = TaskRunner()
    yield runner, StoreAccess(lambda: store, executor)
    runner.cancel_all()
    wait_idle(qtbot, runner)
    executor.shutdown()


def test_offline_service_is_reported_and_its_return_wakes_the_jobs(  # type: ignore[no-untyped-def]
    qtbot, parts, store: Store, cloudgene: FakeCloudgene
) -> None:
    down_url = closed_port_url()
    with store.session() as session:
        ensure_builtin_services(session)
        for name, url in (("Up MIS", cloudgene.url), ("Down MIS", down_url)):
            add_service(session, name, "cloudgene", url)
            set_token(session, name, cloudgene.token)
        add_service(session, "Not set up", "cloudgene", closed_port_url())  # no token, no jobs
    runner, access = parts
    probed: list[str] = []

    async def probe(target: Target) -> str | None:
        probed.append(target.name)
        return await connectivity.probe(target)

    waker = Waker()
    monitor = ConnectivityMonitor(
        access,
        runner,
        waker,
        model=Connectivity(interval_s=60, first_backoff_s=0.2, max_backoff_s=0.5),
        probe=probe,
        tick_ms=100,
    )
    changes: list[tuple[str, bool, str]] = []
    summaries: list[str] = []
    monitor.changed.connect(lambda *change: changes.append(change))
    monitor.summary_changed.connect(summaries.append)
    monitor.start()
    try:
        qtbot.waitUntil(lambda: any(c[0] == "Down MIS" for c in changes), timeout=30_000)
        assert changes == [
            (
                "Down MIS",
                False,
                "Offline: Down MIS cannot be reached — the job is kept and resumes when it answers",
            )
        ]
        assert "could not be reached" in monitor.model.detail("Down MIS")
        assert monitor.model.is_online("Up MIS")
        assert summaries[-1] == "Offline: 1 service unreachable"
        assert "Not set up" not in probed and set(probed) == {"Up MIS", "Down MIS"}
        assert waker.woken == []

        # The server comes back (here: the service now points at the running server). The
        # next probe, after the back-off, finds it and wakes its waiting jobs.
        with store.session() as session:
            session.query(Service).filter_by(name="Down MIS").one().base_url = cloudgene.url
        qtbot.waitUntil(lambda: changes[-1] == ("Down MIS", True, ""), timeout=30_000)
        assert waker.woken == ["Down MIS"]
        assert summaries[-1] == "Online" and monitor.model.online

        # The jobs thread's own failures count too (JobRunner.service_reached).
        monitor.report("Up MIS", False, "Up MIS answered HTTP 503.")
        assert changes[-1][:2] == ("Up MIS", False)
        assert summaries[-1] == "Offline: 1 service unreachable"
    finally:
        monitor.stop()
