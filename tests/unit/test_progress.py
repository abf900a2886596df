import pytest

from genoflow_desktop.core.errors import Cancelled
from genoflow_desktop.core.progress import CancelToken, Progress, Throttled


def test_cancel_token() -> None:
    token = CancelToken()
    token.raise_if_cancelled()
    token.cancel()
    assert token.cancelled
    with pytest.raises(Cancelled):
        token.raise_if_cancelled()


def test_throttle_drops_intermediate_reports_but_never_the_last() -> None:
    now = [0.0]
    seen: list[int] = []
    throttled = Throttled(lambda p: seen.append(p.done), interval=0.1, clock=lambda: now[0])
    for done in range(10):
        throttled(Progress(done=done))
        now[0] += 0.03
    throttled.flush()
    assert seen[0] == 0
    assert seen[-1] == 9
    assert len(seen) <= 5


def test_fraction() -> None:
    assert Progress(done=5, total=10).fraction == 0.5
    assert Progress(done=5).fraction is None
