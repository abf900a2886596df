"""Signing in to the lab sync server and staying signed in.

The access token lives in memory only. The refresh token lives in memory, and also in the OS
keychain when the user chose "remember me" (the command line always remembers), so the next
start signs in without a password. Every refresh spends the old refresh token; the new one
replaces it in memory and in the keychain at once.

A 401 ``token_expired`` is answered by one refresh and one retry. When the refresh itself is
refused the sign-in is over: :class:`~genoflow_desktop.core.sync.client.SessionExpired` says to
sign in again, and a remembered token is removed from the keychain. A sign-in that is not
remembered is also forgotten after ``idle_timeout_s`` without :meth:`SyncSession.touch`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from genoflow_desktop.core.errors import UserError
from genoflow_desktop.core.services.errors import ServiceError
from genoflow_desktop.core.store import Store
from genoflow_desktop.core.sync import account
from genoflow_desktop.core.sync.account import AccountInfo
from genoflow_desktop.core.sync.client import SessionExpired, SyncClient, TokenExpired, TokenPair

log = logging.getLogger(__name__)

T = TypeVar("T")
Clock = Callable[[], float]
#: Runs a blocking store function: the app's ``db`` executor, or inline (the command line).
DbRunner = Callable[[Callable[[], Any]], Awaitable[Any]]
DEFAULT_IDLE_TIMEOUT_S = 30 * 60.0
#: Refresh this long before the access token's announced expiry rather than wait for a 401.
EXPIRY_MARGIN_S = 30.0


async def _run_inline(fn: Callable[[], Any]) -> Any:
    return fn()


class LabChoiceNeeded(UserError):
    """The user belongs to several labs and named none; ``labs`` are ``{id, name, role}``."""

    def __init__(self, labs: list[dict[str, Any]]) -> None:
        names = ", ".join(f"{lab.get('name')} (id {lab.get('id')})" for lab in labs)
        super().__init__(
            "You belong to several labs; choose the one to sync with.",
            hint=f"Sign in again with --lab ID_OR_NAME. Your labs: {names}.",
        )
        self.labs = labs


class SyncSession:
    """A signed-in account: its tokens and the calls that need them.

    Make one with :func:`sign_in` or :func:`restore_session`; :meth:`sign_out` ends it.
    """

    def __init__(
        self,
        client: SyncClient,
        info: AccountInfo,
        *,
        refresh_token: str,
        tokens: TokenPair | None = None,
        idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S,
        clock: Clock = time.monotonic,
    ) -> None:
        self.client = client
        self.info = info
        self.idle_timeout_s = idle_timeout_s
        self._clock = clock
        self._refresh_token: str | None = refresh_token
        self._access_token: str | None = tokens.access_token if tokens else None
        self._access_expires = self._expiry(tokens)
        self._last_activity = clock()
        self._refreshing = asyncio.Lock()

    # -- state ---------------------------------------------------------------------------

    @property
    def signed_in(self) -> bool:
        return self._refresh_token is not None

    def touch(self) -> None:
        """The user did something: the idle timeout starts again."""
        self._last_activity = self._clock()

    def idle_expired(self) -> bool:
        return not self.info.remember and self._clock() - self._last_activity > self.idle_timeout_s

    def _expiry(self, tokens: TokenPair | None) -> float | None:
        if tokens is None or tokens.expires_in <= 0:
            return None
        return self._clock() + tokens.expires_in - EXPIRY_MARGIN_S

    def _forget(self, *, keychain: bool) -> None:
        """Drop the tokens; ``keychain`` also removes the remembered one if it is still ours
        (another process may have rotated it since, and its new token is still good)."""
        mine = self._refresh_token
        self._access_token = None
        self._refresh_token = None
        if keychain and self.info.remember and mine is not None:
            stored = account.load_refresh_token(self.info.server_url, self.info.email)
            if stored == mine:
                account.delete_refresh_token(self.info.server_url, self.info.email)

    async def check_idle(self) -> None:
        """End the sign-in if it was idle too long (raises :class:`SessionExpired` then); for
        an app that watches the clock between calls."""
        await self._check_idle()

    async def _check_idle(self) -> None:
        if not self.signed_in:
            raise SessionExpired("You are not signed in to the lab.")
        if self.idle_expired():
            minutes = round(self.idle_timeout_s / 60)
            await self._revoke_quietly()
            self._forget(keychain=False)
            raise SessionExpired(
                f"You were signed out of the lab after {minutes} minutes without activity."
            )

    # -- tokens ----------------------------------------------------------------------------

    async def _refresh(self, spent: str | None) -> None:
        """Trade the refresh token for a new pair, unless another call just did (``spent`` is
        the access token the caller saw refused)."""
        async with self._refreshing:
            if self._access_token is not None and self._access_token != spent:
                return
            if self._refresh_token is None:
                raise SessionExpired()
            try:
                pair = await self.client.refresh(self._refresh_token)
            except SessionExpired:
                self._forget(keychain=True)
                raise
            self._set_tokens(pair)

    def _set_tokens(self, pair: TokenPair) -> None:
        self._access_token = pair.access_token
        self._access_expires = self._expiry(pair)
        self._refresh_token = pair.refresh_token
        if self.info.remember:
            account.save_refresh_token(self.info.server_url, self.info.email, pair.refresh_token)

    async def _access(self) -> str:
        expired = self._access_expires is not None and self._clock() >= self._access_expires
        if self._access_token is None or expired:
            await self._refresh(self._access_token)
        assert self._access_token is not None
        return self._access_token

    async def call(self, request: Callable[[str], Awaitable[T]]) -> T:
        """Run ``request(access_token)``; an expired access token is refreshed once."""
        await self._check_idle()
        token = await self._access()
        try:
            try:
                return await request(token)
            except TokenExpired:
                await self._refresh(token)
                return await request(await self._access())
        except SessionExpired:
            # Revoked (signed out elsewhere, password changed): the stored token is dead too.
            self._forget(keychain=True)
            raise

    # -- the server's calls ------------------------------------------------------------------

    async def me(self) -> dict[str, Any]:
        return await self.call(self.client.me)

    async def push(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        lab_id = self._lab_id()
        return await self.call(lambda token: self.client.push(token, lab_id, records))

    async def pull(self, since: int, limit: int) -> dict[str, Any]:
        lab_id = self._lab_id()
        return await self.call(lambda token: self.client.pull(token, lab_id, since, limit))

    async def start_totp(self) -> dict[str, Any]:
        return await self.call(self.client.start_totp)

    async def confirm_totp(self, code: str) -> None:
        await self.call(lambda token: self.client.confirm_totp(token, code))

    async def disable_totp(self, code: str) -> None:
        await self.call(lambda token: self.client.disable_totp(token, code))

    def _lab_id(self) -> str:
        if self.info.lab_id is None:
            raise UserError(
                "Your lab account is in no lab yet, so there is nothing to sync.",
                hint="Ask a lab admin to add you, then sign in again.",
            )
        return self.info.lab_id

    # -- ending --------------------------------------------------------------------------

    async def _revoke_quietly(self) -> bool:
        """Revoke the refresh token's family on the server; False when that was not possible."""
        if self._refresh_token is None:
            return False
        try:
            token = await self._access()
            assert self._refresh_token is not None
            await self.client.logout(token, self._refresh_token)
        except (ServiceError, UserError) as error:
            log.info("lab sign-out could not reach the server: %s", error)
            return False
        return True

    async def sign_out(self, store: Store, *, run_db: DbRunner = _run_inline) -> bool:
        """Revoke the sign-in on the server and forget it here (keychain and store).

        Returns whether the server confirmed the revocation (offline, the sign-in is forgotten
        here anyway; its tokens then simply expire on the server).
        """
        revoked = await self._revoke_quietly()
        self._forget(keychain=False)
        info = self.info

        def forget() -> None:
            account.delete_refresh_token(info.server_url, info.email)
            account.forget_account(store)

        await run_db(forget)
        return revoked


async def sign_in(
    store: Store,
    client: SyncClient,
    *,
    email: str,
    password: str,
    totp_code: str | None = None,
    lab: str | None = None,
    remember: bool = False,
    idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S,
    clock: Clock = time.monotonic,
    run_db: DbRunner = _run_inline,
) -> SyncSession:
    """Sign in, choose the lab (``lab`` id or name, else the user's only one) and record the
    account in the store; a remembered refresh token goes to the keychain.

    Raises :class:`LabChoiceNeeded` (with the labs) when the user is in several and ``lab`` is
    None. The store and keychain work goes through ``run_db`` (the app's ``db`` executor).
    """
    email = email.strip()
    if not email or not password:
        raise UserError(
            "An e-mail address and a password are needed to sign in to the lab.",
            hint="Give --email, and the password in GENOFLOW_SYNC_PASSWORD or on standard input.",
        )
    pair, user = await client.login(email, password, totp_code or None)
    provisional = AccountInfo(
        server_url=client.server_url,
        user_id=str(user.get("id", "")),
        email=str(user.get("email") or email),
        display_name=str(user.get("display_name") or ""),
        lab_id=None,
        lab_name=None,
        role=None,
        remember=False,
    )
    session = SyncSession(
        client, provisional, refresh_token=pair.refresh_token, tokens=pair, clock=clock
    )
    try:
        me = await session.me()
        labs = [entry for entry in me.get("labs") or [] if isinstance(entry, dict)]
        if lab is None and len(labs) > 1:
            raise LabChoiceNeeded(labs)
        chosen = account.choose_lab(me, lab)
    except BaseException:
        # Nothing is kept of a sign-in that cannot be used: revoke it at once.
        with contextlib.suppress(Exception):
            await session._revoke_quietly()
        raise
    info = AccountInfo(
        server_url=client.server_url,
        user_id=str(me.get("id", provisional.user_id)),
        email=str(me.get("email") or provisional.email),
        display_name=str(me.get("display_name") or provisional.display_name),
        lab_id=str(chosen["id"]) if chosen else None,
        lab_name=str(chosen.get("name")) if chosen else None,
        role=str(chosen.get("role")) if chosen else None,
        remember=remember,
    )
    session.info = info
    session.idle_timeout_s = idle_timeout_s
    refresh_token = session._refresh_token or ""

    def record() -> AccountInfo | None:
        if remember:
            account.save_refresh_token(info.server_url, info.email, refresh_token)
        account.save_account(store, info)
        return account.load_account(store)

    session.info = await run_db(record) or info
    session.touch()
    return session


def restore_session(
    store: Store,
    *,
    client_factory: Callable[[str], SyncClient] = SyncClient,
    idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S,
    clock: Clock = time.monotonic,
) -> SyncSession | None:
    """The remembered sign-in (no network yet: the first call refreshes), or None."""
    info = account.load_account(store)
    if info is None or not info.remember:
        return None
    token = account.load_refresh_token(info.server_url, info.email)
    if token is None:
        return None
    return SyncSession(
        client_factory(info.server_url),
        info,
        refresh_token=token,
        idle_timeout_s=idle_timeout_s,
        clock=clock,
    )
