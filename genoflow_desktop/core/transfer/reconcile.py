"""Reconciling the journal with the server's ListParts, and deciding per part what to do.

The journal is trusted only where the server agrees (same part number and ETag). A part the
server has but the journal lacks was acknowledged just before a crash: it is adopted, without
being sent again, once the bytes read from the file prove to be the same (the server's SHA-256
of the part when it reports one, else its ETag, which is the part's MD5 unless SSE-KMS is used).
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from genoflow_desktop.core.transfer.journal import Journal, JournalPart, UploadRecord
from genoflow_desktop.core.transfer.profiles import Profile
from genoflow_desktop.core.transfer.reader import Decision, source_changed
from genoflow_desktop.core.transfer.remote import (
    META_PROJECT,
    META_SAMPLE,
    META_UPLOAD_ID,
    Remote,
    ServerPart,
)

log = logging.getLogger(__name__)

Decide = Callable[[int, int, bytes, bytearray], tuple[Decision, str | None]]


@dataclass(frozen=True, slots=True)
class Reconciled:
    kept: dict[int, JournalPart]  # journaled and on the server: never sent again
    stale: list[int]  # journaled but not (or not so) on the server: forget, send again
    server_only: dict[int, ServerPart]  # on the server, not journaled: candidates for adoption


def _same_etag(a: str, b: str) -> bool:
    return a.strip('"') == b.strip('"')


def reconcile(
    journaled: dict[int, JournalPart], server: dict[int, ServerPart], part_count: int
) -> Reconciled:
    stale = sorted(
        n
        for n, p in journaled.items()
        if n > part_count or n not in server or not _same_etag(server[n].etag, p.etag)
    )
    kept = {n: p for n, p in journaled.items() if n not in stale}
    server_only = {n: p for n, p in server.items() if n not in kept and n <= part_count}
    return Reconciled(kept, stale, server_only)


def decider(path: str, kept: dict[int, JournalPart], server_only: dict[int, ServerPart]) -> Decide:
    """The reader's per-part decision (called on the reader thread with the part's bytes)."""

    def decide(
        number: int, size: int, digest: bytes, data: bytearray
    ) -> tuple[Decision, str | None]:
        checksum = base64.b64encode(digest).decode()
        part = kept.get(number)
        if part is not None:
            if part.size != size or (part.checksum and part.checksum != checksum):
                raise source_changed(path, f"part {number} is not what was sent before")
            return Decision.SKIP, None
        listed = server_only.get(number)
        if listed is not None and listed.size == size:
            if listed.checksum:
                same = listed.checksum == checksum
            else:
                etag = listed.etag.strip('"')
                same = (
                    len(etag) == 32 and hashlib.md5(data, usedforsecurity=False).hexdigest() == etag
                )
            if same:
                return Decision.ADOPT, listed.etag
        return Decision.SEND, None

    return decide


@dataclass(frozen=True, slots=True)
class Start:
    """Where a run begins: the S3 upload to continue (None: already complete on the server)."""

    s3_upload_id: str | None
    kept: dict[int, JournalPart]
    server_only: dict[int, ServerPart]
    warning: str | None = None


def _create(journal: Journal, remote: Remote, profile: Profile, record: UploadRecord) -> str:
    metadata = {META_UPLOAD_ID: record.id}
    if record.project_id:
        metadata[META_PROJECT] = record.project_id
    if record.sample_id:
        metadata[META_SAMPLE] = record.sample_id
    s3_upload_id = remote.create(metadata, profile.sse, profile.kms_key_id)
    # Committed before any part is sent: every part on the server belongs to a known upload.
    journal.set_s3_upload(record.id, s3_upload_id)
    log.info("upload %s: multipart upload created", record.id)
    return s3_upload_id


def start_or_resume(
    journal: Journal, remote: Remote, profile: Profile, part_count: int, record: UploadRecord
) -> Start:
    """Create the multipart upload, or reconcile the journal with the one begun earlier."""
    from genoflow_desktop.core.transfer.retry import NoSuchUpload

    if record.s3_upload_id is None:
        return Start(_create(journal, remote, profile, record), {}, {})
    try:
        server = remote.list_parts(record.s3_upload_id)
    except NoSuchUpload:
        head = remote.head()
        if (
            head is not None
            and head.get("Metadata", {}).get(META_UPLOAD_ID) == record.id
            and record.sha256
        ):
            return Start(None, {}, {})  # completed just before a crash: only verifying is left
        warning = (
            "the multipart upload begun earlier was gone from the server "
            "(cancelled, cleaned up or expired); the file was sent again"
        )
        return Start(_create(journal, remote, profile, record), {}, {}, warning)
    result = reconcile(journal.parts(record.id), server, part_count)
    journal.forget_parts(record.id, result.stale)
    log.info(
        "upload %s: resuming; %d parts acknowledged, %d more on the server to check, %d forgotten",
        record.id, len(result.kept), len(result.server_only), len(result.stale),
    )  # fmt: skip
    return Start(record.s3_upload_id, result.kept, result.server_only)
