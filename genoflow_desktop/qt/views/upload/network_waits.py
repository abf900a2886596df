"""Which uploads wait for their S3 endpoint to answer again, and when to stop waiting.

An upload that failed for a network reason (the engine's retries ran out on refused or reset
connections, time-outs, 5xx) is not failed for good: the Upload view shows it as "Waiting for
network" and resumes it when the connectivity monitor sees its S3 destination answer again.
Uploads the user paused or cancelled, and refusals such as 403, never wait.

Plain Python (no Qt): the view keeps one :class:`NetworkWaits` and asks it what to resume.
"""

from __future__ import annotations

from dataclasses import dataclass

from genoflow_desktop.core.connectivity import s3_target_name
from genoflow_desktop.core.errors import UserError

#: Automatic resumes that sent nothing before the upload is left failed: an endpoint that
#: answers probes but fails every upload (a 5xx storm) must not be retried for ever.
MAX_FRUITLESS_RESUMES = 5

#: S3 codes that are "retryable" yet not a network problem: the multipart upload is gone, and
#: resuming starts it again from the first byte — the user decides that.
NOT_NETWORK_CODES = frozenset({"NoSuchUpload"})


def waits_for_network(error: UserError) -> bool:
    """Whether an upload that failed with ``error`` should resume once the endpoint answers."""
    return error.retryable and getattr(error, "code", "") not in NOT_NETWORK_CODES


@dataclass
class _Wait:
    target: str
    done: int
    fruitless: int = 0


class NetworkWaits:
    def __init__(self) -> None:
        #: Each upload's destination (path -> profile name), known from when it was sent.
        self.profiles: dict[str, str] = {}
        self._waits: dict[str, _Wait] = {}

    def sent(self, path: str, profile: str) -> None:
        self.profiles[path] = profile

    def target_of(self, path: str) -> str | None:
        """The connectivity target of the upload of ``path`` (None when unknown)."""
        profile = self.profiles.get(path)
        return None if profile is None else s3_target_name(profile)

    def wait(self, path: str, done: int) -> bool:
        """``path`` failed for a network reason with ``done`` bytes sent; False when it has
        waited enough times without sending anything (then it should stay failed)."""
        target = self.target_of(path)
        if target is None:
            return False
        previous = self._waits.get(path)
        fruitless = 0
        if previous is not None and done <= previous.done:
            fruitless = previous.fruitless + 1
        if fruitless >= MAX_FRUITLESS_RESUMES:
            self._waits.pop(path, None)
            return False
        self._waits[path] = _Wait(target, done, fruitless)
        return True

    def forget(self, path: str) -> None:
        """The user paused, cancelled or removed it, or it completed: stop waiting."""
        self._waits.pop(path, None)

    def is_waiting(self, path: str) -> bool:
        return path in self._waits

    def due(self, target: str) -> list[str]:
        """The uploads waiting for ``target``, which has just answered."""
        return [path for path, wait in self._waits.items() if wait.target == target]
