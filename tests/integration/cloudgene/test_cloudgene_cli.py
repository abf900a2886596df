"""The `genoflow` command line against the Cloudgene server, as a user runs it: separate processes
sharing one data folder and one keychain, exit codes, --json, restarts, and no secret anywhere."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

import pysam
import pytest

from tests.fakes.vcf import write_input_vcf
from tests.integration.cloudgene.conftest import FakeCloudgene
from tests.integration.genoflow_cli import GenoflowCli

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX"),
]

SERVICE = "Test MIS"
POLL = ("--poll-interval", "0.2")


class Cli(GenoflowCli):
    def __init__(self, tmp_path: Path, cloudgene: FakeCloudgene) -> None:
        super().__init__(tmp_path)
        self.cloudgene = cloudgene

    def setup(self) -> None:
        added = self("services", "add", SERVICE, "--type", "cloudgene", "--url", self.cloudgene.url)
        assert added.returncode == 0, added.stderr
        stored = self(
            "credentials", "set", SERVICE, "--label", "laptop", token=self.cloudgene.token
        )
        assert stored.returncode == 0, stored.stderr


@pytest.fixture
def cli(tmp_path: Path, cloudgene: FakeCloudgene) -> Cli:
    return Cli(tmp_path, cloudgene)


@pytest.fixture
def vcf(tmp_path: Path) -> Path:
    return write_input_vcf(tmp_path / "chr20.vcf.gz")


def submit_args(vcf: Path, *extra: str) -> list[str]:
    return [
        "submit",
        "--service",
        SERVICE,
        "--name",
        "cohort A",
        "--refpanel",
        "hapmap-2",
        "--build",
        "hg19",
        "--population",
        "eur",
        str(vcf),
        *extra,
    ]


def test_credentials_are_checked_with_the_server(cli: Cli) -> None:
    assert (
        cli(
            "services", "add", SERVICE, "--type", "cloudgene", "--url", cli.cloudgene.url
        ).returncode
        == 0
    )

    refused = cli("credentials", "set", SERVICE, token="not-a-token")
    assert refused.returncode == 3
    assert "does not accept this token" in refused.stderr
    listed = json.loads(cli("services", "--json").stdout)
    assert next(s for s in listed if s["name"] == SERVICE)["credential"] is None

    stored = cli("credentials", "set", SERVICE, "--json", token=cli.cloudgene.token)
    assert stored.returncode == 0, stored.stderr
    check = json.loads(stored.stdout)
    assert check["valid"] is True and 25 <= check["days_left"] <= 30

    tested = cli("credentials", "test", SERVICE)
    assert tested.returncode == 0 and "token valid" in tested.stdout
    service = next(s for s in json.loads(cli("services", "--json").stdout) if s["name"] == SERVICE)
    assert service["credential"]["label"] == "" or service["credential"]["verified_at"]

    health = json.loads(cli("services", "check", SERVICE, "--json").stdout)
    assert health[0]["api_ok"] is True and health[0]["latency_ms"] > 0


def test_refpanels_come_from_the_server(cli: Cli) -> None:
    cli.setup()
    result = cli("refpanels", SERVICE, "--json")
    assert result.returncode == 0, result.stderr
    app = json.loads(result.stdout)
    panels = {panel["id"]: panel for panel in app["panels"]}
    assert "hapmap-2" in panels
    text = cli("refpanels", SERVICE)
    assert "hapmap-2" in text.stdout and "eagle" in text.stdout


def test_submit_without_a_token_sends_nothing(cli: Cli, vcf: Path) -> None:
    assert (
        cli(
            "services", "add", SERVICE, "--type", "cloudgene", "--url", cli.cloudgene.url
        ).returncode
        == 0
    )
    result = cli(*submit_args(vcf))
    assert result.returncode == 3
    assert "No token is stored" in result.stderr and "credentials set" in result.stderr
    assert cli.cloudgene.control("submissions") == []
    assert json.loads(cli("jobs", "--json").stdout) == []


def test_bad_choices_are_refused_before_any_upload(cli: Cli, vcf: Path) -> None:
    cli.setup()
    result = cli(*submit_args(vcf), "--phasing", "shapeit")
    assert result.returncode == 1
    assert "shapeit" in result.stderr and "eagle" in result.stderr
    assert cli.cloudgene.control("submissions") == []


def test_submit_wait_runs_to_the_end_and_decrypts(cli: Cli, vcf: Path) -> None:
    cli.setup()
    cli.cloudgene.control("config", {"auto_advance_s": 0.3})
    result = cli(*submit_args(vcf, "--wait", "--json", *POLL))
    assert result.returncode == 0, result.stderr
    job = json.loads(result.stdout)
    assert job["state"] == "completed"
    states = [event["state"] for event in job["history"]]
    assert states == ["draft", "submitting", "queued", "running", "downloading", "completed"]
    names = {item["name"] for item in job["results"]}
    assert {"chr_20.zip", "chr20.dose.vcf.gz", "chr20.info.gz", "qc_report.txt"} <= names
    dose = Path(job["output_dir"]) / "chr20.dose.vcf.gz"
    with pysam.VariantFile(str(dose)) as variants:
        assert sum(1 for _ in variants) > 0

    # Listing and showing read the local store; the download command fetches nothing again.
    listed = json.loads(cli("jobs", "--json").stdout)
    assert [row["id"] for row in listed] == [job["id"]]
    shown = cli("job", job["id"][:8])
    assert "completed" in shown.stdout and "chr20.dose.vcf.gz" in shown.stdout
    before = sum(1 for d in cli.cloudgene.control("downloads"))
    again = cli("download", job["id"], "--json")
    assert again.returncode == 0, again.stderr
    assert sum(1 for d in cli.cloudgene.control("downloads")) == before


def test_failed_job_exits_1_with_the_servers_messages(cli: Cli, vcf: Path) -> None:
    cli.setup()
    process = cli.popen(*submit_args(vcf, "--wait", *POLL))
    job_id = _wait_for_remote_job(cli)
    cli.cloudgene.set_state(job_id, 2)
    cli.cloudgene.set_state(job_id, 5, failure="qc")
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1, err
    assert "failed" in out
    assert "Imputation cannot be started" in out or "strand" in out.lower()
    local = json.loads(cli("jobs", "--json").stdout)[0]
    shown = json.loads(cli("job", local["id"], "--json").stdout)
    assert shown["error"]
    assert any(item["name"] == "qc_report.txt" for item in shown["results"])


def test_cancel(cli: Cli, vcf: Path) -> None:
    cli.setup()
    submitted = cli(*submit_args(vcf))
    assert submitted.returncode == 0, submitted.stderr
    job_id = submitted.stdout.strip()
    canceled = cli("cancel", job_id, "--wait", *POLL)
    assert canceled.returncode == 0, canceled.stderr
    assert json.loads(cli("job", job_id, "--json").stdout)["state"] == "canceled"
    remote = cli.cloudgene.job(json.loads(cli("job", job_id, "--json").stdout)["remote_id"])
    assert remote["state"] == 6


def test_a_new_process_finishes_following_a_killed_ones_job(cli: Cli, vcf: Path) -> None:
    cli.setup()
    process = cli.popen(*submit_args(vcf, "--wait", *POLL))
    remote_id = _wait_for_remote_job(cli)
    cli.cloudgene.set_state(remote_id, 2)
    _wait_for_local_state(cli, "running")
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)

    cli.cloudgene.set_state(remote_id, 4)
    local_id = json.loads(cli("jobs", "--json").stdout)[0]["id"]
    resumed = cli("job", local_id, "--wait", "--json", *POLL)
    assert resumed.returncode == 0, resumed.stderr
    job = json.loads(resumed.stdout)
    assert job["state"] == "completed"
    assert [e["state"] for e in job["history"]].count("queued") == 1
    assert len(cli.cloudgene.control("submissions")) == 1  # never submitted twice
    assert (Path(job["output_dir"]) / "chr20.dose.vcf.gz").is_file()


def test_no_token_or_password_in_store_logs_or_json(cli: Cli, vcf: Path) -> None:
    cli.setup()
    cli.cloudgene.control("config", {"auto_advance_s": 0.3})
    result = cli(*submit_args(vcf, "--wait", "--json", *POLL))
    assert result.returncode == 0, result.stderr
    job = json.loads(result.stdout)
    password = cli.cloudgene.job(job["remote_id"])["password"]
    assert len(password) >= 20
    for args in (
        ("jobs", "--json"),
        ("job", job["id"], "--json"),
        ("services", "--json"),
        ("credentials", "test", SERVICE, "--json"),
    ):
        assert cli(*args).returncode == 0
    logs = "".join(p.read_text() for p in (cli.base / "logs").glob("*.log*"))
    assert "GET" in logs or "job" in logs  # -v wrote a real log
    settings = "".join(p.read_text() for p in (cli.base / "config").glob("*"))
    for secret in (cli.cloudgene.token, password):
        assert secret not in cli.store_text()
        assert secret not in logs
        assert secret not in settings
        for output in cli.outputs:
            assert secret not in output


def _wait_for_remote_job(cli: Cli, timeout: float = 30) -> str:
    """The server's id of the job the CLI submitted, once it has arrived."""
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(
        f"{cli.cloudgene.url}/api/v2/jobs", headers={"X-Auth-Token": cli.cloudgene.token}
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with opener.open(request, timeout=10) as response:
            jobs = json.loads(response.read())["data"]
        if jobs:
            return str(jobs[0]["id"])
        time.sleep(0.1)
    raise AssertionError("no job reached the server")


def _wait_for_local_state(cli: Cli, state: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = json.loads(cli("jobs", "--json").stdout or "[]")
        if rows and rows[0]["state"] == state:
            return
        time.sleep(0.2)
    raise AssertionError(f"the job never became {state}")
