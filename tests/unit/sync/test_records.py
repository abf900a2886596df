"""Local rows ⇄ shared records: nothing private leaves, pulled versions merge by the shared rule."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from genoflow_desktop.core.domain import JobKind, JobState, UploadStatus
from genoflow_desktop.core.domain.sync import JOB_FIELDS, UPLOAD_FIELDS, RecordKind
from genoflow_desktop.core.log import register_secret
from genoflow_desktop.core.services import catalog
from genoflow_desktop.core.store import Store, open_store
from genoflow_desktop.core.store.models import (
    ORIGIN_LAB,
    ORIGIN_LOCAL,
    DataFile,
    Job,
    Service,
    Upload,
)
from genoflow_desktop.core.store.repositories import set_job_state
from genoflow_desktop.core.sync import account
from genoflow_desktop.core.sync.records import (
    Owner,
    apply_record,
    job_record,
    normalize,
    upload_record,
)

SERVICE = "Michigan Imputation Server 2"
JOB_PASSWORD = "Zx9-job-password-4u"
SHARE_LINK = "https://imputationserver.sph.umich.edu/share/results/7c1e0f/chr20.zip"
ENDPOINT = "https://minio.internal.lab:9000"
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(app_dirs) -> Iterator[Store]:  # type: ignore[no-untyped-def]
    store = open_store(app_dirs.database)
    with store.session() as session:
        catalog.ensure_builtin_services(session)
    yield store
    store.close()


def make_job(store: Store, tmp_path: Path) -> str:
    vcf = tmp_path / "private" / "cohort" / "chr20.vcf.gz"
    vcf.parent.mkdir(parents=True)
    vcf.write_bytes(b"x" * 10)
    register_secret(JOB_PASSWORD)
    with store.session() as session:
        service = session.scalar(select(Service).where(Service.name == SERVICE))
        assert service is not None
        session.add(
            DataFile(
                path=str(vcf.resolve()),
                name=vcf.name,
                size=10,
                mtime_ns=1,
                sha256="ab" * 32,
            )
        )
        job = Job(
            name="cohort 1",
            kind=JobKind.IMPUTATION.value,
            pipeline="imputationserver2",
            state=JobState.DRAFT.value,
            service_id=service.id,
            params={"refpanel": "hapmap2", "password": JOB_PASSWORD, "build": "hg19"},
            inputs=[str(vcf)],
            output_dir=str(tmp_path / "private" / "results"),
            results=[
                {
                    "name": "chr_20.zip",
                    "path": str(tmp_path / "private" / "results" / "chr_20.zip"),
                    "size": 99,
                    "sha256": "cd" * 32,
                    "extracted_from": None,
                }
            ],
            error=f"could not read {vcf}: see {SHARE_LINK} (password={JOB_PASSWORD})",
            project_id="P1",
            sample_id="S1",
        )
        session.add(job)
        set_job_state(session, job, JobState.QUEUED, f"submitted; results at {SHARE_LINK}")
        session.flush()
        return job.id


def test_a_job_record_carries_metadata_and_nothing_private(store: Store, tmp_path: Path) -> None:
    job_id = make_job(store, tmp_path)
    with store.session() as session:
        job = session.get(Job, job_id)
        assert job is not None
        record = job_record(session, job)

    assert set(record) == JOB_FIELDS
    assert record["service_name"] == SERVICE and record["service_kind"] == "cloudgene"
    assert record["inputs"] == [{"name": "chr20.vcf.gz", "size": 10, "sha256": "ab" * 32}]
    assert record["results"] == [{"name": "chr_20.zip", "size": 99, "sha256": "cd" * 32}]
    assert record["project_id"] == "P1" and record["state"] == "queued"
    assert record["updated_at"].endswith("+00:00")
    text = json.dumps(record)
    for private in (JOB_PASSWORD, SHARE_LINK, "umich.edu", str(tmp_path), "private", "hapmap2"):
        assert private not in text, private
    assert "params" not in record and "output_dir" not in record
    assert "chr20.vcf.gz" in record["error"]  # the file's name stays: it says what failed


def test_an_upload_record_has_no_path_profile_or_endpoint(store: Store, tmp_path: Path) -> None:
    source = tmp_path / "secret-folder" / "reads_R1.fastq.gz"
    with store.session() as session:
        upload = Upload(
            source_path=str(source),
            source_size=1234,
            source_mtime_ns=5,
            profile="lab-minio",
            endpoint_url=ENDPOINT,
            bucket="seq",
            key="genoflow/P1/reads_R1.fastq.gz",
            s3_upload_id="mpu-secret-id",
            part_size=5 << 20,
            status=UploadStatus.FAILED.value,
            error=f"{ENDPOINT} refused {source}",
            bytes_done=100,
            sha256="ef" * 32,
        )
        session.add(upload)
        session.flush()
        record = upload_record(upload)
    assert set(record) == UPLOAD_FIELDS
    assert record["name"] == "reads_R1.fastq.gz" and record["size"] == 1234
    text = json.dumps(record)
    for private in ("minio.internal", "secret-folder", "lab-minio", "mpu-secret-id"):
        assert private not in text, private


def lab_job(job_id: str = "a" * 32, **fields: object) -> dict[str, object]:
    record: dict[str, object] = {
        "id": job_id,
        "name": "lab cohort",
        "kind": "imputation",
        "pipeline": "imputationserver2",
        "service_name": "TOPMed",
        "service_kind": "cloudgene",
        "state": "running",
        "created_at": T0.isoformat(),
        "updated_at": (T0 + timedelta(minutes=5)).isoformat(),
        "history": [{"state": "running", "message": "running", "at": T0.isoformat()}],
        "inputs": [{"name": "x.vcf.gz", "size": 3, "sha256": None}],
        "results": [],
    }
    record.update(fields)
    return record


def mapped(store: Store, job_id: str) -> dict[str, object]:
    with store.session() as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job_record(session, job)


def test_a_pulled_record_becomes_a_lab_row_that_maps_back_to_it(store: Store) -> None:
    record = lab_job()
    with store.session() as session:
        outcome = apply_record(session, RecordKind.JOB, record, Owner("7", "Ada Lovelace"))
    assert outcome.action == "created"
    with store.session() as session:
        job = session.get(Job, "a" * 32)
        assert job is not None
        assert job.origin == ORIGIN_LAB and job.service_id is None
        assert job.owner == "Ada Lovelace" and job.lab_owner_id == "7"
        assert job.service_name == "TOPMed"
    assert mapped(store, "a" * 32) == normalize(RecordKind.JOB, record)
    assert account.pending_count(store) == 0


def test_merging_moves_state_forward_and_takes_the_newer_name(store: Store) -> None:
    with store.session() as session:
        apply_record(
            session, RecordKind.JOB, lab_job(state="completed"), Owner("7", "Ada Lovelace")
        )
    # An older copy that is still running arrives late, with a newer name.
    late = lab_job(
        state="running",
        name="renamed",
        updated_at=(T0 + timedelta(minutes=9)).isoformat(),
        history=[{"state": "queued", "message": "queued", "at": T0.isoformat()}],
    )
    with store.session() as session:
        outcome = apply_record(session, RecordKind.JOB, late, Owner("7", "Ada Lovelace"))
    record = mapped(store, "a" * 32)
    assert record["state"] == "completed" and record["name"] == "renamed"
    assert [e["state"] for e in record["history"]] == ["queued", "running"]  # type: ignore[union-attr]
    # The store now holds more than the server sent: pending, to be pushed next run.
    assert outcome.merged_local_changes
    assert account.pending_count(store) == 1


def test_own_record_coming_back_keeps_the_row_and_marks_it_synced(
    store: Store, tmp_path: Path
) -> None:
    job_id = make_job(store, tmp_path)
    with store.session() as session:
        job = session.get(Job, job_id)
        assert job is not None
        sent = job_record(session, job)
        updated_at = job.updated_at
    assert account.pending_count(store) == 1
    with store.session() as session:
        outcome = apply_record(session, RecordKind.JOB, sent, Owner("3", "Me"))
    assert outcome.action == "unchanged" and not outcome.merged_local_changes
    with store.session() as session:
        job = session.get(Job, job_id)
        assert job is not None
        # Sync bookkeeping must not move the record's own time (the column has onupdate=now).
        assert job.updated_at == updated_at == job.synced_at
        assert job.origin == ORIGIN_LOCAL and job.lab_owner_id == "3"
        assert job.inputs[0].endswith("chr20.vcf.gz")  # local paths kept
        assert job.params["password"] == JOB_PASSWORD
    assert account.pending_count(store) == 0
    # A local change afterwards makes it pending again, whatever the clocks say.
    with store.session() as session:
        job = session.get(Job, job_id)
        assert job is not None
        job.name = "cohort 1 (final)"
    assert account.pending_count(store) == 1


def test_a_newer_pulled_version_updates_a_local_row_but_never_its_paths(
    store: Store, tmp_path: Path
) -> None:
    job_id = make_job(store, tmp_path)
    current = mapped(store, job_id)
    newer = {
        **current,
        "name": "renamed by the lab admin",
        "state": "running",
        "updated_at": (datetime.now(UTC) + timedelta(minutes=1)).isoformat(),
        "inputs": [],
        "results": [],
    }
    with store.session() as session:
        apply_record(session, RecordKind.JOB, newer, Owner("3", "Me"))
    with store.session() as session:
        job = session.get(Job, job_id)
        assert job is not None
        assert job.name == "renamed by the lab admin" and job.state == "running"
        assert len(job.inputs) == 1 and job.results[0]["path"].endswith("chr_20.zip")
        assert job.error is not None and "password=" in job.error  # local text left as it was


def test_pulled_uploads_become_lab_rows_with_only_a_file_name(store: Store) -> None:
    record = {
        "id": "b" * 32,
        "name": "reads.bam",
        "bucket": "seq",
        "key": "genoflow/reads.bam",
        "size": 10,
        "bytes_done": 4,
        "status": "uploading",
        "created_at": T0.isoformat(),
        "updated_at": T0.isoformat(),
    }
    with store.session() as session:
        apply_record(session, RecordKind.UPLOAD, record, Owner("9", "Grace"))
    with store.session() as session:
        upload = session.get(Upload, "b" * 32)
        assert upload is not None
        assert upload.origin == ORIGIN_LAB and upload.owner == "Grace"
        assert upload.source_path == "reads.bam" and upload.endpoint_url is None
        assert upload_record(upload) == normalize(RecordKind.UPLOAD, record)
