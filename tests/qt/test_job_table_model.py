from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt

from genoflow_desktop.core.domain.records import JobRow
from genoflow_desktop.qt.models.job_table_model import COLUMNS, SORT_ROLE, JobTableModel


def rows(n: int) -> list[JobRow]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        JobRow(
            f"id{i}",
            f"Job {i}",
            "Michigan",
            "imputation",
            "running",
            start + timedelta(hours=i),
            start + timedelta(hours=i + 1),
            "ana",
        )
        for i in range(n)
    ]


def test_model_passes_qtmodeltester(qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    model = JobTableModel(rows(20))
    qtmodeltester.check(model)
    model.set_rows(rows(3))
    qtmodeltester.check(model)


def test_display_and_sort_values() -> None:
    model = JobTableModel(rows(2))
    created = COLUMNS.index(("created_at", "Created"))
    index = model.index(1, created)
    assert model.data(index, SORT_ROLE) > model.data(model.index(0, created), SORT_ROLE)
    assert model.data(index).startswith("2026-01-01")
    assert model.headerData(0, Qt.Orientation.Horizontal) == "Name"
    assert model.rowCount() == 2 and model.columnCount() == len(COLUMNS)
