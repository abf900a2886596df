"""Health, metrics, the OpenAPI document, and that no secret is stored, logged or counted."""

from __future__ import annotations

import logging
import re
import uuid

import pyotp
import pytest
from sqlalchemy import select, text

from genoflow_desktop.server.models import Base
from tests.server.conftest import PASSWORD, Api, Lab, job

OPEN_PATHS = {"/health", "/api/v1/auth/login", "/api/v1/auth/refresh"}


def test_health_answers_with_the_database_state(api: Api) -> None:
    response = api.client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok" and response.json()["database"] == "ok"


def test_health_is_503_when_the_database_does_not_answer(api: Api, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy.exc import OperationalError

    def broken(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise OperationalError("SELECT 1", {}, Exception("down"))

    monkeypatch.setattr(api.state.engine, "connect", broken)
    response = api.client.get("/health")
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"


def _operations(api: Api) -> list[tuple[str, str]]:
    schema = api.app.openapi()
    return [
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post", "put", "delete", "patch"}
    ]


def test_every_endpoint_but_health_and_login_needs_a_token(api: Api) -> None:
    operations = _operations(api)
    assert len(operations) >= 20
    for method, path in operations:
        concrete = re.sub(r"\{[^}]+\}", uuid.uuid4().hex, path)
        for headers in ({}, {"Authorization": "Bearer garbage"}, {"Authorization": "Basic eDp5"}):
            response = api.client.request(method, concrete, headers=headers, json={})
            if path in OPEN_PATHS:
                assert response.status_code != 401, (method, path)
                continue
            assert response.status_code == 401, (method, path, headers, response.text)
            assert response.json()["code"] == "invalid_token"


def test_openapi_documents_the_error_bodies(api: Api) -> None:
    schema = api.app.openapi()
    push = schema["paths"]["/api/v1/labs/{lab_id}/sync/push"]["post"]["responses"]
    assert {"200", "401", "403", "404", "422"} <= set(push)
    assert push["403"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    assert "bearer" in str(schema["components"]["securitySchemes"]).lower()


def test_metrics_are_for_server_admins_and_count_by_route_template(api: Api, lab: Lab) -> None:
    api.push(lab.id, lab.member, ("job", job()), ("job", job()))
    api.pull(lab.id, lab.member)
    assert api.client.get("/metrics").status_code == 401
    assert api.get("/metrics", lab.member).status_code == 403
    response = api.get("/metrics", lab.admin)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    body = response.text
    assert (
        'genoflow_http_requests_total{method="POST",route="/api/v1/labs/{lab_id}/sync/push",'
        'status="200"} 1.0' in body
    )
    assert 'genoflow_sync_records_pushed_total{kind="job",status="created"} 2.0' in body
    assert 'genoflow_sync_records_pulled_total{kind="job"} 2.0' in body
    assert "genoflow_http_request_duration_seconds_bucket" in body
    assert lab.id not in body  # templates, never concrete ids


def test_bad_input_is_a_json_4xx(api: Api, lab: Lab) -> None:
    cases = [
        api.client.post(
            "/api/v1/auth/login", content=b"{not json", headers={"content-type": "application/json"}
        ),
        api.client.post("/api/v1/auth/login", json={"email": "a\x00b", "password": "x"}),
        api.post(f"/api/v1/labs/{lab.id}/sync/push", lab.member, json={"records": "x"}),
        api.get(f"/api/v1/labs/{lab.id}/sync/pull", lab.member, params={"since": "x"}),
        api.get(f"/api/v1/labs/{lab.id}/sync/pull", lab.member, params={"since": 2**70}),
        api.post("/api/v1/labs", lab.admin, json={"name": "x" * 201}),
    ]
    for response in cases:
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "validation_error"
    # The refused input is not echoed back (it may hold a password).
    echoed = api.client.post("/api/v1/auth/login", json={"email": 5, "password": ["hunter22"]})
    assert echoed.status_code == 422 and "hunter22" not in echoed.text
    missing = api.client.get("/nowhere")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    wrong_method = api.client.put("/health")
    assert wrong_method.status_code == 405 and "code" in wrong_method.json()


def _database_text(api: Api) -> str:
    with api.state.engine.connect() as connection:
        tables = [*Base.metadata.sorted_tables]
        rows = [str(row) for table in tables for row in connection.execute(select(table))]
        rows += [str(row) for row in connection.execute(text("SELECT * FROM alembic_version"))]
    return "\n".join(rows)


def test_no_secret_reaches_the_database_logs_or_metrics(
    api: Api, lab: Lab, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secrets = [PASSWORD, lab.admin.refresh_token, lab.admin.access_token]
    ada = api.post(
        "/api/v1/users",
        lab.admin,
        json={"email": "ada@lab.example", "display_name": "Ada", "password": "ada's first pw"},
    )
    assert ada.status_code == 201
    session = api.login("ada@lab.example", "ada's first pw")
    secret = api.post("/api/v1/me/totp", session).json()["secret"]
    api.post("/api/v1/me/totp/confirm", session, json={"code": pyotp.TOTP(secret).now()})
    api.client.post(
        "/api/v1/auth/login", json={"email": "ada@lab.example", "password": "wrong pw 1"}
    )
    rotated = api.client.post("/api/v1/auth/refresh", json={"refresh_token": session.refresh_token})
    new_refresh = rotated.json()["refresh_token"]
    api.post(
        "/api/v1/me/password",
        lab.admin,
        json={"current_password": PASSWORD, "new_password": "the admin's new pw"},
    )
    api.push(lab.id, lab.member, ("job", job()))
    secrets += [
        "ada's first pw",
        "wrong pw 1",
        "the admin's new pw",
        session.refresh_token,
        session.access_token,
        new_refresh,
        rotated.json()["access_token"],
    ]
    metrics = api.get("/metrics", lab.outsider).text
    haystacks = {"database": _database_text(api), "logs": caplog.text, "metrics": metrics}
    for where, haystack in haystacks.items():
        for value in secrets:
            assert value not in haystack, f"a secret reached the {where}"
    # The haystacks are real: they hold what was done.
    assert "login.failed" in haystacks["database"] and "ada@lab.example" in haystacks["database"]
