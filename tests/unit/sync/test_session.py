"""The sync client's errors in plain words, and the session's token rules (refresh once, rotation
saved to the keychain, idle timeout), against scripted answers (httpx.MockTransport).

The same flows run against the real server in tests/integration/sync.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from genoflow_desktop.core.services.errors import ServiceUnavailable
from genoflow_desktop.core.store import Store, open_store
from genoflow_desktop.core.sync import account
from genoflow_desktop.core.sync.client import (
    RateLimited,
    SessionExpired,
    SyncAuthError,
    SyncClient,
    TotpRequired,
)
from genoflow_desktop.core.sync.session import restore_session, sign_in

SERVER = "https://sync.lab.example"
Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture
def store(app_dirs) -> Iterator[Store]:  # type: ignore[no-untyped-def]
    store = open_store(app_dirs.database)
    yield store
    store.close()


def error(status: int, code: str, **headers: str) -> httpx.Response:
    return httpx.Response(
        status, json={"detail": code.replace("_", " "), "code": code}, headers=headers
    )


class FakeServer:
    """Just enough of the contract to drive a session: rotating refresh tokens, expiring access."""

    def __init__(self) -> None:
        self.generation = 0
        self.valid_access = "access-0"
        self.valid_refresh = "refresh-0"
        self.calls: list[str] = []
        self.expire_next = False

    def pair(self) -> dict[str, Any]:
        self.generation += 1
        self.valid_access = f"access-{self.generation}"
        self.valid_refresh = f"refresh-{self.generation}"
        return {
            "access_token": self.valid_access,
            "refresh_token": self.valid_refresh,
            "token_type": "bearer",
            "expires_in": 900,
            "user": {"id": "u1", "email": "ada@lab.example", "display_name": "Ada"},
        }

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.calls.append(path)
        if path == "/api/v1/auth/login":
            body = json.loads(request.content)
            if body["password"] != "pw":
                return error(401, "invalid_credentials")
            if body.get("totp_code") != "123456":
                return error(401, "totp_required")
            return httpx.Response(200, json=self.pair())
        if path == "/api/v1/auth/refresh":
            if json.loads(request.content)["refresh_token"] != self.valid_refresh:
                return error(401, "token_revoked")
            return httpx.Response(200, json=self.pair())
        if request.headers.get("Authorization") != f"Bearer {self.valid_access}":
            return error(401, "invalid_token")
        if self.expire_next:
            self.expire_next = False
            return error(401, "token_expired")
        if path == "/api/v1/me":
            labs = [{"id": "L1", "name": "Genomics", "role": "member"}]
            return httpx.Response(200, json={"id": "u1", "email": "ada@lab.example", "labs": labs})
        if path == "/api/v1/auth/logout":
            self.valid_refresh = ""
            return httpx.Response(204)
        return httpx.Response(404, json={"detail": "no", "code": "not_found"})


def client(handler: Handler) -> SyncClient:
    return SyncClient(SERVER, transport=httpx.MockTransport(handler))


def login(store: Store, server: FakeServer, **options: Any) -> Any:
    return asyncio.run(
        sign_in(
            store,
            client(server),
            email="ada@lab.example",
            password=options.pop("password", "pw"),
            totp_code=options.pop("totp_code", "123456"),
            **options,
        )
    )


def test_sign_in_errors_say_what_to_do(store: Store) -> None:
    server = FakeServer()
    with pytest.raises(SyncAuthError, match="password is wrong"):
        login(store, server, password="nope")
    with pytest.raises(TotpRequired) as caught:
        login(store, server, totp_code=None)
    assert "--totp-code" in caught.value.hint
    limited = client(lambda r: error(429, "rate_limited", **{"Retry-After": "42"}))
    with pytest.raises(RateLimited) as limit:
        asyncio.run(limited.login("a@b.c", "x"))
    assert limit.value.retry_after == 42 and "42 seconds" in limit.value.hint

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(ServiceUnavailable, match="could not be reached"):
        asyncio.run(client(refuse).login("a@b.c", "x"))
    assert account.load_account(store) is None  # nothing kept of a failed sign-in


def test_expired_access_token_is_refreshed_once_and_the_rotation_saved(store: Store) -> None:
    server = FakeServer()
    session = login(store, server, remember=True)
    assert session.info.lab_name == "Genomics" and session.info.role == "member"
    assert account.load_refresh_token(SERVER, "ada@lab.example") == "refresh-1"

    server.expire_next = True
    asyncio.run(session.me())
    assert server.calls[-3:] == ["/api/v1/me", "/api/v1/auth/refresh", "/api/v1/me"]
    # The spent token is gone; the keychain holds the new one, which a new process uses.
    assert account.load_refresh_token(SERVER, "ada@lab.example") == "refresh-2"
    restored = restore_session(store, client_factory=lambda url: client(server))
    assert restored is not None
    asyncio.run(restored.me())
    assert account.load_refresh_token(SERVER, "ada@lab.example") == "refresh-3"

    # The first session's refresh token was spent by the second: its sign-in is over.
    server.valid_access = "something-else"
    with pytest.raises(SessionExpired) as caught:
        asyncio.run(session.me())
    assert "sign in" in caught.value.hint.lower()
    # ...which does not remove the newer sign-in the other process keeps in the keychain.
    assert account.load_refresh_token(SERVER, "ada@lab.example") == "refresh-3"


def test_a_revoked_remembered_sign_in_is_removed_from_the_keychain(store: Store) -> None:
    server = FakeServer()
    login(store, server, remember=True)
    server.valid_refresh = "revoked-elsewhere"
    restored = restore_session(store, client_factory=lambda url: client(server))
    assert restored is not None
    with pytest.raises(SessionExpired, match="revoked"):
        asyncio.run(restored.me())
    assert account.load_refresh_token(SERVER, "ada@lab.example") is None


def test_a_session_not_remembered_is_forgotten_after_the_idle_timeout(store: Store) -> None:
    server = FakeServer()
    now = [1000.0]
    session = login(store, server, remember=False, idle_timeout_s=60, clock=lambda: now[0])
    assert account.load_refresh_token(SERVER, "ada@lab.example") is None  # memory only
    assert restore_session(store) is None
    now[0] += 59
    asyncio.run(session.me())
    session.touch()
    now[0] += 61
    with pytest.raises(SessionExpired, match="1 minutes without activity"):
        asyncio.run(session.me())
    assert not session.signed_in
    assert server.calls[-1] == "/api/v1/auth/logout"  # revoked on the server too
