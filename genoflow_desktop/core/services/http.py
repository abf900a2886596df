"""The one way GenoFlow talks HTTP to remote services: httpx (async), retries, readable errors.

Both service clients (Cloudgene and WES) build their ``httpx.AsyncClient`` with
:func:`new_client`, send every request through :func:`send`, and so share the retry policy and
the translation of status codes and error bodies (Cloudgene's ``{"message"}``, Micronaut's
``_embedded.errors``, WES's ``{"msg"}``, RFC 7807 ``detail``/``title``, a proxy's HTML page)
into :mod:`~genoflow_desktop.core.services.errors`.

Nothing here logs headers or bodies: tokens travel in headers, and download links are
capabilities. Only the method, host and HTTP status reach the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import re
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from typing import Any

import httpx

import genoflow_desktop
from genoflow_desktop.core.errors import UserError
from genoflow_desktop.core.services.errors import (
    AccessDenied,
    AuthenticationFailed,
    NotFound,
    RequestRejected,
    ServiceError,
    ServiceUnavailable,
)

log = logging.getLogger(__name__)

USER_AGENT = f"GenoFlow-Desktop/{genoflow_desktop.__version__}"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
#: Statuses worth retrying: the server or a proxy in front of it is briefly unwell.
RETRY_STATUSES = frozenset({500, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: A health probe waits this long at most: it asks "is it up now?", and a slow answer is a no.
PROBE_TIMEOUT = httpx.Timeout(10.0, connect=3.0)

#: Set by :func:`probing` for the requests of one health check (per task: contextvars follow
#: the awaits of a coroutine, so concurrent job requests keep their retries).
_probe_timeout: ContextVar[httpx.Timeout | None] = ContextVar("probe_timeout", default=None)

Sleep = Callable[[float], Awaitable[None]]


def normalise_base_url(url: str) -> str:
    """``url`` without surrounding blanks or trailing slashes; only http(s) addresses pass."""
    text = url.strip()
    try:
        parsed = httpx.URL(text)
    except httpx.InvalidURL:
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        raise UserError(
            f"'{url}' is not a web address.",
            hint="Give the full address of the service, starting with https://, for example "
            "https://imputationserver.sph.umich.edu",
        )
    return text.rstrip("/")


def new_client(
    base_url: str,
    *,
    headers: dict[str, str] | None = None,
    timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """An async client for one service. Proxies come from the environment (httpx's default)."""
    return httpx.AsyncClient(
        base_url=normalise_base_url(base_url),
        headers={"User-Agent": USER_AGENT, **(headers or {})},
        timeout=timeout,
        follow_redirects=True,
        transport=transport,
    )


def _html_title(text: str) -> str:
    match = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    return " ".join(match.group(1).split()) if match else ""


def error_text(response: httpx.Response) -> str:
    """The server's own explanation of a failed request, whatever shape its body has."""
    content_type = response.headers.get("content-type", "")
    body = response.text.strip() if response.content else ""
    if not body:
        return response.reason_phrase or f"HTTP {response.status_code}"
    if "html" in content_type or body[:1] == "<":
        title = _html_title(body)
        page = f" ('{title}')" if title else ""
        return f"the server, or a proxy in front of it, answered with a web page{page}"
    try:
        data: Any = json.loads(body)
    except ValueError:
        return body[:300]
    if isinstance(data, dict):
        embedded = data.get("_embedded", {})
        errors = embedded.get("errors") if isinstance(embedded, dict) else None
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            first = errors[0].get("message")
            if first:
                return str(first)
        for key in ("message", "msg", "detail", "title", "error"):
            if data.get(key):
                return str(data[key])
    return body[:300]


def raise_for_response(response: httpx.Response, *, service: str) -> None:
    """Raise the matching :class:`ServiceError` for a non-2xx ``response``; return otherwise."""
    status = response.status_code
    if status < 400:
        return
    reason = error_text(response)
    detail = f"{service} answered HTTP {status}: {reason}."
    if status == 401:
        raise AuthenticationFailed(
            f"{service} did not accept your token (HTTP 401).",
            hint="The token is wrong or has expired. Create a new one on the service's web site "
            f"and save it with 'genoflow credentials set \"{service}\"' or in Settings > Services.",
            status=status,
        )
    if status == 403:
        raise AccessDenied(
            f"{service} refused the request (HTTP 403: {reason}).",
            hint="The token may have been revoked or replaced by a newer one; save the newest "
            "token, or check that this job belongs to your account.",
            status=status,
        )
    if status == 404:
        raise NotFound(detail, status=status)
    if status in RETRY_STATUSES or status >= 500:
        raise ServiceUnavailable(detail, status=status)
    if 400 <= status < 500:
        raise RequestRejected(detail, status=status)
    raise ServiceError(detail, status=status)


@contextlib.contextmanager
def probing(timeout: httpx.Timeout = PROBE_TIMEOUT) -> Iterator[None]:
    """Requests sent inside are tried once, with ``timeout``: a health check must answer in
    about a round trip. Retrying a refused connection (4 attempts, back-off) took ~7 s to
    say what the first attempt already knew; real job requests keep their retries."""
    token = _probe_timeout.set(timeout)
    try:
        yield
    finally:
        _probe_timeout.reset(token)


def _delay(attempt: int, base: float, cap: float) -> float:
    # Exponential back-off with full jitter, so many jobs polling one server spread out.
    return random.uniform(0, min(cap, base * 2**attempt))


async def send(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    service: str,
    attempts: int = 4,
    backoff_s: float = 1.0,
    max_backoff_s: float = 30.0,
    sleep: Sleep = asyncio.sleep,
    **kwargs: Any,
) -> httpx.Response:
    """Send one request and return its 2xx/3xx response, or raise a :class:`ServiceError`.

    GETs are retried on network errors and 5xx. Other methods are retried only when the request
    certainly never reached the server (connection refused or timed out while connecting), so a
    submission is never made twice.
    """
    idempotent = method.upper() in IDEMPOTENT_METHODS
    probe_timeout = _probe_timeout.get()
    if probe_timeout is not None:
        attempts = 1
        kwargs.setdefault("timeout", probe_timeout)
    last_error: ServiceError | None = None
    for attempt in range(attempts):
        if attempt:
            await sleep(_delay(attempt - 1, backoff_s, max_backoff_s))
        try:
            response = await client.request(method, url, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            last_error = ServiceUnavailable(f"{service} could not be reached ({_describe(exc)}).")
            continue
        except httpx.TransportError as exc:
            last_error = ServiceUnavailable(
                f"The connection to {service} failed ({_describe(exc)})."
            )
            if idempotent:
                continue
            raise last_error from exc
        log.debug("%s %s -> %s", method, response.request.url.host, response.status_code)
        if response.status_code in RETRY_STATUSES and idempotent and attempt + 1 < attempts:
            last_error = ServiceUnavailable(
                f"{service} answered HTTP {response.status_code}.", status=response.status_code
            )
            continue
        raise_for_response(response, service=service)
        return response
    assert last_error is not None
    raise last_error


def _describe(exc: httpx.HTTPError) -> str:
    text = str(exc).strip()
    return text or type(exc).__name__
