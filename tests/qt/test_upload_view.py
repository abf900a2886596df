"""The Upload view without S3: adding files, metadata, sample sheets, the override rule, and how
the view follows its uploads' states (the upload queue's calls are recorded, not run)."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt

from genoflow_desktop.core import settings as core_settings
from genoflow_desktop.core.samplesheet import SampleMetadata
from genoflow_desktop.core.store import Store
from genoflow_desktop.core.transfer.intake import FAILED_CHECK, NOT_CHECKED
from genoflow_desktop.core.transfer.progress import TransferProgress
from genoflow_desktop.core.validation.report import ValidationReport
from genoflow_desktop.qt.models.upload_file_model import FILE, Transfer
from genoflow_desktop.qt.views.upload import UploadView
from genoflow_desktop.qt.views.upload.sample_sheet import SampleSheetDialog
from genoflow_desktop.qt.views.upload.upload_view import NO_PROFILE
from genoflow_desktop.qt.workers.executors import Executors
from genoflow_desktop.qt.workers.store_access import StoreAccess
from genoflow_desktop.qt.workers.task_runner import TaskRunner
from tests.qt.conftest import wait_idle


class RecordingQueue:
    """Stands in for the queue's actions: records them instead of talking to S3."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []

    def send(self, path: str, *, upload_id: str | None = None, new: Any = None) -> None:
        self.calls.append(("send", Path(path).name, upload_id or new))

    def pause(self, path: str) -> None:
        self.calls.append(("pause", Path(path).name, None))

    def cancel(self, path: str, upload_id: str | None) -> None:
        self.calls.append(("cancel", Path(path).name, upload_id))


@pytest.fixture
def view(qtbot, loop, store: Store) -> Iterator[UploadView]:  # type: ignore[no-untyped-def]
    executors = Executors.create(1)
    upload_pool = ThreadPoolExecutor(1, thread_name_prefix="upload")
    runner = TaskRunner()
    settings = core_settings.Settings(part_size_mib=5)
    made = UploadView(
        StoreAccess(lambda: store, executors.db), runner, executors, settings, upload_pool
    )
    qtbot.addWidget(made)
    yield made
    runner.cancel_all()
    wait_idle(qtbot, runner)
    upload_pool.shutdown(wait=True)
    executors.shutdown()


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch, view: UploadView) -> RecordingQueue:
    queue = RecordingQueue()
    for name in ("send", "pause", "cancel"):
        monkeypatch.setattr(view.queue, name, getattr(queue, name))
    return queue


@pytest.fixture
def files(tmp_path: Path) -> list[Path]:
    run = tmp_path / "run"
    run.mkdir()
    made = [run / "S1_R1.fastq.gz", run / "S1_R2.fastq.gz", run / "S2.bam", run / "S3.cram"]
    for path in made:
        # Pairs are recognised by name *and* content (group_files sniffs for FASTQ).
        path.write_bytes(gzip.compress(b"@r1\nACGT\n+\nIIII\n") if "_R" in path.name else b"x")
    (run / "SampleSheet.pdf").write_bytes(b"not a sequencing file")
    return made


def _add(qtbot, view: UploadView, *paths: Path) -> None:  # type: ignore[no-untyped-def]
    before = view.model.rowCount()
    with qtbot.waitSignal(view.files_added):
        view.add_files([str(p) for p in paths])
    assert view.model.rowCount() > before


def _select(view: UploadView, *names: str) -> None:
    selection = view.table.selectionModel()
    selection.clearSelection()
    for row in view.model.rows:
        if row.name in names:
            selection.select(
                view.model.index(view.model.row_of(row.path), 0),
                QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
            )


def _row(view: UploadView, name: str):  # type: ignore[no-untyped-def]
    return next(r for r in view.model.rows if r.name == name)


def _checked(view: UploadView, name: str, *, invalid: bool = False) -> None:
    report = ValidationReport(path=_row(view, name).path, size=10)
    if invalid:
        report.error("truncated", "The file ends in the middle of a record.")
    view.show_report(report.path, report, "/reports/x.html")


def _with_profile(qtbot, view: UploadView, store: Store) -> None:  # type: ignore[no-untyped-def]
    from genoflow_desktop.core.transfer.profiles import Profile, save_profile

    with store.session() as session:
        save_profile(
            session,
            Profile(name="lab", bucket="lab-bucket", access_key_id="AKIAEXAMPLE"),
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            replace=True,
        )
    view.refresh()
    qtbot.waitUntil(view.upload_button.isEnabled)


def test_a_folder_adds_its_sequencing_files_with_pairs_together(  # type: ignore[no-untyped-def]
    qtbot, view: UploadView, files: list[Path]
) -> None:
    assert view.stack.currentWidget() is view.empty
    with qtbot.waitSignal(view.files_added) as added:
        view.add_files([str(files[0].parent)])
    assert sorted(Path(p).name for p in added.args[0]) == [f.name for f in files]
    assert [r.name for r in view.model.rows][:2] == ["S1_R1.fastq.gz", "S1_R2.fastq.gz"]
    assert _row(view, "S1_R2.fastq.gz").mate_role == "R2"
    assert view.stack.currentWidget() is view.table
    view.add_files([str(files[2])])  # listed already: nothing new
    wait_idle(qtbot, view._runner)
    assert view.model.rowCount() == 4 and view.count.text() == "4 file(s)"


def test_without_a_destination_upload_is_disabled_with_the_reason(  # type: ignore[no-untyped-def]
    qtbot, view: UploadView, store: Store
) -> None:
    view.refresh()
    wait_idle(qtbot, view._runner)
    assert not view.upload_button.isEnabled()
    assert view.upload_button.toolTip() == NO_PROFILE
    assert view.profile_reason.text() == NO_PROFILE and not view.profile_reason.isHidden()
    _with_profile(qtbot, view, store)
    assert view.profile.currentData() == "lab" and view.profile_reason.isHidden()


def test_metadata_applies_to_the_selection_and_its_mates(  # type: ignore[no-untyped-def]
    qtbot, view: UploadView, files: list[Path]
) -> None:
    _add(qtbot, view, *files)
    _select(view, "S1_R1.fastq.gz")
    form = view.form
    assert form.apply_button.isEnabled()
    form.sample_id.setText("S1")
    form.project.setText("PRJ-1")
    form.sequencing_type.setCurrentIndex(form.sequencing_type.findData("WES"))
    form.platform.setCurrentText("Illumina")
    form.library_prep.setText("Nextera")
    form.date.setText("2024-03-01")
    form.apply_button.click()
    for name in ("S1_R1.fastq.gz", "S1_R2.fastq.gz"):  # the R2 goes with its R1
        assert _row(view, name).metadata.sample_id == "S1"
    assert _row(view, "S1_R2.fastq.gz").metadata.sequencing_type == "WES"
    assert _row(view, "S2.bam").metadata == SampleMetadata()

    _select(view, "S2.bam")
    assert form.sample_id.text() == ""  # the form shows the selection
    form.sample_id.setText("bad id")
    form.date.setText("March")
    form.apply_button.click()
    assert not form.error.isHidden() and "not a date" in form.error.text()
    assert _row(view, "S2.bam").metadata == SampleMetadata()
    _select(view, "S1_R1.fastq.gz")
    assert (form.sample_id.text(), form.date.text()) == ("S1", "2024-03-01")


def test_sample_sheet_columns_are_mapped_and_unmatched_rows_reported(  # type: ignore[no-untyped-def]
    qtbot, view: UploadView, files: list[Path], tmp_path: Path
) -> None:
    _add(qtbot, view, *files)
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(
        "Sample_ID,R1,R2,Sample_Project,Machine\n"
        f"S1,{files[0]},S1_R2.fastq.gz,PRJ-9,NovaSeq\n"
        "S2,S2.bam,,PRJ-9,NovaSeq\n"
        "S4,S4.bam,,PRJ-9,NovaSeq\n",
        encoding="utf-8",
    )
    view.import_sheet(str(sheet))
    qtbot.waitUntil(lambda: bool(view.findChildren(SampleSheetDialog)))
    dialog = view.findChildren(SampleSheetDialog)[0]
    assert dialog.mapping()["sample_id"] == "Sample_ID"
    assert dialog.mapping()["platform"] is None  # "Machine" is not a header we know
    platform = dialog.columns["platform"]
    platform.setCurrentIndex(platform.findData("Machine"))  # the user says which it is
    assert "Matches 3 of 4" in dialog.summary.text() and "S4.bam" in dialog.summary.text()
    dialog.accept()

    assert _row(view, "S1_R2.fastq.gz").metadata == SampleMetadata(
        "S1", "PRJ-9", platform="NovaSeq"
    )
    assert _row(view, "S2.bam").metadata.sample_id == "S2"
    assert _row(view, "S3.cram").metadata == SampleMetadata()
    assert "Not in the list: S4.bam" in view.form.sheet_result.text()


def test_a_sheet_that_cannot_be_read_is_reported_in_the_form(  # type: ignore[no-untyped-def]
    qtbot, view: UploadView, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("sample_id\n")
    view.import_sheet(str(empty))
    qtbot.waitUntil(lambda: not view.form.sheet_result.isHidden())
    assert "no data rows" in view.form.sheet_result.text()


def test_only_checked_files_upload_and_invalid_ones_need_the_override(  # type: ignore[no-untyped-def]
    qtbot, view: UploadView, store: Store, files: list[Path], recorded: RecordingQueue
) -> None:
    _add(qtbot, view, files[2], files[3])
    _with_profile(qtbot, view, store)
    _checked(view, "S2.bam", invalid=True)
    assert _row(view, "S2.bam").check.startswith("Invalid: ")
    view.upload_selected()  # nothing selected: every file
    assert _row(view, "S2.bam").error == FAILED_CHECK
    assert _row(view, "S3.cram").error == NOT_CHECKED
    assert recorded.calls == []

    _checked(view, "S3.cram")
    view.override.setChecked(True)
    assert not view.override_warning.isHidden()
    _select(view, "S2.bam")
    view.upload_selected()
    assert [(c[0], c[1]) for c in recorded.calls] == [("send", "S2.bam")]
    assert recorded.calls[0][2].profile == "lab" and recorded.calls[0][2].part_size == 5 << 20
    assert _row(view, "S2.bam").transfer == Transfer.QUEUED and _row(view, "S2.bam").error is None


def test_pause_resume_cancel_follow_the_upload(  # type: ignore[no-untyped-def]
    qtbot, view: UploadView, files: list[Path], recorded: RecordingQueue
) -> None:
    _add(qtbot, view, files[2])
    path = _row(view, "S2.bam").path
    view.model.update(path, transfer=Transfer.QUEUED)
    _select(view, "S2.bam")
    queue = view.queue
    queue.created.emit(path, "u1")
    queue.progressed.emit(path, TransferProgress(done=5, total=10, speed=2.0, eta_s=2.5))
    row = _row(view, "S2.bam")
    assert (row.upload_id, row.transfer, row.done) == ("u1", Transfer.UPLOADING, 5)

    view.toggle_pause_selected()  # Space
    assert _row(view, "S2.bam").transfer == Transfer.PAUSING
    queue.progressed.emit(path, TransferProgress(done=6, total=10))  # a part in flight landed
    assert _row(view, "S2.bam").transfer == Transfer.PAUSING and _row(view, "S2.bam").done == 6
    queue.ended.emit(path, "paused", "")
    assert _row(view, "S2.bam").transfer == Transfer.PAUSED

    view.toggle_pause_selected()  # Space again resumes the same upload
    assert _row(view, "S2.bam").transfer == Transfer.QUEUED
    queue.ended.emit(path, "failed", "Access denied. Check the keys.")
    assert _row(view, "S2.bam").error == "Access denied. Check the keys."
    view.upload_selected()  # Ctrl+U on a failed upload retries it from its journal
    queue.ended.emit(path, "paused", "")

    view.cancel_or_remove_selected()  # Del
    assert _row(view, "S2.bam").transfer == Transfer.CANCELLING
    queue.ended.emit(path, "canceled", "")
    assert (_row(view, "S2.bam").transfer, _row(view, "S2.bam").upload_id) == (
        Transfer.CANCELED,
        None,
    )
    view.cancel_or_remove_selected()  # Del on a cancelled file removes it
    assert view.model.rowCount() == 0
    assert recorded.calls == [
        ("pause", "S2.bam", None),
        ("send", "S2.bam", "u1"),
        ("send", "S2.bam", "u1"),
        ("cancel", "S2.bam", "u1"),
    ]


def test_shortcuts(qtbot, view: UploadView, files: list[Path], recorded: RecordingQueue) -> None:  # type: ignore[no-untyped-def]
    _add(qtbot, view, files[2])
    path = _row(view, "S2.bam").path
    view.model.update(path, transfer=Transfer.UPLOADING, upload_id="u1", done=5)
    view.show()
    qtbot.waitExposed(view)
    assert not view.table.viewport().grab().isNull()  # the progress bar paints
    view.activateWindow()
    qtbot.waitActive(view)
    view.table.setFocus()
    qtbot.waitUntil(view.table.hasFocus)
    _select(view, "S2.bam")
    qtbot.keyClick(view.table, Qt.Key.Key_Space)
    qtbot.keyClick(view.table, Qt.Key.Key_Delete)
    assert recorded.calls == [("pause", "S2.bam", None)]  # pausing: nothing to cancel yet
    assert view.upload_action.shortcut().toString() == "Ctrl+U"
    assert view.table.accessibleName() == "Files to upload"


def test_only_uploads_that_failed_for_a_network_reason_resume_by_themselves(  # type: ignore[no-untyped-def]
    qtbot, view: UploadView, store: Store, files: list[Path], recorded: RecordingQueue
) -> None:
    from genoflow_desktop.core.connectivity import s3_target_name
    from genoflow_desktop.qt.models.upload_file_model import upload_text

    target = s3_target_name("lab")
    _add(qtbot, view, files[2], files[3])
    _with_profile(qtbot, view, store)
    for name in ("S2.bam", "S3.cram"):
        _checked(view, name)
    view.upload_selected()  # both start; the view remembers their destination
    queue = view.queue
    bam, cram = _row(view, "S2.bam").path, _row(view, "S3.cram").path
    queue.created.emit(bam, "u-bam")
    queue.created.emit(cram, "u-cram")
    queue.progressed.emit(bam, TransferProgress(done=4, total=10))
    recorded.calls.clear()
    reported: list[tuple[str, str]] = []
    view.s3_unreachable.connect(lambda name, detail: reported.append((name, detail)))

    queue.ended.emit(bam, "waiting", "The connection to 127.0.0.1 kept failing (refused).")
    queue.ended.emit(cram, "failed", "Access denied by 127.0.0.1 for bucket 'lab-bucket'.")
    waiting = _row(view, "S2.bam")
    assert waiting.transfer == Transfer.WAITING and upload_text(waiting).startswith(
        "Waiting for network"
    )
    assert reported == [(target, "The connection to 127.0.0.1 kept failing (refused).")]
    assert _row(view, "S3.cram").transfer == Transfer.FAILED  # a refusal (403) does not wait

    # The monitor, told by the view, marks the endpoint down; Upload says why it is disabled.
    view.on_connectivity_changed(target, False, f"Offline: {target} cannot be reached")
    assert not view.upload_button.isEnabled()
    # Space on the failed upload while offline: it waits too ("queued while offline").
    _select(view, "S3.cram")
    view.toggle_pause_selected()
    assert _row(view, "S3.cram").transfer == Transfer.WAITING
    assert recorded.calls == []

    # The endpoint answers: both waiting uploads resume from their journals.
    view.on_connectivity_changed(target, True, "")
    assert sorted(recorded.calls) == [("send", "S2.bam", "u-bam"), ("send", "S3.cram", "u-cram")]
    assert _row(view, "S2.bam").transfer == Transfer.QUEUED
    assert view.upload_button.isEnabled()

    # Paused by the user while waiting: it stays paused when the endpoint comes back.
    queue.ended.emit(bam, "waiting", "reset")
    _select(view, "S2.bam")
    view.pause_selected()
    assert _row(view, "S2.bam").transfer == Transfer.PAUSED
    recorded.calls.clear()
    view.on_connectivity_changed(target, False, "Offline")
    view.on_connectivity_changed(target, True, "")
    assert recorded.calls == []


def test_an_upload_that_keeps_failing_without_progress_stops_waiting() -> None:
    from genoflow_desktop.core.errors import UserError
    from genoflow_desktop.core.transfer.retry import TransferError
    from genoflow_desktop.qt.views.upload.network_waits import (
        MAX_FRUITLESS_RESUMES,
        NetworkWaits,
        waits_for_network,
    )

    waits = NetworkWaits()
    assert not waits.wait("/a", 0)  # no known destination: nothing to wait for
    waits.sent("/a", "lab")
    assert all(waits.wait("/a", 100) for _ in range(MAX_FRUITLESS_RESUMES))
    assert not waits.wait("/a", 100)  # resumed five times, sent nothing: over to the user
    assert waits.wait("/a", 200) and waits.due("S3 destination 'lab'") == ["/a"]
    waits.forget("/a")
    assert waits.due("S3 destination 'lab'") == []
    assert waits_for_network(TransferError("refused", retryable=True))
    assert not waits_for_network(TransferError("gone", retryable=True, code="NoSuchUpload"))
    assert not waits_for_network(UserError("Access denied"))


def test_column_widths_and_splitter_are_remembered(qtbot, loop, store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QSplitter

    executors = Executors.create(1)
    upload_pool = ThreadPoolExecutor(1, thread_name_prefix="upload")
    ui_state = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)

    def make() -> UploadView:
        made = UploadView(
            StoreAccess(lambda: store, executors.db),
            TaskRunner(),
            executors,
            core_settings.Settings(),
            upload_pool,
            ui_state=ui_state,
        )
        qtbot.addWidget(made)
        made.resize(1000, 600)
        made.show()
        return made

    try:
        first = make()
        first.table.horizontalHeader().resizeSection(FILE, 321)
        splitter = first.findChild(QSplitter)
        splitter.moveSplitter(500, 1)
        moved = splitter.sizes()
        again = make()
        assert again.table.horizontalHeader().sectionSize(FILE) == 321
        assert again.findChild(QSplitter).sizes() == moved
    finally:
        upload_pool.shutdown(wait=True)
        executors.shutdown()
