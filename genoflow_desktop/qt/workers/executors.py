"""The bounded, named thread pools that run blocking work (owned by app.py, shut down on quit)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass


@dataclass
class Executors:
    """``validation``: CPU-heavy file checks; ``disk``: part reads and hashing; ``db``: the one
    SQLite writer (SQLite allows a single writer, so more threads would only wait on its lock);
    ``upload``: one thread per running upload (each holds its thread for the whole transfer, so
    uploads get their own pool instead of starving the disk pool).

    The workers keep the GUI thread's priority. Lowered (nice 10), a worker holding the GIL was
    preempted by any other busy process and kept the GUI thread waiting for the GIL: stalls of
    200-440 ms in bench_heartbeat.py, against a longest gap of ~50 ms at equal priority."""

    validation: ThreadPoolExecutor
    disk: ThreadPoolExecutor
    db: ThreadPoolExecutor
    upload: ThreadPoolExecutor

    @classmethod
    def create(cls, validation_workers: int) -> Executors:
        return cls(
            validation=ThreadPoolExecutor(validation_workers, thread_name_prefix="validation"),
            disk=ThreadPoolExecutor(2, thread_name_prefix="disk"),
            db=ThreadPoolExecutor(1, thread_name_prefix="db"),
            upload=ThreadPoolExecutor(2, thread_name_prefix="upload"),
        )

    def shutdown(self) -> None:
        for pool in (self.validation, self.disk, self.db, self.upload):
            pool.shutdown(wait=True, cancel_futures=True)
