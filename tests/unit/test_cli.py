"""The `genoflow` command line, run as a user would run it: in a subprocess."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import genoflow_desktop
from tests.conftest import REPO_ROOT


def genoflow(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "genoflow_desktop", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
        check=False,
    )


def test_version() -> None:
    result = genoflow("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"genoflow {genoflow_desktop.__version__}"


def test_info_json_with_basedir_after_the_command(tmp_path: Path) -> None:
    result = genoflow("info", "--json", "--basedir", str(tmp_path / "base"))
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["folders"]["data"] == str(tmp_path / "base" / "data")
    assert info["database"]["schema"] == info["database"]["latest_schema"]
    assert (tmp_path / "base" / "data" / "genoflow.sqlite3").exists()
    assert info["versions"]["htslib"]


def test_global_option_before_the_command(tmp_path: Path) -> None:
    result = genoflow("--basedir", str(tmp_path / "b"), "info", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["folders"]["logs"] == str(tmp_path / "b" / "logs")


def test_temp_basedir_is_removed_afterwards() -> None:
    result = genoflow("--temp-basedir", "info", "--json")
    assert result.returncode == 0, result.stderr
    data_dir = Path(json.loads(result.stdout)["folders"]["data"])
    assert not data_dir.parent.exists()


def test_usage_error_exits_2() -> None:
    result = genoflow("info", "--no-such-option")
    assert result.returncode == 2
    assert "unrecognized arguments" in result.stderr


def test_incompatible_database_is_a_plain_error_not_a_traceback(tmp_path: Path) -> None:
    assert genoflow("--basedir", str(tmp_path), "info").returncode == 0
    import sqlite3

    with sqlite3.connect(tmp_path / "data" / "genoflow.sqlite3") as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'zzzz'")
    connection.close()
    result = genoflow("--basedir", str(tmp_path), "info")
    assert result.returncode == 1
    assert result.stderr.startswith("error: The local database")
    assert "hint:" in result.stderr
    assert "Traceback" not in result.stderr


def test_app_without_display_says_so(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    env["PYTHONPATH"] = str(REPO_ROOT)
    result = subprocess.run(
        [sys.executable, "-m", "genoflow_desktop", "--basedir", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    if sys.platform.startswith("linux"):
        assert result.returncode == 1
        assert "No display was found" in result.stderr


@pytest.mark.parametrize("runs", [1])
def test_smoke_runs_headless_and_exits_0(runs: int) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    env["PYTHONPATH"] = str(REPO_ROOT)
    result = subprocess.run(
        [sys.executable, "-m", "genoflow_desktop", "--smoke", "--temp-basedir"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("smoke ok: first paint after")
    assert result.stderr == ""
