"""Every piece of background work starts here, so it is tracked, reported and cancellable.

A task is a coroutine on the qasync loop (network calls), usually awaiting blocking functions on
one of the :class:`Executors`. The runner keeps a reference to each task (asyncio only keeps weak
ones), reports its life as signals, cancels an owner's previous task when the owner starts a new
one (a view re-validating a file), and cancels everything on quit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from concurrent.futures import Executor
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal

from genoflow_desktop.core.errors import Cancelled, UserError
from genoflow_desktop.core.progress import CancelToken, Throttled

log = logging.getLogger(__name__)

T = TypeVar("T")


class TaskRunner(QObject):
    """Runs and tracks background tasks.

    Signals:
        started(str): a task with this name started.
        progress(str, object): the task reported a :class:`Progress` (at most ~10 per second).
        finished(str, object): the task returned this result.
        failed(str, str, str): the task failed with a :class:`UserError` (message, hint).
        cancelled(str): the task was cancelled.
    """

    started = Signal(str)
    progress = Signal(str, object)
    finished = Signal(str, object)
    failed = Signal(str, str, str)
    cancelled = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks: dict[str, asyncio.Task[Any]] = {}
        self._tokens: dict[str, CancelToken] = {}

    def start(self, name: str, coroutine: Coroutine[Any, Any, T]) -> asyncio.Task[T | None]:
        """Run ``coroutine`` as the task ``name``, cancelling a running task of the same name."""
        self.cancel(name)
        task = asyncio.ensure_future(self._run(name, coroutine))
        self._tasks[name] = task
        task.add_done_callback(lambda done: self._forget(name, done, coroutine))
        return task

    def _forget(
        self, name: str, task: asyncio.Task[Any], coroutine: Coroutine[Any, Any, Any]
    ) -> None:
        # A task cancelled before its first step never awaited its coroutine: close it, or
        # Python warns "coroutine ... was never awaited" (closing a finished one is a no-op).
        coroutine.close()
        # Only if no newer task of the same name has replaced it meanwhile.
        if self._tasks.get(name) is task:
            del self._tasks[name]
            self._tokens.pop(name, None)

    def run_blocking(
        self,
        name: str,
        executor: Executor,
        function: Callable[..., T],
        *args: Any,
        **kwargs: Any,
    ) -> asyncio.Task[T | None]:
        """Run a plain core function on ``executor``, passing it ``progress`` and ``cancel``.

        Progress reports cross from the worker thread to the GUI thread through the loop
        (``call_soon_threadsafe``), throttled to ~10 per second.
        """
        loop = asyncio.get_running_loop()
        token = CancelToken()
        report = Throttled(lambda p: loop.call_soon_threadsafe(self.progress.emit, name, p))

        def work() -> T:
            try:
                return function(*args, progress=report, cancel=token, **kwargs)
            finally:
                report.flush()

        async def wrapper() -> T:
            return await loop.run_in_executor(executor, work)

        task = self.start(name, wrapper())
        self._tokens[name] = token
        return task

    async def _run(self, name: str, coroutine: Coroutine[Any, Any, T]) -> T | None:
        """Run the task and turn its outcome into signals.

        Expected outcomes (a result, a :class:`UserError`, a cancellation) become signals; a bug
        goes to the loop's exception handler at once (the crash handler), instead of surfacing as
        "Task exception was never retrieved" whenever the task happens to be collected.
        """
        self.started.emit(name)
        try:
            result = await coroutine
        except asyncio.CancelledError:
            raise  # cancel() already announced it, also for tasks that had not started yet
        except Cancelled:
            self.cancelled.emit(name)
            return None
        except UserError as error:
            log.info("task %s failed: %s", name, error)
            self.failed.emit(name, error.message, error.hint)
            return None
        except Exception as exc:
            asyncio.get_running_loop().call_exception_handler(
                {"message": f"background task {name!r} failed", "exception": exc}
            )
            return None
        self.finished.emit(name, result)
        return result

    def cancel(self, name: str) -> None:
        token = self._tokens.pop(name, None)
        if token is not None:
            token.cancel()
        task = self._tasks.pop(name, None)
        if task is not None and not task.done():
            task.cancel()
            self.cancelled.emit(name)

    def cancel_all(self) -> None:
        for name in list(self._tasks):
            self.cancel(name)

    async def wait_idle(self) -> None:
        """Wait until no task is running (tasks started meanwhile are waited for too)."""
        while self._tasks:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    async def shutdown(self) -> None:
        """Cancel every task and wait until each has finished unwinding (called on quit)."""
        tasks = list(self._tasks.values())
        self.cancel_all()
        await asyncio.gather(*tasks, return_exceptions=True)

    def is_running(self, name: str) -> bool:
        return name in self._tasks

    @property
    def running(self) -> list[str]:
        return list(self._tasks)
