"""The whole app, end to end, on real local servers, then offline.

A VCF is dropped on the window, validated, uploaded to S3 (moto, behind a proxy) from the Upload
view, submitted for imputation from the Pipelines view (the form filled from the Cloudgene
server), followed to "completed" by the jobs thread, and its results downloaded and decrypted.
Then the servers go away: every view still opens from the local store and shows the job, and
the actions that need the network are disabled with the reason shown.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pysam
import pytest
from PySide6.QtCore import QEvent, QItemSelectionModel, QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication

from genoflow_desktop.core import settings as core_settings
from genoflow_desktop.core.connectivity import (
    SUBMIT_LATER,
    UPLOAD_LATER,
    offline_reason,
    s3_target_name,
)
from genoflow_desktop.core.domain import Verdict
from genoflow_desktop.core.paths import AppDirs
from genoflow_desktop.core.services.catalog import add_service, ensure_builtin_services
from genoflow_desktop.core.services.credentials import set_token
from genoflow_desktop.core.store import Store
from genoflow_desktop.qt.app import GenoflowApp
from genoflow_desktop.qt.models.upload_file_model import Transfer
from genoflow_desktop.qt.views.dashboard import DashboardView
from genoflow_desktop.qt.views.pipelines import PipelinesView
from genoflow_desktop.qt.views.results import ResultsView
from genoflow_desktop.qt.views.settings import SettingsView
from genoflow_desktop.qt.views.upload import UploadView
from tests.fakes.cloudgene_server import DEFAULT_TOKEN
from tests.fakes.vcf import write_input_vcf
from tests.integration.cloudgene.conftest import FakeCloudgene, fake_cloudgene_server
from tests.integration.conftest import add_profile, s3_client
from tests.integration.s3_proxy import FaultProxy
from tests.qt.conftest import wait_idle

pytestmark = pytest.mark.integration

SERVICE = "Test MIS"
PROFILE = "lab"


@pytest.fixture
def cloudgene_server(tmp_path: Path) -> Iterator[Any]:
    """A Cloudgene server of this test's own, so the test can stop it (go offline)."""
    state = tmp_path / "cloudgene"
    state.mkdir()
    server = fake_cloudgene_server(state)
    url = server.__enter__()
    try:
        yield FakeCloudgene(url), server
    finally:
        server.__exit__(None, None, None)  # a second exit after the test stopped it is a no-op


@pytest.fixture
def genoflow(  # type: ignore[no-untyped-def]
    qapp: QApplication,
    qtbot,
    loop,
    app_dirs: AppDirs,
    store: Store,
    cloudgene_server,
    proxy: FaultProxy,
    bucket: str,
):
    """The real composition root (as the ``genoflow_app`` fixture), made after the store knows
    the Cloudgene server (with the user's token) and the S3 destination: the views start
    reading the store as soon as they exist."""
    cloudgene, _ = cloudgene_server
    with store.session() as session:
        ensure_builtin_services(session)
        add_service(session, SERVICE, "cloudgene", cloudgene.url)
        set_token(session, SERVICE, DEFAULT_TOKEN)
    add_profile(store, proxy.endpoint, bucket, name=PROFILE)  # S3 through a proxy we can stop
    app = GenoflowApp(
        qapp, app_dirs, core_settings.Settings(validation_workers=1), store_opener=lambda: store
    )
    yield app
    # Signal sources first (no job news after this), then the window and the tasks.
    app.connectivity.stop()
    app.jobs.stop()
    app.window.close()
    app.runner.cancel_all()
    wait_idle(qtbot, app.runner)
    # Deleted, not only closed: the views' timers (a dashboard refresh after late job news)
    # must not fire after this test's event loop is gone.
    app.window.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    app.executors.shutdown()
    app.store_access.close()


def view(app: GenoflowApp, key: str, kind: type[Any]) -> Any:
    found = app.views[key]
    assert isinstance(found, kind)
    return found


def drop(app: GenoflowApp, path: Path) -> None:
    """What the window receives when a file is dragged from a file manager onto it."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(
        QPointF(20, 20),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    app.window.dropEvent(event)


def select(combo: Any, data: str) -> None:
    index = combo.findData(data)
    assert index >= 0, f"{data} is not offered"
    combo.setCurrentIndex(index)


def select_service_row(settings_view: SettingsView, name: str) -> None:
    assert settings_view.services is not None
    table = settings_view.services.table
    for row in range(table.topLevelItemCount()):
        item = table.topLevelItem(row)
        item.setSelected(item.text(0) == name)


def test_drop_upload_submit_follow_download_then_browse_offline(  # type: ignore[no-untyped-def]
    qtbot,
    loop,
    genoflow: GenoflowApp,
    store: Store,
    cloudgene_server,
    proxy: FaultProxy,
    moto_endpoint: str,
    bucket: str,
    tmp_path: Path,
) -> None:
    cloudgene, server = cloudgene_server
    cloudgene.control("config", {"auto_advance_s": 0.3})
    (tmp_path / "inputs").mkdir()
    vcf = write_input_vcf(tmp_path / "inputs" / "chr20.vcf.gz")

    # What run_app does: show the window, open the store, then start the jobs thread on the db
    # executor (it writes the built-in services, as the views' first reads may at the same time).
    genoflow.window.show()
    started = loop.run_in_executor(genoflow.executors.db, genoflow.start_jobs)
    qtbot.waitUntil(started.done, timeout=20_000)
    started.result()
    genoflow.jobs.orchestrator.poll_interval_s = 0.2  # the settings floor is 5 s; tests need less
    genoflow.services_ready()
    window = genoflow.window
    upload = view(genoflow, "upload", UploadView)
    pipelines = view(genoflow, "pipelines", PipelinesView)
    results = view(genoflow, "results", ResultsView)
    dashboard = view(genoflow, "dashboard", DashboardView)
    settings_view = view(genoflow, "settings", SettingsView)

    # -- drop → validated → uploaded to S3 ------------------------------------------------
    drop(genoflow, vcf)
    assert window.current_view_key == "upload"
    qtbot.waitUntil(
        lambda: upload.model.rowCount() == 1 and upload.model.rows[0].verdict is not None,
        timeout=60_000,
    )
    row = upload.model.rows[0]
    assert row.verdict in (Verdict.VALID, Verdict.VALID_WITH_WARNINGS), row.check_details
    qtbot.waitUntil(upload.upload_button.isEnabled, timeout=10_000)  # the profile is loaded
    upload.table.selectionModel().select(
        upload.model.index(0, 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )
    upload.upload_button.click()
    qtbot.waitUntil(lambda: upload.model.rows[0].transfer == Transfer.COMPLETED, timeout=60_000)
    destination = upload.model.rows[0].destination
    assert destination.startswith(f"s3://{bucket}/")
    key = destination.removeprefix(f"s3://{bucket}/")
    stored = s3_client(moto_endpoint).get_object(Bucket=bucket, Key=key)["Body"].read()
    assert stored == vcf.read_bytes()

    # -- submit an imputation job from the Pipelines view ---------------------------------
    window.show_view("pipelines")
    qtbot.waitUntil(pipelines.submit_button.isEnabled, timeout=20_000)
    select(pipelines.pipeline_combo, "imputation")
    # The services are read from the store just after the templates.
    qtbot.waitUntil(lambda: pipelines.service_combo.findData(SERVICE) >= 0)
    select(pipelines.service_combo, SERVICE)
    form = pipelines.imputation
    qtbot.waitUntil(lambda: form.app is not None, timeout=30_000)  # the server's choices
    select(form.panel, "hapmap-2")
    select(form.population, "eur")
    form.add_files([str(vcf)])
    pipelines.job_name.setText("end to end")
    pipelines.submit_button.click()
    qtbot.waitUntil(lambda: pipelines.last_job_id is not None, timeout=30_000)
    job_id = pipelines.last_job_id

    # -- followed to completed in Results; results downloaded and decrypted ---------------
    pipelines.show_job_button.click()
    assert window.current_view_key == "results"

    def shown_job() -> Any:
        panel = results.panel
        return panel.detail.detail if panel is not None else None

    def completed() -> None:
        detail = shown_job()
        assert detail is not None and detail.id == job_id
        assert detail.state == "completed", (detail.state, detail.attention, detail.error)

    qtbot.waitUntil(completed, timeout=90_000)
    detail = shown_job()
    assert detail.results and all(Path(f.path).is_file() for f in detail.results)
    doses = list(Path(detail.output_dir).rglob("*.dose.vcf.gz"))
    assert doses, sorted(p.name for p in Path(detail.output_dir).rglob("*"))
    with pysam.VariantFile(str(doses[0])) as variants:  # decrypted and readable
        assert len(list(variants)) > 0

    # -- the network goes away ------------------------------------------------------------
    proxy.stop()
    server.__exit__(None, None, None)
    genoflow.connectivity.check_now()
    qtbot.waitUntil(
        lambda: genoflow.connectivity_label.text() == "Offline: 2 services unreachable",
        timeout=30_000,
    )
    job_offline = offline_reason(SERVICE)
    assert job_offline.startswith(f"Offline: {SERVICE} cannot be reached")

    # Every view opens from the local store, shows the job, and says why actions are off.
    window.show_view("dashboard")
    qtbot.waitUntil(lambda: dashboard.cards["completed_jobs"].value.text() == "1")

    window.show_view("upload")
    qtbot.waitUntil(lambda: upload.history.model.rowCount() == 1)
    assert not upload.upload_button.isEnabled()
    assert upload.profile_reason.isVisible()
    assert upload.profile_reason.text() == offline_reason(s3_target_name(PROFILE), UPLOAD_LATER)

    window.show_view("pipelines")
    select(pipelines.pipeline_combo, "imputation")
    select(pipelines.service_combo, SERVICE)
    submit_offline = offline_reason(SERVICE, SUBMIT_LATER)
    qtbot.waitUntil(lambda: pipelines.status.text() == submit_offline)
    assert not pipelines.submit_button.isEnabled()

    window.show_view("results")
    qtbot.waitUntil(lambda: results.panel.model.row_of(job_id) is not None)
    assert results.panel.select_job(job_id)
    qtbot.waitUntil(lambda: results.panel.detail.status.text() == job_offline)
    pane = results.panel.detail
    assert pane.detail is not None and pane.detail.state == "completed"
    assert pane.status.isVisible()
    assert not pane.download.isEnabled() and not pane.cancel.isEnabled()
    assert pane.export.isEnabled() and pane.open_folder.isEnabled()  # local: still there

    window.show_view("settings")
    assert settings_view.services is not None
    qtbot.waitUntil(lambda: settings_view.services.table.topLevelItemCount() > 0)
    select_service_row(settings_view, SERVICE)
    assert not settings_view.services.test_button.isEnabled()
    assert settings_view.services.status.text() == job_offline
