"""The real lab sync server (`genoflow server`) on 127.0.0.1, and desktop installations using it.

The server runs as a subprocess on a free port with its SQLite database under tmp_path; a test
can stop it (the desktops go offline) and start it again on the same port and database.
Desktops are `genoflow --basedir DIR ...` processes sharing one test keychain file.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from genoflow_desktop.core.store import Store, open_store
from genoflow_desktop.core.store.models import Job, Upload
from genoflow_desktop.core.sync.records import record_of
from tests.integration.conftest import _free_port, cli_env
from tests.integration.genoflow_cli import GenoflowCli

ADMIN_EMAIL = "admin@lab.example"
ADMIN_PASSWORD = "admin-password-0123"
PASSWORD = "member-password-0123"


def _no_proxy_env(env: dict[str, str]) -> dict[str, str]:
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "http_proxy",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ):
        env.pop(name, None)
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    return env


class LabServer:
    """`genoflow server` as a subprocess; stopped by its pid."""

    def __init__(self, tmp_path: Path) -> None:
        self.db_url = f"sqlite:///{tmp_path / 'sync-server.sqlite3'}"
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp_path / "sync-server.log"
        self.env = _no_proxy_env(cli_env(tmp_path))
        self.process: subprocess.Popen[bytes] | None = None

    def _genoflow(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "genoflow_desktop", *args]

    def create_admin(self) -> None:
        env = {**self.env, "GENOFLOW_ADMIN_PASSWORD": ADMIN_PASSWORD}
        result = subprocess.run(
            self._genoflow("server", "create-admin", "--db", self.db_url, "--email", ADMIN_EMAIL),
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        assert result.returncode == 0, result.stderr

    def start(self) -> LabServer:
        with open(self.log, "ab") as output:
            self.process = subprocess.Popen(
                self._genoflow(
                    "server", "--db", self.db_url, "--host", "127.0.0.1", "--port", str(self.port)
                ),
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.url}/health", timeout=2, trust_env=False).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError(f"sync server exited: {self.log.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError("sync server did not answer within 60 s")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


class Admin:
    """The server admin, setting up accounts and labs through the API."""

    def __init__(self, server: LabServer) -> None:
        self.http = httpx.Client(base_url=server.url, timeout=30, trust_env=False)
        self.token = self.login(ADMIN_EMAIL, ADMIN_PASSWORD)["access_token"]

    def login(self, email: str, password: str, **extra: str) -> dict[str, Any]:
        response = self.http.post(
            "/api/v1/auth/login", json={"email": email, "password": password, **extra}
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    def call(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {token or self.token}"}
        response = self.http.request(method, path, headers=headers, **kwargs)
        assert response.status_code < 300, f"{method} {path}: {response.text}"
        return response.json() if response.content else None

    def user(self, email: str, name: str) -> dict[str, Any]:
        body = {"email": email, "display_name": name, "password": PASSWORD}
        return dict(self.call("POST", "/api/v1/users", json=body))

    def lab(self, name: str, members: dict[str, str]) -> dict[str, Any]:
        lab = dict(self.call("POST", "/api/v1/labs", json={"name": name}))
        for email, role in members.items():
            self.call(
                "PUT", f"/api/v1/labs/{lab['id']}/members", json={"email": email, "role": role}
            )
        return lab

    def pull_all(self, lab_id: str) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        since = 0
        while True:
            page = self.call(
                "GET", f"/api/v1/labs/{lab_id}/sync/pull", params={"since": since, "limit": 500}
            )
            records += page["records"]
            since = page["cursor"]
            if not page["more"]:
                return records

    def close(self) -> None:
        self.http.close()


class Desktop(GenoflowCli):
    """One GenoFlow installation: `genoflow --basedir DIR` processes, and its store."""

    def __init__(self, tmp_path: Path, name: str) -> None:
        super().__init__(tmp_path, name, verbose=False)
        self.env = _no_proxy_env(self.env)

    def login(
        self,
        server: LabServer,
        email: str,
        *extra: str,
        password: str = PASSWORD,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        return self(
            "sync",
            "login",
            "--server",
            server.url,
            "--email",
            email,
            *extra,
            env={"GENOFLOW_SYNC_PASSWORD": password, **(env or {})},
        )

    def store(self) -> Store:
        return open_store(self.base / "data" / "genoflow.sqlite3")

    def records(self) -> dict[str, dict[str, Any]]:
        """The shared record of every job and upload row, by id."""
        store = self.store()
        try:
            with store.session() as session:
                out: dict[str, dict[str, Any]] = {}
                for model in (Job, Upload):
                    for row in session.query(model):
                        out[row.id] = record_of(session, row)
                return out
        finally:
            store.close()


@pytest.fixture
def lab_server(tmp_path: Path) -> Iterator[LabServer]:
    server = LabServer(tmp_path)
    server.create_admin()
    server.start()
    try:
        yield server
    finally:
        server.stop()
        if os.environ.get("GENOFLOW_TEST_SHOW_SERVER_LOG"):
            print(server.log.read_text())


@pytest.fixture
def admin(lab_server: LabServer) -> Iterator[Admin]:
    admin = Admin(lab_server)
    yield admin
    admin.close()
