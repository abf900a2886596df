"""The Cloudgene :class:`~genoflow_desktop.core.jobs.backend.JobBackend`: imputation jobs on
Michigan Imputation Server 2, TOPMed, AfriGen-D or any other Cloudgene server.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import httpx

from genoflow_desktop.core.jobs.backend import (
    CredentialCheck,
    DownloadedFile,
    DownloadProgress,
    JobSpec,
    RemoteStatus,
)
from genoflow_desktop.core.progress import CancelToken
from genoflow_desktop.core.services import credentials
from genoflow_desktop.core.services.cloudgene.client import CloudgeneClient
from genoflow_desktop.core.services.cloudgene.inputs import check_inputs
from genoflow_desktop.core.services.cloudgene.models import ImputationApp, server_description
from genoflow_desktop.core.services.cloudgene.params import build_form, generate_password
from genoflow_desktop.core.services.cloudgene.results import download_outputs, extract_archives
from genoflow_desktop.core.services.cloudgene.status import parse_status
from genoflow_desktop.core.services.errors import AccessDenied


class CloudgeneBackend:
    """One Cloudgene server with the user's API token, as the job orchestrator sees it."""

    def __init__(
        self,
        *,
        name: str,
        base_url: str,
        token: str | None,
        transport: httpx.AsyncBaseTransport | None = None,
        retry_backoff_s: float = 1.0,
    ) -> None:
        self.name = name
        self._base_url = base_url
        self._transport = transport
        self.client = CloudgeneClient(
            name, base_url, token, transport=transport, retry_backoff_s=retry_backoff_s
        )
        self._app: ImputationApp | None = None

    async def probe(self) -> str:
        try:
            info = await self.client.server_info()
        except AccessDenied:
            # A revoked token makes even the server's front page answer 403 (spec 3); the
            # server itself is fine, so describe it as an anonymous visitor sees it.
            anonymous = CloudgeneClient(self.name, self._base_url, None, transport=self._transport)
            try:
                info = await anonymous.server_info()
            finally:
                await anonymous.aclose()
        app_ids = [str(app.get("id")) for app in info.get("apps") or [] if isinstance(app, dict)]
        return server_description(info, app_ids)

    async def check_credentials(self) -> CredentialCheck:
        check = await self.client.verify_token()
        if not check.valid:
            return CredentialCheck(
                valid=False,
                message=f"{self.name} does not accept the token ({check.message or 'invalid'}). "
                "Create a new one on the service's web site.",
            )
        days = credentials.days_left(check.expires_at)
        expiry = f", {days} days left" if days is not None else ", no expiry date"
        who = f" for {check.username}" if check.username else ""
        return CredentialCheck(
            valid=True,
            message=f"The token is valid{who}{expiry}.",
            username=check.username,
            expires_at=check.expires_at,
        )

    async def imputation_app(self) -> ImputationApp:
        """The server's imputation app with its panels and options (fetched once per backend)."""
        if self._app is None:
            self._app = await self.client.discover_app()
        return self._app

    async def validate(self, spec: JobSpec) -> None:
        check_inputs(spec.inputs)
        build_form(await self.imputation_app(), spec.params, service=self.name)

    async def submit(self, spec: JobSpec) -> str:
        app = await self.imputation_app()
        check_inputs(spec.inputs)
        # The password is in the keychain before the upload starts: if we crash after the
        # server took the job, the results can still be opened. A repeated submission of the
        # same job reuses it, in case an earlier attempt did reach the server.
        password = credentials.get_job_password(spec.job_id) or generate_password()
        credentials.set_job_password(spec.job_id, password)
        fields = build_form(
            app, spec.params, service=self.name, password=password, job_name=spec.name
        )
        return await self.client.submit(app.id, fields, spec.inputs)

    async def status(self, remote_id: str) -> RemoteStatus:
        return parse_status(await self.client.job(remote_id), self.client.base_url)

    async def cancel(self, remote_id: str) -> None:
        await self.client.cancel(remote_id)

    async def logs(self, remote_id: str) -> str:
        return await self.client.logs(remote_id)

    async def download(
        self,
        spec: JobSpec,
        status: RemoteStatus,
        destination: Path,
        *,
        progress: DownloadProgress | None = None,
        cancel: CancelToken | None = None,
    ) -> Sequence[DownloadedFile]:
        files = await download_outputs(
            self.client.http,
            status.outputs,
            destination,
            service=self.name,
            progress=progress,
            cancel=cancel,
        )
        # Our own password first; the one in the Summary message is the server's word, for
        # jobs submitted elsewhere or a server that chose its own password.
        candidates = (
            credentials.get_job_password(spec.job_id),
            status.result_password,
        )
        passwords = [p for p in dict.fromkeys(candidates) if p]
        extracted = await extract_archives(
            files, destination, passwords, progress=progress, cancel=cancel
        )
        return [*files, *extracted]

    async def aclose(self) -> None:
        await self.client.aclose()
