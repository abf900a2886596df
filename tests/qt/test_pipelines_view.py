"""The Pipelines view on a real store and the real task runner: picking, presets, submission
(with a recording stand-in for the jobs thread) and the imputation pre-flight with its fixes."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

from genoflow_desktop.core.errors import UserError
from genoflow_desktop.core.services.catalog import add_service
from genoflow_desktop.core.services.errors import MissingCredential
from genoflow_desktop.core.store import Store
from genoflow_desktop.qt.views.pipelines import PipelinesView
from genoflow_desktop.qt.workers.executors import Executors
from genoflow_desktop.qt.workers.store_access import StoreAccess
from genoflow_desktop.qt.workers.task_runner import TaskRunner
from tests.fakes.vcf import write_input_vcf
from tests.qt.conftest import wait_idle

WES = "Lab WES"


class RecordingJobs:
    """Stands in for JobRunner: records what the view submits and answers like the jobs thread."""

    running = True

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.calls: list[dict[str, Any]] = []

    def submit_new(self, **job: Any) -> Future[str]:
        self.calls.append(job)
        future: Future[str] = Future()
        if self.error is not None:
            future.set_exception(self.error)
        else:
            future.set_result("job-0001")
        return future


@pytest.fixture
def make_view(qtbot, loop, store: Store) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    with store.session() as session:
        add_service(session, WES, "wes", "http://127.0.0.1:9/ga4gh/wes/v1")
    executors = Executors.create(1)
    runner = TaskRunner()

    def make(jobs: Any = None) -> PipelinesView:
        view = PipelinesView(StoreAccess(lambda: store, executors.db), runner, jobs, executors)
        qtbot.addWidget(view)
        view.on_shown()  # as the main window does when the user opens the view
        qtbot.waitUntil(lambda: view.submit_button.isEnabled(), timeout=10_000)
        wait_idle(qtbot, runner)
        return view

    yield make
    runner.cancel_all()
    wait_idle(qtbot, runner)
    executors.shutdown()


def choose(view: PipelinesView, pipeline: str) -> None:
    view.pipeline_combo.setCurrentIndex(view.pipeline_combo.findData(pipeline))


def test_pipelines_and_services_by_kind(qtbot, make_view) -> None:  # type: ignore[no-untyped-def]
    view = make_view()
    combo = view.pipeline_combo
    assert [combo.itemData(i) for i in range(combo.count())] == [
        "wgs",
        "wes",
        "targeted",
        "imputation",
    ]
    assert view.service_combo.currentData() == WES
    assert view.version_combo.currentText() == "1.0.0"
    assert view.stack.currentWidget() is view.forms["wgs"]
    choose(view, "imputation")
    services = [view.service_combo.itemData(i) for i in range(view.service_combo.count())]
    assert WES not in services and "Michigan Imputation Server 2" in services
    # The built-in servers have no token here: the form says so, no request is made.
    wait_idle(qtbot, view._runner)
    assert "No token is saved" in view.imputation.status.text()
    assert not view.imputation.panel.isEnabled()


def test_preset_save_load_export_import(qtbot, make_view, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    view = make_view()
    choose(view, "wes")
    wait_idle(qtbot, view._runner)
    form, presets = view.forms["wes"], view.presets
    form.set_values({"padding_bp": 50, "cpus": 16, "sample_id": "NA12878"})
    presets.name_edit.setText("Twist exome")
    presets.save_button.click()
    wait_idle(qtbot, view._runner)
    assert presets.message.text() == "Saved the preset 'Twist exome'."
    assert presets.presets.currentText() == "Twist exome"

    form.set_values({"padding_bp": 0, "cpus": 1})
    presets.load_button.click()
    wait_idle(qtbot, view._runner)
    assert form.values()["padding_bp"] == 50 and form.values()["cpus"] == 16

    exported = tmp_path / "exome.json"
    presets.export_to(exported, "Shared exome")
    wait_idle(qtbot, view._runner)
    assert json.loads(exported.read_text())["params"]["padding_bp"] == 50

    form.set_values({"padding_bp": 7})
    presets.import_from(exported)
    wait_idle(qtbot, view._runner)
    assert form.values()["padding_bp"] == 50
    names = [presets.presets.itemText(i) for i in range(presets.presets.count())]
    assert names == ["Shared exome", "Twist exome"]

    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps({"genoflow_preset": 1, "pipeline": "wes", "name": "x", "params": {"cpus": 0}})
    )
    presets.import_from(bad)
    wait_idle(qtbot, view._runner)
    assert "bad.json cannot be imported: cpus: Must be at least 1" in presets.message.text()
    assert presets.message.property("role") == "error"
    assert form.values()["padding_bp"] == 50  # nothing of the bad file was used

    presets.presets.setCurrentText("Twist exome")
    presets.delete_button.click()
    wait_idle(qtbot, view._runner)
    assert [presets.presets.itemText(i) for i in range(presets.presets.count())] == ["Shared exome"]


def test_submit_sends_exactly_what_the_backend_expects(qtbot, make_view, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    jobs = RecordingJobs()
    view = make_view(jobs)
    requested: list[str] = []
    view.show_job_requested.connect(requested.append)
    reads = tmp_path / "S1_R1.fastq.gz"
    view.forms["wgs"].set_values({"sample_id": "S1", "reads_1": str(reads), "cpus": 8})
    view.job_name.setText("S1 read QC")
    view.submit_button.click()
    wait_idle(qtbot, view._runner)
    assert view.status.text() == f"Submitted to {WES} as job job-0001."
    [call] = jobs.calls
    assert call["service"] == WES and call["name"] == "S1 read QC" and call["pipeline"] == "wgs"
    params = call["params"]
    assert params["workflow_url"] == "read_qc.cwl" and params["workflow_type_version"] == "v1.2"
    assert params["workflow_params"]["reads_1"] == {"class": "File", "location": reads.name}
    assert params["workflow_params"]["cpus"] == 8
    assert params["workflow_params"]["genome_size_mb"] == 3100
    assert [p.name for p in call["files"]] == ["read_qc.cwl", reads.name]
    assert view.show_job_button.isVisible() or not view.isVisible()
    view.show_job_button.click()
    assert requested == ["job-0001"]


def test_submit_errors_are_shown_inline(qtbot, make_view) -> None:  # type: ignore[no-untyped-def]
    view = make_view(None)
    view.job_name.setText("x")
    view.submit_button.click()
    wait_idle(qtbot, view._runner)
    assert "jobs engine is still starting" in view.status.text()

    jobs = RecordingJobs()
    view = make_view(jobs)
    view.submit_button.click()
    wait_idle(qtbot, view._runner)
    assert view.status.text().startswith("Give the job a name")
    view.job_name.setText("x")
    view.submit_button.click()
    wait_idle(qtbot, view._runner)
    assert "Sample ID: Required." in view.status.text() and not jobs.calls
    assert view.status.property("role") == "error"

    jobs.error = MissingCredential("No token is stored for Lab WES.", hint="Add it in Settings.")
    view.forms["wgs"].set_values({"sample_id": "S1", "reads_1": "/data/r1.fq"})
    view.submit_button.click()
    wait_idle(qtbot, view._runner)
    assert view.status.text() == "No token is stored for Lab WES. Add it in Settings."
    jobs.error = UserError("Lab WES refused the run: bad workflow_type_version.")
    view.submit_button.click()
    wait_idle(qtbot, view._runner)
    assert "refused the run" in view.status.text() and view.submit_button.isEnabled()


def test_check_files_lists_problems_and_a_fix_replaces_the_input(
    qtbot, make_view, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    view = make_view()
    choose(view, "imputation")
    wait_idle(qtbot, view._runner)
    # A plain-text VCF: the server only reads *.vcf.gz, and the fix writes one.
    plain = tmp_path / "study.chr20.vcf"
    plain.write_bytes(gzip.decompress(write_input_vcf(tmp_path / "tmp.vcf.gz").read_bytes()))
    view.imputation.add_files([str(plain)])
    view.preflight.check_button.click()
    wait_idle(qtbot, view._runner, timeout=60_000)
    assert "would reject" in view.preflight.verdict.text()
    tree = view.preflight.findings
    codes = [tree.topLevelItem(i).text(2) for i in range(tree.topLevelItemCount())]
    assert any("will be ignored: the server only reads files named *.vcf.gz" in c for c in codes)
    buttons = [tree.itemWidget(tree.topLevelItem(i), 3) for i in range(tree.topLevelItemCount())]
    fix = next(b for b in buttons if b is not None and "bgzip" in b.text())
    fix.click()
    wait_idle(qtbot, view._runner, timeout=60_000)
    fixed = tmp_path / "study.chr20.sorted.vcf.gz"
    assert view.imputation.files() == [str(fixed)] and fixed.is_file()
    assert plain.is_file()  # the original is never touched
    view.preflight.check_button.click()
    wait_idle(qtbot, view._runner, timeout=60_000)
    # Left: the sample count (this test file has 3 samples; the servers want at least 20).
    assert "1 problem(s)" in view.preflight.verdict.text()
    remaining = [tree.topLevelItem(i).text(2) for i in range(tree.topLevelItemCount())]
    assert remaining[0].startswith("At least 20 samples must be uploaded.")


def test_offline_service_disables_submit_and_offers_a_check(qtbot, make_view) -> None:  # type: ignore[no-untyped-def]
    view = make_view()
    choose(view, "wgs")
    service = view.service_combo.currentData()
    assert not view.check_now_button.isVisibleTo(view)

    view.on_connectivity_changed(service, False, "connection refused")
    assert not view.submit_button.isEnabled()
    assert view.status.text().startswith("Offline: ") and service in view.status.text()
    assert view.check_now_button.isVisibleTo(view)
    with qtbot.waitSignal(view.check_connectivity_requested, timeout=1000):
        view.check_now_button.click()

    view.on_connectivity_changed(service, True, "")
    qtbot.waitUntil(view.submit_button.isEnabled, timeout=10_000)
    assert not view.check_now_button.isVisibleTo(view)
    assert view.status.text() == ""
