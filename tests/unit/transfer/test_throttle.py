"""Bandwidth limit (token bucket, paced bodies), speed and ETA."""

from __future__ import annotations

import threading

import pytest

from genoflow_desktop.core.errors import Cancelled
from genoflow_desktop.core.transfer.progress import (
    BatchProgress,
    SpeedMeter,
    TransferProgress,
    eta_seconds,
    human_bytes,
    human_duration,
)
from genoflow_desktop.core.transfer.throttle import BLOCK, ThrottledBody, TokenBucket


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept += seconds
        self.now += seconds


@pytest.mark.parametrize("rate", [64 * 1024, 1_000_000, 50_000_000])
def test_long_run_rate_is_the_limit(rate: int) -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate, clock=clock, sleep=clock.sleep)
    total = 40 * rate // 10  # four seconds' worth
    sent = 0
    while sent < total:
        bucket.take(BLOCK)
        sent += BLOCK
    # Everything beyond the initial burst is paced at the rate.
    assert clock.now - 1000.0 == pytest.approx((sent - bucket.burst) / rate, rel=0.01)


def test_idle_time_refills_at_most_one_burst() -> None:
    clock = FakeClock()
    bucket = TokenBucket(100_000, burst=10_000, clock=clock, sleep=clock.sleep)
    clock.now += 3600  # an hour idle does not buy an hour of unlimited sending
    bucket.take(10_000)
    assert clock.slept == 0
    bucket.take(10_000)
    assert clock.slept == pytest.approx(0.1)


def test_shared_bucket_limits_the_sum_of_senders() -> None:
    bucket = TokenBucket(4 * 1024 * 1024, burst=64 * 1024)  # real clock: 4 MiB/s for all threads
    done = threading.Barrier(4)

    def sender() -> None:
        for _ in range(8):
            bucket.take(64 * 1024)  # 512 KiB each, 2 MiB in all: ~0.5 s
        done.wait()

    import time

    started = time.monotonic()
    threads = [threading.Thread(target=sender) for _ in range(3)]
    for thread in threads:
        thread.start()
    done.wait()
    elapsed = time.monotonic() - started
    assert 0.3 <= elapsed < 3


def test_stop_interrupts_a_paced_wait() -> None:
    bucket = TokenBucket(1000, burst=1000)
    stop = threading.Event()
    stop.set()
    bucket.take(1000, stop)  # the burst: no wait
    with pytest.raises(Cancelled):
        bucket.take(10_000, stop)


def test_throttled_body_reads_in_blocks_and_rewinds() -> None:
    clock = FakeClock()
    data = bytes(range(256)) * 1024  # 256 KiB
    body = ThrottledBody(memoryview(data), TokenBucket(10**9, clock=clock, sleep=clock.sleep))
    chunks = []
    while chunk := body.read(10**9):
        assert len(chunk) <= BLOCK
        chunks.append(chunk)
    assert b"".join(chunks) == data and len(body) == len(data)
    assert body.tell() == len(data)
    body.seek(0)
    assert body.read(5) == data[:5]
    body.seek(-3, 2)
    assert body.read() == data[-3:]


def test_speed_is_a_moving_average() -> None:
    clock = FakeClock()
    meter = SpeedMeter(window=10, clock=clock)
    meter.start()
    assert meter.speed() is None
    for _ in range(5):
        clock.now += 1
        meter.add(1_000_000)
    assert meter.speed() == pytest.approx(1_000_000)
    for _ in range(20):  # the link slows down: old samples leave the window
        clock.now += 1
        meter.add(100_000)
    assert meter.speed() == pytest.approx(100_000, rel=0.15)


def test_eta_and_totals() -> None:
    assert eta_seconds(1000, 100) == 10
    assert eta_seconds(1000, None) is None
    assert eta_seconds(0, None) == 0
    batch = BatchProgress({"a": 1000, "b": 3000})
    batch.update(TransferProgress(done=500, total=1000, upload_id="a", speed=100))
    total = batch.update(TransferProgress(done=1000, total=3000, upload_id="b", speed=200))
    assert (total.done, total.total, total.speed) == (1500, 4000, 300)
    assert total.eta_s == pytest.approx(2500 / 300)


def test_human_units() -> None:
    assert human_bytes(512) == "512 B"
    assert human_bytes(5 * 1024**3) == "5.0 GiB"
    assert human_duration(3725) == "1:02:05"
    assert human_duration(59.6) == "01:00"
    assert human_duration(None) == "--:--"
