"""``genoflow server`` as users run it: separate processes, a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO_ROOT
from tests.peers.postgres import free_port

ADMIN_PASSWORD = "the admin's long password"
READY_TIMEOUT_S = 60

BLOCK_FASTAPI = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] == 'fastapi':
            raise ImportError(f'No module named {name!r}', name=name)
sys.meta_path.insert(0, Block())
from genoflow_desktop.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["NO_PROXY"] = "127.0.0.1"
    return {**env, **extra}


def genoflow(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "genoflow_desktop", *args],
        cwd=REPO_ROOT,
        env=env or _env(),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_create_admin_reads_the_password_from_the_environment(sqlite_url: str) -> None:
    result = genoflow(
        "server",
        "create-admin",
        "--db",
        sqlite_url,
        "--email",
        "Root@Lab.example",
        "--json",
        env=_env(GENOFLOW_ADMIN_PASSWORD=ADMIN_PASSWORD),
    )
    assert result.returncode == 0, result.stderr
    assert '"email": "root@lab.example"' in result.stdout
    again = genoflow(
        "server",
        "create-admin",
        "--db",
        sqlite_url,
        "--email",
        "root@lab.example",
        env=_env(GENOFLOW_ADMIN_PASSWORD=ADMIN_PASSWORD),
    )
    assert again.returncode == 1 and "already exists" in again.stderr
    assert ADMIN_PASSWORD not in result.stdout + result.stderr + again.stdout + again.stderr


def test_create_admin_reads_the_password_from_stdin_never_argv(sqlite_url: str) -> None:
    piped = genoflow(
        "server",
        "create-admin",
        "--db",
        sqlite_url,
        "--email",
        "a@lab.example",
        stdin=ADMIN_PASSWORD + "\n",
    )
    assert piped.returncode == 0, piped.stderr
    short = genoflow(
        "server", "create-admin", "--db", sqlite_url, "--email", "b@lab.example", stdin="short\n"
    )
    assert short.returncode == 1 and "at least 8" in short.stderr
    argv = genoflow(
        "server",
        "create-admin",
        "--db",
        sqlite_url,
        "--email",
        "c@lab.example",
        "--password",
        ADMIN_PASSWORD,
    )
    assert argv.returncode == 2  # no such option


def test_migrate_defaults_to_a_file_in_the_data_folder(app_dirs) -> None:  # type: ignore[no-untyped-def]
    result = genoflow("server", "migrate")
    assert result.returncode == 0, result.stderr
    assert (app_dirs.data / "sync-server.sqlite3").stat().st_size > 0


def test_without_the_server_extra_the_error_names_the_install_command(sqlite_url: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", BLOCK_FASTAPI, "server", "migrate", "--db", sqlite_url],
        cwd=REPO_ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert "pip install 'genoflow-desktop[server]'" in result.stderr


@pytest.fixture
def served_postgres(pg_url: str, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``genoflow server`` with two workers on the test's PostgreSQL database."""
    created = genoflow(
        "server",
        "create-admin",
        "--db",
        pg_url,
        "--email",
        "root@lab.example",
        env=_env(GENOFLOW_ADMIN_PASSWORD=ADMIN_PASSWORD),
    )
    assert created.returncode == 0, created.stderr
    port = free_port()
    log = tmp_path / "server.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "genoflow_desktop",
                "server",
                "--db",
                pg_url,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "2",
            ],
            cwd=REPO_ROOT,
            env=_env(),
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            assert process.poll() is None, log.read_text()
            try:
                if httpx.get(f"{base}/health", trust_env=False, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)  # polling for readiness; nothing else signals it
        yield base, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_server_process_on_postgresql_with_two_workers(served_postgres: tuple[str, Path]) -> None:
    base, log = served_postgres
    with httpx.Client(base_url=base, trust_env=False, timeout=10) as client:
        login = client.post(
            "/api/v1/auth/login", json={"email": "root@lab.example", "password": ADMIN_PASSWORD}
        )
        assert login.status_code == 200, login.text
        tokens = login.json()
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        # Through a trusted proxy (127.0.0.1 is the default): the audit names the real client.
        lab = client.post(
            "/api/v1/labs",
            json={"name": "Served"},
            headers={**headers, "X-Forwarded-For": "203.0.113.9"},
        ).json()
        audit = client.get(f"/api/v1/labs/{lab['id']}/audit", headers=headers).json()
        assert audit[0]["action"] == "lab.created"
        assert audit[0]["client_address"] == "203.0.113.9"
        record = {"id": "b" * 32, "state": "queued", "updated_at": "2026-03-01T10:00:00+00:00"}
        pushed = client.post(
            f"/api/v1/labs/{lab['id']}/sync/push",
            json={"records": [{"kind": "job", "record": record}]},
            headers=headers,
        )
        assert pushed.json()["results"][0]["status"] == "created"
        # New connections spread over both workers: every one accepts the token (the signing
        # key is in the database) and sees the same data.
        for _ in range(12):
            with httpx.Client(base_url=base, trust_env=False, timeout=10) as fresh:
                pulled = fresh.get(f"/api/v1/labs/{lab['id']}/sync/pull", headers=headers)
                assert pulled.status_code == 200
                assert [r["record"]["id"] for r in pulled.json()["records"]] == [record["id"]]
        assert client.get("/metrics", headers=headers).status_code == 200
        assert client.get("/api/v1/me").status_code == 401
    output = log.read_text()
    assert "Uvicorn running on http://127.0.0.1" in output
    for secret in (ADMIN_PASSWORD, tokens["access_token"], tokens["refresh_token"]):
        assert secret not in output


def test_an_unusable_database_url_is_a_user_error() -> None:
    result = genoflow("server", "migrate", "--db", "not a url")
    assert result.returncode == 1
    assert "Cannot migrate the sync database" in result.stderr and "Traceback" not in result.stderr
