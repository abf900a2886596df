"""The parts of one upload in flight: one reader thread, ``concurrency`` senders, one orchestrator.

The orchestrating (calling) thread only waits for events and hands every acknowledged part to
``on_part`` (which journals it) before it looks at the next event. Senders never touch the
journal; they report through the same queue as the reader.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from genoflow_desktop.core.errors import Cancelled
from genoflow_desktop.core.progress import CancelToken
from genoflow_desktop.core.transfer.journal import JournalPart
from genoflow_desktop.core.transfer.planner import PartPlan
from genoflow_desktop.core.transfer.reader import (
    BufferPool,
    PartAdopted,
    PartReader,
    PartSkipped,
    PartSubmitted,
    ReaderFinished,
    ReadPart,
)
from genoflow_desktop.core.transfer.reconcile import Decide
from genoflow_desktop.core.transfer.remote import Remote
from genoflow_desktop.core.transfer.throttle import ThrottledBody, TokenBucket
from genoflow_desktop.core.validation.checksums import Digests


@dataclass(frozen=True, slots=True)
class _PartDone:
    part: JournalPart


@dataclass(frozen=True, slots=True)
class _PartEnded:
    """A part that was not acknowledged: failed (``error``) or stopped by a pause (no error)."""

    number: int
    error: BaseException | None


@dataclass(slots=True)
class Stops:
    """``soft``: no new parts, no more retries (pause, failure). ``hard``: also cut paced sends."""

    soft: threading.Event
    hard: threading.Event


class PartPipeline:
    def __init__(
        self,
        *,
        path: str,
        plan: PartPlan,
        expected: tuple[int, int],
        remote: Remote,
        s3_upload_id: str,
        concurrency: int,
        decide: Decide,
        limiter: TokenBucket | None,
        stops: Stops,
        cancel: CancelToken | None,
        abort_requested: Callable[[], bool],
        on_part: Callable[[JournalPart, bool], None],
        on_skip: Callable[[], None],
    ) -> None:
        self._path = path
        self._plan = plan
        self._expected = expected
        self._remote = remote
        self._s3_upload_id = s3_upload_id
        self._concurrency = concurrency
        self._decide = decide
        self._limiter = limiter
        self._stops = stops
        self._cancel = cancel
        self._abort_requested = abort_requested
        self._on_part = on_part
        self._on_skip = on_skip
        self._events: queue.Queue[object] = queue.Queue()

    def run(self) -> Digests:
        """Send every part not yet acknowledged; return the file's digests.

        Raises:
            Cancelled: stopped by ``cancel`` before every part was acknowledged (or aborting).
            TransferError: a part or the reading failed (the first such error).
        """
        pool = BufferPool(self._concurrency, self._plan.part_size)
        senders = ThreadPoolExecutor(max_workers=self._concurrency, thread_name_prefix="s3-part")

        def send(part: ReadPart) -> None:
            senders.submit(self._send_one, part, pool)

        reader = PartReader(
            self._path, self._plan, pool, self._decide, send, self._events, self._stops.soft,
            expected=self._expected,
        )  # fmt: skip
        reader.start()
        finished: ReaderFinished | None = None
        failure: BaseException | None = None
        outstanding = 0
        acknowledged = 0
        clean_exit = False
        try:
            while finished is None or outstanding:
                self._check_cancel()
                try:
                    event = self._events.get(timeout=0.1)
                except queue.Empty:
                    continue
                if isinstance(event, PartSubmitted):
                    outstanding += 1
                elif isinstance(event, _PartDone):
                    outstanding -= 1
                    acknowledged += 1
                    self._on_part(event.part, True)
                elif isinstance(event, PartAdopted):
                    acknowledged += 1
                    self._on_part(
                        JournalPart(event.number, event.size, event.etag, event.checksum), False
                    )
                elif isinstance(event, PartSkipped):
                    acknowledged += 1
                    self._on_skip()
                elif isinstance(event, _PartEnded | ReaderFinished):
                    if isinstance(event, _PartEnded):
                        outstanding -= 1
                    else:
                        finished = event
                    if event.error is not None and failure is None:
                        failure = event.error
                        self._stops.soft.set()
            clean_exit = True
        finally:
            # Normally every sender is idle by now; after an interrupt, do not wait for them.
            senders.shutdown(wait=clean_exit, cancel_futures=True)
        if failure is not None:
            raise failure
        assert finished is not None
        if (
            self._abort_requested()
            or finished.digests is None
            or acknowledged < self._plan.part_count
        ):
            raise Cancelled("stopped")
        return finished.digests

    def _check_cancel(self) -> None:
        if self._cancel is not None and self._cancel.cancelled:
            self._stops.soft.set()
            if self._abort_requested():
                self._stops.hard.set()  # an abort also cuts paced sends short

    def _send_one(self, part: ReadPart, pool: BufferPool) -> None:
        view: memoryview | None = None
        try:
            body: Any = part.body
            if self._limiter is not None:
                view = memoryview(part.body)
                body = ThrottledBody(view, self._limiter, self._stops.hard)
            size = len(part.body)
            etag = self._remote.upload_part(
                self._s3_upload_id, part.number, body, size, part.checksum, rewind=view is not None
            )
            self._events.put(_PartDone(JournalPart(part.number, size, etag, part.checksum)))
        except Cancelled:
            self._events.put(_PartEnded(part.number, None))
        except BaseException as exc:  # handed to the orchestrating thread (bugs re-raised there)
            # Stop at once, before this buffer is freed: no further part may start after a
            # permanent error (the orchestrator would set it too, a moment later).
            self._stops.soft.set()
            self._events.put(_PartEnded(part.number, exc))
        finally:
            if view is not None:
                view.release()
            pool.release(part.slot)
