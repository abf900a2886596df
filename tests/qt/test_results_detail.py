"""The Results view's detail pane, exports and QC tab, on a real store and real files."""

# Fixtures imported from results_helpers are parameters here: F811 does not apply.
# ruff: noqa: F811

from __future__ import annotations

import csv
import hashlib
import zipfile
from datetime import timedelta
from pathlib import Path

from genoflow_desktop.core.jobs.details import retention_text
from genoflow_desktop.core.jobs.exports import write_jobs
from genoflow_desktop.core.store.models import Job, JobStatusEvent, Service, utcnow
from tests.fakes.vcf import bgzipped_info
from tests.qt.conftest import wait_idle
from tests.qt.results_helpers import (  # noqa: F401 (fixtures)
    START,
    executor,
    make_view,
    runner,
    seed_jobs,
)


def add_result_job(store, folder: Path, state: str = "completed") -> str:  # type: ignore[no-untyped-def]
    """An imputation job with history, step messages, and results on disk."""
    folder.mkdir(parents=True)
    files = {
        "chr20.info.gz": bgzipped_info("20"),
        "qcreport/quality-control.html": b"<html><script>alert(1)</script><h1>QC report</h1>"
        b"<p>Sites checked: 1,234</p></html>",
        "statistics/snps-excluded.txt": b"20:61795 monomorphic\n",
    }
    results = []
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        results.append(
            {
                "name": name,
                "path": str(path),
                "size": len(content),
                "sha256": hashlib.sha256(content).hexdigest(),
                "extracted_from": None,
            }
        )
    with store.session() as session:
        service = Service(name="Michigan Imputation Server 2", kind="cloudgene", base_url="x")
        job = Job(
            name="GSA batch 3",
            kind="imputation",
            state=state,
            remote_id="job-20260301-1",
            output_dir=str(folder),
            results=results,
            messages=[
                {"step": "Input validation", "level": "info", "text": "4 sites"},
                {"step": "Quality control", "level": "warning", "text": "2 sites excluded"},
            ],
            attention="The token was refused; add a new token in Settings.",
            results_expire_at=utcnow() + timedelta(days=3, hours=5),
            queue_position=None,
        )
        session.add(service)
        session.flush()
        job.service_id = service.id
        session.add(job)
        for minutes, step in enumerate(("submitting", "queued", "running", state)):
            session.add(
                JobStatusEvent(
                    job=job, state=step, message=f"{step}!", at=START + timedelta(minutes=minutes)
                )
            )
        session.flush()
        return job.id


def test_detail_pane_shows_history_messages_files_and_qc(
    qtbot, make_view, store, runner, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    job_id = add_result_job(store, tmp_path / "GSA batch 3")
    panel = make_view()
    assert panel.select_job(job_id)
    qtbot.waitUntil(lambda: panel.detail.detail is not None and panel.detail.detail.id == job_id)
    detail = panel.detail
    assert "GSA batch 3" in detail.title.text()
    assert "server id job-20260301-1" in detail.facts.text()
    assert detail.problem.text().startswith("The token was refused")
    assert detail.retention.text().startswith("Results deleted on the server in 3.2 days")
    assert [detail.history.topLevelItem(i).text(1) for i in range(4)] == [
        "submitting",
        "queued",
        "running",
        "completed",
    ]
    assert detail.messages.topLevelItem(1).text(1) == "2 sites excluded"
    assert detail.files.topLevelItemCount() == 3
    first = detail.files.topLevelItem(0)
    assert first.text(0) == "chr20.info.gz"
    assert first.text(2) == hashlib.sha256(bgzipped_info("20")).hexdigest()
    # Copy the checksum the way sha256sum prints it.
    first.setSelected(True)
    detail.copy_checksums()
    from PySide6.QtGui import QGuiApplication

    assert QGuiApplication.clipboard().text() == f"{first.text(2)}  chr20.info.gz"
    # Offline: no jobs thread, so network actions are off with the reason shown; the rest works.
    assert not detail.cancel.isEnabled() and not detail.download.isEnabled()
    assert "not running" in detail.status.text()
    assert detail.open_folder.isEnabled() and detail.export.isEnabled()

    # QC: the R2 plots from the real bgzipped info file (4 sites, R2 0.9 each), the report.
    qc = panel.qc
    # Wait for the summary, not the progress line ("Reading info files… 100% (4 sites)").
    qtbot.waitUntil(lambda: "4 sites," in qc.r2_status.text(), timeout=10_000)
    assert "mean R2 0.900" in qc.r2_status.text()
    assert qc.r2_plots.count() == 2
    qtbot.waitUntil(lambda: "Sites checked" in qc.preview.toPlainText())
    assert "alert" not in qc.preview.toPlainText()
    wait_idle(qtbot, runner)


def test_export_results_as_folder_and_zip(qtbot, make_view, store, runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    job_id = add_result_job(store, tmp_path / "GSA batch 3")
    panel = make_view()
    panel.select_job(job_id)
    qtbot.waitUntil(lambda: panel.detail.detail is not None)
    archive = tmp_path / "out" / "results.zip"
    archive.parent.mkdir()
    panel.export_results_to(archive)
    wait_idle(qtbot, runner)
    with zipfile.ZipFile(archive) as zipped:
        assert sorted(zipped.namelist()) == [
            "chr20.info.gz",
            "qcreport/quality-control.html",
            "statistics/snps-excluded.txt",
        ]
        assert zipped.read("statistics/snps-excluded.txt") == b"20:61795 monomorphic\n"
        assert zipped.read("chr20.info.gz") == bgzipped_info("20")
        assert zipped.getinfo("chr20.info.gz").compress_type == zipfile.ZIP_STORED
    assert "Exported to" in panel.detail.task.text()
    assert not (archive.parent / "results.zip.part").exists()

    panel.export_results_to(tmp_path / "copy")
    wait_idle(qtbot, runner)
    copied = tmp_path / "copy" / "GSA batch 3"
    assert (copied / "qcreport" / "quality-control.html").read_bytes().startswith(b"<html>")
    assert (copied / "chr20.info.gz").read_bytes() == bgzipped_info("20")


def test_export_jobs_writes_the_listed_rows(
    qtbot, make_view, store, runner, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    seed_jobs(store, 12)
    panel = make_view()
    panel.state_filter.setCurrentIndex(panel.state_filter.findData("failed"))
    target = tmp_path / "jobs.tsv"
    panel.export_jobs_to(target)
    wait_idle(qtbot, runner)
    with target.open(newline="") as data:
        rows = list(csv.reader(data, delimiter="\t"))
    assert rows[0] == [
        "id",
        "name",
        "service",
        "kind",
        "state",
        "created_at",
        "updated_at",
        "owner",
        "sync",
    ]
    # Failed jobs are 2, 6, 10, newest first as listed; times in UTC, ISO 8601.
    assert [r[1] for r in rows[1:]] == ["Batch 010", "Batch 006", "Batch 002"]
    assert rows[1][2:] == [
        "Michigan Imputation Server 2",
        "imputation",
        "failed",
        "2026-03-01T10:00:00+00:00",
        "2026-03-01T10:05:00+00:00",
        "me",  # made here (lab rows show their owner's name)
        "local only",  # not signed in to a lab
    ]
    assert "3 jobs written" in panel.notice.text()


def test_write_jobs_csv_quotes_what_needs_quoting(tmp_path: Path) -> None:
    row = ("id1", 'Batch "A", chr1', "Lab WES", "workflow", "running", 0.0, 60.0, "", "")
    target = tmp_path / "jobs.csv"
    assert write_jobs([row], target) == 1
    assert target.read_text().splitlines() == [
        "id,name,service,kind,state,created_at,updated_at,owner,sync",
        'id1,"Batch ""A"", chr1",Lab WES,workflow,running,1970-01-01T00:00:00+00:00,1970-01-01T00:01:00+00:00,,',
    ]


def test_retention_text() -> None:
    now = START
    assert retention_text(None, now) == ""
    assert retention_text(now + timedelta(days=3, hours=5), now) == (
        "results deleted on the server in 3.2 days"
    )
    assert (
        retention_text(now + timedelta(hours=5), now)
        == "results deleted on the server in 5.0 hours"
    )
    assert retention_text(now - timedelta(hours=1), now) == "results deleted on the server"


class FakeOrchestrator:
    def __init__(self) -> None:
        self.canceled: list[str] = []

    async def cancel(self, job_id: str) -> str:
        self.canceled.append(job_id)
        return "running"


class FakeJobs:
    """The jobs thread's interface as the view uses it, running on the test's loop."""

    running = True

    def __init__(self) -> None:
        self.orchestrator = FakeOrchestrator()

    def call(self, coroutine):  # type: ignore[no-untyped-def]
        import asyncio

        return asyncio.run_coroutine_threadsafe(coroutine, asyncio.get_event_loop())


def test_delete_asks_then_cancels_through_the_jobs_thread(  # type: ignore[no-untyped-def]
    qtbot, make_view, store, runner, tmp_path: Path, monkeypatch
) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QMessageBox

    job_id = add_result_job(store, tmp_path / "GSA batch 3", state="running")
    jobs = FakeJobs()
    panel = make_view(jobs)
    panel.select_job(job_id)
    qtbot.waitUntil(lambda: panel.detail.cancel.isEnabled())
    assert panel.detail.download.isEnabled() and not panel.detail.status.isVisible()
    answers = [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes]
    asked: list[str] = []

    def question(parent, title, text, *args):  # type: ignore[no-untyped-def]
        asked.append(text)
        return answers.pop(0)

    monkeypatch.setattr(QMessageBox, "question", question)
    panel.table.setFocus()
    qtbot.keyClick(panel.table, Qt.Key.Key_Delete)
    wait_idle(qtbot, runner)
    assert jobs.orchestrator.canceled == []  # the user said no
    qtbot.keyClick(panel.table, Qt.Key.Key_Period, Qt.KeyboardModifier.ControlModifier)
    wait_idle(qtbot, runner)
    assert jobs.orchestrator.canceled == [job_id]
    assert len(asked) == 2 and "GSA batch 3" in asked[0]


def test_download_progress_of_the_shown_job(qtbot, make_view, store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    shown = add_result_job(store, tmp_path / "shown")
    other = "f" * 32
    panel = make_view()
    assert panel.select_job(shown)
    qtbot.waitUntil(lambda: panel.detail.detail is not None and panel.detail.detail.id == shown)
    detail = panel.detail

    panel.on_download_progress(other, "chr1.zip", 10, 100)  # another job: nothing shown
    assert detail.task.isHidden()
    panel.on_download_progress(shown, "chr20.zip", 2_500_000, 10_000_000)
    assert detail.task.text() == "Downloading chr20.zip: 2.5 MB of 10.0 MB"
    assert detail.busy.maximum() == 1000 and detail.busy.value() == 250
    panel.on_download_progress(shown, "chr20.zip", 10_000_000, 10_000_000)
    assert detail.task.text() == "Downloaded chr20.zip (10.0 MB)"
    panel.on_download_progress(shown, "log.txt", 512, None)  # size unknown: a busy bar
    assert detail.busy.maximum() == 0
