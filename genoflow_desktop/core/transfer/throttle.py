"""Bandwidth limiting: a token bucket shared by an upload's part senders.

boto3 sends a bytes body in one ``sendall``, which cannot be slowed down; a limited upload
therefore hands botocore a file-like :class:`ThrottledBody` instead, which http.client reads in
small blocks, each of which first takes its bytes from the bucket.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from genoflow_desktop.core.errors import Cancelled

#: Bytes taken from the bucket per read: small enough to pace smoothly, large enough to be cheap.
BLOCK = 64 * 1024


class TokenBucket:
    """At most ``rate`` bytes per second on average, with bursts of at most ``burst`` bytes.

    Thread-safe: all senders of an upload (or of several uploads) share one bucket, so the limit
    holds for their sum.
    """

    def __init__(
        self,
        rate: float,
        burst: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] | None = None,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = float(rate)
        # One quarter of a second of traffic: smooth enough, and never below one block.
        self.burst = float(burst if burst is not None else max(BLOCK, rate / 4))
        self._clock = clock
        self._sleep = sleep
        self._tokens = self.burst
        self._last = clock()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now

    def take(self, amount: int, stop: threading.Event | None = None) -> None:
        """Wait until ``amount`` bytes may be sent; raise Cancelled if ``stop`` is set meanwhile.

        Amounts larger than the burst are allowed: the balance goes negative and later callers
        wait it off, so the long-run rate still holds.
        """
        with self._lock:
            self._refill()
            self._tokens -= amount
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait > 0:
            if self._sleep is not None:
                self._sleep(wait)
            elif stop is not None:
                if stop.wait(wait):
                    raise Cancelled("stopped while waiting for bandwidth")
            else:
                time.sleep(wait)


class ThrottledBody:
    """A read-only, seekable file over a part's bytes whose reads are paced by a bucket."""

    def __init__(
        self, data: memoryview, bucket: TokenBucket, stop: threading.Event | None = None
    ) -> None:
        self._data = data
        self._bucket = bucket
        self._stop = stop
        self._position = 0

    def __len__(self) -> int:
        return len(self._data)

    def read(self, size: int = -1) -> bytes:
        remaining = len(self._data) - self._position
        if size is None or size < 0 or size > BLOCK:
            size = BLOCK
        size = min(size, remaining)
        if size <= 0:
            return b""
        self._bucket.take(size, self._stop)
        chunk = bytes(self._data[self._position : self._position + size])
        self._position += size
        return chunk

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._position, 2: len(self._data)}[whence]
        self._position = max(0, min(len(self._data), base + offset))
        return self._position

    def tell(self) -> int:
        return self._position
