"""Enumerations of formats, verdicts and lifecycle states.

They are ``StrEnum`` so the same value reads the same in the database, in JSON output and in
logs. Renaming a value is a schema change: add a migration.
"""

from __future__ import annotations

from enum import StrEnum


class FileFormat(StrEnum):
    FASTQ = "fastq"
    SAM = "sam"
    BAM = "bam"
    CRAM = "cram"
    VCF = "vcf"
    BCF = "bcf"
    UNKNOWN = "unknown"


class Compression(StrEnum):
    NONE = "none"
    GZIP = "gzip"
    BGZF = "bgzf"
    BZIP2 = "bzip2"
    XZ = "xz"
    ZSTD = "zstd"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Verdict(StrEnum):
    VALID = "valid"
    VALID_WITH_WARNINGS = "valid_with_warnings"
    INVALID = "invalid"


class UploadStatus(StrEnum):
    PENDING = "pending"
    UPLOADING = "uploading"
    PAUSED = "paused"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELED = "canceled"


class ServiceKind(StrEnum):
    CLOUDGENE = "cloudgene"
    WES = "wes"


class JobKind(StrEnum):
    IMPUTATION = "imputation"
    WORKFLOW = "workflow"


class JobState(StrEnum):
    """A job's local lifecycle. The declaration order is the forward order of the state machine."""

    DRAFT = "draft"
    SUBMITTING = "submitting"
    QUEUED = "queued"
    RUNNING = "running"
    DOWNLOADING = "downloading"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELED = "canceled"

    @property
    def is_final(self) -> bool:
        return self in (JobState.COMPLETED, JobState.FAILED, JobState.CANCELED)

    @property
    def rank(self) -> int:
        """Position in the forward order; final states share the highest rank."""
        order = list(JobState)
        return min(order.index(self), order.index(JobState.COMPLETED))
