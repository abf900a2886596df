"""Realistic demo content for view previews and screenshots. Never used by the app itself."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from genoflow_desktop.core.domain import JobKind, JobState, UploadStatus
from genoflow_desktop.core.store.models import (
    ORIGIN_LAB,
    DataFile,
    Job,
    JobStatusEvent,
    Notification,
    Service,
    SyncAccount,
    Upload,
)

SERVICES = [
    ("Michigan Imputation Server 2", "cloudgene", "https://imputationserver.sph.umich.edu"),
    ("TOPMed Imputation Server", "cloudgene", "https://imputation.biodatacatalyst.nhlbi.nih.gov"),
    ("Lab WES (Toil on Slurm)", "wes", "https://wes.lab.example.org/ga4gh/wes/v1"),
]
OWNERS = ["ana.silva", "kwame.mensah", "li.wei", "sofia.rossi"]
#: The lab sync demo: this installation is signed in as the first, the others' jobs are pulled.
LAB_MEMBERS = ["Ana Silva", "Kwame Mensah", "Li Wei", "Sofia Rossi"]
LAB_NAME = "Genomics Core"
STATES = (
    [JobState.COMPLETED] * 10
    + [JobState.RUNNING] * 3
    + [JobState.QUEUED] * 2
    + [
        JobState.FAILED,
        JobState.FAILED,
        JobState.CANCELED,
        JobState.DOWNLOADING,
        JobState.SUBMITTING,
    ]
)


def seed(
    session: Session, now: datetime, *, jobs: int = 36, lab: bool = True, seed_value: int = 7
) -> None:
    """Add services, jobs in every state with their history, uploads and notifications, and
    with ``lab``, a signed-in lab sync account and some jobs of other members pulled from the lab."""
    rng = random.Random(seed_value)
    services = [
        Service(name=n, kind=k, base_url=u, builtin=k == "cloudgene") for n, k, u in SERVICES
    ]
    session.add_all(services)
    session.flush()
    for number in range(jobs):
        service = services[number % len(services)]
        imputation = service.kind == "cloudgene"
        state = STATES[number % len(STATES)]
        created = now - timedelta(hours=number * 7 + rng.randint(0, 5), minutes=rng.randint(0, 59))
        cohort = rng.choice(["GSA-v3 batch", "H3Africa array", "UKB pilot", "Trio panel"])
        job = Job(
            name=f"{cohort} {number + 1:02d} chr1-22"
            if imputation
            else f"WGS sample NA{12878 + number}",
            kind=JobKind.IMPUTATION if imputation else JobKind.WORKFLOW,
            pipeline="imputationserver2" if imputation else "wgs-germline",
            service_id=service.id,
            state=state.value,
            created_at=created,
            updated_at=created + timedelta(minutes=rng.randint(5, 300)),
            remote_id=f"job-{created:%Y%m%d-%H%M%S}-{rng.randint(100, 999)}",
        )
        if number % 6 != 1:  # most were sent to the lab; the others changed since
            job.synced_at = job.updated_at
        if number % 5 == 2 and lab:  # another member's, pulled from the lab
            job.origin = ORIGIN_LAB
            job.owner = LAB_MEMBERS[1 + number % (len(LAB_MEMBERS) - 1)]
            job.lab_owner_id = str(2 + number % (len(LAB_MEMBERS) - 1))
            job.service_name, job.service_kind, job.service_id = service.name, service.kind, None
            job.synced_at = job.updated_at
        _describe(job, state, imputation, created, rng)
        if job.origin == ORIGIN_LAB:  # as pulled: result names and checksums, no paths here
            job.output_dir = None
            job.results = [{k: v for k, v in r.items() if k != "path"} for r in job.results or []]
        session.add(job)
        for step, step_state in enumerate(
            [JobState.SUBMITTING, JobState.QUEUED, JobState.RUNNING, state]
        ):
            session.add(
                JobStatusEvent(
                    job=job, state=step_state.value, at=created + timedelta(minutes=step * 20)
                )
            )
            if step_state is state:
                break
    for number, status in enumerate(
        [
            UploadStatus.UPLOADING,
            UploadStatus.PAUSED,
            UploadStatus.COMPLETED,
            UploadStatus.COMPLETED,
            UploadStatus.FAILED,
        ]
    ):
        name = f"S{number + 1}_L001_R1_001.fastq.gz"
        size = rng.randint(2, 40) * 1_000_000_000
        data_file = DataFile(
            path=f"/data/run42/{name}",
            name=name,
            size=size,
            mtime_ns=0,
            format="fastq",
            compression="bgzf",
        )
        session.add(data_file)
        session.flush()
        session.add(
            Upload(
                file_id=data_file.id,
                source_path=data_file.path,
                source_size=size,
                source_mtime_ns=0,
                profile="lab-bucket",
                bucket="lab-sequencing",
                key=f"run42/{name}",
                part_size=64 << 20,
                status=status.value,
                bytes_done=size if status is UploadStatus.COMPLETED else size // 3,
                speed_bps=rng.uniform(40e6, 90e6) if status is UploadStatus.UPLOADING else None,
                error="Access denied by the bucket policy (HTTP 403)."
                if status is UploadStatus.FAILED
                else None,
                # Finished uploads were sent to the lab; running ones change at every part.
                synced_at=now if lab and status is UploadStatus.COMPLETED else None,
                updated_at=now,
            )
        )
    if lab:
        session.add(
            SyncAccount(
                id=1,
                server_url="https://sync.genomics-core.example.org",
                user_id="1",
                email="ana.silva@genomics-core.example.org",
                display_name=LAB_MEMBERS[0],
                lab_id="1",
                lab_name=LAB_NAME,
                role="member",
                remember=True,
                pull_cursor=1840,
                signed_in_at=now - timedelta(days=12),
                last_sync_at=now - timedelta(minutes=4),
            )
        )
    session.add_all(
        [
            Notification(
                level="info",
                title="Imputation finished: GSA-v3 batch 01",
                body="22 result files downloaded.",
            ),
            Notification(
                level="error",
                title="Job failed: H3Africa array 03",
                body="Only 12 samples; at least 20 needed.",
            ),
            Notification(
                level="warning",
                title="Token for TOPMed expires in 5 days",
                body="Add a new token in Settings.",
            ),
        ]
    )


IMPUTATION_STEPS = [
    ("Input Validation", "ok", "3 valid VCF file(s) found. Samples: 1,204 · Chromosomes: 20 21 22"),
    ("Quality Control", "ok", "Calculating QC Statistics"),
    ("Quality Control", "warning", "Excluded sites in total: 3,112 · Remaining sites: 412,996"),
    ("Phasing and Imputation", "running", "Imputation (14/22)"),
]


def _describe(
    job: Job, state: JobState, imputation: bool, created: datetime, rng: random.Random
) -> None:
    """What the server said about the job, as the orchestrator would have recorded it."""
    import hashlib

    if state is JobState.QUEUED:
        job.queue_position = rng.randint(0, 6)
        job.remote_state = "waiting"
    elif state is JobState.RUNNING:
        job.progress = rng.uniform(0.2, 0.9)
        job.remote_state = "running" if imputation else "RUNNING"
        job.messages = [
            {"step": step, "level": level, "text": text}
            for step, level, text in (IMPUTATION_STEPS if imputation else [])
        ]
    elif state is JobState.FAILED:
        job.remote_state = "failed" if imputation else "EXECUTOR_ERROR"
        job.error = (
            "Quality Control: more than 100 obvious strand flips (236). Imputation cannot be "
            "started!"
            if imputation
            else "bwa mem exited with code 1: [E::bwa_idx_load] fail to locate the index files"
        )
    elif state is JobState.COMPLETED:
        job.remote_state = "success" if imputation else "COMPLETE"
        job.finished_at = created + timedelta(hours=3)
        job.results_expire_at = job.finished_at + timedelta(days=7)
        names = (
            [f"chr_{c}.zip" for c in (20, 21, 22)] + ["qc_report.txt", "quality-control.html"]
            if imputation
            else ["NA12878.bam", "NA12878.bam.bai", "NA12878.g.vcf.gz", "run-log.json"]
        )
        job.output_dir = f"/data/genoflow/results/{job.name.replace(' ', '_')}"
        job.results = [
            {
                "name": name,
                "path": f"{job.output_dir}/{name}",
                "size": rng.randint(10_000, 900_000_000),
                "sha256": hashlib.sha256(f"{job.name}/{name}".encode()).hexdigest(),
                "extracted_from": None,
            }
            for name in names
        ]
