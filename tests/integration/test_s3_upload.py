"""Uploads against moto's S3 server: complete, pause/resume, cancel, resume after a crash."""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from genoflow_desktop.core.domain import UploadStatus
from genoflow_desktop.core.errors import UserError
from genoflow_desktop.core.store import Store
from genoflow_desktop.core.transfer import engine, finish
from genoflow_desktop.core.transfer.cleanup import cancel_upload, clean_up
from genoflow_desktop.core.transfer.control import UploadCanceled, UploadControl, UploadPaused
from genoflow_desktop.core.transfer.journal import Journal
from genoflow_desktop.core.transfer.planner import MiB
from genoflow_desktop.core.transfer.progress import TransferProgress
from genoflow_desktop.core.transfer.reader import SourceChanged
from genoflow_desktop.core.transfer.result import UploadOptions
from genoflow_desktop.core.transfer.retry import Backoff
from tests.integration.conftest import add_profile, make_file, s3_client
from tests.integration.s3_proxy import FaultProxy

pytestmark = pytest.mark.integration

FAST = UploadOptions(
    concurrency=3,
    part_size=5 * MiB,
    backoff=Backoff(attempts=4, base=0.01, cap=0.05),
    read_timeout=5,
)
SIZE = 17 * MiB + 12345  # three full 5 MiB parts and a short fourth one


def _no_part_sent_twice(proxy: FaultProxy, s3_upload_id: str, parts: int) -> None:
    counts = proxy.ack_counts()
    mine = {number: n for (upload, number), n in counts.items() if upload == s3_upload_id}
    assert mine == {number: 1 for number in range(1, parts + 1)}


def _pause_after(control: UploadControl, parts: int):  # type: ignore[no-untyped-def]
    def progress(p: TransferProgress) -> None:
        if p.parts_done >= parts:
            control.pause()

    return progress


def test_upload_completes_and_the_object_is_the_file(
    store: Store, proxy: FaultProxy, moto_endpoint: str, bucket: str, tmp_path: Path
) -> None:
    add_profile(store, proxy.endpoint, bucket)
    data = make_file(tmp_path / "NA12878_R1.fastq.gz", SIZE)
    record = engine.create_upload(
        store,
        "lab",
        tmp_path / "NA12878_R1.fastq.gz",
        project="PRJ-1",
        sample="NA12878",
        part_size=5 * MiB,
    )
    reports: list[TransferProgress] = []
    result = engine.run_upload(store, record.id, options=FAST, progress=reports.append)

    assert result.status == "completed"
    assert re.fullmatch(rf"genoflow/PRJ-1/NA12878/{record.id}/NA12878_R1\.fastq\.gz", result.key)
    assert (result.size, result.parts) == (SIZE, 4)
    assert result.md5 == hashlib.md5(data).hexdigest()
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert result.verification == {
        "size": True,
        "upload_id": True,
        "server_checksum": True,
        "tags": True,
        "warnings": [],
    }
    client = s3_client(moto_endpoint)
    assert client.get_object(Bucket=bucket, Key=result.key)["Body"].read() == data
    head = client.head_object(Bucket=bucket, Key=result.key)
    assert head["Metadata"] == {
        "genoflow-upload-id": record.id,
        "genoflow-project-id": "PRJ-1",
        "genoflow-sample-id": "NA12878",
    }
    assert head["ServerSideEncryption"] == "AES256"
    tags = {
        t["Key"]: t["Value"]
        for t in client.get_object_tagging(Bucket=bucket, Key=result.key)["TagSet"]
    }
    assert tags["genoflow-md5"] == result.md5 and tags["genoflow-sha256"] == result.sha256
    assert not client.list_multipart_uploads(Bucket=bucket).get("Uploads")

    s3_upload_id = Journal(store).get(record.id).s3_upload_id
    assert s3_upload_id is not None
    _no_part_sent_twice(proxy, s3_upload_id, 4)
    assert len(Journal(store).parts(record.id)) == 4
    # Progress: monotone, ends complete, carries speed while uploading.
    assert [p.done for p in reports] == sorted(p.done for p in reports)
    assert reports[-1].done == SIZE and reports[-1].status == "completed"
    # Running a completed upload again is a no-op that returns its result.
    assert engine.run_upload(store, record.id, options=FAST).md5 == result.md5


def test_pause_then_resume_sends_only_the_missing_parts(
    store: Store, proxy: FaultProxy, moto_endpoint: str, bucket: str, tmp_path: Path
) -> None:
    add_profile(store, proxy.endpoint, bucket)
    proxy.part_delay = 0.15
    data = make_file(tmp_path / "sample.bam", 50 * MiB + 1)  # 11 parts
    record = engine.create_upload(store, "lab", tmp_path / "sample.bam", part_size=5 * MiB)
    control = UploadControl()
    with pytest.raises(UploadPaused):
        engine.run_upload(
            store, record.id, options=FAST, progress=_pause_after(control, 1), cancel=control
        )

    paused = Journal(store).get(record.id)
    assert paused.status == UploadStatus.PAUSED
    assert 1 <= paused.parts_done < 11
    assert paused.bytes_done == paused.parts_done * 5 * MiB
    assert paused.speed_bps is None  # not moving any more

    proxy.part_delay = 0
    result = engine.run_upload(store, record.id, options=FAST)
    assert result.status == "completed" and result.parts == 11
    assert s3_client(moto_endpoint).get_object(Bucket=bucket, Key=result.key)["Body"].read() == data
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    _no_part_sent_twice(proxy, paused.s3_upload_id or "", 11)


def test_parts_on_the_server_but_not_in_the_journal_are_adopted_not_resent(
    store: Store, proxy: FaultProxy, moto_endpoint: str, bucket: str, tmp_path: Path
) -> None:
    """What a crash between S3's acknowledgement and the journal commit leaves behind."""
    add_profile(store, proxy.endpoint, bucket)
    proxy.part_delay = 0.1
    data = make_file(tmp_path / "x.cram", 50 * MiB)
    record = engine.create_upload(store, "lab", tmp_path / "x.cram", part_size=5 * MiB)
    control = UploadControl()
    with pytest.raises(UploadPaused):
        engine.run_upload(
            store, record.id, options=FAST, progress=_pause_after(control, 2), cancel=control
        )
    journal = Journal(store)
    journaled = sorted(journal.parts(record.id))
    journal.forget_parts(record.id, journaled[1:])  # the "crash" lost these commits

    proxy.part_delay = 0
    result = engine.run_upload(store, record.id, options=FAST)
    assert s3_client(moto_endpoint).get_object(Bucket=bucket, Key=result.key)["Body"].read() == data
    _no_part_sent_twice(proxy, journal.get(record.id).s3_upload_id or "", 10)


def test_cancel_aborts_the_multipart_upload(
    store: Store, proxy: FaultProxy, moto_endpoint: str, bucket: str, tmp_path: Path
) -> None:
    add_profile(store, proxy.endpoint, bucket)
    proxy.part_delay = 0.1
    make_file(tmp_path / "a.vcf.gz", 50 * MiB)
    record = engine.create_upload(store, "lab", tmp_path / "a.vcf.gz", part_size=5 * MiB)
    control = UploadControl()
    with pytest.raises(UploadPaused):
        engine.run_upload(
            store, record.id, options=FAST, progress=_pause_after(control, 1), cancel=control
        )
    client = s3_client(moto_endpoint)
    assert client.list_multipart_uploads(Bucket=bucket).get("Uploads")

    canceled = cancel_upload(store, record.id)
    assert canceled.status == UploadStatus.CANCELED
    assert not client.list_multipart_uploads(Bucket=bucket).get("Uploads")
    with pytest.raises(UserError, match="was cancelled"):
        engine.run_upload(store, record.id, options=FAST)

    # Cancelling a running upload from its own control: aborted on the server too.
    second = engine.create_upload(store, "lab", tmp_path / "a.vcf.gz", part_size=5 * MiB)
    control = UploadControl()

    def abort_after_one(p: TransferProgress) -> None:
        if p.parts_done >= 1:
            control.abort()

    with pytest.raises(UploadCanceled):
        engine.run_upload(store, second.id, options=FAST, progress=abort_after_one, cancel=control)
    assert Journal(store).get(second.id).status == UploadStatus.CANCELED
    assert not client.list_multipart_uploads(Bucket=bucket).get("Uploads")


def test_a_changed_source_file_stops_the_resume(
    store: Store, proxy: FaultProxy, bucket: str, tmp_path: Path
) -> None:
    add_profile(store, proxy.endpoint, bucket)
    proxy.part_delay = 0.1
    path = tmp_path / "reads.fq.gz"
    make_file(path, 50 * MiB)
    record = engine.create_upload(store, "lab", path, part_size=5 * MiB)
    control = UploadControl()
    with pytest.raises(UploadPaused):
        engine.run_upload(
            store, record.id, options=FAST, progress=_pause_after(control, 1), cancel=control
        )

    with open(path, "ab") as handle:
        handle.write(b"more reads")
    with pytest.raises(SourceChanged) as caught:
        engine.run_upload(store, record.id, options=FAST)
    assert "changed since its upload began" in caught.value.message
    assert "--cancel" in caught.value.hint
    failed = Journal(store).get(record.id)
    assert failed.status == UploadStatus.FAILED and failed.parts_done >= 1  # journal kept

    # Same size, same time, other bytes in a part already sent: caught by the part checksum.
    data = bytearray(path.read_bytes()[: 50 * MiB])
    data[10] ^= 0xFF
    stat = path.stat()
    path.write_bytes(bytes(data))
    os.utime(path, ns=(stat.st_atime_ns, failed.source_mtime_ns))
    with pytest.raises(SourceChanged, match="part 1 is not what was sent"):
        engine.run_upload(store, record.id, options=FAST)


def test_bandwidth_limit_paces_the_upload(
    store: Store, moto_endpoint: str, bucket: str, tmp_path: Path
) -> None:
    add_profile(store, moto_endpoint, bucket)
    data = make_file(tmp_path / "small.bam", 6 * MiB)
    record = engine.create_upload(store, "lab", tmp_path / "small.bam", part_size=5 * MiB)
    started = time.monotonic()
    result = engine.run_upload(
        store,
        record.id,
        options=UploadOptions(concurrency=2, bandwidth_limit=3 * MiB, backoff=FAST.backoff),
    )
    elapsed = time.monotonic() - started
    # 6 MiB at 3 MiB/s, less the initial burst of 0.75 MiB: at least 1.75 s.
    assert 1.7 <= elapsed < 15
    assert s3_client(moto_endpoint).get_object(Bucket=bucket, Key=result.key)["Body"].read() == data


def test_resume_after_a_crash_just_after_completion_only_verifies(
    store: Store,
    proxy: FaultProxy,
    moto_endpoint: str,
    bucket: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_profile(store, proxy.endpoint, bucket)
    data = make_file(tmp_path / "done.bam", 11 * MiB)
    record = engine.create_upload(store, "lab", tmp_path / "done.bam", part_size=5 * MiB)
    real = finish.verify_and_tag

    def crash(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # the process dies right after CompleteMultipartUpload

    monkeypatch.setattr(finish, "verify_and_tag", crash)
    with pytest.raises(KeyboardInterrupt):
        engine.run_upload(store, record.id, options=FAST)
    assert Journal(store).get(record.id).status != UploadStatus.COMPLETED
    monkeypatch.setattr(finish, "verify_and_tag", real)

    acks_before = len(proxy.acks)
    result = engine.run_upload(store, record.id, options=FAST)
    assert result.status == "completed" and result.verification and result.verification["tags"]
    assert len(proxy.acks) == acks_before  # nothing sent again
    assert s3_client(moto_endpoint).get_object(Bucket=bucket, Key=result.key)["Body"].read() == data


def test_an_upload_aborted_on_the_server_starts_again_on_resume(
    store: Store, proxy: FaultProxy, moto_endpoint: str, bucket: str, tmp_path: Path
) -> None:
    add_profile(store, proxy.endpoint, bucket)
    proxy.part_delay = 0.1
    data = make_file(tmp_path / "b.bam", 50 * MiB)
    record = engine.create_upload(store, "lab", tmp_path / "b.bam", part_size=5 * MiB)
    control = UploadControl()
    with pytest.raises(UploadPaused):
        engine.run_upload(
            store, record.id, options=FAST, progress=_pause_after(control, 1), cancel=control
        )
    first = Journal(store).get(record.id).s3_upload_id
    s3_client(moto_endpoint).abort_multipart_upload(Bucket=bucket, Key=record.key, UploadId=first)

    proxy.part_delay = 0
    result = engine.run_upload(store, record.id, options=FAST)
    assert result.status == "completed"
    assert result.verification and "sent again" in result.verification["warnings"][0]
    assert Journal(store).get(record.id).s3_upload_id != first
    assert s3_client(moto_endpoint).get_object(Bucket=bucket, Key=result.key)["Body"].read() == data


def test_one_upload_never_runs_twice_at_once(
    store: Store, proxy: FaultProxy, bucket: str, tmp_path: Path
) -> None:
    add_profile(store, proxy.endpoint, bucket)
    proxy.part_delay = 0.2
    make_file(tmp_path / "c.bam", 50 * MiB)
    record = engine.create_upload(store, "lab", tmp_path / "c.bam", part_size=5 * MiB)
    control = UploadControl()
    started = threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            engine.run_upload(
                store, record.id, options=FAST, cancel=control, progress=lambda p: started.set()
            )
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=first)
    thread.start()
    assert started.wait(10)
    with pytest.raises(UserError, match="running in another"):
        engine.run_upload(store, record.id, options=FAST)
    control.pause()
    thread.join(30)
    assert len(errors) == 1 and isinstance(errors[0], UploadPaused)


def test_cleanup_aborts_only_stale_uploads_of_ours(
    store: Store, moto_endpoint: str, bucket: str, tmp_path: Path
) -> None:
    add_profile(store, moto_endpoint, bucket)
    client = s3_client(moto_endpoint)
    ours = f"genoflow/P/S/{'a' * 32}/reads.fq.gz"
    foreign = "genoflow/someone-elses-tool/big.tar"
    outside = f"other/P/S/{'b' * 32}/reads.fq.gz"
    for key in (ours, foreign, outside):
        client.create_multipart_upload(Bucket=bucket, Key=key)
    # A paused upload from this machine's journal: it is marked cancelled when cleaned up.
    make_file(tmp_path / "d.bam", 50 * MiB)
    record = engine.create_upload(store, "lab", tmp_path / "d.bam", part_size=5 * MiB)
    control = UploadControl()
    with pytest.raises(UploadPaused):
        engine.run_upload(
            store, record.id, options=FAST, progress=_pause_after(control, 1), cancel=control
        )

    # moto reports every upload as started in 2010, so any age selects them; a century does not.
    assert clean_up(store, "lab", timedelta(days=365 * 100)) == []
    listed = clean_up(store, "lab", timedelta(hours=1), dry_run=True)
    assert sorted(s.key for s in listed) == sorted([ours, record.key])
    assert len(client.list_multipart_uploads(Bucket=bucket)["Uploads"]) == 4

    aborted = clean_up(store, "lab", timedelta(hours=1))
    assert all(s.aborted for s in aborted)
    assert {s.local_id for s in aborted} == {None, record.id}
    left = sorted(u["Key"] for u in client.list_multipart_uploads(Bucket=bucket)["Uploads"])
    assert left == sorted([foreign, outside])
    assert Journal(store).get(record.id).status == UploadStatus.CANCELED
