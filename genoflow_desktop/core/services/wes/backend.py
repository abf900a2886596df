"""A WES server as a :class:`~genoflow_desktop.core.jobs.backend.JobBackend`.

A job's ``params`` hold the WES run request: ``workflow_url``, ``workflow_type`` (default
``CWL``), ``workflow_type_version``, ``workflow_params`` (a dict), and optionally
``workflow_engine``, ``workflow_engine_parameters`` (a dict) and ``tags`` (a dict). The job's
attachments are sent as ``workflow_attachment`` files under their base names, so a relative
``workflow_url`` names one of them.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import httpx

from genoflow_desktop.core.domain import JobState
from genoflow_desktop.core.errors import UserError
from genoflow_desktop.core.jobs.backend import (
    CredentialCheck,
    DownloadedFile,
    DownloadProgress,
    JobSpec,
    RemoteStatus,
)
from genoflow_desktop.core.progress import CancelToken
from genoflow_desktop.core.services.errors import AccessDenied, AuthenticationFailed, ServiceError
from genoflow_desktop.core.services.wes.client import WesClient
from genoflow_desktop.core.services.wes.models import (
    Attachment,
    RunLog,
    RunRequest,
    ServiceInfo,
    map_state,
)

log = logging.getLogger(__name__)

#: Files the backend writes next to the outputs, so a run's logs stay with its results.
RUN_LOG_FILE = "run-log.json"
STDERR_FILE = "stderr.txt"
STDOUT_FILE = "stdout.txt"
#: Lists outputs that stay on the server's disk (``file://`` locations): where to find them.
SERVER_FILES = "server-outputs.tsv"
OWN_FILES = frozenset({RUN_LOG_FILE, STDERR_FILE, STDOUT_FILE, SERVER_FILES})
#: How much of stderr a failed run's error message carries.
STDERR_TAIL_LINES = 30


def run_request(spec: JobSpec) -> RunRequest:
    """The WES run request for a job; UserError when its parameters are unusable."""
    params = spec.params

    def text(key: str, default: str | None = None) -> str:
        value = params.get(key, default)
        if not isinstance(value, str) or not value.strip():
            raise UserError(
                f"The workflow job '{spec.name}' has no {key}.",
                hint="Set it in the job's parameters, e.g. workflow_type_version 'v1.2' for CWL.",
            )
        return value.strip()

    def mapping(key: str) -> dict[str, Any] | None:
        value = params.get(key)
        if value is not None and not isinstance(value, dict):
            raise UserError(
                f"The parameter {key} of workflow job '{spec.name}' must be a JSON object.",
                hint='Write it as {"name": value, ...}.',
            )
        return value

    engine = params.get("workflow_engine")
    tags = {str(k): str(v) for k, v in (mapping("tags") or {}).items()}
    # Our job id travels with the run, so the run can be found again on the server.
    tags.setdefault("genoflow_job_id", spec.job_id)
    return RunRequest(
        workflow_url=text("workflow_url"),
        workflow_type=text("workflow_type", "CWL"),
        workflow_type_version=text("workflow_type_version"),
        workflow_params=mapping("workflow_params") or {},
        tags=tags,
        workflow_engine=engine if isinstance(engine, str) and engine else None,
        workflow_engine_parameters=mapping("workflow_engine_parameters"),
        attachments=tuple(Attachment(path.name, path) for path in spec.attachments),
    )


def safe_relative_path(name: str) -> PurePosixPath:
    """``name`` as a path that stays inside the destination folder; UserError otherwise."""
    path = PurePosixPath(name.replace("\\", "/"))
    first = path.parts[0] if path.parts else ""
    if not path.parts or path.is_absolute() or ".." in path.parts or first.endswith(":"):
        raise UserError(
            f"The server named a result file '{name}', which would land outside the job's folder.",
            hint="The file was not downloaded. Ask the server's administrators about this name.",
        )
    return path


class WesBackend:
    """One WES server, with the user's bearer token (WES servers may need none)."""

    def __init__(
        self,
        *,
        name: str,
        base_url: str,
        token: str | None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.name = name
        self.client = WesClient(name, base_url, token, transport=transport)
        # download() gets a status but no run id; status() remembers which run each final
        # status belongs to, so download() can save that run's logs.
        self._run_ids: dict[RemoteStatus, str] = {}

    async def aclose(self) -> None:
        await self.client.aclose()

    async def probe(self) -> str:
        try:
            info = await self.client.service_info(refresh=True)
        except (AuthenticationFailed, AccessDenied):
            if not self.client.has_token:
                raise
            # Sapporo refuses a bad token even on its public service-info. A refused token must
            # not make a healthy server look down: check_credentials() is where it shows.
            info = await self.client.service_info(refresh=True, anonymous=True)
        return describe(info, self.name)

    async def check_credentials(self) -> CredentialCheck:
        try:
            await self.client.runs_page(page_size=1)
        except (AuthenticationFailed, AccessDenied) as exc:
            if not self.client.has_token:
                return CredentialCheck(
                    valid=False, message=f"{self.name} needs a token, and none is saved. {exc.hint}"
                )
            return CredentialCheck(valid=False, message=f"{exc.message} {exc.hint}".strip())
        if self.client.has_token:
            return CredentialCheck(valid=True, message=f"{self.name} accepted the token.")
        return CredentialCheck(valid=True, message=f"{self.name} answers without a token.")

    async def validate(self, spec: JobSpec) -> None:
        request = run_request(spec)
        try:
            json.dumps(dict(request.workflow_params))
            json.dumps(request.workflow_engine_parameters)
        except (TypeError, ValueError) as exc:
            raise UserError(
                f"The parameters of workflow job '{spec.name}' cannot be sent as JSON ({exc}).",
                hint="Use only text, numbers, true/false, lists and objects.",
            ) from exc
        names: set[str] = set()
        for attachment in request.attachments:
            if not attachment.path.is_file():
                raise UserError(
                    f"The attachment {attachment.path} of job '{spec.name}' does not exist.",
                    hint="Attach the file again, or remove it from the job.",
                )
            if attachment.name in names:
                raise UserError(
                    f"Two attachments of job '{spec.name}' are named '{attachment.name}'.",
                    hint="The server stages attachments by name only: rename one of them.",
                )
            names.add(attachment.name)
        if _is_relative(request.workflow_url) and request.workflow_url not in names:
            # Not fatal: some servers resolve relative names on their own disk. Most do not.
            log.warning(
                "workflow_url %r of job %r is a relative path but no attachment has that name; "
                "the server will most likely not find it",
                request.workflow_url,
                spec.name,
            )
        _check_offer(await self.client.service_info(), request, self.name)

    async def submit(self, spec: JobSpec) -> str:
        return await self.client.submit(run_request(spec))

    async def status(self, remote_id: str) -> RemoteStatus:
        state = await self.client.status(remote_id)
        if not map_state(state).is_final:
            return RemoteStatus(state=map_state(state), remote_state=state)
        run_log = await self.client.run_log(remote_id)
        job_state = map_state(run_log.state)
        if not job_state.is_final:  # the run log contradicts the status: trust it, poll again
            return RemoteStatus(state=job_state, remote_state=run_log.state)
        status = RemoteStatus(
            state=job_state,
            remote_state=run_log.state,
            error=await self._error(run_log) if job_state is JobState.FAILED else None,
            outputs=run_log.outputs if job_state is JobState.COMPLETED else (),
            started_at=run_log.start_time,
            finished_at=run_log.end_time,
        )
        self._run_ids[status] = remote_id
        return status

    async def _error(self, run_log: RunLog) -> str:
        exit_code = f", exit code {run_log.exit_code}" if run_log.exit_code is not None else ""
        message = f"The workflow run failed on {self.name} ({run_log.state}{exit_code})."
        try:
            stderr = await self.client.log_text(run_log.run_id, run_log.stderr)
        except ServiceError as exc:
            return f"{message} Its log could not be read: {exc.message}"
        tail = "\n".join(stderr.rstrip().splitlines()[-STDERR_TAIL_LINES:])
        return f"{message} The end of its log:\n{tail}" if tail else message

    async def cancel(self, remote_id: str) -> None:
        await self.client.cancel(remote_id)

    async def download(
        self,
        spec: JobSpec,
        status: RemoteStatus,
        destination: Path,
        *,
        progress: DownloadProgress | None = None,
        cancel: CancelToken | None = None,
    ) -> Sequence[DownloadedFile]:
        """Fetch the http(s) outputs, list the ones on the server's disk, save the run's logs."""
        _make_dirs(destination)
        written: list[DownloadedFile] = []
        on_server: list[tuple[str, str]] = []
        for output in status.outputs:
            if output.url is None:
                on_server.append((output.name, output.location or ""))
                continue
            if cancel is not None:
                cancel.raise_if_cancelled()
            relative = safe_relative_path(output.name)
            if str(relative) in OWN_FILES:  # an output must not be overwritten by our logs
                relative = relative.with_name(f"output-{relative.name}")
            target = destination.joinpath(*relative.parts)
            name = relative.as_posix()
            if target.is_file() and output.size in (None, target.stat().st_size):
                # Renamed into place only once whole: it is complete, keep it.
                written.append(await asyncio.to_thread(_describe_file, name, target))
                continue
            _make_dirs(target.parent)
            part = target.with_name(target.name + ".part")

            def on_chunk(done: int, total: int | None, name: str = name) -> None:
                if progress is not None:
                    progress(name, done, total)

            size, sha256 = await self.client.download(
                output.url, part, on_chunk=on_chunk, cancel=cancel
            )
            os.replace(part, target)
            written.append(DownloadedFile(name=name, path=target, size=size, sha256=sha256))
        if on_server:
            lines = "".join(f"{name}\t{location}\n" for name, location in on_server)
            written.append(_write_text(destination, SERVER_FILES, "name\tlocation\n" + lines))
        remote_id = self._run_ids.get(status)
        if remote_id is None:
            log.warning(
                "no run id known for this status of job %s: its logs are not saved", spec.job_id
            )
        else:
            written.extend(await self._save_logs(remote_id, destination))
        return written

    async def _save_logs(self, remote_id: str, destination: Path) -> list[DownloadedFile]:
        run_log = await self.client.run_log(remote_id)
        files = [_write_text(destination, RUN_LOG_FILE, json.dumps(run_log.raw, indent=2) + "\n")]
        for file_name, ref in ((STDERR_FILE, run_log.stderr), (STDOUT_FILE, run_log.stdout)):
            text = await self.client.log_text(remote_id, ref)
            if text:
                files.append(_write_text(destination, file_name, text))
        return files

    async def logs(self, remote_id: str) -> str:
        run_log = await self.client.run_log(remote_id)
        stderr = await self.client.log_text(remote_id, run_log.stderr)
        stdout = await self.client.log_text(remote_id, run_log.stdout)
        sections = [
            f"== {title} ==\n{text.rstrip()}"
            for title, text in (("stderr", stderr), ("stdout", stdout))
            if text.strip()
        ]
        return (
            "\n\n".join(sections)
            or f"{self.name} has no log for run {remote_id} (state {run_log.state})."
        )


def describe(info: ServiceInfo, fallback_name: str) -> str:
    """One line about a WES server: name/version, WES versions, workflow types, engines."""
    label = " ".join(part for part in (info.name or fallback_name, info.version) if part)
    parts = [label]
    if info.supported_wes_versions:
        parts.append("WES " + ", ".join(info.supported_wes_versions))
    types = [
        f"{kind} {', '.join(versions)}".strip() for kind, versions in info.workflow_types.items()
    ]
    parts.append("runs " + ("; ".join(types) or "no workflow type"))
    if info.engines:
        engines = [f"{name} {', '.join(v)}".strip() for name, v in info.engines.items()]
        parts.append("engines " + "; ".join(engines))
    return " | ".join(parts)


def _check_offer(info: ServiceInfo, request: RunRequest, service: str) -> None:
    versions = info.type_versions(request.workflow_type)
    if versions is None:
        offered = ", ".join(info.workflow_types) or "none"
        raise UserError(
            f"{service} does not run {request.workflow_type} workflows (it offers: {offered}).",
            hint="Choose another service, or a workflow written for one of these types.",
        )
    if versions and request.workflow_type_version not in versions:
        raise UserError(
            f"{service} does not run {request.workflow_type} {request.workflow_type_version} "
            f"(it offers: {', '.join(versions)}).",
            hint="Set workflow_type_version to one of these.",
        )
    engine = request.workflow_engine
    if engine and info.engine_form == "1.1" and engine not in info.engines:
        raise UserError(
            f"{service} has no workflow engine '{engine}' (it offers: {', '.join(info.engines)}).",
            hint="Set workflow_engine to one of these, or leave it out to use the first.",
        )


def _is_relative(url: str) -> bool:
    return not urlsplit(url).scheme and not url.startswith("/")


def _make_dirs(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(
            f"Cannot create the folder {path}: {exc.strerror or exc}.",
            hint="Choose a folder you can write to.",
        ) from exc


def _describe_file(name: str, path: Path) -> DownloadedFile:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return DownloadedFile(name=name, path=path, size=path.stat().st_size, sha256=digest.hexdigest())


def _write_text(destination: Path, name: str, text: str) -> DownloadedFile:
    """Write a small text file whole (temporary name, fsync, rename)."""
    data = text.encode("utf-8")
    target = destination / name
    part = target.with_name(name + ".part")
    try:
        with part.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(part, target)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise UserError(
            f"Cannot write {target}: {exc.strerror or exc}.",
            hint="Check that the destination folder is writable and the disk has free space.",
        ) from exc
    return DownloadedFile(
        name=name, path=target, size=len(data), sha256=hashlib.sha256(data).hexdigest()
    )
