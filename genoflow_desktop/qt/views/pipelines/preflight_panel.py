"""The imputation pre-flight in the Pipelines view: what the server would reject, and fixes.

"Check files" runs :func:`~genoflow_desktop.core.validation.preflight.imputation_preflight` (it
reads every record) on the ``validation`` pool. Each finding is listed in the server's words with
its hint; a finding that names a fix gets a button that runs the fix
(:func:`~genoflow_desktop.core.validation.fixes.apply_fix`, which writes new files and never
touches the input) on the same pool, then puts the fixed file(s) in place of the input.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from genoflow_desktop.core.errors import UserError

if TYPE_CHECKING:
    from genoflow_desktop.core.validation.preflight import PreflightResult
    from genoflow_desktop.qt.workers.task_runner import TaskRunner

FIX_LABELS = {
    "bgzip_sort_index": "bgzip, sort and index",
    "rename_chromosomes": "rename chromosomes for the build",
    "split_by_chromosome": "split by chromosome",
    "vcf_version_42": "declare VCFv4.2",
}


class PreflightPanel(QWidget):
    """Signals:
    files_replaced(str, list): a fix wrote new file(s) (list of str) for the input (str).
    """

    files_replaced = Signal(str, list)

    def __init__(
        self,
        runner: TaskRunner,
        pool: Executor,
        choices: Callable[[], tuple[list[str], str, str]],
        parent: QWidget | None = None,
    ) -> None:
        """``choices()`` gives the files, build and phasing to check, at the time of the click."""
        super().__init__(parent)
        self._runner = runner
        self._pool = pool
        self._choices = choices
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.check_button = QPushButton("Check files")
        self.check_button.setToolTip(
            "Run the imputation server's input checks here, before uploading"
        )
        self.check_button.clicked.connect(self._on_check_clicked)
        row.addWidget(self.check_button)
        self.verdict = QLabel()
        self.verdict.setWordWrap(True)
        self.verdict.setAccessibleName("Pre-flight verdict")
        row.addWidget(self.verdict, 1)
        layout.addLayout(row)
        self.findings = QTreeWidget()
        self.findings.setHeaderLabels(["Severity", "File", "What the server would say", "Fix"])
        self.findings.setRootIsDecorated(False)
        self.findings.setAccessibleName("Pre-flight findings")
        self.findings.setVisible(False)
        layout.addWidget(self.findings)

    @Slot()
    def _on_check_clicked(self) -> None:
        paths, build, phasing = self._choices()
        self.check(paths, build, phasing)

    def check(self, paths: list[str], build: str, phasing: str) -> None:
        if not paths:
            self._say("Add the VCF files to check first.", error=True)
            return
        self._say(f"Checking {len(paths)} file(s) as the server would…")
        self.check_button.setEnabled(False)
        self._runner.start("pipelines.preflight", self._check(paths, build, phasing))

    async def _check(self, paths: list[str], build: str, phasing: str) -> None:
        from genoflow_desktop.core.validation.preflight import imputation_preflight

        work = functools.partial(imputation_preflight, paths, build=build, phasing=phasing)
        try:
            result = await asyncio.get_running_loop().run_in_executor(self._pool, work)
        except UserError as error:
            self._say(f"{error.message} {error.hint}".strip(), error=True)
            return
        finally:
            self.check_button.setEnabled(True)
        self.show_result(result)

    def show_result(self, result: PreflightResult) -> None:
        self.findings.clear()
        offered: set[tuple[str, str]] = set()
        for finding in result.findings:
            name = Path(finding.path).name if finding.path else "all files"
            item = QTreeWidgetItem([finding.severity.value, name, finding.message])
            item.setToolTip(2, finding.hint)
            if finding.hint:
                item.setText(2, f"{finding.message}\n{finding.hint}")
            self.findings.addTopLevelItem(item)
            # A fix needs a file to work on; offer each (fix, file) once.
            if finding.fix and finding.path and (finding.fix, finding.path) not in offered:
                offered.add((finding.fix, finding.path))
                self.findings.setItemWidget(
                    item, 3, self._fix_button(finding.fix, finding.path, result.build)
                )
        self.findings.setVisible(bool(result.findings))
        self.findings.resizeColumnToContents(0)
        if result.ok:
            warnings = f" ({len(result.warnings)} warning(s))" if result.warnings else ""
            self._say(f"The server would accept these files{warnings}.\n{result.summary_text()}")
        else:
            self._say(
                f"The server would reject these files: {len(result.errors)} problem(s).", error=True
            )

    def _fix_button(self, fix: str, path: str, build: str) -> QPushButton:
        button = QPushButton(f"Fix: {FIX_LABELS.get(fix, fix)}")
        button.setAccessibleName(f"Fix {Path(path).name}: {FIX_LABELS.get(fix, fix)}")
        button.clicked.connect(lambda: self.run_fix(fix, path, build))
        return button

    def run_fix(self, fix: str, path: str, build: str) -> None:
        self._say(f"Writing a fixed copy of {Path(path).name}…")
        self._runner.start(f"pipelines.fix:{path}", self._fix(fix, path, build))

    async def _fix(self, fix: str, path: str, build: str) -> None:
        from genoflow_desktop.core.validation.fixes import apply_fix

        options = {"build": build} if fix == "rename_chromosomes" else {}
        work = functools.partial(apply_fix, fix, path, **options)
        try:
            written = await asyncio.get_running_loop().run_in_executor(self._pool, work)
        except UserError as error:
            self._say(f"{error.message} {error.hint}".strip(), error=True)
            return
        self.files_replaced.emit(path, [str(p) for p in written])
        self.findings.clear()
        self.findings.setVisible(False)
        names = ", ".join(p.name for p in written)
        self._say(f"{Path(path).name} was replaced by {names}. Check the files again.")

    def _say(self, text: str, *, error: bool = False) -> None:
        self.verdict.setText(text)
        self.verdict.setProperty("role", "error" if error else "")
        self.verdict.style().polish(self.verdict)
