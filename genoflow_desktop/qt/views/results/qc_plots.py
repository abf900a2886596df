"""The Quality tab of the Results view: imputation R2 plots, the server's QC report, and the
validation metrics of the job's input files.

pyqtgraph is imported only when a plot is first drawn, keeping it off the start-up path. Info
files and reports are read on the disk executor; this module only draws what comes back.
"""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from genoflow_desktop.core.jobs.details import InputReport, JobDetail
from genoflow_desktop.core.jobs.imputation_qc import R2_BINS, R2Stats, read_r2_stats
from genoflow_desktop.core.progress import Progress
from genoflow_desktop.qt.workers.task_runner import TaskRunner

#: Enough of a report to preview; the full report opens in the browser.
PREVIEW_BYTES = 512 * 1024
_SCRIPTS = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
R2_TASK = "results.qc.r2"
REPORT_TASK = "results.qc.report"


def read_report_preview(path: Path) -> str:
    """The start of an HTML report without scripts or styles (QTextBrowser runs neither)."""
    with path.open("rb") as data:
        text = data.read(PREVIEW_BYTES).decode("utf-8", errors="replace")
    return _SCRIPTS.sub("", text)


def input_summary(report: InputReport) -> list[tuple[str, str]]:
    """The metrics worth a glance, per format (the full report is in the Upload view)."""
    m = report.metrics
    rows: list[tuple[str, Any]] = [("Format", report.format), ("Verdict", report.verdict)]
    if report.format == "fastq":
        names = ("reads", "mean_length", "gc_percent", "mean_quality", "q30_percent")
        rows += [(n.replace("_", " ").capitalize(), m.get(n)) for n in names]
    elif report.format in ("bam", "sam", "cram"):
        rows.append(("Records", m.get("records")))
        for name, (passed, failed) in (m.get("flagstat") or {}).items():
            rows.append((name.replace("_", " "), f"{passed:,} + {failed:,}"))
    elif report.format in ("vcf", "bcf"):
        header = m.get("header") or {}
        rows += [
            ("Samples", header.get("samples")),
            ("Records", m.get("records")),
            ("SNPs", m.get("snps")),
            ("Indels", m.get("indels")),
            ("Ts/Tv", m.get("ts_tv")),
            ("Sorted", m.get("sorted")),
            ("Genome build (guess)", (m.get("build_guess") or {}).get("build")),
        ]
    return [(k, f"{v:,}" if isinstance(v, int) else str(v)) for k, v in rows if v is not None]


def fastq_curves(metrics: dict[str, Any]) -> tuple[list[float], list[float]]:
    """Mean quality and GC % per position of a FASTQ report (empty when not measured)."""
    per_position = metrics.get("per_position") or {}
    quality = list(per_position.get("mean_quality") or [])
    bases = per_position.get("base_percent") or {}
    gc = [g + c for g, c in zip(bases.get("G") or [], bases.get("C") or [], strict=False)]
    return quality, gc


class QcPanel(QScrollArea):
    def __init__(
        self, runner: TaskRunner, disk: Executor | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._disk = disk
        self._report: Path | None = None
        self.setWidgetResizable(True)
        self.setAccessibleName("Quality")
        content = QWidget()
        self._layout = QVBoxLayout(content)
        self.setWidget(content)

        self.r2_box = QGroupBox("Imputation quality (R2)")
        self.r2_status = QLabel()
        self.r2_status.setWordWrap(True)
        self.r2_plots = QHBoxLayout()
        box_layout = QVBoxLayout(self.r2_box)
        box_layout.addWidget(self.r2_status)
        box_layout.addLayout(self.r2_plots)

        self.report_box = QGroupBox("Quality-control report")
        self.open_report = QPushButton("Open report")
        self.open_report.setAccessibleName("Open the quality-control report in the browser")
        self.open_report.clicked.connect(self._on_open_report_clicked)
        self.preview = QTextBrowser()
        self.preview.setAccessibleName("Report preview")
        self.preview.setOpenLinks(False)
        self.preview.setMinimumHeight(200)
        report_layout = QVBoxLayout(self.report_box)
        report_layout.addWidget(self.open_report)
        report_layout.addWidget(self.preview)

        self.inputs_box = QGroupBox("Input files (local checks)")
        self.inputs_layout = QVBoxLayout(self.inputs_box)

        self.empty = QLabel("No quality information for this job.")
        for widget in (self.r2_box, self.report_box, self.inputs_box, self.empty):
            self._layout.addWidget(widget)
        self._layout.addStretch(1)
        runner.progress.connect(self._on_runner_progress)
        runner.failed.connect(self._on_runner_failed)
        self.show_detail(None)

    def show_detail(self, detail: JobDetail | None) -> None:
        self._runner.cancel(R2_TASK)
        self._runner.cancel(REPORT_TASK)
        self._clear(self.r2_plots)
        self._clear(self.inputs_layout)
        self.preview.clear()
        info = detail.info_files if detail else []
        self._report = detail.report_file if detail else None
        inputs = detail.inputs if detail else []
        self.r2_box.setVisible(bool(info))
        self.report_box.setVisible(self._report is not None)
        self.inputs_box.setVisible(bool(inputs))
        self.empty.setVisible(not (info or self._report or inputs))
        if info:
            self.r2_status.setText(f"Reading {len(info)} info file(s)…")
            # None (the loop's default executor) is what asyncio's run_in_executor accepts.
            task = self._runner.run_blocking(R2_TASK, self._disk, read_r2_stats, info)  # type: ignore[arg-type]
            task.add_done_callback(self._on_r2_read)
        if self._report is not None:
            self._runner.start(REPORT_TASK, self._read_report(self._report))
        for report in inputs:
            self.inputs_layout.addWidget(self._input_widget(report))

    def _on_r2_read(self, task: asyncio.Task[R2Stats | None]) -> None:
        # None: it failed (reported through the runner's failed signal) or was cancelled.
        if not task.cancelled() and (stats := task.result()) is not None:
            self._show_r2(stats)

    async def _read_report(self, path: Path) -> None:
        loop = asyncio.get_running_loop()
        try:
            html = await loop.run_in_executor(self._disk, read_report_preview, path)
        except OSError as error:
            self.preview.setPlainText(f"The report cannot be read: {error.strerror}.")
            return
        self.preview.setHtml(html)

    def _show_r2(self, stats: R2Stats) -> None:
        import pyqtgraph  # lazily: a second of imports nobody needs until a plot is shown

        if not stats.sites:
            self.r2_status.setText("The info files list no sites.")
            return
        shares = ", ".join(f"{share:.1%} with R2 ≥ {t:g}" for t, share in stats.at_least.items())
        self.r2_status.setText(f"{stats.sites:,} sites, mean R2 {stats.mean_r2:.3f}; {shares}.")
        histogram = pyqtgraph.PlotWidget(title="R2 distribution")
        histogram.setAccessibleName("R2 distribution")
        width = 1 / R2_BINS
        histogram.addItem(
            pyqtgraph.BarGraphItem(
                x0=[i * width for i in range(R2_BINS)],
                width=width,
                height=stats.r2_histogram,
                brush="#3b82f6",
            )
        )
        histogram.setLabel("bottom", "R2")
        histogram.setLabel("left", "sites")
        by_maf = pyqtgraph.PlotWidget(title="Mean R2 by minor allele frequency")
        by_maf.setAccessibleName("Mean R2 by minor allele frequency")
        labels = stats.maf_labels
        means = [0.0 if m != m else m for m in stats.maf_mean_r2]  # NaN (empty bin) as 0
        by_maf.addItem(
            pyqtgraph.BarGraphItem(
                x=list(range(len(labels))), width=0.8, height=means, brush="#22a559"
            )
        )
        by_maf.getAxis("bottom").setTicks([list(enumerate(labels))])
        by_maf.setYRange(0, 1)
        by_maf.setLabel("bottom", "MAF")
        by_maf.setLabel("left", "mean R2")
        for plot in (histogram, by_maf):
            plot.setMinimumHeight(220)
            self.r2_plots.addWidget(plot)

    def _input_widget(self, report: InputReport) -> QWidget:
        box = QGroupBox(Path(report.path).name)
        box.setToolTip(report.path)
        layout = QVBoxLayout(box)
        form = QFormLayout()
        for key, value in input_summary(report):
            form.addRow(key, QLabel(value))
        layout.addLayout(form)
        if report.format == "fastq":
            quality, gc = fastq_curves(report.metrics)
            if quality:
                import pyqtgraph

                plot = pyqtgraph.PlotWidget(title="Mean quality and GC % per position")
                plot.setAccessibleName(f"Quality and GC per position of {box.title()}")
                plot.addLegend()
                positions = list(range(1, len(quality) + 1))
                plot.plot(positions, quality, pen="#3b82f6", name="mean quality")
                if gc:
                    plot.plot(positions[: len(gc)], gc, pen="#e5484d", name="GC %")
                plot.setLabel("bottom", "position in read (bp)")
                plot.setMinimumHeight(200)
                layout.addWidget(plot)
        return box

    @staticmethod
    def _clear(layout: QVBoxLayout | QHBoxLayout) -> None:
        while (item := layout.takeAt(0)) is not None:
            widget = item.widget()
            if widget is not None:
                widget.deleteLater()

    @Slot()
    def _on_open_report_clicked(self) -> None:
        if self._report is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self._report)))

    @Slot(str, object)
    def _on_runner_progress(self, name: str, progress: Progress) -> None:
        if name == R2_TASK and progress.fraction is not None:
            self.r2_status.setText(
                f"Reading info files… {progress.fraction:.0%} ({progress.records:,} sites)"
            )

    @Slot(str, str, str)
    def _on_runner_failed(self, name: str, message: str, hint: str) -> None:
        if name == R2_TASK:
            self.r2_status.setText(f"{message} {hint}".strip())
