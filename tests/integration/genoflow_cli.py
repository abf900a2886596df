"""Running `genoflow` as a user does: separate processes sharing one data folder and keychain."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.integration.conftest import cli_env


class GenoflowCli:
    """Runs `genoflow` subprocesses on one base folder; remembers every output for leak checks."""

    def __init__(self, tmp_path: Path, name: str = "base", *, verbose: bool = True) -> None:
        self.base = tmp_path / name
        self.env = cli_env(tmp_path)
        self.outputs: list[str] = []
        self._verbosity = ["-v"] if verbose else []

    def __call__(
        self,
        *args: str,
        token: str | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 180,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``genoflow ARGS``; ``token`` goes in GENOFLOW_TOKEN, ``env`` adds variables."""
        env = {**self.env, **(env or {})}
        if token is not None:
            env["GENOFLOW_TOKEN"] = token
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "genoflow_desktop",
                *args,
                "--basedir",
                str(self.base),
                *self._verbosity,
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        self.outputs += [result.stdout, result.stderr]
        return result

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "genoflow_desktop", *args, "--basedir", str(self.base)],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

    def store_text(self) -> str:
        """Every value of every table of the local store, as text."""
        connection = sqlite3.connect(self.base / "data" / "genoflow.sqlite3")
        try:
            tables = [
                r[0]
                for r in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
            ]
            return "\n".join(
                str(value)
                for table in tables
                for row in connection.execute(f'SELECT * FROM "{table}"')
                for value in row
            )
        finally:
            connection.close()

    def log_text(self) -> str:
        return "".join(p.read_text() for p in (self.base / "logs").glob("*.log*"))
