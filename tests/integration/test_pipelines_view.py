"""The Pipelines view against real servers: the Cloudgene server fixture (discovery, pre-flight,
submission) and wes-service running the WGS template's CWL to COMPLETE. The jobs thread runs on a
real store, as in the app."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from genoflow_desktop.core import settings as core_settings
from genoflow_desktop.core.services.catalog import add_service
from genoflow_desktop.core.services.credentials import set_token
from genoflow_desktop.core.store import Store
from genoflow_desktop.core.store.models import Job
from genoflow_desktop.qt.views.pipelines import PipelinesView
from genoflow_desktop.qt.workers.executors import Executors
from genoflow_desktop.qt.workers.job_runner import JobRunner
from genoflow_desktop.qt.workers.store_access import StoreAccess
from genoflow_desktop.qt.workers.task_runner import TaskRunner
from tests.fakes.vcf import write_input_vcf

# The servers' session fixtures live in the client suites' conftest files; imported, pytest
# uses them here too.
from tests.integration.cloudgene.conftest import (  # noqa: F401
    FakeCloudgene,
    _cloudgene_process,
    cloudgene,
)
from tests.integration.wes.conftest import sapporo, wes_service  # noqa: F401
from tests.peers.wes_peers import WesPeer
from tests.qt.conftest import wait_idle

pytestmark = pytest.mark.integration


@pytest.fixture
def app_parts(qtbot, loop, store: Store, tmp_path: Path) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """The view's collaborators as app.py builds them, with the jobs thread started."""
    executors = Executors.create(1)
    runner = TaskRunner()
    jobs = JobRunner()
    events: list[tuple[str, str, str]] = []
    jobs.job_changed.connect(lambda *event: events.append(event))

    def make_view() -> PipelinesView:
        jobs.start(store, core_settings.Settings(), tmp_path / "results")
        jobs.orchestrator.poll_interval_s = 0.2  # the settings floor is 5 s; tests need less
        view = PipelinesView(StoreAccess(lambda: store, executors.db), runner, jobs, executors)
        qtbot.addWidget(view)
        view.on_shown()  # as the main window does when the user opens the view
        qtbot.waitUntil(view.submit_button.isEnabled, timeout=10_000)
        wait_idle(qtbot, runner)
        return view

    yield make_view, events
    runner.cancel_all()
    wait_idle(qtbot, runner)
    jobs.stop()
    executors.shutdown()


def select(combo: Any, data: str) -> None:
    index = combo.findData(data)
    assert index >= 0, f"{data} is not offered"
    combo.setCurrentIndex(index)


def test_imputation_discovery_preflight_and_submit(  # type: ignore[no-untyped-def]
    qtbot,
    app_parts,
    store: Store,
    cloudgene: FakeCloudgene,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:
    with store.session() as session:
        add_service(session, "Test MIS", "cloudgene", cloudgene.url)
        set_token(session, "Test MIS", cloudgene.token)
    cloudgene.control("config", {"auto_advance_s": 0.3})
    make_view, events = app_parts
    view = make_view()
    select(view.pipeline_combo, "imputation")
    select(view.service_combo, "Test MIS")
    form = view.imputation
    qtbot.waitUntil(lambda: form.app is not None, timeout=20_000)
    assert "reference panels" in form.status.text()
    select(form.panel, "hapmap-2")
    assert [form.population.itemData(i) for i in range(form.population.count())][:2] == [
        "eur",
        "afr",
    ]
    select(form.population, "eur")

    vcf = write_input_vcf(tmp_path / "chr20.vcf.gz")
    form.add_files([str(vcf)])
    view.preflight.check_button.click()
    wait_idle(qtbot, view._runner, timeout=60_000)
    verdict = view.preflight.verdict.text()
    assert "would reject" in verdict  # three samples; the server wants 20
    findings = view.preflight.findings
    assert findings.topLevelItem(0).text(1) == "chr20.vcf.gz"
    assert "At least 20 samples" in findings.topLevelItem(0).text(2)

    view.job_name.setText("cohort 7")
    view.submit_button.click()
    wait_idle(qtbot, view._runner, timeout=30_000)
    job_id = view.last_job_id
    assert job_id is not None, view.status.text()
    assert view.status.text() == f"Submitted to Test MIS as job {job_id}."
    qtbot.waitUntil(lambda: (job_id, "completed") in {(e[0], e[1]) for e in events}, timeout=60_000)
    with store.session() as session:
        job = session.get(Job, job_id)
        assert job is not None
        assert job.pipeline == "imputation"
        assert job.params["refpanel"] == "hapmap-2" and job.params["population"] == "eur"
        assert job.inputs == [str(vcf)]


@pytest.mark.parametrize("server", ["wes_service", "sapporo"])
def test_wgs_template_runs_to_complete(  # type: ignore[no-untyped-def]
    qtbot, request, app_parts, store: Store, server: str, tmp_path: Path
) -> None:
    peer: WesPeer = request.getfixturevalue(server)
    with store.session() as session:
        add_service(session, server, "wes", peer.base_url)
        if peer.token is not None:  # sapporo wants a bearer token; wes-service has no auth
            set_token(session, server, peer.token)
    make_view, events = app_parts
    view = make_view()
    select(view.pipeline_combo, "wgs")
    select(view.service_combo, server)
    reads = tmp_path / "S1_R1.fastq"
    reads.write_text("@r1\nACGTGGCC\n+\nIIII####\n@r2\nAAAA\n+\nIIII\n")
    view.forms["wgs"].set_values(
        {"sample_id": "S1", "reads_1": str(reads), "genome_size_mb": 0.001, "cpus": 1}
    )
    assert view.forms["wgs"].is_valid
    view.job_name.setText("S1 read QC")
    view.submit_button.click()
    wait_idle(qtbot, view._runner, timeout=60_000)
    job_id = view.last_job_id
    assert job_id is not None, view.status.text()
    qtbot.waitUntil(
        lambda: any(e[0] == job_id and e[1] in ("completed", "failed") for e in events),
        timeout=120_000,
    )
    final = [e for e in events if e[0] == job_id][-1]
    assert final[1] == "completed", final
    with store.session() as session:
        job = session.get(Job, job_id)
        assert job is not None and job.output_dir
        output_dir = Path(job.output_dir)
    if server == "sapporo":  # outputs come over HTTP, into the job's folder
        summary = next(output_dir.rglob("qc_summary.tsv")).read_text()
    else:  # wes-service leaves them on its own disk (here: this machine); we list them
        with (output_dir / "server-outputs.tsv").open() as handle:
            rows = [row["location"] for row in csv.DictReader(handle, delimiter="\t")]
        summary = Path(urlsplit(rows[0]).path).read_text()
    assert "sample\tS1\nreads\t2\nbases\t12\n" in summary
    assert "bases_q20_percent\t66.67" in summary and "mean_coverage\t0.0120" in summary
