"""Two desktops of one lab edit offline, the server comes back, and everything converges.

Alice (desktop A, lab admin) and Bob (desktop B, member) share one lab. Both make edits while
the server is down: A completes and renames its job X and finishes its upload U; B starts its
job Y, and later A (an admin may) renames Bob's Y from its lab copy, still at "queued"; B also
renames nothing of A's (it may not) but creates job Z. When the server is back, each syncs
twice (interleaved): both stores then hold the same shared record for every row, the server
holds each record once and equal to them, Y is running under Alice's name for it (state from
one side, newer name from the other), no state went backwards, and neither desktop acts on the
other's rows.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from genoflow_desktop.core.domain import JobState, UploadStatus
from genoflow_desktop.core.domain.sync import RecordKind
from genoflow_desktop.core.jobs.orchestrator import JobOrchestrator
from genoflow_desktop.core.store import Store
from genoflow_desktop.core.store.models import ORIGIN_LAB, ORIGIN_LOCAL, Job, Service, Upload
from genoflow_desktop.core.store.repositories import set_job_state
from genoflow_desktop.core.sync.records import normalize
from genoflow_desktop.core.transfer.journal import Journal
from tests.integration.sync.conftest import Admin, Desktop, LabServer

pytestmark = pytest.mark.integration

SERVICE = "Michigan Imputation Server 2"


def add_job(desktop: Desktop, name: str, password: str) -> str:
    store = desktop.store()
    try:
        with store.session() as session:
            service = session.scalar(select(Service).where(Service.name == SERVICE))
            job = Job(
                name=name,
                kind="imputation",
                pipeline="imputationserver2",
                state=JobState.DRAFT.value,
                service_id=service.id if service else None,
                params={"refpanel": "1000g-phase-3-v5", "password": password},
                inputs=[str(desktop.base / "private" / f"{name}.vcf.gz")],
            )
            session.add(job)
            set_job_state(session, job, JobState.QUEUED, "submitted")
            session.flush()
            return job.id
    finally:
        store.close()


def add_upload(desktop: Desktop, name: str) -> str:
    store = desktop.store()
    try:
        with store.session() as session:
            upload = Upload(
                source_path=str(desktop.base / "private" / name),
                source_size=1000,
                source_mtime_ns=1,
                profile="lab",
                endpoint_url="http://127.0.0.1:1/private-endpoint",
                bucket="seq",
                key=f"genoflow/{name}",
                part_size=5 << 20,
                status=UploadStatus.UPLOADING.value,
                bytes_done=200,
            )
            session.add(upload)
            session.flush()
            return upload.id
    finally:
        store.close()


def edit(desktop: Desktop, job_id: str, *, state: JobState | None = None, name: str = "") -> None:
    store = desktop.store()
    try:
        with store.session() as session:
            job = session.get(Job, job_id)
            assert job is not None
            if state is not None:
                set_job_state(session, job, state, f"now {state.value}")
            if name:
                job.name = name
    finally:
        store.close()


def finish_upload(desktop: Desktop, upload_id: str) -> None:
    store = desktop.store()
    try:
        with store.session() as session:
            upload = session.get(Upload, upload_id)
            assert upload is not None
            upload.status = UploadStatus.COMPLETED.value
            upload.bytes_done = upload.source_size
    finally:
        store.close()


def sync(desktop: Desktop) -> dict[str, Any]:
    result = desktop("sync", "--json")
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def status(desktop: Desktop) -> dict[str, Any]:
    result = desktop("sync", "status", "--json")
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def rows(desktop: Desktop) -> dict[str, tuple[str, str | None]]:
    """(origin, owner) of every job and upload."""
    store: Store = desktop.store()
    try:
        with store.session() as session:
            return {
                row.id: (row.origin, row.owner)
                for model in (Job, Upload)
                for row in session.scalars(select(model))
            }
    finally:
        store.close()


def test_offline_edits_on_two_desktops_converge(
    tmp_path: Path, lab_server: LabServer, admin: Admin
) -> None:
    admin.user("alice@lab.example", "Alice")
    admin.user("bob@lab.example", "Bob")
    lab = admin.lab("Genomics", {"alice@lab.example": "admin", "bob@lab.example": "member"})
    a, b = Desktop(tmp_path, "A"), Desktop(tmp_path, "B")
    for desktop, email in ((a, "alice@lab.example"), (b, "bob@lab.example")):
        result = desktop.login(lab_server, email)
        assert result.returncode == 0, result.stderr
        assert "lab Genomics (" in result.stdout

    x = add_job(a, "cohort-x", "pw-of-job-x-123")
    u = add_upload(a, "reads-u.bam")
    y = add_job(b, "cohort-y", "pw-of-job-y-456")
    assert sync(a)["pushed"] == 2
    assert sync(b) == {"pushed": 1, "pulled": 3, "conflicts": 0, "refused": 0, "cursor": 3}
    sync(a)
    assert rows(b)[x] == (ORIGIN_LAB, "Alice") and rows(a)[y] == (ORIGIN_LAB, "Bob")

    # Offline: the server is down while both desktops keep working.
    lab_server.stop()
    edit(a, x, state=JobState.RUNNING)
    edit(a, x, state=JobState.COMPLETED, name="cohort-x (final)")
    finish_upload(a, u)
    edit(b, y, state=JobState.RUNNING)
    z = add_job(b, "cohort-z", "pw-of-job-z-789")
    edit(a, y, name="cohort-y (named by Alice)")
    offline = a("sync")
    assert offline.returncode == 3
    assert "could not be reached" in offline.stderr and "next sync" in offline.stderr
    assert status(a)["pending"] == 3 and status(b)["pending"] == 2
    assert "could not be reached" in status(a)["last_error"]

    lab_server.start()
    for desktop in (b, a, b, a):
        sync(desktop)

    # Both stores hold the same shared records, and the server each record once, the same.
    records_a, records_b = a.records(), b.records()
    assert set(records_a) == {x, u, y, z}
    assert records_a == records_b
    on_server = admin.pull_all(lab["id"])
    ids = [item["record"]["id"] for item in on_server]
    assert sorted(ids) == sorted(records_a)
    for item in on_server:
        kind = RecordKind(item["kind"])
        assert normalize(kind, item["record"]) == records_a[item["record"]["id"]]
    assert {item["record"]["id"]: item["owner"]["display_name"] for item in on_server} == {
        x: "Alice",
        u: "Alice",
        y: "Bob",
        z: "Bob",
    }

    # States only moved forward; the newest names won.
    assert (records_a[x]["state"], records_a[x]["name"]) == ("completed", "cohort-x (final)")
    assert (records_a[y]["state"], records_a[y]["name"]) == ("running", "cohort-y (named by Alice)")
    assert [e["state"] for e in records_a[y]["history"]] == ["queued", "running"]
    assert records_b[u]["status"] == "completed"
    assert [e["state"] for e in records_b[x]["history"]] == ["queued", "running", "completed"]
    assert status(a)["pending"] == 0 and status(b)["pending"] == 0
    assert sync(a)["pushed"] == 0  # nothing left to send

    # Each desktop acts only on its own rows.
    assert rows(a)[x][0] == ORIGIN_LOCAL and rows(b)[x][0] == ORIGIN_LAB
    store = b.store()
    try:
        orchestrator = JobOrchestrator(store, results_root=tmp_path / "results")
        assert orchestrator.unfinished_jobs() == [y, z]  # never Alice's, whatever their state
        assert [r.id for r in Journal(store).uploads()] == []  # Alice's upload is not B's to resume
    finally:
        store.close()

    # Nothing private reached the server or the other desktop.
    server_text = json.dumps(on_server)
    for private in ("pw-of-job", "private", "1000g-phase-3-v5", "127.0.0.1:1", str(tmp_path)):
        assert private not in server_text, private
