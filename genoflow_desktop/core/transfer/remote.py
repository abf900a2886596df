"""The S3 calls of one upload, each with the retry policy and a plain error when it gives up."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from genoflow_desktop.core.transfer.retry import (
    Backoff,
    NoSuchUpload,
    TransferError,
    Where,
    call_with_retry,
)

#: User metadata keys (sent as x-amz-meta-*), set when the multipart upload is created.
META_UPLOAD_ID = "genoflow-upload-id"
META_PROJECT = "genoflow-project-id"
META_SAMPLE = "genoflow-sample-id"
#: Object tags, set after completion (see finish.py for why tags and not metadata).
TAG_MD5 = "genoflow-md5"
TAG_SHA256 = "genoflow-sha256"


@dataclass(frozen=True, slots=True)
class ServerPart:
    number: int
    size: int
    etag: str
    checksum: str | None  # ChecksumSHA256 when the server reports it


class Remote:
    """One object key in one bucket, reached through one (thread-safe) boto3 client."""

    def __init__(
        self,
        client: Any,
        bucket: str,
        key: str,
        *,
        endpoint: str,
        backoff: Backoff,
        stop: threading.Event | None = None,
        on_retry: Callable[[int, TransferError], None] | None = None,
    ) -> None:
        self.client = client
        self.bucket = bucket
        self.key = key
        self.endpoint = endpoint
        self.backoff = backoff
        self.stop = stop
        self.on_retry = on_retry

    def _call(
        self, operation: str, call: Callable[[], Any], *, stop: threading.Event | None = None
    ) -> Any:
        return call_with_retry(
            call,
            where=Where(self.bucket, self.endpoint, operation),
            backoff=self.backoff,
            stop=stop if stop is not None else self.stop,
            on_retry=self.on_retry,
        )

    def create(self, metadata: dict[str, str], sse: str, kms_key_id: str | None) -> str:
        extra: dict[str, Any] = {}
        if sse != "none":
            extra["ServerSideEncryption"] = sse
            if sse == "aws:kms" and kms_key_id:
                extra["SSEKMSKeyId"] = kms_key_id
        response = self._call(
            "CreateMultipartUpload",
            lambda: self.client.create_multipart_upload(
                Bucket=self.bucket,
                Key=self.key,
                Metadata=metadata,
                ChecksumAlgorithm="SHA256",
                ContentType="application/octet-stream",
                **extra,
            ),
        )
        return str(response["UploadId"])

    def list_parts(self, upload_id: str) -> dict[int, ServerPart]:
        parts: dict[int, ServerPart] = {}
        marker = 0
        while True:

            def page(marker: int = marker) -> Any:
                return self.client.list_parts(
                    Bucket=self.bucket, Key=self.key, UploadId=upload_id, PartNumberMarker=marker
                )

            response = self._call("ListParts", page)
            for item in response.get("Parts", []):
                number = int(item["PartNumber"])
                parts[number] = ServerPart(
                    number, int(item["Size"]), str(item["ETag"]), item.get("ChecksumSHA256")
                )
            if not response.get("IsTruncated"):
                return parts
            marker = int(response["NextPartNumberMarker"])

    def upload_part(
        self,
        upload_id: str,
        number: int,
        body: Any,
        length: int,
        checksum: str,
        *,
        stop: threading.Event | None = None,
        rewind: bool = False,
    ) -> str:
        def call() -> Any:
            if rewind:
                body.seek(0)  # a file-like body is read to its end by a failed attempt
            return self.client.upload_part(
                Bucket=self.bucket,
                Key=self.key,
                UploadId=upload_id,
                PartNumber=number,
                Body=body,
                ContentLength=length,
                ChecksumAlgorithm="SHA256",
                ChecksumSHA256=checksum,
            )

        return str(self._call("UploadPart", call, stop=stop)["ETag"])

    def complete(self, upload_id: str, parts: list[dict[str, Any]]) -> dict[str, Any]:
        return dict(
            self._call(
                "CompleteMultipartUpload",
                lambda: self.client.complete_multipart_upload(
                    Bucket=self.bucket,
                    Key=self.key,
                    UploadId=upload_id,
                    MultipartUpload={"Parts": parts},
                ),
            )
        )

    def abort(self, upload_id: str) -> None:
        """Abort, then check with ListParts that nothing is left (S3 advises to repeat if so)."""
        for _ in range(3):
            try:
                self._call(
                    "AbortMultipartUpload",
                    lambda: self.client.abort_multipart_upload(
                        Bucket=self.bucket, Key=self.key, UploadId=upload_id
                    ),
                    stop=threading.Event(),
                )
            except NoSuchUpload:
                return
            try:
                self.list_parts(upload_id)
            except NoSuchUpload:
                return
        raise TransferError(
            "The multipart upload could not be removed from the server; its parts may still "
            "be billed.",
            hint="Try again later, or run 'genoflow s3 cleanup --profile NAME --older-than 0'.",
            retryable=True,
        )

    def head(self) -> dict[str, Any] | None:
        """HeadObject with checksums, or None when there is no such object."""
        from botocore.exceptions import ClientError

        def call() -> Any:
            try:
                return self.client.head_object(
                    Bucket=self.bucket, Key=self.key, ChecksumMode="ENABLED"
                )
            except ClientError as exc:
                if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
                    return None
                raise

        result = self._call("HeadObject", call)
        return None if result is None else dict(result)

    def put_tags(self, tags: dict[str, str]) -> None:
        tag_set = [{"Key": k, "Value": v} for k, v in tags.items()]
        self._call(
            "PutObjectTagging",
            lambda: self.client.put_object_tagging(
                Bucket=self.bucket, Key=self.key, Tagging={"TagSet": tag_set}
            ),
        )

    def get_tags(self) -> dict[str, str]:
        response = self._call(
            "GetObjectTagging",
            lambda: self.client.get_object_tagging(Bucket=self.bucket, Key=self.key),
        )
        return {t["Key"]: t["Value"] for t in response.get("TagSet", [])}
