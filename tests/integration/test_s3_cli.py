"""`genoflow s3 ...`, `genoflow upload` and `genoflow uploads` run as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from genoflow_desktop.core.transfer.planner import MiB
from tests.integration.conftest import ACCESS_KEY_ID, SECRET_KEY, cli_env, make_file, s3_client
from tests.integration.s3_proxy import FaultProxy

pytestmark = pytest.mark.integration


class Cli:
    def __init__(self, tmp_path: Path) -> None:
        self.env = cli_env(tmp_path)
        self.base = str(tmp_path / "base")

    def __call__(
        self, *args: str, stdin: str | None = None, **env: str
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "genoflow_desktop", *args, "--basedir", self.base],
            input=stdin,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path)


def test_profiles_keep_the_secret_in_the_keychain_only(cli: Cli, tmp_path: Path) -> None:
    added = cli(
        "s3",
        "add-profile",
        "lab",
        "--endpoint-url",
        "http://127.0.0.1:9",
        "--bucket",
        "my-bucket",
        "--prefix",
        "/seq/runs/",
        "--region",
        "eu-west-1",
        "--access-key-id",
        ACCESS_KEY_ID,
        GENOFLOW_S3_SECRET_ACCESS_KEY=SECRET_KEY,
    )
    assert added.returncode == 0, added.stderr
    again = cli(
        "s3", "add-profile", "lab", "--bucket", "my-bucket", "--access-key-id", "X", stdin="s\n"
    )
    assert (
        again.returncode == 1
        and "already a profile" in again.stderr
        and "--replace" in again.stderr
    )
    chain = cli(
        "s3",
        "add-profile",
        "aws",
        "--bucket",
        "lab-archive",
        "--credential-chain",
        "--sse",
        "aws:kms",
        "--kms-key-id",
        "alias/genomics",
    )
    assert chain.returncode == 0, chain.stderr

    listed = cli("s3", "profiles", "--json")
    assert listed.returncode == 0, listed.stderr
    profiles = {p["name"]: p for p in json.loads(listed.stdout)}
    assert (
        profiles["lab"]["prefix"] == "seq/runs"
        and profiles["lab"]["access_key_id"] == ACCESS_KEY_ID
    )
    assert profiles["aws"]["use_credential_chain"] and profiles["aws"]["sse"] == "aws:kms"
    database = (tmp_path / "base" / "data" / "genoflow.sqlite3").read_bytes()
    assert SECRET_KEY not in listed.stdout and SECRET_KEY.encode() not in database
    assert SECRET_KEY in (tmp_path / "keychain.json").read_text()

    removed = cli("s3", "remove-profile", "lab")
    assert removed.returncode == 0, removed.stderr
    assert SECRET_KEY not in (tmp_path / "keychain.json").read_text()
    assert [p["name"] for p in json.loads(cli("s3", "profiles", "--json").stdout)] == ["aws"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bucket", "Bad_Bucket", "--access-key-id", "K"], "not a valid bucket name"),
        (
            ["--bucket", "ok-bucket", "--endpoint-url", "minio:9000", "--access-key-id", "K"],
            "not an endpoint URL",
        ),
        (["--bucket", "ok-bucket", "--access-key-id", "K"], "No secret access key"),
        (
            [
                "--bucket",
                "ok-bucket",
                "--access-key-id",
                "K",
                "--sse",
                "AES256",
                "--kms-key-id",
                "k",
            ],
            "needs --sse aws:kms",
        ),
    ],
)
def test_bad_profiles_get_a_plain_message(cli: Cli, args: list[str], message: str) -> None:
    result = cli("s3", "add-profile", "p", *args, stdin="")
    assert result.returncode == 1
    assert (
        message in result.stderr and "hint:" in result.stderr and "Traceback" not in result.stderr
    )


def test_upload_several_files_then_list_them(
    cli: Cli, tmp_path: Path, moto_endpoint: str, bucket: str
) -> None:
    added = cli(
        "s3",
        "add-profile",
        "lab",
        "--endpoint-url",
        moto_endpoint,
        "--bucket",
        bucket,
        "--access-key-id",
        ACCESS_KEY_ID,
        "--check",
        stdin=SECRET_KEY + "\n",
    )
    assert added.returncode == 0, added.stderr
    assert "can be reached" in added.stdout
    first = make_file(tmp_path / "S1_R1.fastq.gz", 7 * MiB, seed=1)
    second = make_file(tmp_path / "S1_R2.fastq.gz", 3 * MiB, seed=2)

    result = cli(
        "upload",
        str(tmp_path / "S1_R1.fastq.gz"),
        str(tmp_path / "S1_R2.fastq.gz"),
        "--profile",
        "lab",
        "--project",
        "P7",
        "--sample",
        "S1",
        "--part-size-mib",
        "5",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    uploads = json.loads(result.stdout)
    assert [u["status"] for u in uploads] == ["completed", "completed"]
    assert [u["parts"] for u in uploads] == [2, 1]
    client = s3_client(moto_endpoint)
    for upload, data in zip(uploads, (first, second), strict=True):
        assert upload["key"].startswith("P7/S1/")
        assert client.get_object(Bucket=bucket, Key=upload["key"])["Body"].read() == data

    listed = cli("uploads", "--json")
    assert [u["upload_id"] for u in json.loads(listed.stdout)] == [u["upload_id"] for u in uploads]
    human = cli("uploads")
    assert (
        human.returncode == 0
        and human.stdout.count("completed") == 2
        and "S1_R2.fastq.gz" in human.stdout
    )


def test_usage_errors_exit_2(cli: Cli, tmp_path: Path) -> None:
    assert cli("upload", str(tmp_path / "missing.bam"), "--profile", "lab").returncode == 2
    no_profile = cli("upload", str(tmp_path))
    assert no_profile.returncode == 2 and "--profile" in no_profile.stderr
    assert cli("upload").returncode == 2
    assert cli("upload", "--concurrency", "0", "--resume-all").returncode == 2
    unknown = cli("upload", "--resume", "abcdef12")
    assert unknown.returncode == 1 and "genoflow uploads" in unknown.stderr


def test_denied_upload_exits_3_then_resume_all_or_cancel(
    cli: Cli, tmp_path: Path, proxy: FaultProxy, moto_endpoint: str, bucket: str
) -> None:
    assert (
        cli(
            "s3",
            "add-profile",
            "lab",
            "--endpoint-url",
            proxy.endpoint,
            "--bucket",
            bucket,
            "--access-key-id",
            ACCESS_KEY_ID,
            stdin=SECRET_KEY,
        ).returncode
        == 0
    )
    data = make_file(tmp_path / "a.bam", 11 * MiB)
    make_file(tmp_path / "b.bam", 6 * MiB)
    proxy.deny_parts = True
    denied = cli(
        "upload",
        str(tmp_path / "a.bam"),
        str(tmp_path / "b.bam"),
        "--profile",
        "lab",
        "--part-size-mib",
        "5",
        "--json",
    )
    assert denied.returncode == 3, denied.stderr
    assert "Access denied" in denied.stderr and "Traceback" not in denied.stderr
    a, b = json.loads(denied.stdout)
    assert a["status"] == b["status"] == "failed"

    cancelled = cli("upload", "--cancel", b["upload_id"])
    assert cancelled.returncode == 0, cancelled.stderr
    client = s3_client(moto_endpoint)
    assert [u["Key"] for u in client.list_multipart_uploads(Bucket=bucket)["Uploads"]] == [a["key"]]

    stale = cli("s3", "cleanup", "--profile", "lab", "--older-than", "0", "--dry-run", "--json")
    assert stale.returncode == 0, stale.stderr
    assert [s["local_id"] for s in json.loads(stale.stdout)] == [a["upload_id"]]

    proxy.deny_parts = False
    resumed = cli("upload", "--resume-all", "--json")
    assert resumed.returncode == 0, resumed.stderr
    [done] = json.loads(resumed.stdout)
    assert done["upload_id"] == a["upload_id"] and done["status"] == "completed"
    assert client.get_object(Bucket=bucket, Key=done["key"])["Body"].read() == data
    statuses = {u["upload_id"]: u["status"] for u in json.loads(cli("uploads", "--json").stdout)}
    assert statuses == {a["upload_id"]: "completed", b["upload_id"]: "canceled"}
