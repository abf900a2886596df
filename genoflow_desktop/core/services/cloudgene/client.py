"""Low-level calls of the Cloudgene REST API (specs/cloudgene-api.md), one method per endpoint.

Every request goes through :func:`~genoflow_desktop.core.services.http.send`, so GETs are
retried on 5xx and network errors and every failure arrives as a ``ServiceError``. The token
travels raw in ``X-Auth-Token`` (Cloudgene reads no ``Authorization`` header, spec 3).
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import httpx

from genoflow_desktop.core.errors import UserError
from genoflow_desktop.core.services.cloudgene.models import (
    ImputationApp,
    TokenCheck,
    parse_app,
    parse_token_check,
    pick_app_id,
)
from genoflow_desktop.core.services.errors import (
    JobLimitReached,
    MissingCredential,
    RequestRejected,
    ServiceUnavailable,
)
from genoflow_desktop.core.services.http import new_client, send

#: Uploads can take hours; the answer after the last byte may take minutes while the server
#: stores the files. Connect and per-chunk write timeouts stay short.
SUBMIT_TIMEOUT = httpx.Timeout(60.0, connect=10.0, read=900.0)
_JOB_LIMIT = re.compile(r"Only (\d+) jobs per user can be executed simultaneously")


class CloudgeneClient:
    """One Cloudgene server with one user's API token (or none, for the anonymous calls)."""

    def __init__(
        self,
        name: str,
        base_url: str,
        token: str | None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        retry_backoff_s: float = 1.0,
    ) -> None:
        self.name = name
        self._token = token
        headers = {"X-Auth-Token": token} if token else {}
        self.http = new_client(base_url, headers=headers, transport=transport)
        self.base_url = str(self.http.base_url).rstrip("/")
        self._backoff_s = retry_backoff_s

    async def aclose(self) -> None:
        await self.http.aclose()

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return await send(
                self.http, method, path, service=self.name, backoff_s=self._backoff_s, **kwargs
            )
        except ServiceUnavailable as exc:
            if exc.status == 503 and "maintenance" in exc.message.lower():
                raise ServiceUnavailable(
                    exc.message,
                    hint="The server is under maintenance. Your jobs wait here; GenoFlow tries "
                    "again later.",
                    status=503,
                ) from exc
            raise

    async def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self._send(method, path, **kwargs)
        try:
            return response.json()
        except (ValueError, UnicodeDecodeError) as exc:
            # A captive portal or a misconfigured proxy answers 200 with a web page.
            raise ServiceUnavailable(
                f"{self.name} did not answer {path} with data (HTTP {response.status_code}, "
                f"{response.headers.get('content-type', 'no content type')}).",
                hint="Check the service's address; it should be the imputation server's home "
                "page, e.g. https://imputationserver.sph.umich.edu",
                status=response.status_code,
            ) from exc

    async def _object(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        data = await self._json(method, path, **kwargs)
        if not isinstance(data, dict):
            raise ServiceUnavailable(f"{self.name} answered {path} with unexpected data.")
        return data

    # --- server and app -------------------------------------------------------------------

    async def server_info(self) -> dict[str, Any]:
        """``GET /api/v2/server``: name, user (with a valid token) and the installed apps."""
        return await self._object("GET", "/api/v2/server")

    async def app(self, app_id: str) -> ImputationApp:
        """``GET /api/v2/server/apps/{id}``: the app's form, reference panels, populations."""
        return parse_app(await self._object("GET", f"/api/v2/server/apps/{app_id}"))

    async def discover_app(self) -> ImputationApp:
        """The server's imputation app (spec 4.1: the first id part is ``imputationserver2``,
        or a legacy name) with its form."""
        app_id = pick_app_id(await self.server_info(), service=self.name)
        return await self.app(app_id)

    async def verify_token(self) -> TokenCheck:
        """``POST /api/v2/tokens/verify``: always HTTP 200, ``valid`` says whether it is good."""
        if not self._token:
            raise MissingCredential(
                f"No token is stored for {self.name}.",
                hint="Create an API token on the service's web site and save it in Settings > "
                "Services or with 'genoflow credentials set'.",
            )
        data = await self._object("POST", "/api/v2/tokens/verify", data={"token": self._token})
        return parse_token_check(data)

    # --- jobs -----------------------------------------------------------------------------

    async def submit(
        self, app_id: str, fields: Sequence[tuple[str, str]], files: Sequence[Path]
    ) -> str:
        """``POST /api/v2/jobs/submit/{app id}`` as multipart; returns the new job's id.

        ``fields`` go as text parts, each of ``files`` as a ``files`` part with its file name.
        httpx reads the open files chunk by chunk while sending, so a multi-gigabyte upload
        never sits in memory.
        """
        with contextlib.ExitStack() as stack:
            # Text fields go as parts without a file name (Cloudgene's rule for "a value, not an
            # upload"); sending them among the files keeps the request multipart even without
            # files (Cloudgene answers anything else with 415) and keeps their order.
            parts: list[
                tuple[str, tuple[str | None, IO[bytes] | str] | tuple[str, IO[bytes], str]]
            ] = [(name, (None, value)) for name, value in fields]
            parts += [
                (
                    "files",
                    (path.name, stack.enter_context(path.open("rb")), "application/octet-stream"),
                )
                for path in files
            ]
            try:
                answer = await self._object(
                    "POST",
                    f"/api/v2/jobs/submit/{app_id}",
                    files=parts,
                    timeout=SUBMIT_TIMEOUT,
                )
            except RequestRejected as exc:
                limit = _JOB_LIMIT.search(exc.message)
                if limit is None:
                    raise
                raise JobLimitReached(
                    f"{self.name} runs only {limit.group(1)} jobs per user at a time, and you "
                    "have that many waiting or running.",
                    limit=int(limit.group(1)),
                    status=exc.status,
                ) from exc
        job_id = answer.get("id")
        if not answer.get("success", True) or not job_id:
            raise UserError(
                f"{self.name} did not accept the job: {answer.get('message') or json.dumps(answer)[:200]}"
            )
        return str(job_id)

    async def job(self, job_id: str) -> dict[str, Any]:
        """``GET /api/v2/jobs/{id}/status``: the full job, with steps and outputs."""
        return await self._object("GET", f"/api/v2/jobs/{job_id}/status")

    async def jobs(self, page: int | None = None) -> list[dict[str, Any]]:
        """``GET /api/v2/jobs``: the user's jobs, newest first (all of them without ``page``)."""
        params = {"page": str(page)} if page is not None else None
        data = await self._json("GET", "/api/v2/jobs", params=params)
        # Cloudgene 3 wraps the list in a PageResponse; very old servers return a bare list.
        items = data.get("data") if isinstance(data, Mapping) else data
        return [item for item in items or [] if isinstance(item, dict)]

    async def cancel(self, job_id: str) -> dict[str, Any]:
        """``GET /api/v2/jobs/{id}/cancel`` (a GET in Cloudgene); returns the job."""
        return await self._object("GET", f"/api/v2/jobs/{job_id}/cancel")

    async def logs(self, job_id: str) -> str:
        """``GET /logs/{id}``: the job's log as plain text."""
        return (await self._send("GET", f"/logs/{job_id}")).text
