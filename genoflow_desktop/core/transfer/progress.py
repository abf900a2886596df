"""Transfer progress: bytes done, moving-average speed and time left, per file and in total."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from genoflow_desktop.core.progress import Progress


@dataclass(frozen=True, slots=True)
class TransferProgress(Progress):
    """A :class:`Progress` (``done``/``total`` in bytes) with what a transfer view shows.

    It is a Progress, so generic consumers (the task runner, a status bar) need not know it.
    """

    upload_id: str = ""
    name: str = ""
    speed: float | None = None  # bytes per second, moving average
    eta_s: float | None = None
    parts_done: int = 0
    parts_total: int = 0
    status: str = ""


class SpeedMeter:
    """Bytes per second over the last ``window`` seconds.

    Parts are acknowledged in bursts (a whole part at once), so an instantaneous rate would jump
    between zero and several times the real one; a window of a few parts smooths that out.
    """

    def __init__(self, window: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._window = window
        self._clock = clock
        self._samples: deque[tuple[float, int]] = deque()
        self._total = 0
        self._lock = threading.Lock()

    def start(self) -> None:
        """Mark the start of sending (so the first part's time is counted)."""
        with self._lock:
            self._samples.append((self._clock(), self._total))

    def add(self, amount: int) -> None:
        with self._lock:
            self._total += amount
            now = self._clock()
            self._samples.append((now, self._total))
            while len(self._samples) > 2 and now - self._samples[1][0] > self._window:
                self._samples.popleft()

    def speed(self) -> float | None:
        with self._lock:
            if len(self._samples) < 2:
                return None
            (t0, b0), (t1, b1) = self._samples[0], self._samples[-1]
            now = self._clock()
        elapsed = max(now, t1) - t0
        return (b1 - b0) / elapsed if elapsed > 0 else None


def eta_seconds(remaining: int, speed: float | None) -> float | None:
    if remaining <= 0:
        return 0.0
    if not speed:
        return None
    return remaining / speed


class BatchProgress:
    """Combines the progress of several files into one total (for a queue of uploads)."""

    def __init__(self, sizes: dict[str, int]) -> None:
        self._latest: dict[str, TransferProgress] = {}
        self._sizes = dict(sizes)
        self._lock = threading.Lock()

    def update(self, progress: TransferProgress) -> TransferProgress:
        """Record one file's progress; returns the total over all files."""
        with self._lock:
            self._latest[progress.upload_id] = progress
            done = sum(p.done for p in self._latest.values())
            total = sum(self._sizes.values())
            active = [p.speed for p in self._latest.values() if p.speed and p.done < (p.total or 0)]
        speed = sum(active) if active else None
        return TransferProgress(
            done=done,
            total=total,
            upload_id="",
            name="total",
            speed=speed,
            eta_s=eta_seconds(total - done, speed),
            status="total",
        )


def human_bytes(amount: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(amount) < 1024 or unit == "TiB":
            return f"{amount:.0f} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    raise AssertionError("unreachable")


def human_duration(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    seconds = int(seconds + 0.5)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"
