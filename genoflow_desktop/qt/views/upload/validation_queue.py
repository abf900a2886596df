"""Checks the files added to the Upload view: validation on the ``validation`` pool, the report
kept in the store and as HTML in the cache folder, progress and verdicts back as signals."""

from __future__ import annotations

import asyncio
from concurrent.futures import Executor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal, Slot

from genoflow_desktop.core.progress import Progress
from genoflow_desktop.qt.workers.store_access import StoreAccess
from genoflow_desktop.qt.workers.task_runner import TaskRunner

if TYPE_CHECKING:
    from genoflow_desktop.core.validation.report import ValidationReport

TASK_PREFIX = "validate:"


def report_file(reports_dir: Path, report: ValidationReport) -> Path:
    name = Path(report.path).name
    return reports_dir / f"{(report.sha256 or 'unhashed')[:16]}-{name}.html"


class ValidationQueue(QObject):
    """Signals:
    file_progress(str, float): a file's path and the fraction checked so far.
    file_checked(str, object, str): path, its ValidationReport, and the HTML report's path.
    """

    file_progress = Signal(str, float)
    file_checked = Signal(str, object, str)

    def __init__(
        self,
        runner: TaskRunner,
        validation_pool: Executor,
        disk_pool: Executor,
        store: StoreAccess,
        reports_dir: Path,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._validation_pool = validation_pool
        self._disk_pool = disk_pool
        self._store = store
        self._reports_dir = reports_dir
        self._batches = 0
        runner.progress.connect(self._on_runner_progress)

    def check(self, paths: list[str]) -> None:
        """Validate ``paths`` (FASTQ pairs together); results arrive as :attr:`file_checked`."""
        self._batches += 1
        self._runner.start(f"validation-batch:{self._batches}", self._check(paths))

    def cancel(self, path: str) -> None:
        self._runner.cancel(TASK_PREFIX + path)

    async def _check(self, paths: list[str]) -> None:
        from genoflow_desktop.core.validation.engine import group_files, validate_group

        loop = asyncio.get_running_loop()
        # Grouping sniffs every file (a few KiB each): off the GUI thread too.
        groups = await loop.run_in_executor(self._disk_pool, group_files, paths)
        tasks = [
            self._runner.run_blocking(
                TASK_PREFIX + str(group[0]), self._validation_pool, validate_group, group
            )
            for group in groups
        ]
        for task in asyncio.as_completed(tasks):
            try:
                reports = await task
            except asyncio.CancelledError:
                continue  # that file was cancelled or re-queued; the others go on
            for report in reports or []:
                await self._keep(report)

    async def _keep(self, report: ValidationReport) -> None:
        from genoflow_desktop.core.store.repositories import record_validation
        from genoflow_desktop.core.validation import html_report

        target = report_file(self._reports_dir, report)
        await asyncio.get_running_loop().run_in_executor(
            self._disk_pool, html_report.write, report, target
        )
        await self._store.run(lambda session: record_validation(session, report))
        self.file_checked.emit(report.path, report, str(target))

    @Slot(str, object)
    def _on_runner_progress(self, name: str, progress: Any) -> None:
        if name.startswith(TASK_PREFIX) and isinstance(progress, Progress):
            fraction = progress.fraction
            self.file_progress.emit(
                name.removeprefix(TASK_PREFIX), -1.0 if fraction is None else fraction
            )
