"""Offline mode in the app: probe the configured services and tell the views what is reachable.

The :class:`ConnectivityMonitor` keeps a :class:`~genoflow_desktop.core.connectivity.Connectivity`
model up to date from two sources: its own probes (on the GUI loop: they are async network
calls, never blocking) and the jobs thread's requests (``JobRunner.service_reached``). Views
connect to :attr:`ConnectivityMonitor.changed` and disable what needs an unreachable service,
showing the reason. When a service answers again the monitor tells the jobs thread, which
retries the waiting jobs at once instead of sleeping out their back-off.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtWidgets import QToolButton, QWidget

from genoflow_desktop.core.connectivity import JOB_KEPT, Connectivity, Target, offline_reason

if TYPE_CHECKING:
    from genoflow_desktop.qt.workers.store_access import StoreAccess
    from genoflow_desktop.qt.workers.task_runner import TaskRunner

TASK = "connectivity.check"
#: How often the monitor looks for targets whose next probe is due (probes follow the model's
#: interval and back-off; a tick that finds nothing due costs one small store read).
TICK_MS = 5000

Probe = Callable[[Target], Awaitable[str | None]]


class ServiceWaker(Protocol):
    """What the monitor needs of the jobs thread (``JobRunner``)."""

    def service_back(self, service_name: str) -> None: ...


class ConnectivityMonitor(QObject):
    """Signals:
    changed(str, bool, str): a target's name, whether it can be reached, and the reason shown
        next to disabled actions ("Offline: … cannot be reached — …"; empty when online).
    summary_changed(str): the status bar's text, "Online" or "Offline: N services unreachable".
    check_finished(): a round of probes is over (the "Check now" buttons wait for it).
    """

    changed = Signal(str, bool, str)
    summary_changed = Signal(str)
    check_finished = Signal()

    def __init__(
        self,
        store: StoreAccess,
        runner: TaskRunner,
        jobs: ServiceWaker | None = None,
        *,
        model: Connectivity | None = None,
        probe: Probe | None = None,
        tick_ms: int = TICK_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        from genoflow_desktop.core import connectivity

        self._store = store
        self._runner = runner
        self._jobs = jobs
        self.model = model or Connectivity()
        self._probe = probe or connectivity.probe
        self._targets: dict[str, Target] = {}
        # A child timer: it dies with the monitor, never firing into a deleted object.
        self._timer = QTimer(self)
        self._timer.setInterval(tick_ms)
        self._timer.timeout.connect(self._on_timer_timeout)

    def start(self) -> None:
        """Probe now, then whenever a target's next probe is due (call once the store is open)."""
        self._timer.start()
        self.check_now()

    def stop(self) -> None:
        self._timer.stop()
        self._runner.cancel(TASK)

    @Slot()
    def _on_timer_timeout(self) -> None:
        if not self._runner.is_running(TASK):  # a slow probe (a host timing out) is still on
            self._runner.start(TASK, self.check())

    def check_now(self) -> asyncio.Task[None]:
        """Probe every configured target now, whatever its back-off says."""
        return self._runner.start(TASK, self.check(force=True))

    async def check(self, *, force: bool = False) -> None:
        """Re-read which targets are configured, then probe those that are due."""
        from genoflow_desktop.core import connectivity

        found = await self._store.run(connectivity.targets)
        self._targets = {target.name: target for target in found}
        forgotten = self.model.retain(self._targets)
        for name in forgotten:
            self.changed.emit(name, True, "")  # no longer set up: nothing waits for it
        if forgotten:
            self.summary_changed.emit(self.model.summary())
        due = [t for t in found if force or self.model.is_due(t.name)]
        try:
            problems = await asyncio.gather(*(self._probe(target) for target in due))
            for target, problem in zip(due, problems, strict=True):
                self.report(target.name, problem is None, problem or "")
        finally:
            self.check_finished.emit()

    @Slot(str, str)
    def report_unreachable(self, name: str, detail: str) -> None:
        """Work of the user's failed for a network reason (``UploadView.s3_unreachable``):
        ``name`` is down until a probe finds it answering (then ``changed`` says so)."""
        self.report(name, False, detail)

    @Slot(str, bool, str)
    def report(self, name: str, online: bool, detail: str) -> None:
        """Record what a probe or the jobs thread (``JobRunner.service_reached``) found."""
        change = self.model.reached(name) if online else self.model.unreachable(name, detail)
        if change is None:
            return
        target = self._targets.get(name)
        consequence = target.consequence if target is not None else JOB_KEPT
        reason = "" if online else offline_reason(name, consequence)
        self.changed.emit(name, online, reason)
        self.summary_changed.emit(self.model.summary())
        if online and self._jobs is not None and (target is None or target.kind == "service"):
            self._jobs.service_back(name)


CHECK_NOW_TIP = "Click to check the connections now."


class ConnectivityIndicator(QToolButton):
    """The status bar's "Online" / "Offline: …" text; a click probes every target at once.

    Signals:
        check_requested(): the user asked for a check now (connect to ``check_now``).
    """

    check_requested = Signal()

    def __init__(self, monitor: ConnectivityMonitor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._monitor = monitor
        self.setAutoRaise(True)  # flat like a label, but focusable and clickable
        self.setAccessibleName("Connection")
        self.setAccessibleDescription(CHECK_NOW_TIP)
        self.clicked.connect(self._on_clicked)
        monitor.summary_changed.connect(self._on_summary_changed)
        monitor.check_finished.connect(self._on_check_finished)
        self._on_summary_changed(monitor.model.summary())

    @Slot()
    def _on_clicked(self) -> None:
        self.setEnabled(False)
        self.setText("Checking…")
        self.check_requested.emit()

    @Slot(str)
    def _on_summary_changed(self, summary: str) -> None:
        if self.isEnabled():
            self.setText(summary)
        offline = self._monitor.model.offline
        self.setToolTip("\n".join([*offline, CHECK_NOW_TIP]))

    @Slot()
    def _on_check_finished(self) -> None:
        self.setEnabled(True)
        self.setText(self._monitor.model.summary())
