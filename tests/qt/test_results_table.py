"""The jobs table of the Results view: model, sort, filters, search, live updates, layout."""

# Fixtures imported from results_helpers are parameters here: F811 does not apply.
# ruff: noqa: F811

from __future__ import annotations

from PySide6.QtCore import Qt

from genoflow_desktop.core.jobs.job_table import CREATED, NAME, STATE, Filter, JobTable
from genoflow_desktop.core.store.models import Job
from genoflow_desktop.qt.models.job_table_model import JOB_ID_ROLE, JobTableModel
from tests.qt.conftest import wait_idle
from tests.qt.results_helpers import (  # noqa: F401 (fixtures)
    START,
    executor,
    make_view,
    runner,
    seed_jobs,
)


def rows(n: int) -> list[tuple[str, str, str, str, str, float, float, str, str]]:
    start = START.timestamp()
    return [
        (
            f"id{i}",
            f"Job {i}",
            "Michigan",
            "imputation",
            ["running", "failed"][i % 2],
            start + 3600 * i,
            start + 3600 * (n - i),
            "ana",
            "synced",
        )
        for i in range(n)
    ]


def names(model: JobTableModel) -> list[str]:
    return [model.data(model.index(r, NAME)) for r in range(model.rowCount())]


def test_model_passes_qtmodeltester(qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    model = JobTableModel(JobTable(rows(20)))
    qtmodeltester.check(model)
    model.sort(NAME, Qt.SortOrder.AscendingOrder)
    model.set_filter(Filter(state="failed"))
    qtmodeltester.check(model)
    model.update_row(
        ("id1", "Renamed", "Michigan", "imputation", "failed", 0.0, 0.0, "li", "pending")
    )
    model.update_row(("new", "New job", "TOPMed", "workflow", "failed", 1.0, 1.0, "li", "pending"))
    model.set_table(JobTable(rows(3)))
    qtmodeltester.check(model)


def test_sort_filter_and_search() -> None:
    model = JobTableModel(JobTable(rows(12)))
    assert names(model)[:2] == ["Job 11", "Job 10"]  # newest first by default
    model.sort(NAME, Qt.SortOrder.AscendingOrder)
    assert names(model)[:4] == ["Job 0", "Job 1", "Job 10", "Job 11"]
    model.sort(CREATED, Qt.SortOrder.AscendingOrder)
    assert names(model)[:2] == ["Job 0", "Job 1"]
    model.set_filter(Filter(state="failed"))
    assert names(model) == [f"Job {i}" for i in (1, 3, 5, 7, 9, 11)]
    model.set_filter(Filter(state="failed", search="JOB 1"))
    assert names(model) == ["Job 1", "Job 11"]
    model.set_filter(Filter(service="nope"))
    assert model.rowCount() == 0
    assert model.data(model.index(0, STATE)) is None


def test_sort_keeps_the_selected_job(qtbot) -> None:  # type: ignore[no-untyped-def]
    model = JobTableModel(JobTable(rows(5)))
    kept = model.index(1, NAME)
    from PySide6.QtCore import QPersistentModelIndex

    persistent = QPersistentModelIndex(kept)
    job = model.data(kept, JOB_ID_ROLE)
    model.sort(CREATED, Qt.SortOrder.AscendingOrder)
    assert model.data(model.index(persistent.row(), NAME), JOB_ID_ROLE) == job


def test_view_lists_sorts_filters_and_searches_the_store(qtbot, make_view, store, runner) -> None:  # type: ignore[no-untyped-def]
    seed_jobs(store, 40)
    panel = make_view()
    model = panel.model
    assert model.rowCount() == 40
    assert panel.stack.currentWidget() is panel.splitter
    assert names(model)[0] == "Batch 039"
    panel.table.horizontalHeader().setSortIndicator(NAME, Qt.SortOrder.AscendingOrder)
    assert names(model)[0] == "Batch 000"
    panel.state_filter.setCurrentIndex(panel.state_filter.findData("failed"))
    assert model.rowCount() == 10
    panel.service_filter.setCurrentIndex(panel.service_filter.findData("Lab WES"))
    assert model.rowCount() == 0  # failed jobs are all on Michigan (i % 4 == 2 is even)
    panel.service_filter.setCurrentIndex(0)
    panel.search.setText("batch 01")
    assert model.rowCount() == 10  # the search waits for the user to pause typing
    qtbot.waitUntil(lambda: model.rowCount() == 3)  # 010, 014, 018
    assert names(model) == ["Batch 010", "Batch 014", "Batch 018"]


def test_on_job_changed_updates_only_that_row(qtbot, make_view, store, runner) -> None:  # type: ignore[no-untyped-def]
    ids = seed_jobs(store, 10)
    panel = make_view()
    model = panel.model
    resets: list[bool] = []
    changed: list[int] = []
    model.modelReset.connect(lambda: resets.append(True))
    model.dataChanged.connect(lambda top, bottom: changed.append(top.row()))
    with store.session() as session:
        session.get(Job, ids[3]).state = "completed"
    panel.on_job_changed(ids[3], "completed", "")
    wait_idle(qtbot, runner)
    row = model.row_of(ids[3])
    assert changed == [row] and not resets
    assert model.data(model.index(row, STATE)) == "completed"

    with store.session() as session:
        session.add(Job(id="f" * 32, name="Fresh", kind="imputation", state="submitting"))
    panel.on_job_changed("f" * 32, "submitting", "")
    wait_idle(qtbot, runner)
    assert model.rowCount() == 11 and model.job_id(0) == "f" * 32 and not resets
    assert panel.state_filter.findData("submitting") > 0


def test_keyboard_and_remembered_layout(qtbot, make_view, store) -> None:  # type: ignore[no-untyped-def]
    seed_jobs(store, 3)
    panel = make_view()
    panel.table.setFocus()
    qtbot.keyClick(panel.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert panel.search.hasFocus()
    panel.table.horizontalHeader().resizeSection(1, 333)
    panel.table.horizontalHeader().setSortIndicator(NAME, Qt.SortOrder.AscendingOrder)
    again = make_view()
    assert again.table.horizontalHeader().sectionSize(1) == 333
    assert again.table.horizontalHeader().sortIndicatorSection() == NAME
    assert names(again.model)[0] == "Batch 000"
