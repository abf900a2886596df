"""Rows pulled from the lab are history: this machine never follows, resumes or cancels them."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from genoflow_desktop.core.domain import UploadStatus
from genoflow_desktop.core.domain.sync import RecordKind
from genoflow_desktop.core.errors import UserError
from genoflow_desktop.core.jobs.orchestrator import JobOrchestrator
from genoflow_desktop.core.store import Store, open_store
from genoflow_desktop.core.store.models import Job, Upload, utcnow
from genoflow_desktop.core.sync.records import Owner, apply_record
from genoflow_desktop.core.transfer.cleanup import cancel_upload
from genoflow_desktop.core.transfer.engine import run_upload
from genoflow_desktop.core.transfer.journal import RESUMABLE, Journal

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
LAB_JOB = "1" * 32
LAB_UPLOAD = "2" * 32


def _never(*_: object) -> object:
    raise AssertionError("a lab row reached a service or S3 client")


@pytest.fixture
def store(app_dirs) -> Iterator[Store]:  # type: ignore[no-untyped-def]
    store = open_store(app_dirs.database)
    with store.session() as session:
        apply_record(
            session,
            RecordKind.JOB,
            {
                "id": LAB_JOB,
                "name": "Ada's cohort",
                "kind": "imputation",
                "state": "running",
                "service_name": "Michigan Imputation Server 2",
                "remote_id": "job-20261101-1",
                "updated_at": T0.isoformat(),
                "results_expire_at": (utcnow() + timedelta(hours=3)).isoformat(),
            },
            Owner("7", "Ada"),
        )
        apply_record(
            session,
            RecordKind.UPLOAD,
            {
                "id": LAB_UPLOAD,
                "name": "reads.bam",
                "bucket": "seq",
                "key": "k",
                "size": 10,
                "status": "paused",
                "updated_at": T0.isoformat(),
            },
            Owner("7", "Ada"),
        )
        # This machine's own unfinished job and upload, which must still be picked up.
        session.add(Job(id="3" * 32, name="mine", kind="imputation", state="queued"))
        session.add(
            Upload(
                id="4" * 32,
                source_path="/data/mine.bam",
                source_size=10,
                source_mtime_ns=1,
                profile="lab",
                bucket="seq",
                key="k2",
                part_size=5 << 20,
                status=UploadStatus.PAUSED.value,
            )
        )
    yield store
    store.close()


def orchestrator(store: Store, tmp_path: Path) -> JobOrchestrator:
    return JobOrchestrator(
        store,
        results_root=tmp_path,
        poll_interval_s=0.01,
        backend_factory=_never,  # type: ignore[arg-type]
    )


def test_the_orchestrator_picks_up_only_this_machines_jobs(store: Store, tmp_path: Path) -> None:
    orch = orchestrator(store, tmp_path)
    assert orch.unfinished_jobs() == ["3" * 32]
    with pytest.raises(UserError, match="lab history from Ada"):
        asyncio.run(orch.follow(LAB_JOB))
    with pytest.raises(UserError, match="lab history"):
        asyncio.run(orch.cancel(LAB_JOB))
    # No reminder about someone else's results, and no write to their row.
    assert orch.remind_expiring() == 0
    with store.session() as session:
        job = session.get(Job, LAB_JOB)
        assert job is not None
        assert job.state == "running" and job.expiry_reminded_at is None
        assert job.synced_at == job.updated_at


def test_upload_resume_lists_and_runs_only_this_machines_uploads(store: Store) -> None:
    journal = Journal(store)
    resumable = tuple(s.value for s in RESUMABLE)
    assert [r.id for r in journal.uploads(resumable)] == ["4" * 32]  # --resume-all, the app
    assert {r.id for r in journal.uploads(include_lab=True)} == {"4" * 32, LAB_UPLOAD}
    with pytest.raises(UserError, match="lab history"):
        run_upload(store, LAB_UPLOAD, client_factory=_never)
    with pytest.raises(UserError, match="lab history"):
        cancel_upload(store, LAB_UPLOAD, client_factory=_never)
    assert journal.get(LAB_UPLOAD).status == "paused"
