"""Render every main view to PNG with demo data: ``python -m genoflow_desktop.qt.screenshots DIR``.

Uses Qt's offscreen platform unless a display is chosen, so it runs on machines without a screen.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import asyncio

import qasync
from PySide6.QtCore import QEventLoop, QTimer
from sqlalchemy import select
from sqlalchemy.orm import Session

from genoflow_desktop.core import paths
from genoflow_desktop.core import settings as core_settings
from genoflow_desktop.core.store import Store, demo, open_store
from genoflow_desktop.core.store.models import Job, S3Profile
from genoflow_desktop.qt.app import GenoflowApp, create_application
from genoflow_desktop.qt.style import apply_theme
from genoflow_desktop.qt.views.dashboard import DashboardView
from genoflow_desktop.qt.views.results import ResultsView
from genoflow_desktop.qt.views.settings import SettingsView
from genoflow_desktop.qt.views.settings.settings_view import LAB_ACCOUNT_TITLE
from genoflow_desktop.qt.views.upload import UploadView

SIZE = (1180, 760)


def _settle(app: object, milliseconds: int = 300) -> None:
    loop = QEventLoop()
    QTimer.singleShot(milliseconds, loop.quit)
    loop.exec()


def _write_demo_files(folder: Path) -> None:
    """A small FASTQ pair, a VCF and a stray text file: realistic check results."""
    import gzip
    import random

    rng = random.Random(42)

    # Quality strings drawn from a pool: a per-base draw for every read takes seconds.
    qualities = [
        "".join(
            chr(33 + max(2, min(40, int(rng.gauss(36 - cycle * 0.06, 3))))) for cycle in range(150)
        )
        for _ in range(200)
    ]

    def reads(mate: int, count: int, skip: int = -1) -> bytes:
        lines = []
        for number in range(count):
            if number == skip:
                continue
            sequence = "".join(rng.choices("ACGT", k=150))
            quality = rng.choice(qualities)
            lines.append(
                f"@A00123:8:H7KJ:1:1101:{number}:1000 {mate}:N:0:ACGT\n{sequence}\n+\n{quality}\n"
            )
        return gzip.compress("".join(lines).encode())

    (folder / "NA12878_S1_R1_001.fastq.gz").write_bytes(reads(1, 40_000))
    (folder / "NA12878_S1_R2_001.fastq.gz").write_bytes(reads(2, 40_000))
    (folder / "cohort.chr20.vcf").write_text(
        "##fileformat=VCFv4.2\n##contig=<ID=20,length=64444167>\n"
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\tS2\n"
        + "".join(
            f"20\t{60000 + 100 * i}\trs{i}\tA\tG\t50\tPASS\t.\tGT\t0|1\t1|1\n" for i in range(200)
        )
    )
    (folder / "notes.txt").write_text("Sequencing run 42: samples received 2026-11-02.\n")


def _add_demo_destinations(session: Session) -> None:
    """Two S3 destinations for the Settings page: rows only. Nothing goes to the keychain (this
    runs on developers' machines, with their real one) and nothing contacts the endpoints."""
    session.add_all(
        [
            S3Profile(
                name="lab-aws",
                region="eu-central-1",
                bucket="genoflow-lab-raw",
                prefix="incoming/",
                sse="aws:kms",
                use_credential_chain=True,
            ),
            S3Profile(
                name="core-minio",
                endpoint_url="https://minio.core.lab.example.org:9000",
                bucket="sequencing-runs",
                prefix="",
                access_key_id="GENOFLOWCORE01",
                sse="AES256",
                use_credential_chain=False,
            ),
        ]
    )


def demo_history(seconds: int = 300, step: int = 2) -> list[tuple[float, float, float, float]]:
    """Five minutes of live-chart samples as a busy lab sees them: two uploads that start, share
    the link and finish, with the CPU following the upload rate (hashing) and memory steady.

    (seconds ago, throughput in B/s, CPU %, memory in bytes), oldest first.
    """
    import math
    import random

    rng = random.Random(7)
    samples = []
    for ago in range(seconds, 0, -step):
        t = seconds - ago
        # A first file from 20 s to 170 s, a second from 120 s on: the rate steps up, then down.
        rate = (62e6 if 20 <= t < 170 else 0) + (48e6 if t >= 120 else 0)
        rate = max(0.0, rate * (0.9 + 0.2 * rng.random()) if rate else rng.uniform(0, 0.4e6))
        cpu = 3 + rate / 1e6 * 0.22 + rng.uniform(-1.5, 1.5) + 4 * math.sin(t / 23) ** 2
        memory = 268e6 + 0.35 * rate + rng.uniform(-2e6, 2e6)
        samples.append((float(ago), rate, max(0.5, cpu), memory))
    return samples


def _show_lab_account(genoflow: GenoflowApp, settings_view: SettingsView, store: Store) -> None:
    """The Lab account section as after a remembered sign-in was restored, from the demo's
    account row: no keychain is read and no sync server contacted."""
    from genoflow_desktop.core.sync import account
    from genoflow_desktop.qt.views.settings.sync_panel import SyncPanel
    from genoflow_desktop.qt.workers.sync_runner import SyncState

    panel = SyncPanel(genoflow.sync, genoflow.runner)
    settings_view.attach_sync(panel)
    state = SyncState(
        account=account.load_account(store),
        signed_in=True,
        pending=account.pending_count(store),
        totp_enabled=False,
    )
    panel.show_state(state)


def _show_transfers(upload: UploadView) -> None:
    """Uploads in the states a user meets (no S3 server is contacted): the rows are given
    the values the upload queue reports while a pair uploads and the VCF is done."""
    from genoflow_desktop.core.samplesheet import SampleMetadata
    from genoflow_desktop.qt.models.upload_file_model import Transfer

    # File name: state, fraction sent, speed in bytes/s (the ETA follows from the size).
    states = {
        "NA12878_S1_R1_001.fastq.gz": (Transfer.UPLOADING, 0.62, 1.9e6),
        "NA12878_S1_R2_001.fastq.gz": (Transfer.UPLOADING, 0.41, 1.7e6),
        "cohort.chr20.vcf": (Transfer.COMPLETED, 1.0, None),
    }
    for row in upload.model.rows:
        if row.name not in states:
            continue
        transfer, fraction, speed = states[row.name]
        sample = "cohort-20" if row.name.endswith(".vcf") else "NA12878"
        upload.model.update(
            row.path,
            transfer=transfer,
            upload_id=f"demo-{row.name}",
            done=int(row.size * fraction),
            speed=speed,
            eta_s=row.size * (1 - fraction) / speed if speed else None,
            metadata=SampleMetadata(sample_id=sample, project="PRJ-042"),
        )


def render(output: Path, theme: str = "light") -> list[Path]:
    output.mkdir(parents=True, exist_ok=True)
    app = create_application()
    apply_theme(app, theme)
    event_loop = qasync.QEventLoop(app, already_running=True)
    asyncio.set_event_loop(event_loop)
    base = Path(tempfile.mkdtemp(prefix="genoflow-screens-"))
    dirs = paths.resolve_dirs(base)
    dirs.ensure()
    store = open_store(dirs.database)
    with store.session() as session:
        demo.seed(session, datetime.now(UTC))
        _add_demo_destinations(session)
    genoflow = GenoflowApp(
        app, dirs, core_settings.Settings(validation_workers=1), store_opener=lambda: store
    )
    # The Settings view's services panel, as after start-up, but not the connectivity monitor:
    # the demo services are remote hosts that rendering screenshots must never contact.
    settings_view = genoflow.views["settings"]
    assert isinstance(settings_view, SettingsView)
    # (The S3 panel's access test would use the disk pool; nothing is tested here.)
    settings_view.attach_services(genoflow.store_access, genoflow.runner, genoflow.executors.disk)
    _show_lab_account(genoflow, settings_view, store)
    window = genoflow.window
    window.resize(*SIZE)
    window.show()
    sample_dir = base / "run42"
    sample_dir.mkdir()
    _write_demo_files(sample_dir)
    checked: list[str] = []
    genoflow.validation.file_checked.connect(lambda path, *_: checked.append(path))
    genoflow.window.files_dropped.emit([str(sample_dir)])
    upload = genoflow.views["upload"]
    assert isinstance(upload, UploadView)
    # The folder is scanned in the background, then each file is checked.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (
        upload.model.rowCount() and len(checked) >= upload.model.rowCount()
    ):
        _settle(app, 100)
    _show_transfers(upload)
    written = []
    with store.session() as session:
        finished = session.scalar(
            select(Job.id)
            .where(Job.state == "completed", Job.kind == "imputation")
            .order_by(Job.created_at.desc())
            .limit(1)
        )
    results = genoflow.views["results"]
    assert isinstance(results, ResultsView)
    dashboard = genoflow.views["dashboard"]
    assert isinstance(dashboard, DashboardView)
    for key in window.views:
        if key == "results" and finished is not None:
            results.show_job(finished)  # a job with history and result files in the detail
        window.show_view(key)
        if key == "dashboard":
            # The charts are built after the first paint; then give them five minutes of past.
            deadline = time.monotonic() + 10
            while dashboard.charts is None and time.monotonic() < deadline:
                _settle(app, 100)
            assert dashboard.charts is not None
            dashboard.charts.load_history(demo_history())
        _settle(app, 300)
        target = output / f"{key}.png"
        window.grab().save(str(target))
        written.append(target)
        if key == "settings":
            # The preferences sit below the services and destinations: a second picture.
            settings_view.go_to("Transfers")
            _settle(app, 300)
            target = output / "settings-preferences.png"
            window.grab().save(str(target))
            written.append(target)
            settings_view.go_to(LAB_ACCOUNT_TITLE)
            _settle(app, 300)
            target = output / "settings-lab-account.png"
            window.grab().save(str(target))
            written.append(target)
    window.close()
    return written


def main() -> int:
    output = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
    for path in render(output):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
