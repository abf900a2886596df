"""The Dashboard on a real store: active jobs, uploads, services, notifications, live charts."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from genoflow_desktop.core.domain import JobState
from genoflow_desktop.core.services.catalog import add_service, ensure_builtin_services
from genoflow_desktop.core.services.credentials import set_token
from genoflow_desktop.core.store import Store
from genoflow_desktop.core.store.models import Job, Notification, Service, Upload, utcnow
from genoflow_desktop.qt.views.dashboard import DashboardView
from genoflow_desktop.qt.workers.executors import Executors
from genoflow_desktop.qt.workers.store_access import StoreAccess
from genoflow_desktop.qt.workers.task_runner import TaskRunner
from tests.integration.conftest import _free_port
from tests.qt.conftest import wait_idle

# A service of our own on a closed local port: the Dashboard checks services that have a
# token, and tests never contact anything but 127.0.0.1.
MIS = "Lab imputation"


def seed(store: Store) -> None:
    now = utcnow()
    with store.session() as session:
        ensure_builtin_services(session)
        add_service(session, MIS, "cloudgene", f"http://127.0.0.1:{_free_port()}")
        set_token(session, MIS, "token", expires_at=now + timedelta(days=3, hours=1))
        service = session.scalar(select(Service).where(Service.name == MIS))
        for number, state in enumerate(["queued", "running", "downloading", "completed"]):
            session.add(
                Job(
                    name=f"cohort {number}",
                    kind="imputation",
                    state=state,
                    service_id=service.id,
                    queue_position=2 if state == "queued" else None,
                    progress=0.4 if state == "running" else None,
                    attention="The token was refused." if state == "downloading" else None,
                )
            )
        session.add(
            Upload(
                source_path="/data/NA12878_R1.fastq.gz",
                source_size=1000,
                source_mtime_ns=0,
                profile="lab",
                bucket="b",
                key="k",
                part_size=100,
                status="uploading",
                bytes_done=250,
                speed_bps=12_500_000,
            )
        )
        session.add(Notification(level="info", title="Job 'old' finished", body="3 files"))
        session.add(Notification(level="error", title="Job 'bad' failed", body="QC", read=True))


def make_view(qtbot, store: Store, tmp_path: Path):  # type: ignore[no-untyped-def]
    executors = Executors.create(1)
    runner = TaskRunner()
    view = DashboardView(
        StoreAccess(lambda: store, executors.db),
        runner,
        data_folder=tmp_path,
        results_folder=tmp_path / "results",
        disk_executor=executors.disk,
    )
    qtbot.addWidget(view)
    return view, runner, executors


def texts(tree, column: int = 0) -> list[str]:  # type: ignore[no-untyped-def]
    return [tree.topLevelItem(row).text(column) for row in range(tree.topLevelItemCount())]


def test_dashboard_shows_the_store(qtbot, loop, store: Store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    seed(store)
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "chr_20.zip").write_bytes(b"x" * 2000)
    view, runner, executors = make_view(qtbot, store, tmp_path)
    try:
        view.show()
        view.on_shown()
        wait_idle(qtbot, runner)
        assert view.cards["active_jobs"].value.text() == "3"
        assert view.cards["unread_notifications"].value.text() == "1"
        assert texts(view.jobs_list) == ["cohort 2", "cohort 1", "cohort 0"] or set(
            texts(view.jobs_list)
        ) == {"cohort 0", "cohort 1", "cohort 2"}
        states = dict(zip(texts(view.jobs_list), texts(view.jobs_list, 2), strict=True))
        assert states["cohort 0"] == "queued (#3)"
        assert "needs attention" in states["cohort 2"]
        assert texts(view.uploads_list, 2) == ["25%"]
        assert texts(view.uploads_list, 3) == ["12.5 MB/s"]
        services = dict(zip(texts(view.services_list), texts(view.services_list, 2), strict=True))
        assert services[MIS] == "3 days left"
        qtbot.waitUntil(lambda: MIS in view.health, timeout=10_000)  # checked on its own
        assert not view.health[MIS].reachable
        assert "results: 2.0 KB" in view.storage_label.text()

        view.mark_read_button.click()
        wait_idle(qtbot, runner)
        with store.session() as session:
            assert session.scalar(select(Notification).where(Notification.read.is_(False))) is None
        assert view.cards["unread_notifications"].value.text() == "0"

        # A change reported by the jobs thread refreshes the lists (debounced).
        with store.session() as session:
            job = session.scalar(select(Job).where(Job.name == "cohort 1"))
            job.state = JobState.COMPLETED.value
        view.on_job_changed(job.id, "completed", "")
        qtbot.waitUntil(lambda: "cohort 1" not in texts(view.jobs_list), timeout=5000)

        qtbot.waitUntil(lambda: view.charts is not None, timeout=5000)
        view.charts.add_sample(3_000_000)
        assert list(view.charts.throughput.values)[-1] == 3.0
        assert list(view.charts.memory.values)[-1] > 10
        view.charts.grab()  # paints without error
    finally:
        view.hide()
        runner.cancel_all()
        wait_idle(qtbot, runner)
        executors.shutdown()


def test_empty_store_says_so(qtbot, loop, store: Store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    view, runner, executors = make_view(qtbot, store, tmp_path)
    try:
        view.on_shown()
        wait_idle(qtbot, runner)
        assert texts(view.jobs_list) == ["No job is running"]
        assert texts(view.uploads_list) == ["No upload yet"]
    finally:
        runner.cancel_all()
        wait_idle(qtbot, runner)
        executors.shutdown()


def test_live_charts_time_axis_units_and_theme(qtbot, qapp) -> None:  # type: ignore[no-untyped-def]
    import math

    from genoflow_desktop.qt.style import dark_palette, light_palette
    from genoflow_desktop.qt.views.dashboard.live_charts import (
        LiveCharts,
        ago_text,
        time_ticks,
        y_scale,
    )

    assert [ago_text(s) for s in (0, -45, -60, -90, -240)] == [
        "now",
        "45 s",
        "1 min",
        "1.5 min",
        "4 min",
    ]
    labelled, _minor = time_ticks()
    assert labelled[-1] == (0.0, "now") and labelled[0] == (-240.0, "4 min")
    assert y_scale(33) == (41.25, [20, 40]) and y_scale(0)[0] == 1.0

    now = [1000.0]
    charts = LiveCharts(clock=lambda: now[0])
    qtbot.addWidget(charts)
    assert charts.plots["throughput"].getAxis("left").labelText == "MB/s"
    charts.load_history([(30.0, 50e6, 12.0, 300e6), (28.0, 60e6, 14.0, 301e6)])
    now[0] += 20  # the Dashboard was hidden: no samples for 20 s
    charts.add_sample(70e6)
    xs, ys = charts.throughput.xy(now[0])
    assert math.isnan(ys[-2])  # the line breaks over the gap
    assert xs[-1] == 0 and xs[0] == -50
    assert "Upload throughput 70.0 MB/s" in charts.accessibleDescription()

    charts.setPalette(dark_palette())
    dark = charts.view.backgroundBrush().color().name()
    charts.setPalette(light_palette())
    assert charts.view.backgroundBrush().color().name() != dark  # follows the theme
    charts.grab()
