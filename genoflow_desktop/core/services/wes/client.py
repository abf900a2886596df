"""A GA4GH WES 1.0/1.1 client: service-info, submit, status, run log, cancel, list, downloads.

Written against what real servers do (specs/wes.md), not only against the spec: wes-service,
Toil and sapporo each bend it somewhere, and the client copes with all of them.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import httpx

from genoflow_desktop.core.errors import UserError
from genoflow_desktop.core.progress import CancelToken
from genoflow_desktop.core.services import http
from genoflow_desktop.core.services.errors import NotFound, ServiceError, ServiceUnavailable
from genoflow_desktop.core.services.wes.models import (
    LogRef,
    RunLog,
    RunRequest,
    RunSummary,
    ServiceInfo,
)

#: Hint shown when an address answers, but not as a WES server.
ROOT_HINT = "The address must be the WES root, which usually ends in /ga4gh/wes/v1."


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


class WesClient:
    """One WES server, with the user's bearer token (if any)."""

    def __init__(
        self,
        name: str,
        base_url: str,
        token: str | None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.name = name
        self.base_url = http.normalise_base_url(base_url)
        self._token = token
        self._http = http.new_client(self.base_url, transport=transport)
        self._service_info: ServiceInfo | None = None

    @property
    def has_token(self) -> bool:
        return bool(self._token)

    async def aclose(self) -> None:
        await self._http.aclose()

    def _auth(self, url: str | None = None) -> dict[str, str]:
        """The Authorization header for a request to ``url`` (default: this server's API).

        Output and log links on this server need the token (sapporo); links to another host
        (a presigned S3 URL, say) must not get it: it would leak, and S3 refuses two kinds of
        authentication in one request.
        """
        if not self._token:
            return {}
        if url is not None and _origin(url) != _origin(self.base_url):
            return {}
        return {"Authorization": f"Bearer {self._token}"}

    def run_url(self, run_id: str) -> str:
        return f"{self.base_url}/runs/{_run_path(run_id)}"

    async def _json(self, method: str, path: str, *, anonymous: bool = False, **kwargs: Any) -> Any:
        headers = {} if anonymous else self._auth()
        response = await http.send(
            self._http, method, path, service=self.name, headers=headers, **kwargs
        )
        try:
            return response.json()
        except ValueError:
            raise ServiceUnavailable(
                f"{self.name} answered {method} {path} with something that is not JSON.",
                hint=ROOT_HINT,
                status=response.status_code,  # it answered: the host is up
            ) from None

    async def _object(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        data = await self._json(method, path, **kwargs)
        if not isinstance(data, dict):
            raise ServiceUnavailable(
                f"{self.name} answered {method} {path} with JSON that is not an object.",
                hint=ROOT_HINT,
            )
        return data

    async def service_info(self, *, refresh: bool = False, anonymous: bool = False) -> ServiceInfo:
        """``GET /service-info`` (kept after the first call: wes-service takes ~0.4 s per call).

        ``anonymous`` leaves the token out, for telling a down server from a refused token.
        """
        if self._service_info is None or refresh:
            try:
                data = await self._object("GET", "service-info", anonymous=anonymous)
            except NotFound as exc:
                raise ServiceUnavailable(
                    f"{self.name} has no WES service-info at {self.base_url}/service-info.",
                    hint=ROOT_HINT,
                    status=exc.status,
                ) from None
            if "workflow_type_versions" not in data:
                raise ServiceUnavailable(
                    f"{self.name} answered service-info without workflow_type_versions: "
                    "it does not look like a WES server.",
                    hint=ROOT_HINT,
                )
            self._service_info = ServiceInfo.from_json(data)
        return self._service_info

    async def submit(self, request: RunRequest) -> str:
        """``POST /runs`` as multipart/form-data; returns the server's run id.

        Not retried once the connection is made (see :func:`http.send`), so a lost answer
        never creates a second run.
        """
        fields = {
            "workflow_params": json.dumps(dict(request.workflow_params)),
            "workflow_type": request.workflow_type,
            "workflow_type_version": request.workflow_type_version,
            "workflow_url": request.workflow_url,
            "tags": json.dumps(dict(request.tags)),
        }
        if request.workflow_engine_parameters is not None:
            fields["workflow_engine_parameters"] = json.dumps(
                dict(request.workflow_engine_parameters)
            )
        info = await self.service_info()
        # WES 1.0 servers do not know the field; sapporo (1.1 form) refuses a run without it.
        if info.engine_form == "1.1":
            engine = request.workflow_engine or info.default_engine()
            if engine:
                fields["workflow_engine"] = engine
        with ExitStack() as files:
            # Text fields go as parts without a filename: with no attachments httpx would
            # otherwise send urlencoded data, which every WES server refuses (wes-service: 415).
            parts: list[tuple[str, tuple[str | None, Any]]] = [
                (key, (None, value)) for key, value in fields.items()
            ]
            for attachment in request.attachments:
                try:
                    handle = files.enter_context(attachment.path.open("rb"))
                except OSError as exc:
                    raise UserError(
                        f"Cannot read the attachment {attachment.path}: {exc.strerror}.",
                        hint="Check that the file still exists and is readable.",
                    ) from exc
                # httpx streams file objects part by part; nothing is loaded whole.
                parts.append(("workflow_attachment", (attachment.name, handle)))
            data = await self._object("POST", "runs", files=parts)
        run_id = data.get("run_id")
        if not isinstance(run_id, str) or not run_id:
            raise ServiceError(f"{self.name} accepted the run but returned no run id.")
        return run_id

    async def status(self, run_id: str) -> str:
        """The run's WES state, as the server spells it."""
        data = await self._object("GET", f"runs/{_run_path(run_id)}/status")
        return str(data.get("state") or "UNKNOWN")

    async def run_log(self, run_id: str) -> RunLog:
        return RunLog.from_json(run_id, await self._object("GET", f"runs/{_run_path(run_id)}"))

    async def cancel(self, run_id: str) -> None:
        """Ask the server to cancel; the run passes CANCELING before CANCELED (or carries on:
        wes-service's cancel does nothing)."""
        await self._object("POST", f"runs/{_run_path(run_id)}/cancel")

    async def runs_page(
        self, *, page_size: int | None = None, page_token: str = ""
    ) -> tuple[list[RunSummary], str]:
        """One page of ``GET /runs``: its runs and the next page's token ("" after the last)."""
        params: dict[str, str | int] = {}
        if page_size is not None:
            params["page_size"] = page_size
        if page_token:
            params["page_token"] = page_token
        data = await self._object("GET", "runs", params=params)
        # wes-service and Toil answer with "workflows" instead of the spec's "runs".
        items = data.get("runs")
        if items is None:
            items = data.get("workflows")
        runs = [
            RunSummary.from_json(item)
            for item in (items if isinstance(items, list) else [])
            if isinstance(item, dict) and item.get("run_id")
        ]
        next_token = data.get("next_page_token")
        return runs, next_token if isinstance(next_token, str) else ""

    async def list_runs(self, *, page_size: int | None = None) -> list[RunSummary]:
        """Every run the server lists for us, across all pages."""
        runs, token = await self.runs_page(page_size=page_size)
        seen_tokens: set[str] = set()
        # An empty token ends the list; a short page does not (servers may ignore page_size).
        # A token seen before would loop forever: stop there too.
        while token and token not in seen_tokens:
            seen_tokens.add(token)
            page, token = await self.runs_page(page_size=page_size, page_token=token)
            runs.extend(page)
        return runs

    async def log_text(self, run_id: str, ref: LogRef) -> str:
        """The text of a stdout/stderr log, fetched (with the token) when the server gave a URL."""
        if ref.url is None:
            return ref.text
        url = urljoin(self.run_url(run_id), ref.url)
        response = await http.send(
            self._http, "GET", url, service=self.name, headers=self._auth(url)
        )
        return response.text

    async def download(
        self,
        url: str,
        part: Path,
        *,
        on_chunk: Callable[[int, int | None], None] | None = None,
        cancel: CancelToken | None = None,
    ) -> tuple[int, str]:
        """Stream ``url`` into ``part`` (then fsync); return (size, sha256 hex).

        One GET, not retried here: a failed download is retried as a whole by the caller.
        ``part`` is deleted when the download fails.
        """
        size = 0
        digest = hashlib.sha256()
        try:
            async with self._http.stream("GET", url, headers=self._auth(url)) as response:
                if response.status_code >= 400:
                    await response.aread()
                    http.raise_for_response(response, service=self.name)
                total = _int_or_none(response.headers.get("content-length"))
                with part.open("wb") as out:
                    async for chunk in response.aiter_bytes():
                        if cancel is not None:
                            cancel.raise_if_cancelled()
                        out.write(chunk)
                        digest.update(chunk)
                        size += len(chunk)
                        if on_chunk is not None:
                            on_chunk(size, total)
                    out.flush()
                    os.fsync(out.fileno())
        except httpx.TransportError as exc:
            part.unlink(missing_ok=True)
            raise ServiceUnavailable(
                f"The download of {part.name.removesuffix('.part')} from {self.name} failed "
                f"({str(exc) or type(exc).__name__})."
            ) from exc
        except OSError as exc:
            part.unlink(missing_ok=True)
            raise UserError(
                f"Cannot write {part}: {exc.strerror or exc}.",
                hint="Check that the destination folder is writable and the disk has free space.",
            ) from exc
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        return size, digest.hexdigest()


def _run_path(run_id: str) -> str:
    if not run_id.strip():
        raise ValueError("a WES run id cannot be empty")
    # Run ids are opaque (hex, run-<hex>, uuid): quote them whole so none can change the path.
    return quote(run_id, safe="")


def _int_or_none(text: str | None) -> int | None:
    try:
        return int(text) if text else None
    except ValueError:
        return None
