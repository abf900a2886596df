"""Completing a multipart upload and proving that the object is the file.

Where the whole-file MD5 and SHA-256 go: **object tags**, set after completion. S3 metadata can
only be written when the multipart upload is created, before a byte has been read, so it carries
what is known then (upload id, project id, sample id). The digests are only known at the end;
writing them as metadata would need a CopyObject onto itself, which S3 limits to 5 GiB objects
(most sequencing files are larger), and the multipart copy needed beyond that rewrites the whole
object server-side: minutes for 100 GB, a second full-size version billed on versioned buckets,
and a real data copy on S3-compatible stores. PutObjectTagging is one small request, allowed at
any time, and tags can drive lifecycle rules and IAM conditions.

The proof: HeadObject must report the file's size and our upload id; when the server returns
its checksum of the object (a SHA-256 over the SHA-256 of each part, which it verified on
arrival), it must equal the one computed from our own reading of the file; the tags read back
must be the digests we computed.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from genoflow_desktop.core.transfer.journal import JournalPart
from genoflow_desktop.core.transfer.remote import (
    META_PROJECT,
    META_SAMPLE,
    META_UPLOAD_ID,
    TAG_MD5,
    TAG_SHA256,
    Remote,
)
from genoflow_desktop.core.transfer.retry import NoSuchUpload, TransferError
from genoflow_desktop.core.validation.checksums import Digests


@dataclass(slots=True)
class Verification:
    size: bool = False
    upload_id: bool = False
    #: True/False when the server reported its composite SHA-256; None when it did not.
    server_checksum: bool | None = None
    tags: bool = False
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "upload_id": self.upload_id,
            "server_checksum": self.server_checksum,
            "tags": self.tags,
            "warnings": list(self.warnings),
        }


def composite_sha256(parts: Iterable[JournalPart]) -> str:
    """S3's checksum of a multipart object: SHA-256 of the concatenated raw part SHA-256s."""
    joined = b"".join(
        base64.b64decode(p.checksum or "") for p in sorted(parts, key=lambda p: p.number)
    )
    return base64.b64encode(hashlib.sha256(joined).digest()).decode()


def _verification_failed(detail: str) -> TransferError:
    return TransferError(
        f"The uploaded object does not match the file: {detail}.",
        hint="Upload the file again as a new upload; report this if it happens twice.",
        service=False,
    )


def complete(remote: Remote, s3_upload_id: str, upload_id: str, parts: list[JournalPart]) -> None:
    """CompleteMultipartUpload; a retry after a lost reply finds the upload already completed."""
    listed = [
        {"PartNumber": p.number, "ETag": p.etag, "ChecksumSHA256": p.checksum}
        for p in sorted(parts, key=lambda p: p.number)
    ]
    try:
        remote.complete(s3_upload_id, listed)
    except NoSuchUpload:
        head = remote.head()
        if head is None or head.get("Metadata", {}).get(META_UPLOAD_ID) != upload_id:
            raise
        # The first attempt completed it; only its reply was lost.


def verify_and_tag(
    remote: Remote,
    *,
    upload_id: str,
    size: int,
    parts: list[JournalPart],
    digests: Digests,
    project: str | None,
    sample: str | None,
) -> tuple[str, Verification]:
    """Check the completed object and store the digests on it. Returns (ETag, what was checked)."""
    result = Verification()
    head = remote.head()
    if head is None:
        raise _verification_failed("S3 has no object under the key after completing the upload")
    if int(head.get("ContentLength", -1)) != size:
        raise _verification_failed(
            f"S3 reports {head.get('ContentLength')} bytes, the file has {size}"
        )
    result.size = True
    if head.get("Metadata", {}).get(META_UPLOAD_ID) != upload_id:
        raise _verification_failed("the object under the key belongs to another upload")
    result.upload_id = True
    reported = head.get("ChecksumSHA256")
    if reported:
        expected = composite_sha256(parts)
        # AWS appends "-<part count>" to composite checksums; some servers do not.
        if reported.split("-")[0] != expected:
            raise _verification_failed("the server's SHA-256 of the parts differs from ours")
        result.server_checksum = True
    else:
        result.warnings.append("the server did not report a checksum of the object")
    etag = str(head.get("ETag", ""))

    tags = {TAG_MD5: digests.md5, TAG_SHA256: digests.sha256}
    if project:
        tags[META_PROJECT] = project
    if sample:
        tags[META_SAMPLE] = sample
    try:
        remote.put_tags(tags)
        stored = remote.get_tags()
    except TransferError as exc:
        # The object is complete and its bytes are checked; tags are a convenience on top
        # (some S3-compatible stores lack them, some keys may not set them): warn, do not fail.
        result.warnings.append(
            f"the MD5/SHA-256 tags could not be stored on the object ({exc.message})"
        )
        return etag, result
    if stored.get(TAG_MD5) != digests.md5 or stored.get(TAG_SHA256) != digests.sha256:
        raise _verification_failed("the digests read back from the object's tags differ")
    result.tags = True
    return etag, result
