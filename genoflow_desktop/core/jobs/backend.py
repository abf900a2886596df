"""What the job orchestrator needs from a service client, whatever API the service speaks.

The Cloudgene and WES clients each come with a backend (``cloudgene.backend`` and
``wes.backend``) that translates their API into these few calls and value types. The
orchestrator only ever sees this module, so it drives imputation jobs and workflow runs with one
state machine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from genoflow_desktop.core.domain import JobState
from genoflow_desktop.core.progress import CancelToken

MessageLevel = Literal["ok", "error", "warning", "running"]


@dataclass(frozen=True)
class StepMessage:
    """One line of progress from the server: Cloudgene step messages, a WES run's stderr."""

    step: str
    level: MessageLevel
    text: str
    at: datetime | None = None


@dataclass(frozen=True)
class RemoteOutput:
    """One result file the server offers.

    ``url`` is absent when the file cannot be fetched over HTTP (a WES server's ``file://``
    location on its own disk); ``location`` then says where it is.
    """

    name: str  # path relative to the job's result folder; may contain "/"
    url: str | None = None
    size: int | None = None
    size_text: str = ""  # the server's own rendering ("39 KB") when it gives no byte count
    checksum: str | None = None  # as the server gives it, e.g. "sha1$..."; informational
    location: str | None = None
    downloads_left: int | None = None


@dataclass(frozen=True)
class RemoteStatus:
    """A job as the server sees it, mapped onto our states.

    ``state`` is one of QUEUED, RUNNING, COMPLETED (the server finished and the outputs can be
    fetched), FAILED or CANCELED; the orchestrator adds SUBMITTING and DOWNLOADING itself.
    """

    state: JobState
    remote_state: str
    queue_position: int | None = None
    progress: float | None = None  # 0..1 when the server tells
    messages: tuple[StepMessage, ...] = ()
    error: str | None = None  # the server's own failure message, in plain words
    outputs: tuple[RemoteOutput, ...] = ()
    results_expire_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    #: A results password the server announced (Cloudgene's Summary message). A secret: it is
    #: used to decrypt and never stored, logged or shown.
    result_password: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class JobSpec:
    """Everything needed to submit one job: made from a job row, so it survives restarts."""

    job_id: str  # our id; also names the keychain entry of a job's result password
    name: str
    params: dict[str, Any]
    inputs: tuple[Path, ...] = ()
    attachments: tuple[Path, ...] = field(default=())


@dataclass(frozen=True)
class DownloadedFile:
    """A result file on the user's disk (downloaded, or extracted from a downloaded archive)."""

    name: str  # relative to the job's output folder
    path: Path
    size: int
    sha256: str
    extracted_from: str | None = None


@dataclass(frozen=True)
class CredentialCheck:
    """The answer of "Test connection": does the service take this token, and for how long."""

    valid: bool
    message: str
    username: str | None = None
    expires_at: datetime | None = None


#: Called with (file name, bytes done, bytes total or None) while results download.
DownloadProgress = Callable[[str, int, int | None], None]


class JobBackend(Protocol):
    """One service, with the user's token, seen through the orchestrator's eyes."""

    async def probe(self) -> str:
        """Ask the API something cheap that needs no token; return a one-line description of the
        server (name, version). Raises ServiceUnavailable when it does not answer as it should.
        """
        ...

    async def check_credentials(self) -> CredentialCheck:
        """Is the stored token accepted? Raises ServiceUnavailable when the server is down."""
        ...

    async def validate(self, spec: JobSpec) -> None:
        """Check the job's parameters against what the server offers; UserError if not valid.

        Runs before any upload: servers accept wrong values and fail the job hours later.
        """
        ...

    async def submit(self, spec: JobSpec) -> str:
        """Submit the job and return the server's id for it."""
        ...

    async def status(self, remote_id: str) -> RemoteStatus: ...

    async def cancel(self, remote_id: str) -> None: ...

    async def download(
        self,
        spec: JobSpec,
        status: RemoteStatus,
        destination: Path,
        *,
        progress: DownloadProgress | None = None,
        cancel: CancelToken | None = None,
    ) -> Sequence[DownloadedFile]:
        """Fetch every output into ``destination`` (and unpack what needs unpacking).

        Files are written under a temporary name and renamed when whole, so a crash never leaves
        a partial file that looks finished; files already complete on disk are not fetched
        again (Cloudgene counts every download).
        """
        ...

    async def logs(self, remote_id: str) -> str:
        """The job's log as text, for the user to read."""
        ...

    async def aclose(self) -> None: ...
