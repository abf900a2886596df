"""Progress reporting and cancellation for long-running, thread-agnostic core work.

Every core function that may take long accepts ``progress: ProgressCallback | None`` and
``cancel: CancelToken | None``. It knows nothing about threads or Qt: the Qt layer decides on
which thread the callback ends up (see ``qt/workers/task_runner.py``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from genoflow_desktop.core.errors import Cancelled


class CancelToken:
    """A thread-safe flag that long-running work polls between chunks of work."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled("cancelled by the user")


@dataclass(frozen=True, slots=True)
class Progress:
    """One progress report. ``total`` is None when the amount of work is not known up front."""

    done: int
    total: int | None = None
    records: int = 0
    message: str = ""

    @property
    def fraction(self) -> float | None:
        if not self.total:
            return None
        return min(1.0, self.done / self.total)


ProgressCallback = Callable[[Progress], None]


class Throttled:
    """Wraps a progress callback so it fires at most once per ``interval`` seconds.

    Workers report as often as is convenient for them (every chunk); the user interface cannot
    usefully redraw more than ~10 times a second, and queued signals beyond that only pile up.
    The final report is never dropped: call :meth:`flush` when the work ends.
    """

    def __init__(
        self,
        callback: ProgressCallback,
        interval: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._callback = callback
        self._interval = interval
        self._clock = clock
        self._last_sent = float("-inf")
        self._pending: Progress | None = None
        self._lock = threading.Lock()

    def __call__(self, progress: Progress) -> None:
        now = self._clock()
        with self._lock:
            if now - self._last_sent < self._interval:
                self._pending = progress
                return
            self._last_sent = now
            self._pending = None
        self._callback(progress)

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, None
        if pending is not None:
            self._callback(pending)
