"""Sync server fixtures: an app on SQLite or on a throwaway PostgreSQL, and a lab to work in.

Tests that take ``database_url`` (directly or through ``api``) run on both backends. PostgreSQL
runs once per session; every test gets its own database, copied from a migrated template.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from genoflow_desktop.server import accounts
from genoflow_desktop.server.app import create_app
from genoflow_desktop.server.config import Settings
from tests.peers.postgres import PostgresCluster, postgres_cluster

BACKENDS = ["sqlite", "postgresql"]
PASSWORD = "correct horse battery staple"
#: Cheap argon2 parameters: hashing is not what these tests are about.
FAST_HASHING = {"argon2_time_cost": 1, "argon2_memory_cost": 1024, "argon2_parallelism": 1}


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    with postgres_cluster() as cluster:
        yield cluster


@pytest.fixture(scope="session")
def pg_template(pg_cluster: PostgresCluster) -> str:
    """A database migrated once; each test's database is a copy (CREATE DATABASE ... TEMPLATE)."""
    name = "genoflow_template"
    url = pg_cluster.create_database(name)
    create_app(url).state.server.engine.dispose()
    return name


@pytest.fixture
def pg_url(pg_cluster: PostgresCluster, pg_template: str) -> str:
    import psycopg

    name = f"test_{uuid.uuid4().hex[:12]}"
    dsn = f"host=127.0.0.1 port={pg_cluster.port} user=postgres dbname=postgres"
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    return pg_cluster.url(name)


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgresql":
        return str(request.getfixturevalue("pg_url"))
    return f"sqlite:///{tmp_path / 'sync.sqlite3'}"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'sync.sqlite3'}"


def make_settings(database_url: str, **overrides: Any) -> Settings:
    return Settings(database_url=database_url, **{**FAST_HASHING, **overrides})


@dataclass
class Login:
    """One login: its tokens and the headers that present the access token."""

    access_token: str
    refresh_token: str
    user_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


class Api:
    """A TestClient on one app, with the few calls most tests need spelled out once."""

    def __init__(self, app: FastAPI, client: TestClient) -> None:
        self.app = app
        self.client = client
        self.state = app.state.server

    def add_user(self, email: str, *, admin: bool = False, name: str | None = None) -> str:
        """An account made directly in the database (as ``genoflow server create-admin`` does)."""
        with self.state.sessions() as session:
            user = accounts.create_user(
                session,
                self.state,
                email=email,
                display_name=name or email.split("@")[0],
                password=PASSWORD,
                is_admin=admin,
            )
            session.commit()
            return user.id

    def login(self, email: str, password: str = PASSWORD, **extra: Any) -> Login:
        response = self.client.post(
            "/api/v1/auth/login", json={"email": email, "password": password, **extra}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        return Login(body["access_token"], body["refresh_token"], body["user"]["id"])

    def post(self, path: str, who: Login | None, **kwargs: Any) -> httpx.Response:
        return self.client.post(path, headers=who.headers if who else {}, **kwargs)

    def get(self, path: str, who: Login | None, **kwargs: Any) -> httpx.Response:
        return self.client.get(path, headers=who.headers if who else {}, **kwargs)

    def put(self, path: str, who: Login | None, **kwargs: Any) -> httpx.Response:
        return self.client.put(path, headers=who.headers if who else {}, **kwargs)

    def delete(self, path: str, who: Login | None, **kwargs: Any) -> httpx.Response:
        return self.client.request("DELETE", path, headers=who.headers if who else {}, **kwargs)

    def create_lab(self, admin: Login, name: str = "Lab") -> str:
        response = self.post("/api/v1/labs", admin, json={"name": name})
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def set_member(self, lab_id: str, admin: Login, email: str, role: str) -> None:
        response = self.put(
            f"/api/v1/labs/{lab_id}/members", admin, json={"email": email, "role": role}
        )
        assert response.status_code == 200, response.text

    def push(self, lab_id: str, who: Login, *items: tuple[str, dict[str, Any]]) -> httpx.Response:
        records = [{"kind": kind, "record": record} for kind, record in items]
        return self.post(f"/api/v1/labs/{lab_id}/sync/push", who, json={"records": records})

    def pull(self, lab_id: str, who: Login, since: int = 0, limit: int = 500) -> httpx.Response:
        return self.get(
            f"/api/v1/labs/{lab_id}/sync/pull", who, params={"since": since, "limit": limit}
        )


def open_api(settings: Settings) -> Iterator[Api]:
    app = create_app(settings)
    with TestClient(app) as client:
        yield Api(app, client)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
def api(settings: Settings) -> Iterator[Api]:
    yield from open_api(settings)


@dataclass
class Lab:
    """A lab with one account of every role, and an outsider who administers another lab."""

    id: str
    other_id: str
    admin: Login
    member: Login
    viewer: Login
    outsider: Login


@pytest.fixture
def lab(api: Api) -> Lab:
    for email, admin in (
        ("admin@lab.example", True),
        ("member@lab.example", False),
        ("viewer@lab.example", False),
        ("outsider@other.example", True),
    ):
        api.add_user(email, admin=admin)
    admin = api.login("admin@lab.example")
    lab_id = api.create_lab(admin, "Genomics")
    api.set_member(lab_id, admin, "member@lab.example", "member")
    api.set_member(lab_id, admin, "viewer@lab.example", "viewer")
    outsider = api.login("outsider@other.example")
    other_id = api.create_lab(outsider, "Elsewhere")
    return Lab(
        id=lab_id,
        other_id=other_id,
        admin=admin,
        member=api.login("member@lab.example"),
        viewer=api.login("viewer@lab.example"),
        outsider=outsider,
    )


def job(record_id: str | None = None, **fields: Any) -> dict[str, Any]:
    """A shared job record with the required fields."""
    return {
        "id": record_id or uuid.uuid4().hex,
        "name": "imputation run",
        "state": "running",
        "updated_at": "2026-03-01T10:00:00+00:00",
        **fields,
    }


def upload(record_id: str | None = None, **fields: Any) -> dict[str, Any]:
    return {
        "id": record_id or uuid.uuid4().hex,
        "name": "sample.vcf.gz",
        "status": "uploading",
        "updated_at": "2026-03-01T10:00:00+00:00",
        **fields,
    }
