"""Fetch a Cloudgene job's result files once each, and unpack the encrypted archives safely.

Cloudgene counts every GET of a result file and refuses the 11th (spec 4.7), so:

* each file is fetched with exactly one GET: no HEAD, no Range requests, and no automatic retry
  (a retried GET costs a second count even when the first one failed half-way);
* a file that arrived whole is written to ``<name>.part``, synced and renamed, and recorded in a
  small manifest (:data:`MANIFEST_NAME`) in the destination, so a later run skips it;
* an error page is never saved as a result.

The per-chromosome archives (``chr_<c>.zip``) are encrypted with the job's password, with
ZipCrypto or WinZip AES-256 (spec 7); pyzipper reads both and checks each member's CRC.
Members are checked before anything is written: no absolute paths, no ``..``, no drive letters,
no symbolic links.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import hashlib
import json
import os
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from zipfile import BadZipFile, ZipInfo

import httpx
import pyzipper

from genoflow_desktop.core.errors import UserError
from genoflow_desktop.core.jobs.backend import DownloadedFile, DownloadProgress, RemoteOutput
from genoflow_desktop.core.progress import CancelToken
from genoflow_desktop.core.services.errors import ServiceError
from genoflow_desktop.core.services.http import error_text, raise_for_response

MANIFEST_NAME = ".genoflow-downloads.json"
#: Archives Cloudgene encrypts with the job's password: one per chromosome.
ARCHIVE_PATTERN = "chr_*.zip"
_CHUNK = 1024 * 1024
#: An error body is small; a real result file that looks like JSON or HTML is not expected.
_SMALL_BODY = 64 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class _Failure:
    name: str
    error: UserError


class Manifest:
    """What a destination folder already holds, so no download is made twice.

    ``files``: result name -> {size, sha256} of every file that arrived whole.
    ``extracted``: archive name -> the files unpacked from it.
    """

    def __init__(self, destination: Path) -> None:
        self.path = destination / MANIFEST_NAME
        data: dict[str, Any] = {}
        if self.path.exists():
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                data = {}  # unreadable: at worst, complete files are fetched again
        self.files: dict[str, dict[str, Any]] = dict(data.get("files") or {})
        self.extracted: dict[str, list[dict[str, Any]]] = dict(data.get("extracted") or {})

    def save(self) -> None:
        temporary = self.path.with_name(self.path.name + ".part")
        temporary.write_text(
            json.dumps({"version": 1, "files": self.files, "extracted": self.extracted}, indent=1),
            encoding="utf-8",
        )
        os.replace(temporary, self.path)

    def complete(self, name: str, target: Path) -> DownloadedFile | None:
        """The recorded download of ``name`` if it is still on disk with its size."""
        entry = self.files.get(name)
        if entry is None or not target.is_file() or target.stat().st_size != entry.get("size"):
            return None
        return DownloadedFile(name, target, int(entry["size"]), str(entry["sha256"]))


def _unsafe_reason(name: str) -> str | None:
    """Why a server-given or archived path must not be written, or None when it is fine."""
    if not name or "\x00" in name:
        return "it is empty or contains a NUL byte"
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        return "it is an absolute path"
    if ".." in parts:
        return "it points outside the folder (..)"
    return None


def safe_target(destination: Path, name: str) -> Path:
    """Where result or member ``name`` goes inside ``destination``; UserError if it would escape."""
    reason = _unsafe_reason(name)
    target = destination.joinpath(*PurePosixPath(name.replace("\\", "/")).parts)
    if reason is None and not target.resolve().is_relative_to(destination.resolve()):
        reason = "it points outside the folder"
    if reason is not None:
        raise UserError(
            f"Refused to write '{name}': {reason}.",
            hint="The server or archive offered a file name that could overwrite files outside "
            "the job's folder. Nothing was written for it; report this to the server's operators.",
        )
    return target


def _error_body_reason(
    name: str, content_type: str, head: bytes, size: int, part: Path
) -> str | None:
    """Why the body looks like an error page rather than the result ``name``, or None."""
    lower_name = name.lower()
    is_html_name = lower_name.endswith((".html", ".htm"))
    start = head.lstrip()[:15].lower()
    if not is_html_name and (
        "text/html" in content_type or start.startswith((b"<!doctype", b"<html"))
    ):
        return "the server sent a web page instead of the file"
    # Cloudgene sends results without a content type of their own, which Micronaut may label
    # application/json, so only the body can tell a JSON error from a result.
    if not lower_name.endswith(".json") and start.startswith(b"{") and size <= _SMALL_BODY:
        try:
            data = json.loads(part.read_bytes())
        except ValueError:
            return None
        if isinstance(data, dict) and ("message" in data or data.get("success") is False):
            return f"the server sent an error instead of the file: {data.get('message')}"
    return None


def _download_error(response: httpx.Response, name: str, service: str) -> UserError:
    reason = error_text(response)
    if response.status_code == 400 and "max downloads" in reason.lower():
        return UserError(
            f"{service} refuses further downloads of {name}: each result file may be "
            "downloaded only a limited number of times (usually 10), and that limit is reached.",
            hint="Look for copies made earlier (by you or a colleague, e.g. with the web page). "
            "Otherwise ask the server's operators to reset the counter, or submit the job again.",
        )
    if response.status_code == 404:
        return UserError(
            f"{service} no longer has {name} ({reason}).",
            hint="Results are deleted a few days after the job ends; submit the job again.",
        )
    try:
        raise_for_response(response, service=service)
    except ServiceError as exc:
        return exc
    return UserError(f"{service} answered HTTP {response.status_code} for {name}.")


async def _fetch(
    http: httpx.AsyncClient,
    output: RemoteOutput,
    target: Path,
    *,
    service: str,
    progress: DownloadProgress | None,
    cancel: CancelToken | None,
) -> DownloadedFile:
    assert output.url is not None
    part = target.with_name(target.name + ".part")
    request = http.build_request("GET", output.url)
    # Downloads are anonymous (spec 4.7) and may be redirected to a storage host, which must
    # not see the user's token.
    request.headers.pop("X-Auth-Token", None)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        response = await http.send(request, stream=True)
    except httpx.HTTPError as exc:
        raise UserError(f"{output.name} could not be fetched ({exc}).", retryable=True) from exc
    try:
        if response.status_code >= 300:
            await response.aread()
            raise _download_error(response, output.name, service)
        length = response.headers.get("content-length")
        total = int(length) if length and length.isdigit() else None
        digest, done, head = hashlib.sha256(), 0, b""
        with part.open("wb") as sink:
            async for chunk in response.aiter_bytes(_CHUNK):
                if cancel is not None:
                    cancel.raise_if_cancelled()
                if len(head) < 512:
                    head += chunk[:512]
                sink.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(output.name, done, total)
            sink.flush()
            os.fsync(sink.fileno())
        if total is not None and done != total:
            raise UserError(
                f"{output.name} arrived incomplete ({done} of {total} bytes).", retryable=True
            )
        reason = _error_body_reason(
            output.name, response.headers.get("content-type", ""), head, done, part
        )
        if reason is not None:
            raise UserError(f"{output.name} was not saved: {reason}.", retryable=True)
        os.replace(part, target)
    except httpx.HTTPError as exc:
        raise UserError(
            f"The transfer of {output.name} broke off ({exc}).", retryable=True
        ) from exc
    except OSError as exc:
        raise UserError(
            f"{output.name} could not be written to {target.parent} ({exc.strerror or exc}).",
            hint="Check that the disk has enough free space and that the folder is writable.",
        ) from exc
    finally:
        await response.aclose()
        with contextlib.suppress(OSError):
            part.unlink(missing_ok=True)
    return DownloadedFile(output.name, target, done, digest.hexdigest())


async def download_outputs(
    http: httpx.AsyncClient,
    outputs: Sequence[RemoteOutput],
    destination: Path,
    *,
    service: str,
    progress: DownloadProgress | None = None,
    cancel: CancelToken | None = None,
) -> list[DownloadedFile]:
    """Fetch every output not yet complete in ``destination``; UserError naming the failures.

    One file failing does not stop the others: they are each worth one of the few downloads the
    server allows, and the next run then only fetches what is missing.
    """
    destination.mkdir(parents=True, exist_ok=True)
    manifest = Manifest(destination)
    fetched: list[DownloadedFile] = []
    failures: list[_Failure] = []
    for output in outputs:
        if output.url is None:
            continue
        try:
            target = safe_target(destination, output.name)
        except UserError as exc:
            failures.append(_Failure(output.name, exc))
            continue
        done = manifest.complete(output.name, target)
        if done is None:
            try:
                done = await _fetch(
                    http, output, target, service=service, progress=progress, cancel=cancel
                )
            except UserError as exc:
                failures.append(_Failure(output.name, exc))
                continue
            manifest.files[output.name] = {"size": done.size, "sha256": done.sha256}
            manifest.save()
        elif progress is not None:
            progress(output.name, done.size, done.size)
        fetched.append(done)
    if failures:
        raise UserError(
            f"{len(failures)} of {len(outputs)} result files could not be downloaded: "
            + "; ".join(f"{f.name}: {f.error.message}" for f in failures),
            hint="Files that arrived whole are kept; running the download again fetches only "
            "the missing ones (each download counts against the server's limit).",
            retryable=all(f.error.retryable for f in failures),
        )
    return fetched


# --- archives --------------------------------------------------------------------------------


def is_result_archive(name: str) -> bool:
    return fnmatch.fnmatch(PurePosixPath(name).name, ARCHIVE_PATTERN)


def _check_member(info: ZipInfo, archive_name: str, into: Path) -> Path | None:
    """Where a member goes (None for a folder); UserError for anything unsafe."""
    mode = info.external_attr >> 16
    if (mode & 0o170000) == 0o120000:
        raise UserError(
            f"{archive_name} contains a symbolic link ({info.filename}); nothing was extracted.",
            hint="Result archives never contain links; report this to the server's operators.",
        )
    reason = _unsafe_reason(info.filename)
    if reason is not None:
        raise UserError(
            f"{archive_name} contains '{info.filename}', which is refused because {reason}; "
            "nothing was extracted.",
            hint="The archive is kept as downloaded; report this to the server's operators.",
        )
    target = safe_target(into, info.filename)
    return None if info.is_dir() else target


def _wrong_password(archive_name: str) -> UserError:
    return UserError(
        f"{archive_name} could not be decrypted with the job's password.",
        hint="The archive is kept. If the server e-mailed you a password for this job, unzip it "
        "with that one (7-Zip or 'unzip -P').",
    )


def _pick_password(
    zipped: pyzipper.AESZipFile,
    infos: Sequence[ZipInfo],
    passwords: Sequence[str],
    archive_name: str,
) -> bytes:
    """The first of ``passwords`` that opens the archive.

    Our own password comes first; the one the server showed in its Summary is the fallback, for
    jobs submitted elsewhere or servers that chose their own. The smallest member is read in
    full, so its CRC decides: ZipCrypto's own check lets 1 wrong password in 256 through.
    """
    files = [info for info in infos if not info.is_dir()]
    if not files or len(passwords) == 1:
        return passwords[0].encode()
    smallest = min(files, key=lambda info: info.file_size)
    for password in passwords:
        try:
            with zipped.open(smallest, pwd=password.encode()) as probe:
                while probe.read(_CHUNK):
                    pass
        except (RuntimeError, zlib.error, BadZipFile):
            continue
        return password.encode()
    raise _wrong_password(archive_name)


def extract_archive(
    archive: Path,
    archive_name: str,
    destination: Path,
    passwords: Sequence[str],
    *,
    progress: DownloadProgress | None = None,
    cancel: CancelToken | None = None,
) -> list[DownloadedFile]:
    """Unpack ``archive`` next to itself; every member is written to a temporary name, checked
    (CRC, by pyzipper) and renamed. Blocking: run it in a worker thread, which also calls
    ``progress``."""
    into = archive.parent
    try:
        zipped = pyzipper.AESZipFile(archive)
    except (BadZipFile, OSError) as exc:
        raise UserError(f"{archive_name} is not a readable zip archive ({exc}).") from exc
    extracted: list[DownloadedFile] = []
    with zipped:
        members = [(info, _check_member(info, archive_name, into)) for info in zipped.infolist()]
        password = _pick_password(zipped, [info for info, _ in members], passwords, archive_name)
        for info, target in members:
            if target is None:
                continue
            if cancel is not None:
                cancel.raise_if_cancelled()
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_name(f".{target.name}.genoflow-part")
            digest, size = hashlib.sha256(), 0
            try:
                with (
                    zipped.open(info, pwd=password) as source,
                    temporary.open("wb") as sink,
                ):
                    while chunk := source.read(_CHUNK):
                        sink.write(chunk)
                        digest.update(chunk)
                        size += len(chunk)
                        if progress is not None:
                            progress(info.filename, size, info.file_size)
                    sink.flush()
                    os.fsync(sink.fileno())
                os.replace(temporary, target)
            except RuntimeError as exc:  # pyzipper: "Bad password for file ..."
                raise _wrong_password(archive_name) from exc
            except (zlib.error, BadZipFile) as exc:
                # ZipCrypto checks the password with one byte only: a wrong password
                # passes 1 time in 256 and then fails here, as would a damaged archive.
                raise UserError(
                    f"{archive_name} could not be unpacked ({exc}): the password is wrong or "
                    "the archive is damaged.",
                    hint="The archive is kept as downloaded.",
                ) from exc
            finally:
                with contextlib.suppress(OSError):
                    temporary.unlink(missing_ok=True)
            name = target.relative_to(destination).as_posix()
            extracted.append(DownloadedFile(name, target, size, digest.hexdigest(), archive_name))
    return extracted


async def extract_archives(
    downloaded: Sequence[DownloadedFile],
    destination: Path,
    passwords: Sequence[str],
    *,
    progress: DownloadProgress | None = None,
    cancel: CancelToken | None = None,
) -> list[DownloadedFile]:
    """Unpack every result archive among ``downloaded`` (once: the manifest remembers), with
    the first of ``passwords`` that fits."""
    archives = [d for d in downloaded if is_result_archive(d.name)]
    if not archives:
        return []
    if not passwords:
        raise UserError(
            "The job's result password is not known, so its archives cannot be unpacked.",
            hint="The archives are kept. Unzip them with the password the server e-mailed you.",
        )
    manifest = Manifest(destination)
    result: list[DownloadedFile] = []
    for archive in archives:
        recorded = manifest.extracted.get(archive.name)
        if recorded is not None and all(
            (destination / e["name"]).is_file()
            and (destination / e["name"]).stat().st_size == e["size"]
            for e in recorded
        ):
            result.extend(
                DownloadedFile(
                    e["name"], destination / e["name"], e["size"], e["sha256"], archive.name
                )
                for e in recorded
            )
            continue
        files = await asyncio.to_thread(
            extract_archive,
            archive.path,
            archive.name,
            destination,
            passwords,
            progress=progress,
            cancel=cancel,
        )
        manifest.extracted[archive.name] = [
            {"name": f.name, "size": f.size, "sha256": f.sha256} for f in files
        ]
        manifest.save()
        result.extend(files)
    return result
