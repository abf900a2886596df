"""The job orchestrator on a thread of its own, with signals for the views.

Following jobs means many slow network calls and a store write after each: none of that may run
on the GUI thread. The orchestrator gets a private asyncio loop on a daemon thread; the views
call the thread-safe methods here, which return :class:`concurrent.futures.Future` objects (await
them with ``asyncio.wrap_future``), and hear back through queued Qt signals.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:
    from genoflow_desktop.core.jobs.orchestrator import JobEvent, JobOrchestrator
    from genoflow_desktop.core.settings import Settings
    from genoflow_desktop.core.store import Store

log = logging.getLogger(__name__)

T = TypeVar("T")


class JobRunner(QObject):
    """Signals:
    job_changed(str, str, str): job id, state, message (from the jobs thread, queued).
    notified(str, str, str): level, title, body of a notification for the desktop.
    service_reached(str, bool, str): a service answered a job's request (True) or could not
        be reached (False, with why); feeds the connectivity monitor.
    download_progress(str, str, object, object): job id, file name, bytes so far, size (or
        None) while results arrive; sizes are Python ints (a Qt int would overflow at 2 GB).
    """

    job_changed = Signal(str, str, str)
    notified = Signal(str, str, str)
    service_reached = Signal(str, bool, str)
    download_progress = Signal(str, str, object, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._orchestrator: JobOrchestrator | None = None
        self._ready = threading.Event()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, store: Store, settings: Settings, results_root: Path) -> None:
        """Start following every unfinished job (call once the store is open)."""
        if self.running:
            return
        self._thread = threading.Thread(
            target=self._main, args=(store, settings, results_root), name="jobs", daemon=True
        )
        self._thread.start()
        self._ready.wait(10)

    def _main(self, store: Store, settings: Settings, results_root: Path) -> None:
        from genoflow_desktop.core.jobs.notify import Notifier
        from genoflow_desktop.core.jobs.orchestrator import JobOrchestrator

        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        orchestrator = JobOrchestrator(
            store,
            results_root=results_root,
            poll_interval_s=settings.poll_interval_s,
            notifier=Notifier(settings, desktop=self.notified.emit),
        )
        orchestrator.add_listener(self._on_event)
        orchestrator.add_download_listener(self.download_progress.emit)
        orchestrator.add_reach_listener(
            lambda name, problem: self.service_reached.emit(name, problem is None, problem or "")
        )
        self._loop, self._orchestrator = loop, orchestrator
        self._ready.set()
        try:
            loop.run_until_complete(orchestrator.run())
        except Exception:
            log.exception("the jobs thread stopped on an error")
        finally:
            loop.close()

    def _on_event(self, event: JobEvent) -> None:
        self.job_changed.emit(event.job_id, event.state.value, event.message)

    def call(self, coroutine: Coroutine[Any, Any, T]) -> Future[T]:
        """Run ``coroutine`` on the jobs thread; the future resolves with its result."""
        if self._loop is None:
            coroutine.close()
            future: Future[T] = Future()
            future.set_exception(RuntimeError("the jobs thread has not started"))
            return future
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop)

    @property
    def orchestrator(self) -> JobOrchestrator:
        """Only for building coroutines passed to :meth:`call`; never call it on this thread."""
        assert self._orchestrator is not None, "the jobs thread has not started"
        return self._orchestrator

    def submit_new(self, **job: Any) -> Future[str]:
        async def submit() -> str:
            job_id = await self.orchestrator.submit_new(**job)
            self.orchestrator.follow_in_background(job_id)
            return job_id

        return self.call(submit())

    def credentials_changed(self, service_name: str) -> None:
        if self._loop is not None:
            self.call(self.orchestrator.credentials_changed(service_name))

    def service_back(self, service_name: str) -> None:
        """The service answers again (the connectivity monitor saw it): retry its jobs now."""
        # Only while the thread runs: its loop is closed once it has stopped.
        if self.running and self._loop is not None and self._orchestrator is not None:
            self._loop.call_soon_threadsafe(self._orchestrator.service_back, service_name)

    def stop(self, timeout: float = 10.0) -> None:
        if self._loop is not None and self._orchestrator is not None:
            self._loop.call_soon_threadsafe(self._orchestrator.stop)
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("the jobs thread did not stop within %.0f s", timeout)
