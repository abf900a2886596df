"""The Upload view's models: the file list (with its per-state actions) and the history."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from PySide6.QtCore import Qt

from genoflow_desktop.core.samplesheet import SampleMetadata
from genoflow_desktop.core.transfer.journal import RESUMABLE, UploadRecord
from genoflow_desktop.qt.models.upload_file_model import (
    CHECK,
    FRACTION_ROLE,
    PAIR,
    SAMPLE,
    UPLOAD,
    FileRow,
    Transfer,
    UploadFileModel,
)
from genoflow_desktop.qt.models.upload_history_model import (
    RESUMABLE_STATUSES,
    UploadHistoryFilter,
    UploadHistoryModel,
)


def _files() -> UploadFileModel:
    model = UploadFileModel()
    model.add(
        [
            FileRow("/d/a_R1.fq.gz", 100, mate="/d/a_R2.fq.gz", mate_role="R1"),
            FileRow("/d/a_R2.fq.gz", 100, mate="/d/a_R1.fq.gz", mate_role="R2"),
            FileRow("/d/b.bam", 2000, verdict="invalid", check="Invalid: truncated"),
        ]
    )
    return model


def _record(n: int, status: str, **values: object) -> UploadRecord:
    at = datetime(2024, 5, n, tzinfo=UTC)
    fields: dict[str, object] = {
        "id": f"{n:032x}",
        "source_path": f"/d/file{n}.bam",
        "source_size": 1000,
        "source_mtime_ns": 0,
        "profile": "lab",
        "endpoint_url": None,
        "bucket": "b",
        "key": f"genoflow/P/S{n}/{n:032x}/file{n}.bam",
        "s3_upload_id": None,
        "part_size": 5 << 20,
        "project_id": "P",
        "sample_id": f"S{n}",
        "status": status,
        "error": None,
        "bytes_done": 250,
        "md5": None,
        "sha256": None,
        "etag": None,
        "speed_bps": None,
        "verification": None,
        "created_at": at,
        "updated_at": at,
        "completed_at": None,
        "parts_done": 0,
    }
    fields.update(values)
    return UploadRecord(**fields)  # type: ignore[arg-type]


def test_file_model_passes_qtmodeltester(qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    model = _files()
    qtmodeltester.check(model)
    model.update("/d/b.bam", transfer=Transfer.UPLOADING, done=500, speed=1e6, eta_s=3)
    model.remove("/d/a_R1.fq.gz")
    qtmodeltester.check(model)


def test_file_model_shows_pairs_checks_and_progress() -> None:
    model = _files()
    assert model.index(1, PAIR).data() == "R2"
    assert model.index(1, PAIR).data(Qt.ItemDataRole.ToolTipRole) == (
        "R2 of the pair with a_R1.fq.gz"
    )
    assert model.index(2, CHECK).data() == "Invalid: truncated"
    assert model.add([FileRow("/d/b.bam", 1)]) == []  # listed already
    model.update("/d/b.bam", transfer=Transfer.UPLOADING, done=500, metadata=SampleMetadata("S"))
    assert model.index(2, UPLOAD).data() == "Uploading 25%"
    assert model.index(2, UPLOAD).data(FRACTION_ROLE) == 0.25
    assert model.index(2, SAMPLE).data() == "S"
    model.update("/d/b.bam", error="Access denied. Check the keys.")
    assert model.index(2, UPLOAD).data() == "Access denied. Check the keys."
    assert model.index(2, UPLOAD).data(FRACTION_ROLE) is None
    assert model.update("/not/listed", done=1) is None


@pytest.mark.parametrize(
    ("transfer", "upload_id", "start", "pause", "resume", "cancel", "remove"),
    [
        (Transfer.NONE, None, True, False, False, False, True),
        (Transfer.QUEUED, None, False, True, False, True, False),
        (Transfer.UPLOADING, "u", False, True, False, True, False),
        (Transfer.PAUSING, "u", False, False, False, False, False),
        (Transfer.PAUSED, "u", False, False, True, True, False),
        (Transfer.FAILED, "u", False, False, True, True, False),  # retry resumes the journal
        (Transfer.FAILED, None, True, False, False, False, True),  # failed before it began
        (Transfer.CANCELLING, "u", False, False, False, False, False),
        (Transfer.CANCELED, None, True, False, False, False, True),
        (Transfer.COMPLETED, "u", False, False, False, False, True),
    ],
)
def test_actions_follow_the_upload_state(
    transfer: Transfer,
    upload_id: str | None,
    start: bool,
    pause: bool,
    resume: bool,
    cancel: bool,
    remove: bool,
) -> None:
    row = FileRow("/d/x.bam", 1, transfer=transfer, upload_id=upload_id)
    assert (row.can_start, row.can_pause, row.can_resume, row.can_cancel, row.can_remove) == (
        start,
        pause,
        resume,
        cancel,
        remove,
    )


def test_history_model_passes_qtmodeltester(qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    model = UploadHistoryModel()
    qtmodeltester.check(model)
    model.set_rows([_record(1, "completed"), _record(2, "paused", error="x")])
    qtmodeltester.check(model)
    proxy = UploadHistoryFilter()
    proxy.setSourceModel(model)
    qtmodeltester.check(proxy)


def test_history_filters_by_status_and_text() -> None:
    model = UploadHistoryModel()
    model.set_rows(
        [
            _record(1, "completed"),
            _record(2, "paused"),
            _record(3, "failed"),
            _record(4, "canceled"),
        ]
    )
    proxy = UploadHistoryFilter()
    proxy.setSourceModel(model)

    def shown() -> list[str]:
        return [proxy.index(r, 0).data() for r in range(proxy.rowCount())]

    proxy.set_status("unfinished")
    assert shown() == ["file2.bam", "file3.bam"]
    proxy.set_status("canceled")
    assert shown() == ["file4.bam"]
    proxy.set_status(None)
    proxy.set_text("s3")  # the sample id
    assert shown() == ["file3.bam"]
    proxy.set_text("GENOFLOW/P/S1/")  # the key, whatever the case
    assert shown() == ["file1.bam"]


def test_resumable_statuses_are_the_journals() -> None:
    assert {s.value for s in RESUMABLE} == RESUMABLE_STATUSES
