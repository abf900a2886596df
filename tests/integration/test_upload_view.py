"""The Upload view against moto's S3 server: drop, check, upload, pause/resume, cancel, override."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel

from genoflow_desktop.core import settings as core_settings
from genoflow_desktop.core.domain import UploadStatus
from genoflow_desktop.core.store import Store
from genoflow_desktop.core.store.models import DataFile, Sample, Upload
from genoflow_desktop.core.transfer.intake import FAILED_CHECK
from genoflow_desktop.core.transfer.journal import Journal
from genoflow_desktop.core.transfer.planner import MiB
from genoflow_desktop.core.transfer.progress import TransferProgress
from genoflow_desktop.qt.models.upload_file_model import Transfer
from genoflow_desktop.qt.views.upload import UploadView
from genoflow_desktop.qt.views.upload.validation_queue import ValidationQueue
from genoflow_desktop.qt.workers.executors import Executors
from genoflow_desktop.qt.workers.store_access import StoreAccess
from genoflow_desktop.qt.workers.task_runner import TaskRunner
from tests.conftest import CORPUS
from tests.integration.conftest import add_profile, s3_client
from tests.integration.s3_proxy import FaultProxy
from tests.qt.conftest import wait_idle

pytestmark = pytest.mark.integration

GOOD = CORPUS / "bam" / "generated__ce1000.bam"
BAD = CORPUS / "bam" / "generated__ce1000_bad_block_crc.bam"


@pytest.fixture
def view(qtbot, loop, store: Store, app_dirs) -> Iterator[UploadView]:  # type: ignore[no-untyped-def]
    """The view wired as app.py wires it, on real pools, a real store and the real runner."""
    executors = Executors.create(1)
    upload_pool = ThreadPoolExecutor(2, thread_name_prefix="upload")
    runner = TaskRunner()
    access = StoreAccess(lambda: store, executors.db)
    # One part in flight at a time: pausing after the first part leaves parts to resume.
    settings = core_settings.Settings(part_size_mib=5, upload_concurrency=1)
    upload = UploadView(access, runner, executors, settings, upload_pool)
    validation = ValidationQueue(
        runner, executors.validation, executors.disk, access, app_dirs.cache / "reports"
    )
    upload.files_added.connect(validation.check)
    validation.file_progress.connect(upload.show_progress)
    validation.file_checked.connect(upload.show_report)
    qtbot.addWidget(upload)
    yield upload
    runner.cancel_all()
    wait_idle(qtbot, runner)
    upload_pool.shutdown(wait=True)
    executors.shutdown()


def _add_and_check(qtbot, view: UploadView, *paths: Path) -> None:  # type: ignore[no-untyped-def]
    view.add_files([str(p) for p in paths])
    qtbot.waitUntil(
        lambda: (
            view.model.rowCount() == len(paths)
            and all(r.verdict is not None for r in view.model.rows)
        ),
        timeout=60_000,
    )
    view.refresh()  # the profiles, as when the user opens the view
    qtbot.waitUntil(view.upload_button.isEnabled)


def _select(view: UploadView, path: Path) -> None:
    index = view.model.index(view.model.row_of(str(path.resolve())), 0)
    view.table.selectionModel().select(
        index,
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )


def _row(view: UploadView, path: Path):  # type: ignore[no-untyped-def]
    row = view.model.find(str(path.resolve()))
    assert row is not None
    return row


def _fastq(path: Path, size: int) -> Path:
    """A valid FASTQ of about ``size`` bytes (uploads need several 5 MiB parts to pause in)."""
    record = "@read{}\n" + "ACGT" * 50 + "\n+\n" + "I" * 200 + "\n"
    count = size // len(record.format(0)) + 1
    path.write_text("".join(record.format(i) for i in range(count)))
    return path


def test_a_checked_file_uploads_with_its_metadata(  # type: ignore[no-untyped-def]
    qtbot, view: UploadView, store: Store, moto_endpoint: str, bucket: str
) -> None:
    add_profile(store, moto_endpoint, bucket)
    _add_and_check(qtbot, view, GOOD)
    assert _row(view, GOOD).check == "Valid"
    _select(view, GOOD)
    view.form.sample_id.setText("NA12878")
    view.form.project.setText("PRJ-1")
    view.form.sequencing_type.setCurrentText("WGS")
    view.form.apply_button.click()
    view.upload_action.trigger()

    qtbot.waitUntil(lambda: _row(view, GOOD).transfer == Transfer.COMPLETED, timeout=60_000)
    row = _row(view, GOOD)
    assert row.error is None and row.done == GOOD.stat().st_size
    record = Journal(store).get(row.upload_id)
    assert record.key.startswith(f"genoflow/PRJ-1/NA12878/{record.id}/")
    body = s3_client(moto_endpoint).get_object(Bucket=bucket, Key=record.key)["Body"].read()
    assert body == GOOD.read_bytes()
    with store.session() as session:
        upload = session.get(Upload, row.upload_id)
        assert upload is not None and upload.file_id is not None  # linked to its validation
        data_file = session.get(DataFile, upload.file_id)
        assert data_file is not None and data_file.path == str(GOOD.resolve())
        sample = session.get(Sample, data_file.sample_pk)
        assert sample is not None
        assert (sample.sample_id, sample.project_id, sample.sequencing_type) == (
            "NA12878",
            "PRJ-1",
            "WGS",
        )
    # The history shows it (it reloads when an upload ends).
    qtbot.waitUntil(lambda: view.history.model.rowCount() == 1)


def test_pause_then_resume_sends_only_the_missing_parts(  # type: ignore[no-untyped-def]
    qtbot, view: UploadView, store: Store, proxy: FaultProxy, moto_endpoint: str, bucket: str,
    tmp_path: Path,
) -> None:  # fmt: skip
    add_profile(store, proxy.endpoint, bucket)
    proxy.part_delay = 0.2
    reads = _fastq(tmp_path / "big_R1.fastq", 26 * MiB)  # 6 parts
    _add_and_check(qtbot, view, reads)
    _select(view, reads)

    def pause_after_first_part(path: str, progress: TransferProgress) -> None:
        if progress.parts_done >= 1 and _row(view, reads).transfer == Transfer.UPLOADING:
            view.toggle_pause_selected()  # Space

    view.queue.progressed.connect(pause_after_first_part)
    view.upload_selected()
    qtbot.waitUntil(lambda: _row(view, reads).transfer == Transfer.PAUSED, timeout=60_000)
    view.queue.progressed.disconnect(pause_after_first_part)
    upload_id = _row(view, reads).upload_id
    paused = Journal(store).get(upload_id)
    assert paused.status == UploadStatus.PAUSED and 1 <= paused.parts_done < 6

    proxy.part_delay = 0
    view.toggle_pause_selected()  # Space again: resume
    qtbot.waitUntil(lambda: _row(view, reads).transfer == Transfer.COMPLETED, timeout=60_000)
    record = Journal(store).get(upload_id)
    body = s3_client(moto_endpoint).get_object(Bucket=bucket, Key=record.key)["Body"].read()
    assert body == reads.read_bytes()
    mine = {n: c for (s3_id, n), c in proxy.ack_counts().items() if s3_id == record.s3_upload_id}
    assert mine == {number: 1 for number in range(1, 7)}  # no part sent twice


def test_cancel_leaves_no_multipart_upload(  # type: ignore[no-untyped-def]
    qtbot, view: UploadView, store: Store, proxy: FaultProxy, moto_endpoint: str, bucket: str,
    tmp_path: Path,
) -> None:  # fmt: skip
    add_profile(store, proxy.endpoint, bucket)
    proxy.part_delay = 0.2
    reads = _fastq(tmp_path / "big.fastq", 16 * MiB)
    _add_and_check(qtbot, view, reads)
    _select(view, reads)

    def cancel_after_first_part(path: str, progress: TransferProgress) -> None:
        if progress.parts_done >= 1 and _row(view, reads).transfer == Transfer.UPLOADING:
            view.cancel_or_remove_selected()  # Del

    view.queue.progressed.connect(cancel_after_first_part)
    view.upload_selected()
    qtbot.waitUntil(lambda: _row(view, reads).transfer == Transfer.CANCELED, timeout=60_000)
    [record] = Journal(store).uploads()
    assert record.status == UploadStatus.CANCELED
    assert record.s3_upload_id is not None  # it had begun on S3: there was something to abort
    assert not s3_client(moto_endpoint).list_multipart_uploads(Bucket=bucket).get("Uploads")
    view.cancel_or_remove_selected()  # Del on a cancelled file removes it from the list
    assert view.model.rowCount() == 0


def test_a_file_that_failed_validation_needs_the_override(  # type: ignore[no-untyped-def]
    qtbot, view: UploadView, store: Store, moto_endpoint: str, bucket: str
) -> None:
    add_profile(store, moto_endpoint, bucket)
    _add_and_check(qtbot, view, BAD)
    assert _row(view, BAD).verdict == "invalid"
    view.upload_selected()  # nothing selected: every listed file
    assert _row(view, BAD).error == FAILED_CHECK
    assert _row(view, BAD).transfer == Transfer.NONE
    assert Journal(store).uploads() == []

    view.override.setChecked(True)
    assert view.override_warning.isVisibleTo(view)
    view.upload_selected()
    qtbot.waitUntil(lambda: _row(view, BAD).transfer == Transfer.COMPLETED, timeout=60_000)
    record = Journal(store).get(_row(view, BAD).upload_id)
    body = s3_client(moto_endpoint).get_object(Bucket=bucket, Key=record.key)["Body"].read()
    assert body == BAD.read_bytes()


def test_unfinished_uploads_resume_from_the_history(  # type: ignore[no-untyped-def]
    qtbot, view: UploadView, store: Store, moto_endpoint: str, bucket: str
) -> None:
    """After a restart the list is empty; the journal still has the paused upload."""
    from genoflow_desktop.core.transfer.engine import create_upload

    add_profile(store, moto_endpoint, bucket)
    record = create_upload(store, "lab", GOOD, sample="S1", part_size=5 * MiB)
    view.refresh()
    qtbot.waitUntil(lambda: view.history.model.rowCount() == 1)
    view.history.status.setCurrentIndex(view.history.status.findData("unfinished"))
    assert view.history.proxy.rowCount() == 1
    view.history.table.selectRow(0)
    assert view.history.resume_button.isEnabled()
    view.history.resume_button.click()
    qtbot.waitUntil(lambda: _row(view, GOOD).transfer == Transfer.COMPLETED, timeout=60_000)
    assert Journal(store).get(record.id).status == UploadStatus.COMPLETED
    qtbot.waitUntil(lambda: view.history.proxy.rowCount() == 0)  # no longer unfinished
