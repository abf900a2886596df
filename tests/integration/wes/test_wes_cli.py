"""`genoflow` against real WES servers: add the server, store a bearer token, submit, follow."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.genoflow_cli import GenoflowCli
from tests.integration.wes.conftest import WORKFLOWS
from tests.peers.wes_peers import WesPeer

pytestmark = pytest.mark.integration

POLL = ("--poll-interval", "0.5")
COUNT_LINES = [
    "--workflow-url",
    "count_lines_wf.cwl",
    "--workflow-type-version",
    "v1.2",
    "--params",
    f"@{WORKFLOWS / 'count_lines_wf.params.json'}",
    *(
        str(WORKFLOWS / name)
        for name in ("count_lines_wf.cwl", "count_lines.cwl", "summarise.cwl", "sample.vcf")
    ),
]


def add(cli: GenoflowCli, peer: WesPeer, name: str) -> None:
    assert cli("services", "add", name, "--type", "wes", "--url", peer.base_url).returncode == 0
    if peer.token:
        stored = cli("credentials", "set", name, "--json", token=peer.token)
        assert stored.returncode == 0, stored.stderr
        assert json.loads(stored.stdout)["valid"] is True


def test_sapporo_run_with_token_downloads_outputs(tmp_path: Path, sapporo: WesPeer) -> None:
    cli = GenoflowCli(tmp_path)
    add(cli, sapporo, "Lab WES")
    result = cli(
        "submit",
        "--service",
        "Lab WES",
        "--name",
        "count lines",
        *COUNT_LINES,
        "--wait",
        "--json",
        *POLL,
    )
    assert result.returncode == 0, result.stderr
    job = json.loads(result.stdout)
    assert job["state"] == "completed"
    assert [e["state"] for e in job["history"]][-2:] == ["downloading", "completed"]
    names = {item["name"] for item in job["results"]}
    assert "run-log.json" in names
    downloaded = [
        Path(item["path"])
        for item in job["results"]
        if item["name"] not in ("run-log.json", "stderr.txt", "stdout.txt")
    ]
    assert downloaded and all(path.is_file() and path.stat().st_size > 0 for path in downloaded)
    assert sapporo.token not in cli.store_text() and sapporo.token not in cli.log_text()
    assert all(sapporo.token not in output for output in cli.outputs)


def test_sapporo_refuses_a_bad_token(tmp_path: Path, sapporo: WesPeer) -> None:
    cli = GenoflowCli(tmp_path)
    assert (
        cli("services", "add", "Lab WES", "--type", "wes", "--url", sapporo.base_url).returncode
        == 0
    )
    refused = cli("credentials", "set", "Lab WES", token="not-a-jwt")
    assert refused.returncode == 3
    assert "does not accept this token" in refused.stderr


def test_failing_workflow_exits_1_with_its_stderr_and_keeps_logs(
    tmp_path: Path, wes_service: WesPeer
) -> None:
    cli = GenoflowCli(tmp_path)
    add(cli, wes_service, "Reference WES")
    result = cli(
        "submit",
        "--service",
        "Reference WES",
        "--name",
        "fails",
        "--workflow-url",
        "fail.cwl",
        "--workflow-type-version",
        "v1.2",
        "--params",
        "{}",
        str(WORKFLOWS / "fail.cwl"),
        "--wait",
        "--json",
        *POLL,
    )
    assert result.returncode == 1, result.stderr
    job = json.loads(result.stdout)
    assert job["state"] == "failed" and job["remote_state"] == "EXECUTOR_ERROR"
    assert "GENOFLOW-TEST-FAILURE" in job["error"]
    stderr_file = Path(job["output_dir"]) / "stderr.txt"
    assert "GENOFLOW-TEST-FAILURE" in stderr_file.read_text()
    logs = cli("logs", job["id"])
    assert logs.returncode == 0 and "GENOFLOW-TEST-FAILURE" in logs.stdout
