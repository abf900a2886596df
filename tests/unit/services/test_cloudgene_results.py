"""Result downloads (one GET each, no error pages saved, no path escapes) and archive unpacking."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest

from genoflow_desktop.core.errors import UserError
from genoflow_desktop.core.jobs.backend import RemoteOutput
from genoflow_desktop.core.services.cloudgene.results import (
    MANIFEST_NAME,
    download_outputs,
    extract_archive,
    safe_target,
)
from tests.fakes.zipcrypto import Member, write_aes, write_zipcrypto

PASSWORD = "Ab3<x>!kQ"
BASE = "https://cg.example.org"


@pytest.mark.parametrize(
    "name", ["../x", "a/../../x", "/etc/passwd", "\\\\server\\x", "C:/x", "c:x", "..\\x", ""]
)
def test_safe_target_refuses_escapes(tmp_path: Path, name: str) -> None:
    with pytest.raises(UserError, match="Refused to write"):
        safe_target(tmp_path, name)


def test_safe_target_allows_subfolders(tmp_path: Path) -> None:
    assert (
        safe_target(tmp_path, "statistics/snps-excluded.txt")
        == tmp_path / "statistics" / "snps-excluded.txt"
    )


# --- archives ---------------------------------------------------------------------------------


MEMBERS = [Member("chr20.dose.vcf.gz", b"dose" * 1000), Member("chr20.info.gz", b"info")]


@pytest.mark.parametrize("writer", [write_zipcrypto, write_aes], ids=["zipcrypto", "aes"])
def test_extracts_both_encryptions(tmp_path: Path, writer: object) -> None:
    archive = tmp_path / "chr_20.zip"
    writer(archive, MEMBERS, PASSWORD)  # type: ignore[operator]
    files = extract_archive(archive, "chr_20.zip", tmp_path, ["other", PASSWORD])
    assert [(f.name, f.size, f.extracted_from) for f in files] == [
        ("chr20.dose.vcf.gz", 4000, "chr_20.zip"),
        ("chr20.info.gz", 4, "chr_20.zip"),
    ]
    assert (tmp_path / "chr20.dose.vcf.gz").read_bytes() == b"dose" * 1000
    assert not list(tmp_path.glob(".*genoflow-part"))


@pytest.mark.parametrize("writer", [write_zipcrypto, write_aes], ids=["zipcrypto", "aes"])
def test_wrong_password_keeps_the_archive_and_writes_nothing(
    tmp_path: Path, writer: object
) -> None:
    into = tmp_path / "job"
    into.mkdir()
    archive = into / "chr_20.zip"
    writer(archive, MEMBERS, PASSWORD)  # type: ignore[operator]
    # ZipCrypto's one-byte check lets 1 wrong password in 256 through to a CRC or inflate
    # error; both ways end in a UserError naming the archive.
    with pytest.raises(UserError, match=r"chr_20\.zip could not be"):
        extract_archive(archive, "chr_20.zip", into, ["wrong"])
    assert sorted(p.name for p in into.iterdir()) == ["chr_20.zip"]


@pytest.mark.parametrize(
    ("member", "reason"),
    [
        (Member("../x", b"evil"), "outside the folder"),
        (Member("sub/../../x", b"evil"), "outside the folder"),
        (Member("/tmp/genoflow-abs-x", b"evil"), "absolute path"),
        (Member("C:/x", b"evil"), "absolute path"),
        (Member("link", b"/etc/passwd", symlink=True), "symbolic link"),
    ],
)
@pytest.mark.parametrize("writer", [write_zipcrypto, write_aes], ids=["zipcrypto", "aes"])
def test_unsafe_members_refuse_the_whole_archive(
    tmp_path: Path, member: Member, reason: str, writer: object
) -> None:
    into = tmp_path / "job"
    into.mkdir()
    archive = into / "chr_20.zip"
    writer(archive, [*MEMBERS, member], PASSWORD)  # type: ignore[operator]
    with pytest.raises(UserError, match=reason):
        extract_archive(archive, "chr_20.zip", into, [PASSWORD])
    # Checked before anything is written: not even the good members are there.
    assert sorted(p.name for p in into.iterdir()) == ["chr_20.zip"]
    assert not (tmp_path / "x").exists()
    assert not Path("/tmp/genoflow-abs-x").exists()


# --- downloads --------------------------------------------------------------------------------


class Server:
    """A MockTransport answering share links from a table, counting requests per path."""

    def __init__(self, routes: dict[str, httpx.Response]) -> None:
        self.routes = routes
        self.seen: list[str] = []
        self.headers: list[httpx.Headers] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request.url.path)
        self.headers.append(request.headers)
        return self.routes[request.url.path]


def fetch(server: Server, outputs: list[RemoteOutput], destination: Path) -> list[str]:
    async def scenario() -> list[str]:
        async with httpx.AsyncClient(
            transport=httpx.MockTransport(server), headers={"X-Auth-Token": "secret"}
        ) as http:
            files = await download_outputs(http, outputs, destination, service="MIS")
        return [f.name for f in files]

    return asyncio.run(scenario())


def output(name: str) -> RemoteOutput:
    return RemoteOutput(name=name, url=f"{BASE}/share/results/h/{name}")


def test_each_file_is_fetched_once_and_skipped_when_complete(tmp_path: Path) -> None:
    server = Server(
        {
            "/share/results/h/qc_report.txt": httpx.Response(200, content=b"qc"),
            "/share/results/h/statistics/snps-excluded.txt": httpx.Response(200, content=b"snps"),
            # Micronaut may label a result application/json: the body decides, not the label.
            "/share/results/h/chr_20.zip": httpx.Response(
                200, content=b"PK\x03\x04zip", headers={"Content-Type": "application/json"}
            ),
        }
    )
    outputs = [
        output("qc_report.txt"),
        output("statistics/snps-excluded.txt"),
        output("chr_20.zip"),
    ]
    names = fetch(server, outputs, tmp_path)
    assert names == ["qc_report.txt", "statistics/snps-excluded.txt", "chr_20.zip"]
    assert (tmp_path / "statistics" / "snps-excluded.txt").read_bytes() == b"snps"
    assert len(server.seen) == 3
    # Downloads are anonymous: the token is not sent along.
    assert all("X-Auth-Token" not in h for h in server.headers)
    manifest = json.loads((tmp_path / MANIFEST_NAME).read_text())
    assert manifest["files"]["qc_report.txt"]["size"] == 2
    assert fetch(server, outputs, tmp_path) == names
    assert len(server.seen) == 3  # nothing fetched again
    # A file deleted by the user is fetched again; the others are not.
    (tmp_path / "qc_report.txt").unlink()
    fetch(server, outputs, tmp_path)
    assert server.seen[3:] == ["/share/results/h/qc_report.txt"]


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(
            200, content=b"<html><title>502</title></html>", headers={"Content-Type": "text/html"}
        ),
        httpx.Response(200, content=b"  <!DOCTYPE html><html>oops</html>"),
        httpx.Response(200, json={"message": "File not found in workspace.", "success": False}),
    ],
    ids=["html-content-type", "html-body", "json-error"],
)
def test_error_bodies_are_not_saved_as_results(tmp_path: Path, response: httpx.Response) -> None:
    server = Server(
        {
            "/share/results/h/qc_report.txt": response,
            "/share/results/h/b.txt": httpx.Response(200, content=b"b"),
        }
    )
    with pytest.raises(
        UserError, match=r"1 of 2 result files could not be downloaded: qc_report\.txt"
    ) as caught:
        fetch(server, [output("qc_report.txt"), output("b.txt")], tmp_path)
    assert "instead of the file" in caught.value.message
    assert not (tmp_path / "qc_report.txt").exists()
    assert not (tmp_path / "qc_report.txt.part").exists()
    assert (tmp_path / "b.txt").read_bytes() == b"b"  # the other file is kept
    assert len(server.seen) == 2  # and nothing was retried


def test_html_results_named_html_are_kept(tmp_path: Path) -> None:
    page = b"<!DOCTYPE html><html>QC</html>"
    server = Server(
        {
            "/share/results/h/quality-control.html": httpx.Response(
                200, content=page, headers={"Content-Type": "text/html"}
            )
        }
    )
    fetch(server, [output("quality-control.html")], tmp_path)
    assert (tmp_path / "quality-control.html").read_bytes() == page


def test_exhausted_download_counter_is_explained(tmp_path: Path) -> None:
    server = Server(
        {
            "/share/results/h/chr_1.zip": httpx.Response(
                400, json={"message": "number of max downloads exceeded.", "success": False}
            )
        }
    )
    with pytest.raises(UserError, match="limited number of times") as caught:
        fetch(server, [output("chr_1.zip")], tmp_path)
    assert not caught.value.retryable
    assert server.seen == ["/share/results/h/chr_1.zip"]


def test_names_escaping_the_destination_are_never_requested(tmp_path: Path) -> None:
    destination = tmp_path / "job"
    server = Server({})
    evil = RemoteOutput(name="../evil.txt", url=f"{BASE}/share/results/h/evil.txt")
    with pytest.raises(UserError, match=r"Refused to write '\.\./evil\.txt'"):
        fetch(server, [evil], destination)
    assert server.seen == []
    assert not (tmp_path / "evil.txt").exists()
