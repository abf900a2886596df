"""Plain data shared by every layer: enums and small value types, no behaviour with side effects."""

from genoflow_desktop.core.domain.states import (
    Compression,
    FileFormat,
    JobKind,
    JobState,
    ServiceKind,
    Severity,
    UploadStatus,
    Verdict,
)

__all__ = [
    "Compression",
    "FileFormat",
    "JobKind",
    "JobState",
    "ServiceKind",
    "Severity",
    "UploadStatus",
    "Verdict",
]
