"""The lab sync in the app: the signed-in session, syncs in the background, the idle timeout.

:class:`SyncRunner` owns the :class:`~genoflow_desktop.core.sync.session.SyncSession`. It
restores a remembered sign-in once the store is open, then runs
:func:`~genoflow_desktop.core.sync.engine.sync_once` every ``sync_interval_seconds``, a few
seconds after a local change (a job changed, an upload ended), and on "Sync now". Network calls
are httpx on the GUI loop; store and keychain work goes to the ``db`` executor (``run_db``).

An unreachable server is not an error worth a message: changes stay pending (the Settings
panel shows how many, and why the last run failed) and the next attempt follows the same
back-off as the connectivity monitor's probes (:class:`~genoflow_desktop.core.connectivity.
Connectivity`), so the sync resumes by itself when the server is back.

A sign-in that is not remembered ends after ``sync_idle_timeout_minutes`` without user input:
an application event filter notes key presses, clicks and wheel turns (installed only for such
a sign-in: a Python filter sees every event of the app, which costs a little on each).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QEvent, QObject, QTimer, Signal, Slot
from PySide6.QtWidgets import QApplication

from genoflow_desktop.core.connectivity import Connectivity

if TYPE_CHECKING:
    from genoflow_desktop.core.settings import Settings
    from genoflow_desktop.core.store import Store
    from genoflow_desktop.core.sync.account import AccountInfo
    from genoflow_desktop.core.sync.client import SyncClient
    from genoflow_desktop.core.sync.engine import SyncResult
    from genoflow_desktop.core.sync.session import SyncSession
    from genoflow_desktop.qt.workers.store_access import StoreAccess
    from genoflow_desktop.qt.workers.task_runner import TaskRunner

log = logging.getLogger(__name__)

T = TypeVar("T")
Clock = Callable[[], float]
ClientFactory = Callable[[str], "SyncClient"]

#: The sync server's name in the back-off model (and in the log).
SERVER = "Lab sync server"
SYNC_TASK = "sync.run"
#: Quiet time after a local change before it is sent: a burst of changes makes one sync.
DEBOUNCE_MS = 5_000
#: How often the runner looks whether a periodic sync or a retry is due.
TICK_MS = 5_000
IDLE_CHECK_MS = 30_000
#: The first retry after the server could not be reached; doubled after each failure, up to
#: the sync interval.
FIRST_BACKOFF_S = 15.0
#: What counts as the user being there (not paints, timers or the pointer merely passing by).
INPUT_EVENTS = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
    }
)


@dataclass(frozen=True, slots=True)
class SyncState:
    """What the Settings panel shows: plain data, made on the GUI thread."""

    #: The store's account row (kept after an idle sign-out, to prefill the sign-in form).
    account: AccountInfo | None = None
    signed_in: bool = False
    #: Jobs and uploads changed here and not yet sent to the lab.
    pending: int = 0
    syncing: bool = False
    #: Why the last sync did not go through ("" when it did).
    error: str = ""
    #: A fact about the sign-in itself ("Signed out after 30 minutes idle.").
    note: str = ""
    #: Whether the account has a second factor (None: not asked yet, e.g. offline).
    totp_enabled: bool | None = None


def idle_text(seconds: float) -> str:
    minutes = seconds / 60
    if minutes >= 1:
        return f"{round(minutes)} minute{'s' if round(minutes) != 1 else ''}"
    return f"{round(seconds)} seconds"


class SyncRunner(QObject):
    """Runs the lab sync for the app.

    Signals:
        state_changed(object): a new :class:`SyncState` (also after every sync run).
        synced(object): a run went through: its
            :class:`~genoflow_desktop.core.sync.engine.SyncResult`.
        error(str): a run failed for a new reason (repeats of the same reason stay quiet).
    """

    state_changed = Signal(object)
    synced = Signal(object)
    error = Signal(str)

    def __init__(
        self,
        store: StoreAccess,
        runner: TaskRunner,
        *,
        interval_s: float,
        idle_timeout_s: float,
        client_factory: ClientFactory | None = None,
        clock: Clock = time.monotonic,
        tick_ms: int = TICK_MS,
        debounce_ms: int = DEBOUNCE_MS,
        idle_check_ms: int = IDLE_CHECK_MS,
        first_backoff_s: float = FIRST_BACKOFF_S,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._runner = runner
        self.interval_s = interval_s
        self.idle_timeout_s = idle_timeout_s
        self._client_factory = client_factory
        self._clock = clock
        self._first_backoff_s = first_backoff_s
        self._reachability = self._new_reachability()
        self._session: SyncSession | None = None
        self._totp_enabled: bool | None = None
        self._note = ""
        self._again = False
        self._stopped = False
        self._watching_input = False
        self.state = SyncState()
        # Child timers: they die with the runner, never firing into a deleted object.
        self._tick = QTimer(self)
        self._tick.setInterval(tick_ms)
        self._tick.timeout.connect(self._on_tick_timeout)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(debounce_ms)
        self._debounce.timeout.connect(self.sync_now)
        self._idle = QTimer(self)
        self._idle.setInterval(idle_check_ms)
        self._idle.timeout.connect(self._on_idle_timeout)

    def _new_reachability(self) -> Connectivity:
        interval = self.interval_s if self.interval_s > 0 else 86_400.0
        return Connectivity(
            interval_s=interval,
            first_backoff_s=self._first_backoff_s,
            max_backoff_s=max(interval, self._first_backoff_s),
        )

    # -- plumbing ------------------------------------------------------------------------------

    @property
    def session(self) -> SyncSession | None:
        return self._session

    @property
    def signed_in(self) -> bool:
        return self._session is not None

    def _store_now(self) -> Store:
        return self._store.store

    async def _run_db(self, fn: Callable[[], T]) -> T:
        """The ``run_db`` hook of the core: ``fn`` on the db thread (it opens its own session)."""
        return await self._store.run(lambda _session: fn())

    def _factory(self) -> ClientFactory:
        if self._client_factory is not None:
            return self._client_factory
        from genoflow_desktop.core.sync.client import SyncClient

        return SyncClient

    # -- life ----------------------------------------------------------------------------------

    def start(self) -> asyncio.Task[None]:
        """Restore a remembered sign-in and sync at once (call once the store is open)."""
        return self._runner.start("sync.restore", self._restore())

    async def _restore(self) -> None:
        from genoflow_desktop.core.sync.session import restore_session

        await self._store.open()
        store, factory = self._store_now(), self._factory()
        # The keychain read and the client's TLS set-up are blocking: on the db thread.
        session = await self._run_db(
            lambda: restore_session(
                store,
                client_factory=factory,
                idle_timeout_s=self.idle_timeout_s,
                clock=self._clock,
            )
        )
        if session is not None and not self._stopped:
            self._adopt(session)
        await self.refresh_state()
        if self._session is not None:
            self.sync_now()

    def apply_settings(self, settings: Settings) -> None:
        """New preferences: the sync interval and the idle timeout apply from now on."""
        self.interval_s = float(settings.sync_interval_seconds)
        self.idle_timeout_s = settings.sync_idle_timeout_minutes * 60.0
        self._reachability = self._new_reachability()
        if self._session is not None:
            self._session.idle_timeout_s = self.idle_timeout_s
            self._start_timers(self._session)

    def stop(self) -> None:
        """Stop every timer, the input filter and the tasks (on quit; idempotent)."""
        self._stopped = True
        self._stop_timers()
        for name in ("sync.restore", SYNC_TASK, "sync.idle", "sync.me"):
            self._runner.cancel(name)

    async def aclose(self) -> None:
        """:meth:`stop`, then close the HTTP client (the sign-in itself is kept)."""
        self.stop()
        session, self._session = self._session, None
        if session is not None:
            await session.client.aclose()

    def _adopt(self, session: SyncSession) -> None:
        self._session = session
        # The session knows its account: a state announced before the store's row is read
        # again (``_load_me`` may answer first) must not be signed in as nobody.
        self.state = replace(self.state, account=session.info)
        self._note = ""
        self._totp_enabled = None
        self._start_timers(session)
        self._runner.start("sync.me", self._load_me(session))

    def _start_timers(self, session: SyncSession) -> None:
        if self._stopped:
            return
        if self.interval_s > 0:
            self._tick.start()
        else:
            self._tick.stop()  # 0: only when asked
        if session.info.remember:
            self._watch_input(False)
            self._idle.stop()
        else:
            self._watch_input(True)
            self._idle.start()

    def _stop_timers(self) -> None:
        for timer in (self._tick, self._debounce, self._idle):
            timer.stop()
        self._watch_input(False)

    def _watch_input(self, on: bool) -> None:
        app = QApplication.instance()
        if app is None or on == self._watching_input:
            return
        if on:
            app.installEventFilter(self)
        else:
            app.removeEventFilter(self)
        self._watching_input = on

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self._session is not None and event.type() in INPUT_EVENTS:
            self._session.touch()
        return False

    async def _load_me(self, session: SyncSession) -> None:
        """Whether the account has a second factor (shown in the panel); quiet when offline."""
        from genoflow_desktop.core.errors import UserError

        try:
            me = await session.me()
        except UserError as error:
            log.info("lab account details unavailable: %s", error.message)
            return
        if session is self._session:
            self._totp_enabled = bool(me.get("totp_enabled"))
            self._emit()

    # -- state ---------------------------------------------------------------------------------

    async def refresh_state(self) -> SyncState:
        """Re-read the account row and the pending count (db thread) and announce them."""
        from genoflow_desktop.core.sync import account

        def read() -> tuple[AccountInfo | None, int]:
            store = self._store_now()  # open by now: the db thread opens it first
            return account.load_account(store), account.pending_count(store)

        info, pending = await self._run_db(read)
        self.state = replace(self.state, account=info, pending=pending)
        return self._emit()

    def _emit(self, **changes: Any) -> SyncState:
        info = self.state.account
        self.state = replace(
            self.state,
            signed_in=self._session is not None,
            note=self._note,
            totp_enabled=self._totp_enabled if self._session is not None else None,
            error=(info.last_error or "") if info is not None and self._session else "",
            **changes,
        )
        self.state_changed.emit(self.state)
        return self.state

    # -- syncing -------------------------------------------------------------------------------

    @Slot()
    def sync_now(self) -> None:
        """Sync now (or once more right after the run in progress)."""
        if self._session is None or self._stopped:
            return
        if self._runner.is_running(SYNC_TASK):
            self._again = True
            return
        self._runner.start(SYNC_TASK, self._sync())

    def note_local_change(self, *_args: object) -> None:
        """Something changed here (connect ``JobRunner.job_changed``, ``UploadQueue.ended``):
        sync after a short quiet time, unless the server is known down and not due a retry."""
        if self._session is None or self.interval_s <= 0 or self._debounce.isActive():
            return
        if self._reachability.is_online(SERVER) or self._reachability.is_due(SERVER):
            self._debounce.start()

    @Slot()
    def _on_tick_timeout(self) -> None:
        if self._session is not None and self._reachability.is_due(SERVER):
            self.sync_now()

    async def _sync(self) -> None:
        while True:
            self._again = False
            await self._sync_once()
            if not self._again or self._session is None:
                return

    async def _sync_once(self) -> None:
        from genoflow_desktop.core.errors import UserError
        from genoflow_desktop.core.services.errors import ServiceUnavailable
        from genoflow_desktop.core.sync.client import SessionExpired
        from genoflow_desktop.core.sync.engine import sync_once

        session = self._session
        assert session is not None
        before = self.state.error
        self._emit(syncing=True)
        result: SyncResult | None = None
        try:
            result = await sync_once(self._store_now(), session, run_db=self._run_db)
        except SessionExpired as expired:
            # Refused or revoked: the sign-in is over (the core already forgot the tokens).
            await self._end(session, expired.message)
            return
        except ServiceUnavailable as down:
            if self._reachability.unreachable(SERVER, down.message) is not None:
                log.info("lab sync paused: %s", down.message)
        except UserError as problem:
            log.info("lab sync failed: %s", problem.message)
        else:
            if self._reachability.reached(SERVER) is not None:
                log.info("lab sync server reachable again")
        finally:
            self.state = replace(self.state, syncing=False)
        state = await self.refresh_state()
        if result is not None:
            self.synced.emit(result)
        elif state.error and state.error != before:
            self.error.emit(state.error)

    # -- signing in and out --------------------------------------------------------------------

    async def sign_in(
        self,
        server: str,
        email: str,
        password: str,
        *,
        totp_code: str | None = None,
        lab: str | None = None,
        remember: bool = False,
    ) -> None:
        """Sign in (raises the core's errors: wrong password, TOTP needed, several labs, ...)."""
        from genoflow_desktop.core.sync import session as core_session

        factory = self._factory()
        client = await self._run_db(lambda: factory(server))
        try:
            session = await core_session.sign_in(
                self._store_now(),
                client,
                email=email,
                password=password,
                totp_code=totp_code,
                lab=lab,
                remember=remember,
                idle_timeout_s=self.idle_timeout_s,
                clock=self._clock,
                run_db=self._run_db,
            )
        except BaseException:
            await client.aclose()
            raise
        await self._drop_session()
        self._reachability = self._new_reachability()
        self._adopt(session)
        await self.refresh_state()
        self.sync_now()

    async def sign_out(self) -> None:
        """Revoke the sign-in on the server (if it answers) and forget it here."""
        session = self._session
        if session is None:
            return
        self._runner.cancel(SYNC_TASK)
        self._session = None
        self._stop_timers()
        try:
            revoked = await session.sign_out(self._store_now(), run_db=self._run_db)
        finally:
            await session.client.aclose()
        self._note = (
            ""
            if revoked
            else "Signed out here; the lab server could not be reached to end the sign-in "
            "there (it expires on its own)."
        )
        await self.refresh_state()

    async def _drop_session(self) -> None:
        session, self._session = self._session, None
        self._stop_timers()
        if session is not None:
            await session.client.aclose()

    async def _end(self, session: SyncSession, note: str) -> None:
        """The sign-in is over without the user asking: forget it here, keep the account row
        (the panel prefills the form from it, and signing in again resumes the same cursor)."""
        if session is not self._session:
            return
        await self._drop_session()
        self._note = note
        await self.refresh_state()

    @Slot()
    def _on_idle_timeout(self) -> None:
        session = self._session
        if session is not None and session.idle_expired():
            self._runner.cancel(SYNC_TASK)
            self._runner.start("sync.idle", self._expire_idle(session))

    async def _expire_idle(self, session: SyncSession) -> None:
        from genoflow_desktop.core.sync.client import SessionExpired

        if not session.idle_expired():
            return  # the user came back meanwhile
        with contextlib.suppress(SessionExpired):
            await session.check_idle()  # revokes the sign-in on the server, if it answers
        await self._end(session, f"Signed out after {idle_text(session.idle_timeout_s)} idle.")

    # -- second factor -------------------------------------------------------------------------

    def _signed_in_session(self) -> SyncSession:
        from genoflow_desktop.core.sync.client import SessionExpired

        if self._session is None:
            raise SessionExpired("You are not signed in to the lab.")
        return self._session

    async def start_totp(self) -> dict[str, Any]:
        """``{secret, otpauth_uri}`` of a new second factor (active once confirmed)."""
        return await self._signed_in_session().start_totp()

    async def confirm_totp(self, code: str) -> None:
        await self._signed_in_session().confirm_totp(code)
        self._totp_enabled = True
        self._emit()

    async def disable_totp(self, code: str) -> None:
        await self._signed_in_session().disable_totp(code)
        self._totp_enabled = False
        self._emit()
