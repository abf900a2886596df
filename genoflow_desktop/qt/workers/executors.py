"""The bounded, named thread pools that run blocking work (owned by app.py, shut down on quit)."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

#: The nice value of background threads (validation, disk, upload): above the GUI thread's 0.
BACKGROUND_NICE = 10


def lower_thread_priority() -> None:
    """Give the calling thread (and the threads it starts, which inherit it) a lower priority.

    Why: on a busy machine the GUI thread must wait for the GIL to be handed over *and* then for
    a core. Python hands the GIL to whichever waiter the OS runs first, so with the workers at
    the same priority the GUI thread lost that race for 100+ ms at a time while files were
    checked and uploaded (bench_heartbeat.py). At a lower priority, the workers still use every
    idle cycle, and the GUI thread runs as soon as it wakes.

    Linux only: there, a nice value is per thread (``setpriority`` on the thread id); other
    systems would renice the whole process, which would slow the GUI down too.
    """
    if sys.platform.startswith("linux"):
        # Not allowed in some sandboxes: the threads then keep the normal priority.
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICE)


@dataclass
class Executors:
    """``validation``: CPU-heavy file checks; ``disk``: part reads and hashing; ``db``: the one
    SQLite writer (SQLite allows a single writer, so more threads would only wait on its lock);
    ``upload``: one thread per running upload (each holds its thread for the whole transfer, so
    uploads get their own pool instead of starving the disk pool).

    All but ``db`` run at a lower priority (:func:`lower_thread_priority`); ``db`` answers the
    views' queries, which the user is waiting for."""

    validation: ThreadPoolExecutor
    disk: ThreadPoolExecutor
    db: ThreadPoolExecutor
    upload: ThreadPoolExecutor

    @classmethod
    def create(cls, validation_workers: int) -> Executors:
        def background(workers: int, name: str) -> ThreadPoolExecutor:
            return ThreadPoolExecutor(
                workers, thread_name_prefix=name, initializer=lower_thread_priority
            )

        return cls(
            validation=background(validation_workers, "validation"),
            disk=background(2, "disk"),
            db=ThreadPoolExecutor(1, thread_name_prefix="db"),
            upload=background(2, "upload"),
        )

    def shutdown(self) -> None:
        for pool in (self.validation, self.disk, self.db, self.upload):
            pool.shutdown(wait=True, cancel_futures=True)
