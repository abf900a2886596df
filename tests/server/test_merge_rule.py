"""The shared merge rule the server applies (core.domain.sync.merge): the properties that make a
repeated push a no-op and let versions arrive in any order."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from genoflow_desktop.core.domain.sync import RecordKind, merge

TIMES = st.sampled_from([f"2026-03-01T10:0{minute}:00+00:00" for minute in range(4)])
EVENTS = st.fixed_dictionaries(
    {"state": st.sampled_from(["queued", "running", "completed"]), "at": TIMES},
    optional={"message": st.sampled_from(["", "note"])},
)
JOBS = st.fixed_dictionaries(
    {
        "id": st.just("a" * 32),
        "state": st.sampled_from(["queued", "running", "completed", "failed"]),
        "updated_at": TIMES,
    },
    optional={
        "name": st.sampled_from(["one", "two"]),
        "progress": st.integers(0, 100),
        "error": st.sampled_from(["", "boom"]),
        "history": st.lists(EVENTS, max_size=4),
    },
)


def _stored(*versions: dict[str, Any]) -> dict[str, Any] | None:
    current = None
    for version in versions:
        current = merge(RecordKind.JOB, current, version)
    return current


@settings(max_examples=300, deadline=None)
@given(a=JOBS)
def test_merging_a_version_again_changes_nothing(a: dict[str, Any]) -> None:
    stored = _stored(a)
    assert merge(RecordKind.JOB, stored, a) == stored


@settings(max_examples=300, deadline=None)
@given(a=JOBS, b=JOBS)
def test_the_order_of_arrival_does_not_matter(a: dict[str, Any], b: dict[str, Any]) -> None:
    both = _stored(a, b)
    assert both == _stored(b, a)
    # And either version pushed again is a no-op.
    assert merge(RecordKind.JOB, both, a) == both
    assert merge(RecordKind.JOB, both, b) == both


@settings(max_examples=300, deadline=None)
@given(a=JOBS, b=JOBS)
def test_a_state_never_moves_backwards(a: dict[str, Any], b: dict[str, Any]) -> None:
    from genoflow_desktop.core.domain.sync import state_rank

    both = _stored(a, b)
    assert both is not None
    rank = state_rank(RecordKind.JOB, both["state"])
    assert rank == max(state_rank(RecordKind.JOB, v["state"]) for v in (a, b))
