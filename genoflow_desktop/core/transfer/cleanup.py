"""Removing multipart uploads from the server: one cancelled upload, or every stale one.

S3 keeps (and bills) the parts of an unfinished multipart upload until it is completed or
aborted. Cancelling aborts it; clean-up finds the incomplete uploads under the profile's prefix
that are older than a chosen age (left by crashes of any GenoFlow, or by a cancel that could not
reach the server) and aborts them. Only keys shaped like ours are touched, so other tools'
uploads in a shared bucket are left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from genoflow_desktop.core.domain import UploadStatus
from genoflow_desktop.core.errors import UserError
from genoflow_desktop.core.progress import CancelToken
from genoflow_desktop.core.store import Store
from genoflow_desktop.core.store.models import utcnow
from genoflow_desktop.core.transfer.journal import Journal, UploadRecord, refuse_lab_upload
from genoflow_desktop.core.transfer.planner import clean_prefix, is_app_key
from genoflow_desktop.core.transfer.profiles import ClientOptions, Profile, get_profile, make_client
from genoflow_desktop.core.transfer.remote import Remote
from genoflow_desktop.core.transfer.retry import Backoff, Where, call_with_retry


def cancel_upload(
    store: Store,
    upload_id: str,
    *,
    client_factory: Any = make_client,
    backoff: Backoff | None = None,
) -> UploadRecord:
    """Abort the upload on the server (deleting its parts) and mark it cancelled.

    Safe while the upload runs in another process: that run gets NoSuchUpload on its next
    request, sees the cancellation in the journal and stops.
    """
    journal = Journal(store)
    record = journal.get(upload_id)
    refuse_lab_upload(record)
    if record.status == UploadStatus.COMPLETED:
        raise UserError(
            f"Upload {upload_id} is already complete; there is nothing to cancel.",
            hint=f"The object stays at s3://{record.bucket}/{record.key}; delete it with your S3 "
            "tools if it is not wanted.",
        )
    if record.status == UploadStatus.CANCELED:
        return record
    if record.s3_upload_id is not None:
        with store.session() as session:
            profile = get_profile(session, record.profile)
        profile = Profile(**{**profile.as_dict(), "endpoint_url": record.endpoint_url})
        remote = Remote(
            client_factory(profile, ClientOptions(concurrency=1)),
            record.bucket,
            record.key,
            endpoint=profile.endpoint_label,
            backoff=backoff or Backoff(),
        )
        remote.abort(record.s3_upload_id)
    journal.mark_canceled(upload_id, "cancelled by the user")
    return journal.get(upload_id)


@dataclass(frozen=True, slots=True)
class StaleUpload:
    key: str
    s3_upload_id: str
    initiated: datetime
    #: Our journal's upload id when this machine knows the upload, else None.
    local_id: str | None
    aborted: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "s3_upload_id": self.s3_upload_id,
            "initiated": self.initiated.isoformat(),
            "local_id": self.local_id,
            "aborted": self.aborted,
        }


def _list_incomplete(
    client: Any, profile: Profile, where: Where, backoff: Backoff
) -> list[dict[str, Any]]:
    prefix = clean_prefix(profile.prefix)
    uploads: list[dict[str, Any]] = []
    markers: dict[str, str] = {}
    while True:

        def page(markers: dict[str, str] = markers) -> Any:
            return client.list_multipart_uploads(
                Bucket=profile.bucket, **({"Prefix": prefix + "/"} if prefix else {}), **markers
            )

        response = call_with_retry(page, where=where, backoff=backoff)
        uploads.extend(response.get("Uploads", []))
        if not response.get("IsTruncated"):
            return uploads
        markers = {
            "KeyMarker": response["NextKeyMarker"],
            "UploadIdMarker": response["NextUploadIdMarker"],
        }


def clean_up(
    store: Store,
    profile_name: str,
    older_than: timedelta,
    *,
    dry_run: bool = False,
    client_factory: Any = make_client,
    backoff: Backoff | None = None,
    now: datetime | None = None,
    cancel: CancelToken | None = None,
) -> list[StaleUpload]:
    """Abort our incomplete multipart uploads under the profile's prefix older than ``older_than``.

    Uploads this machine's journal knows and that are not finished are marked cancelled, since
    their parts are gone.
    """
    backoff = backoff or Backoff()
    with store.session() as session:
        profile = get_profile(session, profile_name)
    client = client_factory(profile, ClientOptions(concurrency=1))
    where = Where(profile.bucket, profile.endpoint_label, "ListMultipartUploads")
    cutoff = (now or utcnow()) - older_than
    candidates = [
        u
        for u in _list_incomplete(client, profile, where, backoff)
        if is_app_key(u["Key"], profile.prefix) and u["Initiated"] <= cutoff
    ]
    journal = Journal(store)
    known = journal.by_s3_upload_ids([u["UploadId"] for u in candidates])
    found: list[StaleUpload] = []
    for upload in candidates:
        if cancel is not None:
            cancel.raise_if_cancelled()
        local = known.get(upload["UploadId"])
        stale = StaleUpload(
            upload["Key"], upload["UploadId"], upload["Initiated"], local.id if local else None
        )
        if not dry_run:
            Remote(
                client,
                profile.bucket,
                upload["Key"],
                endpoint=profile.endpoint_label,
                backoff=backoff,
            ).abort(upload["UploadId"])
            if local is not None and local.status != UploadStatus.COMPLETED:
                journal.mark_canceled(local.id, "aborted by clean-up (incomplete for too long)")
            stale = StaleUpload(
                stale.key, stale.s3_upload_id, stale.initiated, stale.local_id, aborted=True
            )
        found.append(stale)
    return found
