"""The HTTP client of the lab sync server (docs/sync-server.md), and its errors in plain words.

Stateless about tokens: :class:`~genoflow_desktop.core.sync.session.SyncSession` holds them and
passes the access token to each call. Nothing here logs a body or a header (tokens and
passwords travel in them); only the method, path and status reach the log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx

from genoflow_desktop.core.log import register_secret
from genoflow_desktop.core.services.errors import (
    AccessDenied,
    AuthenticationFailed,
    NotFound,
    RequestRejected,
    ServiceError,
    ServiceUnavailable,
)
from genoflow_desktop.core.services.http import USER_AGENT, normalise_base_url

log = logging.getLogger(__name__)

API = "/api/v1"
TIMEOUT = httpx.Timeout(30.0, connect=10.0)
#: The contract's limit of records per push and per pulled page.
MAX_BATCH = 500
SIGN_IN_AGAIN = (
    "Sign in to the lab again: 'genoflow sync login --server URL --email E', or in the app."
)


class SyncAuthError(AuthenticationFailed):
    """The server refused a sign-in or a token; ``code`` is the server's stable error code."""

    def __init__(self, message: str, *, hint: str = "", code: str = "", status: int = 401):
        super().__init__(message, hint=hint, status=status)
        self.code = code


class TotpRequired(SyncAuthError):
    """The account has a second factor: sign in again with the current six-digit code."""


class TokenExpired(SyncAuthError):
    """The access token ran out (15 minutes): the session refreshes it and retries once."""


class SessionExpired(SyncAuthError):
    """The sign-in is over (refresh token spent, revoked or expired, or idle too long)."""

    def __init__(self, message: str = "Your lab sign-in has expired.", *, code: str = ""):
        super().__init__(message, hint=SIGN_IN_AGAIN, code=code)


class RateLimited(ServiceError):
    """Too many sign-in attempts; ``retry_after`` seconds until the server accepts another."""

    def __init__(self, message: str, *, retry_after: int | None) -> None:
        wait = f"in {retry_after} seconds" if retry_after else "in a few minutes"
        super().__init__(message, hint=f"Try again {wait}.", retryable=True, status=429)
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {"value": data}


def _detail(data: dict[str, Any], response: httpx.Response) -> str:
    detail = data.get("detail")
    if isinstance(detail, str) and detail:
        return detail
    if isinstance(detail, list) and detail:  # FastAPI's own validation errors
        first = detail[0]
        return str(first.get("msg") if isinstance(first, dict) else first)
    return response.reason_phrase or f"HTTP {response.status_code}"


def raise_for_sync(response: httpx.Response, *, server: str) -> None:
    """Raise the error matching a non-2xx answer of the sync server; return otherwise."""
    status = response.status_code
    if status < 400:
        return
    data = _body(response)
    code = str(data.get("code") or "")
    detail = _detail(data, response)
    if status == 429 or code == "rate_limited":
        retry = response.headers.get("Retry-After", "")
        raise RateLimited(
            "Too many sign-in attempts for this account or address.",
            retry_after=int(retry) if retry.isdigit() else None,
        )
    if code == "invalid_totp":  # 401 at sign-in, 400 when confirming or removing a factor
        raise SyncAuthError(
            "The authenticator code is wrong or was already used.",
            hint="Wait for the next code and try again; check the device's clock.",
            code=code,
            status=status,
        )
    if status == 401:
        if code == "invalid_credentials":
            raise SyncAuthError(
                "The e-mail address or password is wrong.",
                hint="Check both; ask your lab's server admin to reset the password if needed.",
                code=code,
            )
        if code == "totp_required":
            raise TotpRequired(
                "This account needs a code from your authenticator app.",
                hint="Sign in again with the current six-digit code (--totp-code or "
                "GENOFLOW_SYNC_TOTP on the command line).",
                code=code,
            )
        if code == "token_expired":
            raise TokenExpired("The access token has expired.", code=code)
        if code == "token_revoked":
            raise SessionExpired(
                "Your lab sign-in was revoked (signed out elsewhere, or the password changed).",
                code=code,
            )
        raise SessionExpired(code=code)
    if status == 403:
        raise AccessDenied(
            f"{server} refused: {detail}.",
            hint="Your role in the lab does not allow this (viewers can only read); ask a lab "
            "admin.",
            status=status,
        )
    if status == 404:
        raise NotFound(
            f"{server} does not know this: {detail}.",
            hint="You may no longer be a member of the lab; check 'genoflow sync status'.",
            status=status,
        )
    if status >= 500:
        raise ServiceUnavailable(f"The lab server answered HTTP {status}: {detail}.", status=status)
    raise RequestRejected(f"The lab server refused the request: {detail}.", status=status)


class SyncClient:
    """One lab sync server, over one ``httpx.AsyncClient`` (proxies from the environment)."""

    def __init__(
        self, server_url: str, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.server_url = normalise_base_url(server_url)
        self._http = httpx.AsyncClient(
            base_url=self.server_url,
            headers={"User-Agent": USER_AGENT},
            timeout=TIMEOUT,
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _request(
        self, method: str, path: str, *, access_token: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {access_token}"} if access_token else {}
        try:
            response = await self._http.request(method, path, headers=headers, **kwargs)
        except httpx.TransportError as exc:
            raise ServiceUnavailable(
                f"The lab server {self.server_url} could not be reached "
                f"({str(exc) or type(exc).__name__}).",
                hint="Your changes stay on this computer and are sent at the next sync.",
            ) from exc
        log.debug("%s %s -> %s", method, path, response.status_code)
        raise_for_sync(response, server="The lab server")
        return response

    async def health(self) -> dict[str, Any]:
        return _body(await self._request("GET", "/health"))

    def _tokens(self, data: dict[str, Any]) -> TokenPair:
        pair = TokenPair(
            str(data["access_token"]), str(data["refresh_token"]), int(data.get("expires_in", 0))
        )
        register_secret(pair.access_token)
        register_secret(pair.refresh_token)
        return pair

    async def login(
        self, email: str, password: str, totp_code: str | None = None
    ) -> tuple[TokenPair, dict[str, Any]]:
        """Sign in; returns the token pair and the user the server describes."""
        register_secret(password)
        body: dict[str, Any] = {"email": email, "password": password}
        if totp_code:
            body["totp_code"] = totp_code
        data = _body(await self._request("POST", f"{API}/auth/login", json=body))
        return self._tokens(data), dict(data.get("user") or {})

    async def refresh(self, refresh_token: str) -> TokenPair:
        """A new pair for a refresh token (which is spent by this call)."""
        data = _body(
            await self._request(
                "POST", f"{API}/auth/refresh", json={"refresh_token": refresh_token}
            )
        )
        return self._tokens(data)

    async def logout(self, access_token: str | None, refresh_token: str) -> None:
        await self._request(
            "POST",
            f"{API}/auth/logout",
            access_token=access_token,
            json={"refresh_token": refresh_token},
        )

    async def me(self, access_token: str) -> dict[str, Any]:
        return _body(await self._request("GET", f"{API}/me", access_token=access_token))

    async def push(
        self, access_token: str, lab_id: str, records: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """Upsert ``records`` (``[{kind, record}]``, at most :data:`MAX_BATCH`)."""
        if len(records) > MAX_BATCH:
            raise ValueError(f"at most {MAX_BATCH} records per push")
        response = await self._request(
            "POST",
            f"{API}/labs/{lab_id}/sync/push",
            access_token=access_token,
            json={"records": records},
        )
        return _body(response)

    async def pull(
        self, access_token: str, lab_id: str, since: int, limit: int = MAX_BATCH
    ) -> dict[str, Any]:
        """One page of the lab's changes after ``since``: ``{records, cursor, more}``."""
        response = await self._request(
            "GET",
            f"{API}/labs/{lab_id}/sync/pull",
            access_token=access_token,
            params={"since": since, "limit": limit},
        )
        return _body(response)

    async def start_totp(self, access_token: str) -> dict[str, Any]:
        """Start enrolling a second factor: ``{secret, otpauth_uri}``, inactive until confirmed."""
        data = _body(await self._request("POST", f"{API}/me/totp", access_token=access_token))
        register_secret(str(data.get("secret") or ""))
        return data

    async def confirm_totp(self, access_token: str, code: str) -> None:
        """Activate the enrolled second factor with a current code."""
        await self._request(
            "POST", f"{API}/me/totp/confirm", access_token=access_token, json={"code": code}
        )

    async def disable_totp(self, access_token: str, code: str) -> None:
        """Remove the second factor (needs a current, unused code)."""
        await self._request(
            "DELETE", f"{API}/me/totp", access_token=access_token, json={"code": code}
        )
