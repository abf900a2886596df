"""Resumable S3 multipart uploads: create, run (or resume), and the result of one upload.

:func:`run_upload` is plain blocking code for a worker thread (the Qt layer runs it on its
``disk`` executor, the CLI on its main thread). That calling thread orchestrates and is the only
one writing the journal; a reader thread reads the file once (reader.py) and ``concurrency``
sender threads send parts. Every acknowledged part is committed before the next event is
handled, so after a crash the journal lacks at most the parts that were in flight, and those
are recognised on the server by ListParts and their checksums instead of being sent again.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from genoflow_desktop.core.domain import UploadStatus
from genoflow_desktop.core.errors import Cancelled, UserError
from genoflow_desktop.core.log import FILE_ONLY
from genoflow_desktop.core.progress import CancelToken, ProgressCallback, Throttled
from genoflow_desktop.core.store import Store
from genoflow_desktop.core.store.models import Upload, new_id, utcnow
from genoflow_desktop.core.transfer import finish
from genoflow_desktop.core.transfer.control import (
    LinkedStop,
    UploadBusy,
    UploadCanceled,
    UploadControl,
    UploadLock,
    UploadPaused,
)
from genoflow_desktop.core.transfer.journal import (
    Journal,
    JournalPart,
    UploadRecord,
    refuse_lab_upload,
)
from genoflow_desktop.core.transfer.pipeline import PartPipeline, Stops
from genoflow_desktop.core.transfer.planner import (
    MiB,
    effective_concurrency,
    object_key,
    plan_from_journal,
    plan_parts,
)
from genoflow_desktop.core.transfer.profiles import ClientOptions, Profile, get_profile, make_client
from genoflow_desktop.core.transfer.progress import SpeedMeter, TransferProgress, eta_seconds
from genoflow_desktop.core.transfer.reader import check_source, file_identity
from genoflow_desktop.core.transfer.reconcile import decider, start_or_resume
from genoflow_desktop.core.transfer.remote import (
    Remote,
    ServerPart,
)
from genoflow_desktop.core.transfer.result import UploadOptions, UploadResult, result_of
from genoflow_desktop.core.transfer.retry import NoSuchUpload, TransferError
from genoflow_desktop.core.transfer.throttle import TokenBucket
from genoflow_desktop.core.validation.checksums import Digests

log = logging.getLogger(__name__)

ClientFactory = Callable[[Profile, ClientOptions], Any]

__all__ = ["UploadOptions", "UploadResult", "create_upload", "result_of", "run_upload"]


def create_upload(
    store: Store,
    profile_name: str,
    path: str | Path,
    *,
    project: str | None = None,
    sample: str | None = None,
    part_size: int = 64 * MiB,
    file_id: str | None = None,
) -> UploadRecord:
    """Journal a new upload of ``path`` (nothing is sent yet; see :func:`run_upload`).

    ``file_id`` links the upload to the :class:`DataFile` row of the file's validation, when
    the caller knows it (the desktop app does; the command line validates separately).
    """
    source = Path(path).absolute()
    if not source.is_file():
        raise UserError(f"{source} is not a file.", hint="Check the path.")
    size, mtime_ns = file_identity(source)
    plan = plan_parts(size, part_size, name=str(source))
    with store.session() as session:
        profile = get_profile(session, profile_name)
    upload_id = new_id()
    key = object_key(profile.prefix, project, sample, upload_id, source.name)
    return Journal(store).add(
        Upload(
            id=upload_id,
            file_id=file_id,
            source_path=str(source),
            source_size=size,
            source_mtime_ns=mtime_ns,
            profile=profile.name,
            endpoint_url=profile.endpoint_url,
            bucket=profile.bucket,
            key=key,
            part_size=plan.part_size,
            project_id=project,
            sample_id=sample,
            status=UploadStatus.PENDING.value,
            bytes_done=0,
        )
    )


def run_upload(
    store: Store,
    upload_id: str,
    *,
    options: UploadOptions | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    client_factory: ClientFactory = make_client,
    limiter: TokenBucket | None = None,
) -> UploadResult:
    """Send (or resume sending) an upload until it is complete and verified.

    ``cancel`` pauses (everything acknowledged stays journaled and on the server); an
    :class:`UploadControl` whose ``abort()`` was called cancels the upload on the server too.

    Raises:
        UploadPaused, UploadCanceled: stopped on request.
        TransferError: permanent failure, or transient failures on every retry; the journal is
            kept and the upload can be resumed.
        UserError: the upload cannot run (unknown id, cancelled, busy elsewhere).
    """
    options = options or UploadOptions()
    journal = Journal(store)
    record = journal.get(upload_id)
    refuse_lab_upload(record)
    if record.status == UploadStatus.COMPLETED:
        return result_of(record)
    if record.status == UploadStatus.CANCELED:
        raise UserError(
            f"Upload {upload_id} was cancelled; it cannot be resumed.",
            hint="Upload the file again to start a new upload.",
        )
    lock = UploadLock(store.path.parent / "upload-locks", upload_id)
    try:
        lock.acquire()
    except UploadBusy:
        raise UserError(
            f"Upload {upload_id} is running in another GenoFlow window or command.",
            hint="Wait for it, or pause it there first.",
        ) from None
    try:
        with store.session() as session:
            profile = get_profile(session, record.profile)
        if limiter is None and options.bandwidth_limit > 0:
            limiter = TokenBucket(options.bandwidth_limit)
        run = _Run(journal, record, profile, options, progress, cancel, client_factory, limiter)
        return run.execute()
    finally:
        lock.release()


class _Run:
    def __init__(
        self,
        journal: Journal,
        record: UploadRecord,
        profile: Profile,
        options: UploadOptions,
        progress: ProgressCallback | None,
        cancel: CancelToken | None,
        client_factory: ClientFactory,
        limiter: TokenBucket | None,
    ) -> None:
        self.journal = journal
        self.record = record
        # The journal, not the (possibly edited) profile, says where this upload lives.
        self.profile = dataclasses.replace(profile, endpoint_url=record.endpoint_url)
        self.options = options
        self.progress = Throttled(progress) if progress is not None else None
        self.cancel = cancel
        self.client_factory = client_factory
        self.limiter = limiter
        self.plan = plan_from_journal(record.source_size, record.part_size)
        self.stop = LinkedStop(cancel)  # no new parts, no more retries (pause, failure)
        self.hard_stop = threading.Event()  # also interrupt paced sends (abort)
        self.speed = SpeedMeter()
        self.parts: dict[int, JournalPart] = {}
        self.server_only: dict[int, ServerPart] = {}
        self.bytes_done = 0
        self.warnings: list[str] = []
        self.status = UploadStatus.UPLOADING

    @property
    def abort_requested(self) -> bool:
        return isinstance(self.cancel, UploadControl) and self.cancel.abort_requested

    # -- the run and its outcomes -------------------------------------------------------------

    def execute(self) -> UploadResult:
        upload_id = self.record.id
        try:
            return self._upload()
        except Cancelled:
            if self.abort_requested:
                self._abort()
                log.info("upload %s cancelled", upload_id)
                raise UploadCanceled(upload_id) from None
            self._set_status(UploadStatus.PAUSED)
            log.info(
                "upload %s paused with %d of %d parts",
                upload_id,
                len(self.parts),
                self.plan.part_count,
            )
            raise UploadPaused(upload_id) from None
        except NoSuchUpload as exc:
            if self.journal.get(upload_id).status == UploadStatus.CANCELED:
                raise UploadCanceled(upload_id) from None
            error = TransferError(
                "The multipart upload was removed from the server while it was running (by a "
                "cancel elsewhere, a clean-up or a lifecycle rule).",
                hint="Resume it to send the file again from the start: "
                f"genoflow upload --resume {upload_id}",
                retryable=True,
                code=exc.code,
            )
            self._set_status(UploadStatus.FAILED, str(error))
            log.warning("upload %s failed: %s", upload_id, error, extra=FILE_ONLY)
            raise error from exc
        except UserError as exc:
            self._set_status(UploadStatus.FAILED, str(exc))
            log.warning("upload %s failed: %s", upload_id, exc, extra=FILE_ONLY)
            raise
        except BaseException:
            # KeyboardInterrupt, or a bug: parts in flight are dropped, the journal stays valid.
            self.stop.set()
            self.hard_stop.set()
            self._set_status(UploadStatus.PAUSED)
            raise

    def _set_status(self, status: UploadStatus, error: str | None = None) -> None:
        self.status = status
        self.journal.set_status(self.record.id, status, error, speed_bps=None)
        self._emit(final=True)

    def _remote(self, stop: threading.Event | None) -> Remote:
        client = self.client_factory(
            self.profile,
            ClientOptions(
                concurrency=self._concurrency(),
                connect_timeout=self.options.connect_timeout,
                read_timeout=self.options.read_timeout,
            ),
        )
        return Remote(
            client,
            self.record.bucket,
            self.record.key,
            endpoint=self.profile.endpoint_label,
            backoff=self.options.backoff,
            stop=stop,
            on_retry=self._log_retry,
        )

    def _log_retry(self, attempt: int, error: TransferError) -> None:
        log.info(
            "upload %s: attempt %d failed (%s); retrying", self.record.id, attempt, error.message
        )

    def _upload(self) -> UploadResult:
        record = self.record
        check_source(record.source_path, record.source_size, record.source_mtime_ns)
        self.journal.set_status(record.id, UploadStatus.UPLOADING)
        log.info(
            "upload %s: %s (%d bytes, %d parts of %d bytes) to s3://%s/%s",
            record.id,
            record.source_path,
            record.source_size,
            self.plan.part_count,
            self.plan.part_size,
            record.bucket,
            record.key,
        )
        remote = self._remote(self.stop)
        s3_upload_id = self._ensure_multipart(remote)
        if s3_upload_id is None:
            stored = self.journal.get(record.id)
            digests = Digests(md5=stored.md5 or "", sha256=stored.sha256 or "")
            return self._verify(remote, digests)
        digests = self._send_parts(remote, s3_upload_id)
        self.journal.set_values(record.id, md5=digests.md5, sha256=digests.sha256)
        finish.complete(remote, s3_upload_id, record.id, list(self.parts.values()))
        return self._verify(remote, digests)

    def _verify(self, remote: Remote, digests: Digests) -> UploadResult:
        record = self.record
        parts = list(self.journal.parts(record.id).values())
        etag, verification = finish.verify_and_tag(
            remote,
            upload_id=record.id,
            size=record.source_size,
            parts=parts,
            digests=digests,
            project=record.project_id,
            sample=record.sample_id,
        )
        verification.warnings[:0] = self.warnings
        self.bytes_done = record.source_size
        self.journal.set_status(
            record.id,
            UploadStatus.COMPLETED,
            None,
            etag=etag,
            completed_at=utcnow(),
            bytes_done=record.source_size,
            verification=verification.as_dict(),
            speed_bps=self.speed.speed(),
        )
        self.status = UploadStatus.COMPLETED
        self._emit(final=True)
        log.info("upload %s completed and verified (%s)", record.id, verification.as_dict())
        return result_of(self.journal.get(record.id))

    def _abort(self) -> None:
        s3_upload_id = self.journal.get(self.record.id).s3_upload_id
        if s3_upload_id is not None:
            self._remote(None).abort(s3_upload_id)
        self.journal.mark_canceled(self.record.id, "cancelled by the user")
        self.status = UploadStatus.CANCELED
        self._emit(final=True)

    # -- reconciling the journal with the server ------------------------------------------------

    def _ensure_multipart(self, remote: Remote) -> str | None:
        """The S3 upload id to continue, or None if the object was already completed."""
        start = start_or_resume(
            self.journal,
            remote,
            self.profile,
            self.plan.part_count,
            self.journal.get(self.record.id),
        )
        self.parts, self.server_only = dict(start.kept), dict(start.server_only)
        self.bytes_done = sum(p.size for p in self.parts.values())
        if start.warning:
            self.warnings.append(start.warning)
        return start.s3_upload_id

    # -- sending --------------------------------------------------------------------------------

    def _send_parts(self, remote: Remote, s3_upload_id: str) -> Digests:
        self.speed.start()
        self._emit()
        return PartPipeline(
            path=self.record.source_path,
            plan=self.plan,
            expected=(self.record.source_size, self.record.source_mtime_ns),
            remote=remote,
            s3_upload_id=s3_upload_id,
            concurrency=self._concurrency(),
            decide=decider(self.record.source_path, dict(self.parts), dict(self.server_only)),
            limiter=self.limiter,
            stops=Stops(self.stop, self.hard_stop),
            cancel=self.cancel,
            abort_requested=lambda: self.abort_requested,
            on_part=lambda part, sent: self._journal_part(part, sent=sent),
            on_skip=self._emit,
        ).run()

    def _concurrency(self) -> int:
        return effective_concurrency(
            self.options.concurrency, self.plan.part_size, self.options.memory_budget
        )

    def _journal_part(self, part: JournalPart, *, sent: bool) -> None:
        self.parts[part.number] = part
        self.bytes_done += part.size
        if sent:
            self.speed.add(part.size)
        self.journal.record_part(self.record.id, part, self.bytes_done, self.speed.speed())
        self._emit()

    def _emit(self, *, final: bool = False) -> None:
        if self.progress is None:
            return
        speed = self.speed.speed() if self.status == UploadStatus.UPLOADING else None
        total = self.record.source_size
        self.progress(
            TransferProgress(
                done=self.bytes_done,
                total=total,
                message=self.status.value,
                upload_id=self.record.id,
                name=Path(self.record.source_path).name,
                speed=speed,
                eta_s=eta_seconds(total - self.bytes_done, speed) if speed else None,
                parts_done=len(self.parts),
                parts_total=self.plan.part_count,
                status=self.status.value,
            )
        )
        if final:
            self.progress.flush()
