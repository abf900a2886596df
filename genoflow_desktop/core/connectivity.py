"""Which services can be reached right now, and what the app should say when one cannot.

Offline mode needs one answer shared by every view: "can Test MIS be reached?". It comes from
two sources, both fed into :class:`Connectivity`:

* health probes of the services the user set up (:func:`targets`, :func:`probe`), repeated with
  back-off while a service is down, and
* the job orchestrator's own requests: a status poll that worked proves the service is up, a
  :class:`~genoflow_desktop.core.services.errors.ServiceUnavailable` that it is not.

The model is plain data and Qt-free; ``qt/connectivity.py`` runs the probes on the GUI loop and
turns changes into signals. Only configured targets are ever probed (a token saved, unfinished
jobs, or an S3 profile): the app never contacts a service the user has not set up.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    # Only for types: views import this module on the GUI thread, where SQLAlchemy and httpx
    # must not load before the first paint (they are imported where they are used).
    from sqlalchemy.orm import Session

    from genoflow_desktop.core.services.backends import ServiceRef

#: What happens to the user's work while a service is offline, for the reason shown in views.
JOB_KEPT = "the job is kept and resumes when it answers"
SUBMIT_LATER = "submit the job when it answers"
UPLOAD_LATER = "uploads can start when it answers"

#: A probe gives up after this long: an unreachable host must not hold the check up.
PROBE_TIMEOUT_S = 10.0

Clock = Callable[[], float]


def offline_reason(name: str, consequence: str = JOB_KEPT) -> str:
    """The sentence views show next to an action that needs ``name``."""
    return f"Offline: {name} cannot be reached — {consequence}"


def s3_target_name(profile: str) -> str:
    """How an S3 destination is named in the connectivity model (and to the user)."""
    return f"S3 destination '{profile}'"


@dataclass(frozen=True)
class Target:
    """Something the app talks to over the network: a job service or an S3 endpoint."""

    name: str
    kind: Literal["service", "s3"]
    url: str
    service: ServiceRef | None = None

    @property
    def consequence(self) -> str:
        return JOB_KEPT if self.kind == "service" else UPLOAD_LATER


@dataclass(frozen=True)
class Change:
    """A target went online or offline (``detail`` says why it is offline)."""

    name: str
    online: bool
    detail: str = ""


@dataclass
class _State:
    online: bool
    detail: str = ""
    failures: int = 0
    next_check: float = 0.0


class Connectivity:
    """Per-target reachability with back-off for the next probe, and the overall online flag.

    A target nobody has heard from yet counts as online: the app must not disable actions on
    start-up before the first probe has answered.
    """

    def __init__(
        self,
        *,
        interval_s: float = 120.0,
        first_backoff_s: float = 5.0,
        max_backoff_s: float = 300.0,
        clock: Clock = time.monotonic,
    ) -> None:
        self.interval_s = interval_s
        self.first_backoff_s = first_backoff_s
        self.max_backoff_s = max_backoff_s
        self._clock = clock
        self._states: dict[str, _State] = {}

    def reached(self, name: str) -> Change | None:
        """``name`` answered; returns the change if it was offline before (unknown already
        counted as online)."""
        state = self._states.get(name)
        self._states[name] = _State(True, next_check=self._clock() + self.interval_s)
        if state is not None and not state.online:
            return Change(name, True)
        return None

    def unreachable(self, name: str, detail: str) -> Change | None:
        """``name`` could not be reached; the next probe waits longer after each failure."""
        state = self._states.get(name)
        failures = state.failures + 1 if state is not None and not state.online else 1
        delay = min(self.max_backoff_s, self.first_backoff_s * 2 ** (failures - 1))
        self._states[name] = _State(False, detail, failures, self._clock() + delay)
        if state is None or state.online or state.detail != detail:
            return Change(name, False, detail)
        return None

    def is_online(self, name: str) -> bool:
        state = self._states.get(name)
        return state is None or state.online

    def detail(self, name: str) -> str:
        state = self._states.get(name)
        return "" if state is None else state.detail

    def is_due(self, name: str) -> bool:
        """Whether ``name`` should be probed now (never probed, or its wait is over)."""
        state = self._states.get(name)
        return state is None or state.next_check <= self._clock()

    def retain(self, names: Iterable[str]) -> list[str]:
        """Forget targets that are no longer configured; returns the forgotten offline ones
        (they no longer block anything, so views must hear they are "online")."""
        keep = set(names)
        gone = [name for name in self._states if name not in keep]
        offline = [name for name in gone if not self._states[name].online]
        for name in gone:
            del self._states[name]
        return offline

    @property
    def offline(self) -> list[str]:
        return sorted(name for name, state in self._states.items() if not state.online)

    @property
    def online(self) -> bool:
        return not self.offline

    def summary(self) -> str:
        """The status bar's text."""
        count = len(self.offline)
        if count == 0:
            return "Online"
        return f"Offline: {count} service{'s' if count > 1 else ''} unreachable"


# -- what to probe, and probing -----------------------------------------------------------


def targets(session: Session) -> list[Target]:
    """The targets the user set up: services with a token or with unfinished jobs, and every
    S3 destination."""
    from sqlalchemy import select

    from genoflow_desktop.core.jobs.orchestrator import FOLLOWED_STATES
    from genoflow_desktop.core.services.backends import ServiceRef
    from genoflow_desktop.core.services.catalog import list_services
    from genoflow_desktop.core.store.models import Job, Service
    from genoflow_desktop.core.transfer.profiles import DEFAULT_REGION, list_profiles

    busy = set(
        session.scalars(
            select(Service.name)
            .join(Job, Job.service_id == Service.id)
            .where(Job.state.in_([state.value for state in FOLLOWED_STATES]))
        )
    )
    found = [
        Target(view.name, "service", view.base_url, ServiceRef(view.name, view.kind, view.base_url))
        for view in list_services(session)
        if view.has_token or view.name in busy
    ]
    for profile in list_profiles(session):
        url = profile.endpoint_url or f"https://s3.{profile.region or DEFAULT_REGION}.amazonaws.com"
        found.append(Target(s3_target_name(profile.name), "s3", url))
    return found


async def probe(target: Target) -> str | None:
    """Probe ``target`` once: None when it answers, else why not (in the user's words).

    Services get the same health check as "Test connection" (no token: every service answers
    its public endpoint). For S3 any HTTP answer counts: an anonymous request is refused, but
    the refusal proves the endpoint is there.
    """
    import httpx

    from genoflow_desktop.core.services.backends import make_backend
    from genoflow_desktop.core.services.catalog import check_health

    if target.service is not None:
        backend = make_backend(target.service, None)
        try:
            health = await check_health(target.name, backend)
        finally:
            await backend.aclose()
        return None if health.api_ok else health.error or f"{target.name} did not answer."
    try:
        # A short connect time-out, as for services: a host that does not answer is down.
        async with httpx.AsyncClient(timeout=httpx.Timeout(PROBE_TIMEOUT_S, connect=3.0)) as client:
            await client.get(target.url)
    except httpx.HTTPError as error:
        return f"{target.name} could not be reached ({str(error) or type(error).__name__})."
    return None
