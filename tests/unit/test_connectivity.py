"""The connectivity model: per-target reachability, back-off between probes, the summary, and
which targets are probed at all (only what the user set up)."""

from __future__ import annotations

import asyncio
import socket

import pytest

from genoflow_desktop.core import connectivity
from genoflow_desktop.core.connectivity import Change, Connectivity, Target
from genoflow_desktop.core.domain import JobState
from genoflow_desktop.core.services import catalog, credentials
from genoflow_desktop.core.store import Store, open_store
from genoflow_desktop.core.store.models import Job, Service
from genoflow_desktop.core.transfer.profiles import Profile, save_profile


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def model(clock: FakeClock) -> Connectivity:
    return Connectivity(interval_s=60, first_backoff_s=5, max_backoff_s=30, clock=clock)


def test_unknown_targets_count_as_online_and_are_due(model: Connectivity) -> None:
    assert model.is_online("MIS") and model.online
    assert model.is_due("MIS")
    assert model.summary() == "Online"
    # The first answer changes nothing the views show: unknown already meant online.
    assert model.reached("MIS") is None


def test_going_offline_and_back_are_changes(model: Connectivity) -> None:
    model.reached("MIS")
    assert model.unreachable("MIS", "refused") == Change("MIS", False, "refused")
    assert not model.is_online("MIS") and model.detail("MIS") == "refused"
    assert model.unreachable("MIS", "refused") is None  # still down, same reason: no news
    assert model.summary() == "Offline: 1 service unreachable"
    model.unreachable("S3 destination 'lab'", "timed out")
    assert model.offline == ["MIS", "S3 destination 'lab'"]
    assert model.summary() == "Offline: 2 services unreachable"
    assert model.reached("MIS") == Change("MIS", True)
    assert model.offline == ["S3 destination 'lab'"]


def test_probes_back_off_while_offline_and_slow_down_when_online(
    model: Connectivity, clock: FakeClock
) -> None:
    waits = []
    for _ in range(5):
        model.unreachable("MIS", "refused")
        start = clock.now
        while not model.is_due("MIS"):
            clock.now += 1
        waits.append(clock.now - start)
    assert waits == [5, 10, 20, 30, 30]  # doubling, capped
    model.reached("MIS")
    assert not model.is_due("MIS")
    clock.now += 60
    assert model.is_due("MIS")
    model.unreachable("MIS", "refused")  # the back-off starts again from the first step
    clock.now += 5
    assert model.is_due("MIS")


def test_targets_no_longer_configured_are_forgotten(model: Connectivity) -> None:
    model.unreachable("old", "refused")
    model.unreachable("MIS", "refused")
    assert model.retain(["MIS", "new"]) == ["old"]
    assert model.offline == ["MIS"]


def test_offline_reason_says_what_happens_to_the_work() -> None:
    assert connectivity.offline_reason("MIS") == (
        "Offline: MIS cannot be reached — the job is kept and resumes when it answers"
    )
    assert connectivity.offline_reason("X", connectivity.UPLOAD_LATER).endswith(
        "uploads can start when it answers"
    )


@pytest.fixture
def store(app_dirs) -> Store:  # type: ignore[no-untyped-def]
    opened = open_store(app_dirs.database)
    yield opened  # type: ignore[misc]
    opened.close()


def test_only_what_the_user_set_up_is_probed(store: Store) -> None:
    with store.session() as session:
        catalog.ensure_builtin_services(session)
        catalog.add_service(session, "Lab MIS", "cloudgene", "http://127.0.0.1:9")
        catalog.add_service(session, "Lab WES", "wes", "http://127.0.0.1:9/ga4gh/wes/v1")
        catalog.add_service(session, "Old WES", "wes", "http://127.0.0.1:9/wes")
        credentials.set_token(session, "Lab MIS", "lab-mis-token-0123456789")
        wes = session.query(Service).filter_by(name="Lab WES").one()
        old = session.query(Service).filter_by(name="Old WES").one()
        for service, state in ((wes, JobState.RUNNING), (old, JobState.COMPLETED)):
            session.add(Job(service_id=service.id, name="j", kind="workflow", state=state.value))
        save_profile(
            session,
            Profile("lab", "bucket-1", endpoint_url="http://127.0.0.1:9", access_key_id="AKIA1"),
            "lab-secret-0123456789abcdef",
        )
        save_profile(
            session,
            Profile("aws", "bucket-2", region="eu-west-1", access_key_id="AKIA2"),
            "aws-secret-0123456789abcdef",
        )
        found = connectivity.targets(session)
    by_name = {target.name: target for target in found}
    # A token, or unfinished jobs; never the built-in servers the user has not set up, nor a
    # service whose jobs have all ended.
    assert set(by_name) == {"Lab MIS", "Lab WES", "S3 destination 'lab'", "S3 destination 'aws'"}
    assert by_name["Lab MIS"].consequence == connectivity.JOB_KEPT
    assert by_name["S3 destination 'lab'"].url == "http://127.0.0.1:9"
    assert by_name["S3 destination 'aws'"].url == "https://s3.eu-west-1.amazonaws.com"
    assert by_name["S3 destination 'aws'"].consequence == connectivity.UPLOAD_LATER


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_probe_of_a_closed_port_says_why() -> None:
    target = Target("S3 destination 'lab'", "s3", f"http://127.0.0.1:{_closed_port()}")
    problem = asyncio.run(connectivity.probe(target))
    assert problem is not None and problem.startswith("S3 destination 'lab' could not be reached")
