"""Results with lab sync: whose job each row is, its sync state, the owner filter, and no
actions on another member's job. (Against a real server: tests/integration/sync/test_app_sync.py.)"""

# Fixtures imported from results_helpers are parameters here: F811 does not apply.
# ruff: noqa: F811

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from genoflow_desktop.core.jobs.job_table import (
    FROM_LAB,
    LAB,
    LOCAL_ONLY,
    MINE,
    OWNER,
    PENDING,
    SYNC,
    SYNCED,
    Filter,
    load,
)
from genoflow_desktop.core.store import Store
from genoflow_desktop.core.store.models import ORIGIN_LAB, Job, SyncAccount
from genoflow_desktop.qt.models.job_table_model import JobTableModel
from genoflow_desktop.qt.views.results.job_detail import lab_reason
from tests.qt.conftest import wait_idle
from tests.qt.results_helpers import (  # noqa: F401 (fixtures)
    START,
    executor,
    make_view,
    runner,
    seed_jobs,
)


def add_lab_job(store: Store, name: str, owner: str) -> str:
    with store.session() as session:
        job = Job(
            name=name,
            kind="imputation",
            state="running",
            origin=ORIGIN_LAB,
            owner=owner,
            lab_owner_id="7",
            service_name="TOPMed Imputation Server",
            remote_id="job-42",
            created_at=START + timedelta(days=30),
            updated_at=START + timedelta(days=30),
        )
        job.synced_at = job.updated_at
        session.add(job)
        session.flush()
        return job.id


def sign_in_row(store: Store, role: str = "member") -> None:
    with store.session() as session:
        session.add(
            SyncAccount(
                id=1,
                server_url="https://sync.lab.example",
                user_id="3",
                email="me@lab.example",
                display_name="Me",
                lab_id="1",
                lab_name="Genomics",
                role=role,
            )
        )


def sync_column(store: Store) -> dict[str, tuple[str, str]]:
    with store.session() as session:
        table = load(session)
    return {row[1]: (row[OWNER + 1], row[SYNC + 1]) for row in table.rows}


def test_owner_and_sync_columns_follow_the_account_and_the_rows(store: Store) -> None:
    ids = seed_jobs(store, 3)
    add_lab_job(store, "Ada's run", "Ada Lovelace")
    # Not signed in: nothing of ours is shared.
    assert sync_column(store) == {
        "Batch 000": ("me", LOCAL_ONLY),
        "Batch 001": ("me", LOCAL_ONLY),
        "Batch 002": ("me", LOCAL_ONLY),
        "Ada's run": ("Ada Lovelace", FROM_LAB),
    }
    sign_in_row(store)
    with store.session() as session:
        # As the engine marks rows (updated_at kept: its onupdate would move it on).
        for job_id, synced_at in ((ids[0], Job.updated_at), (ids[1], START)):
            session.execute(
                update(Job)
                .where(Job.id == job_id)
                .values(synced_at=synced_at, updated_at=Job.updated_at)
            )
    columns = sync_column(store)
    assert columns["Batch 000"] == ("me", SYNCED)
    assert columns["Batch 001"] == ("me", PENDING)
    assert columns["Batch 002"] == ("me", PENDING)  # never sent yet: goes at the next sync
    # A viewer only reads the lab's history: its own jobs stay on this computer.
    with store.session() as session:
        account = session.get(SyncAccount, 1)
        assert account is not None
        account.role = "viewer"
    assert sync_column(store)["Batch 001"] == ("me", LOCAL_ONLY)


def test_owner_filter_and_model_with_lab_rows(store: Store, qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    seed_jobs(store, 4)
    add_lab_job(store, "Ada's run", "Ada Lovelace")
    with store.session() as session:
        table = load(session)
    model = JobTableModel(table)
    qtmodeltester.check(model)
    model.set_filter(Filter(owner=LAB))
    assert model.rowCount() == 1 and model.index(0, OWNER).data() == "Ada Lovelace"
    assert "read-only" in model.index(0, SYNC).data(3)  # ToolTipRole
    model.set_filter(Filter(owner=MINE))
    assert model.rowCount() == 4
    qtmodeltester.check(model)


def test_lab_job_shows_its_owner_and_has_no_actions(qtbot, make_view, store: Store) -> None:  # type: ignore[no-untyped-def]
    seed_jobs(store, 2)
    lab_id = add_lab_job(store, "Ada's run", "Ada Lovelace")

    class RunningJobs:  # the jobs thread is up: only ownership disables the actions
        running = True

    panel = make_view(RunningJobs())
    panel.owner_filter.setCurrentIndex(panel.owner_filter.findData(LAB))
    assert panel.model.rowCount() == 1
    assert panel.select_job(lab_id)
    qtbot.waitUntil(lambda: panel.detail.detail is not None and panel.detail.detail.id == lab_id)
    pane = panel.detail
    assert not pane.cancel.isEnabled() and not pane.download.isEnabled()
    assert pane.status.text() == lab_reason("Ada Lovelace")
    assert pane.status.text() == "This job belongs to Ada Lovelace; only they can act on it."
    assert pane.facts.text().startswith("Ada Lovelace's job, from the lab · TOPMed")
    # Asking anyway (the keyboard shortcut) says why, and does nothing.
    panel.cancel_job(lab_id)
    assert "only they can act on it" in pane.problem.text()

    panel.owner_filter.setCurrentIndex(panel.owner_filter.findData(MINE))
    assert panel.model.rowCount() == 2
    panel.table.selectRow(0)
    qtbot.waitUntil(lambda: panel.detail.detail is not None and panel.detail.detail.id != lab_id)
    assert pane.lab_owner is None and pane.cancel.isEnabled()
    wait_idle(qtbot, panel._runner)
