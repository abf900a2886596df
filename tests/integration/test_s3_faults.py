"""Faults between us and S3: transient ones are retried, permanent ones stop the upload at once."""

from __future__ import annotations

import errno
import hashlib
import time
from collections import Counter
from pathlib import Path

import pytest

from genoflow_desktop.core.domain import UploadStatus
from genoflow_desktop.core.store import Store
from genoflow_desktop.core.transfer import engine, reader
from genoflow_desktop.core.transfer.journal import Journal
from genoflow_desktop.core.transfer.planner import MiB
from genoflow_desktop.core.transfer.result import UploadOptions
from genoflow_desktop.core.transfer.retry import EXIT_SERVICE, Backoff, TransferError
from tests.integration.conftest import add_profile, make_file, s3_client
from tests.integration.s3_proxy import FaultProxy

pytestmark = pytest.mark.integration

OPTIONS = UploadOptions(
    concurrency=2,
    part_size=5 * MiB,
    backoff=Backoff(attempts=6, base=0.02, cap=0.2),
    connect_timeout=2,
    read_timeout=1.5,
)


def test_transient_faults_are_retried_and_the_bytes_arrive_intact(
    store: Store, proxy: FaultProxy, moto_endpoint: str, bucket: str, tmp_path: Path
) -> None:
    add_profile(store, proxy.endpoint, bucket)
    proxy.stall_seconds = 3  # longer than the read timeout
    data = make_file(tmp_path / "lane1.fastq.gz", 31 * MiB + 7)  # 7 parts
    record = engine.create_upload(store, "lab", tmp_path / "lane1.fastq.gz", part_size=5 * MiB)
    faults = ["503", "500", "reset", "stall", "reset-after", "503", "500", "reset"]
    proxy.inject(*faults)

    result = engine.run_upload(store, record.id, options=OPTIONS)

    assert proxy.faults_done == faults  # every fault really struck
    assert result.status == "completed"
    assert result.md5 == hashlib.md5(data).hexdigest()
    assert s3_client(moto_endpoint).get_object(Bucket=bucket, Key=result.key)["Body"].read() == data
    # Faults struck part uploads, so some parts took several requests; each was acknowledged
    # to us at most twice (once more only where the reply was lost: "reset-after").
    attempts = Counter(number for _upload, number in proxy.part_requests)
    assert sum(attempts.values()) == 7 + len(faults)
    assert max(proxy.ack_counts().values()) <= 2


def test_access_denied_fails_fast_keeps_the_journal_and_can_be_retried(
    store: Store, proxy: FaultProxy, moto_endpoint: str, bucket: str, tmp_path: Path
) -> None:
    add_profile(store, proxy.endpoint, bucket)
    data = make_file(tmp_path / "tumor.bam", 21 * MiB)
    record = engine.create_upload(store, "lab", tmp_path / "tumor.bam", part_size=5 * MiB)
    proxy.deny_parts = True

    started = time.monotonic()
    with pytest.raises(TransferError) as caught:
        engine.run_upload(store, record.id, options=OPTIONS)
    assert time.monotonic() - started < 5
    error = caught.value
    assert error.code == "AccessDenied" and error.exit_code == EXIT_SERVICE and not error.retryable
    assert "Access denied" in error.message and bucket in error.message
    assert "s3:PutObject" in error.hint
    # Not retried: no part was asked for twice, and at most one per sender was tried at all.
    attempts = Counter(number for _upload, number in proxy.part_requests)
    assert attempts and max(attempts.values()) == 1 and len(attempts) <= OPTIONS.concurrency
    failed = Journal(store).get(record.id)
    assert failed.status == UploadStatus.FAILED and failed.s3_upload_id is not None
    assert "Access denied" in (failed.error or "")

    # Retry once the permission is fixed: the same multipart upload carries on.
    proxy.deny_parts = False
    result = engine.run_upload(store, record.id, options=OPTIONS)
    assert result.status == "completed"
    assert Journal(store).get(record.id).s3_upload_id == failed.s3_upload_id
    assert s3_client(moto_endpoint).get_object(Bucket=bucket, Key=result.key)["Body"].read() == data


def test_a_missing_bucket_is_a_plain_message(
    store: Store, moto_endpoint: str, tmp_path: Path
) -> None:
    add_profile(store, moto_endpoint, "no-such-bucket-here")
    make_file(tmp_path / "x.bam", 6 * MiB)
    record = engine.create_upload(store, "lab", tmp_path / "x.bam", part_size=5 * MiB)
    with pytest.raises(
        TransferError, match="bucket 'no-such-bucket-here' does not exist"
    ) as caught:
        engine.run_upload(store, record.id, options=OPTIONS)
    assert "genoflow s3 profiles" in caught.value.hint


def test_an_unreachable_server_is_retried_then_reported_as_retryable(
    store: Store, tmp_path: Path
) -> None:
    from tests.integration.conftest import _free_port

    add_profile(store, f"http://127.0.0.1:{_free_port()}", "some-bucket")  # nothing listens there
    make_file(tmp_path / "x.bam", 6 * MiB)
    record = engine.create_upload(store, "lab", tmp_path / "x.bam", part_size=5 * MiB)
    options = UploadOptions(backoff=Backoff(attempts=3, base=0.01, cap=0.02), connect_timeout=1)
    with pytest.raises(TransferError, match="connection to") as caught:
        engine.run_upload(store, record.id, options=options)
    assert caught.value.retryable
    assert Journal(store).get(record.id).status == UploadStatus.FAILED


def test_a_disk_read_error_stops_the_upload_and_keeps_the_journal(
    store: Store,
    proxy: FaultProxy,
    moto_endpoint: str,
    bucket: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_profile(store, proxy.endpoint, bucket)
    data = make_file(tmp_path / "on-a-share.bam", 21 * MiB)
    record = engine.create_upload(store, "lab", tmp_path / "on-a-share.bam", part_size=5 * MiB)
    real_read = reader._read_into
    calls = {"n": 0}

    def failing_read(handle, buffer, length, path):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(errno.EIO, "Input/output error")
        real_read(handle, buffer, length, path)

    monkeypatch.setattr(reader, "_read_into", failing_read)
    with pytest.raises(TransferError, match=r"Could not read .*Input/output error") as caught:
        engine.run_upload(store, record.id, options=OPTIONS)
    assert caught.value.exit_code != EXIT_SERVICE
    failed = Journal(store).get(record.id)
    assert failed.status == UploadStatus.FAILED and failed.parts_done == 2

    monkeypatch.setattr(reader, "_read_into", real_read)
    result = engine.run_upload(store, record.id, options=OPTIONS)
    assert s3_client(moto_endpoint).get_object(Bucket=bucket, Key=result.key)["Body"].read() == data
    assert max(proxy.ack_counts().values()) == 1


def test_pause_ends_a_retry_wait_even_before_any_part_is_sent(store: Store, tmp_path: Path) -> None:
    import threading

    from genoflow_desktop.core.transfer.control import UploadControl, UploadPaused
    from tests.integration.conftest import _free_port

    add_profile(store, f"http://127.0.0.1:{_free_port()}", "some-bucket")  # server down
    make_file(tmp_path / "x.bam", 6 * MiB)
    record = engine.create_upload(store, "lab", tmp_path / "x.bam", part_size=5 * MiB)
    control = UploadControl()
    threading.Timer(0.5, control.pause).start()
    started = time.monotonic()
    with pytest.raises(UploadPaused):
        engine.run_upload(
            store,
            record.id,
            cancel=control,
            options=UploadOptions(backoff=Backoff(attempts=10, base=30, cap=60), connect_timeout=1),
        )
    assert time.monotonic() - started < 5
    assert Journal(store).get(record.id).status == UploadStatus.PAUSED
