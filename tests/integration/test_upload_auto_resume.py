"""An upload whose S3 endpoint goes away waits for it, then finishes by itself when it is back.

The view, the upload queue and the connectivity monitor are wired as app.py wires them; the
endpoint is the fault proxy in front of moto, stopped mid-upload and started again on its port.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel

from genoflow_desktop.core import settings as core_settings
from genoflow_desktop.core.connectivity import Connectivity, s3_target_name
from genoflow_desktop.core.store import Store
from genoflow_desktop.core.transfer.journal import Journal
from genoflow_desktop.core.transfer.planner import MiB
from genoflow_desktop.core.transfer.retry import Backoff
from genoflow_desktop.qt.connectivity import ConnectivityMonitor
from genoflow_desktop.qt.models.upload_file_model import Transfer, upload_text
from genoflow_desktop.qt.views.upload import UploadView
from genoflow_desktop.qt.views.upload.validation_queue import ValidationQueue
from genoflow_desktop.qt.workers.executors import Executors
from genoflow_desktop.qt.workers.store_access import StoreAccess
from genoflow_desktop.qt.workers.task_runner import TaskRunner
from tests.integration.conftest import add_profile, s3_client
from tests.integration.s3_proxy import FaultProxy
from tests.qt.conftest import wait_idle

pytestmark = pytest.mark.integration


@pytest.fixture
def wired(qtbot, loop, store: Store, app_dirs) -> Iterator[tuple[UploadView, ConnectivityMonitor]]:  # type: ignore[no-untyped-def]
    executors = Executors.create(1)
    upload_pool = ThreadPoolExecutor(2, thread_name_prefix="upload")
    runner = TaskRunner()
    access = StoreAccess(lambda: store, executors.db)
    settings = core_settings.Settings(part_size_mib=5, upload_concurrency=1)
    view = UploadView(access, runner, executors, settings, upload_pool)
    # Quick retries and probes: the test waits seconds, not the minutes the app would.
    view.queue.options = dataclasses.replace(
        view.queue.options, backoff=Backoff(attempts=2, base=0.05, cap=0.1), connect_timeout=2
    )
    monitor = ConnectivityMonitor(
        access,
        runner,
        model=Connectivity(first_backoff_s=0.2, max_backoff_s=0.5),
        tick_ms=200,
    )
    monitor.changed.connect(view.on_connectivity_changed)
    view.s3_unreachable.connect(monitor.report_unreachable)
    validation = ValidationQueue(
        runner, executors.validation, executors.disk, access, app_dirs.cache / "reports"
    )
    view.files_added.connect(validation.check)
    validation.file_checked.connect(view.show_report)
    qtbot.addWidget(view)
    yield view, monitor
    monitor.stop()
    runner.cancel_all()
    wait_idle(qtbot, runner)
    upload_pool.shutdown(wait=True)
    executors.shutdown()


def _fastq(path: Path, size: int) -> Path:
    record = "@read{}\n" + "ACGT" * 50 + "\n+\n" + "I" * 200 + "\n"
    path.write_text("".join(record.format(i) for i in range(size // len(record.format(0)) + 1)))
    return path


def test_an_upload_resumes_by_itself_when_s3_is_back(  # type: ignore[no-untyped-def]
    qtbot,
    wired: tuple[UploadView, ConnectivityMonitor],
    store: Store,
    proxy: FaultProxy,
    moto_endpoint: str,
    bucket: str,
    tmp_path: Path,
) -> None:
    view, monitor = wired
    add_profile(store, proxy.endpoint, bucket)
    port = int(proxy.endpoint.rsplit(":", 1)[1])
    target = s3_target_name("lab")
    reads = _fastq(tmp_path / "reads_R1.fastq", 21 * MiB)  # 5 parts
    view.add_files([str(reads)])
    qtbot.waitUntil(
        lambda: view.model.rowCount() == 1 and view.model.rows[0].verdict is not None,
        timeout=60_000,
    )
    view.refresh()
    qtbot.waitUntil(view.upload_button.isEnabled)
    monitor.start()
    path = view.model.rows[0].path
    view.table.selectionModel().select(
        view.model.index(0, 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )
    proxy.part_delay = 0.3
    view.upload_selected()
    qtbot.waitUntil(lambda: view.model.find(path).done >= 5 * MiB, timeout=60_000)

    # S3 goes away: kept-alive connections are reset, new ones refused.
    proxy.inject(*["reset"] * 50)
    proxy.stop()
    qtbot.waitUntil(lambda: view.model.find(path).transfer == Transfer.WAITING, timeout=30_000)
    row = view.model.find(path)
    assert upload_text(row).startswith("Waiting for network") and row.error is None
    qtbot.waitUntil(lambda: not monitor.model.is_online(target), timeout=5000)
    assert not view.upload_button.isEnabled()  # with the reason, next to the destination
    assert "cannot be reached" in view.profile_reason.text()

    # Back on the same address: the monitor's probe sees it, the upload resumes by itself.
    revived = FaultProxy(moto_endpoint, port=port).start()
    try:
        qtbot.waitUntil(
            lambda: view.model.find(path).transfer == Transfer.COMPLETED, timeout=60_000
        )
    finally:
        revived.stop()
    record = Journal(store).get(view.model.find(path).upload_id)
    body = s3_client(moto_endpoint).get_object(Bucket=bucket, Key=record.key)["Body"].read()
    assert body == reads.read_bytes()
    assert monitor.model.is_online(target) and view.upload_button.isEnabled()
    # Resumed, not restarted: the parts sent before the outage were not sent again.
    sent_again = [n for (_, n), c in revived.ack_counts().items() if n == 1 and c]
    assert sent_again == []
