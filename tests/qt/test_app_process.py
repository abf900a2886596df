"""The app as a process: a second launch on the same data folder hands over and exits."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import CORPUS, REPO_ROOT


def _wait_for(predicate, timeout: float = 60.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)  # polling another process's log file: no Qt event loop to wait on here
    return False


def test_second_launch_brings_the_first_forward(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO_ROOT)}
    log_file = tmp_path / "logs" / "genoflow.log"
    first = subprocess.Popen(
        [sys.executable, "-m", "genoflow_desktop", "--basedir", str(tmp_path)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert _wait_for(lambda: log_file.exists() and "main window shown" in log_file.read_text())
        reads = CORPUS / "fastq" / "biopython__example.fastq"
        second = subprocess.run(
            [sys.executable, "-m", "genoflow_desktop", "--basedir", str(tmp_path), str(reads)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert second.returncode == 0, second.stderr
        assert _wait_for(
            lambda: "another launch asked for the window, with 1 file(s)" in log_file.read_text()
        )
        assert first.poll() is None  # the first instance is still running
        assert log_file.read_text().count("main window shown") == 1  # no second window
    finally:
        first.terminate()
        first.wait(timeout=30)
