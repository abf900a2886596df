"""Logins, tokens and second factors: what the contract promises, on SQLite and PostgreSQL."""

from __future__ import annotations

import time

import pyotp
import pytest
from sqlalchemy import func, select

from genoflow_desktop.server import security
from genoflow_desktop.server.models import AuditEvent
from tests.server.conftest import PASSWORD, Api, Lab, make_settings, open_api

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"


def test_login_returns_a_working_pair(api: Api) -> None:
    api.add_user("Ada@Lab.Example", name="Ada")
    # E-mails are matched case-insensitively.
    response = api.client.post(LOGIN, json={"email": "ada@lab.EXAMPLE", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 900
    assert body["user"]["email"] == "ada@lab.example"
    me = api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json() == {**body["user"], "labs": []}


@pytest.mark.parametrize("email", ["ada@lab.example", "nobody@lab.example"])
def test_wrong_credentials_are_refused_alike(api: Api, email: str) -> None:
    api.add_user("ada@lab.example")
    response = api.client.post(LOGIN, json={"email": email, "password": "wrong password"})
    assert response.status_code == 401
    assert response.json() == {"code": "invalid_credentials", "detail": "Wrong e-mail or password"}


def test_every_login_attempt_is_audited(api: Api) -> None:
    api.add_user("ada@lab.example")
    api.client.post(LOGIN, json={"email": "ada@lab.example", "password": "wrong"})
    api.login("ada@lab.example")
    with api.state.sessions() as session:
        actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["login.failed", "login.succeeded"]


def test_refresh_token_works_exactly_once_and_reuse_revokes_the_family(api: Api) -> None:
    api.add_user("ada@lab.example")
    first = api.login("ada@lab.example")
    rotated = api.client.post(REFRESH, json={"refresh_token": first.refresh_token})
    assert rotated.status_code == 200
    second = rotated.json()
    assert second["refresh_token"] != first.refresh_token
    newer_headers = {"Authorization": f"Bearer {second['access_token']}"}
    assert api.client.get("/api/v1/me", headers=newer_headers).status_code == 200

    # The spent token comes back (say, stolen): refused, and the whole family ends with it.
    reused = api.client.post(REFRESH, json={"refresh_token": first.refresh_token})
    assert reused.status_code == 401 and reused.json()["code"] == "token_revoked"
    newer = api.client.post(REFRESH, json={"refresh_token": second["refresh_token"]})
    assert newer.status_code == 401 and newer.json()["code"] == "token_revoked"
    for headers in (newer_headers, first.headers):
        me = api.client.get("/api/v1/me", headers=headers)
        assert me.status_code == 401 and me.json()["code"] == "token_revoked"


def test_other_sessions_survive_a_revoked_family(api: Api) -> None:
    api.add_user("ada@lab.example")
    laptop, desktop = api.login("ada@lab.example"), api.login("ada@lab.example")
    api.client.post(REFRESH, json={"refresh_token": laptop.refresh_token})
    api.client.post(REFRESH, json={"refresh_token": laptop.refresh_token})
    assert api.get("/api/v1/me", laptop).status_code == 401
    assert api.get("/api/v1/me", desktop).status_code == 200


def test_unknown_refresh_token_is_invalid(api: Api) -> None:
    response = api.client.post(REFRESH, json={"refresh_token": security.new_refresh_token()})
    assert response.status_code == 401 and response.json()["code"] == "invalid_token"


def test_logout_revokes_the_access_and_refresh_tokens(api: Api) -> None:
    api.add_user("ada@lab.example")
    session = api.login("ada@lab.example")
    response = api.post(
        "/api/v1/auth/logout", session, json={"refresh_token": session.refresh_token}
    )
    assert response.status_code == 204
    me = api.get("/api/v1/me", session)
    assert me.status_code == 401 and me.json()["code"] == "token_revoked"
    refreshed = api.client.post(REFRESH, json={"refresh_token": session.refresh_token})
    assert refreshed.status_code == 401 and refreshed.json()["code"] == "token_revoked"


def test_logout_cannot_end_someone_elses_session(api: Api) -> None:
    api.add_user("ada@lab.example")
    api.add_user("bob@lab.example")
    ada, bob = api.login("ada@lab.example"), api.login("bob@lab.example")
    api.post("/api/v1/auth/logout", bob, json={"refresh_token": ada.refresh_token})
    assert api.get("/api/v1/me", ada).status_code == 200


def test_expired_access_token_is_refused_as_expired(api: Api) -> None:
    user_id = api.add_user("ada@lab.example")
    session = api.login("ada@lab.example")
    claims = security.decode_access_token(api.state.signing_key(), session.access_token)
    expired = security.issue_access_token(
        api.state.signing_key(),
        user_id=user_id,
        family_id=claims.family_id,
        lifetime_s=900,
        now=time.time() - 901,
    )
    response = api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"
    assert response.headers["www-authenticate"] == "Bearer"


def test_access_token_lifetime_comes_from_the_settings(sqlite_url: str) -> None:
    for api in open_api(make_settings(sqlite_url, access_token_seconds=-1)):
        api.add_user("ada@lab.example")
        session = api.login("ada@lab.example")
        assert api.get("/api/v1/me", session).json()["code"] == "token_expired"


@pytest.mark.parametrize(
    "token",
    [
        "not-a-jwt",
        # Signed with another key.
        security.issue_access_token("x" * 64, user_id="a" * 32, family_id="b" * 32, lifetime_s=60),
        # "alg": "none", unsigned.
        "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJhIiwianRpIjoiYiIsImZhbSI6ImMiLCJleHAiOjk5OTk5OTk5OTl9.",
    ],
)
def test_forged_tokens_are_invalid(api: Api, token: str) -> None:
    response = api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401 and response.json()["code"] == "invalid_token"


def test_password_change_ends_every_session(api: Api) -> None:
    api.add_user("ada@lab.example")
    one, two = api.login("ada@lab.example"), api.login("ada@lab.example")
    wrong = api.post(
        "/api/v1/me/password",
        one,
        json={"current_password": "not it", "new_password": "a new long password"},
    )
    assert wrong.status_code == 403 and wrong.json()["code"] == "invalid_credentials"
    changed = api.post(
        "/api/v1/me/password",
        one,
        json={"current_password": PASSWORD, "new_password": "a new long password"},
    )
    assert changed.status_code == 204
    for session in (one, two):
        assert api.get("/api/v1/me", session).json()["code"] == "token_revoked"
        refreshed = api.client.post(REFRESH, json={"refresh_token": session.refresh_token})
        assert refreshed.status_code == 401
    old = api.client.post(LOGIN, json={"email": "ada@lab.example", "password": PASSWORD})
    assert old.status_code == 401
    api.login("ada@lab.example", "a new long password")


def _code(secret: str, offset_steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + offset_steps * security.TOTP_STEP_SECONDS)


def test_totp_enrolment_login_and_replay(api: Api) -> None:
    api.add_user("ada@lab.example")
    session = api.login("ada@lab.example")
    enrolment = api.post("/api/v1/me/totp", session).json()
    secret = enrolment["secret"]
    assert enrolment["otpauth_uri"].startswith("otpauth://totp/")
    # Not active before confirmation.
    api.login("ada@lab.example")
    bad = api.post("/api/v1/me/totp/confirm", session, json={"code": "000000"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_totp"
    # One step of clock drift is accepted.
    confirm = api.post("/api/v1/me/totp/confirm", session, json={"code": _code(secret, -1)})
    assert confirm.status_code == 204
    assert api.get("/api/v1/me", session).json()["totp_enabled"] is True

    no_code = api.client.post(LOGIN, json={"email": "ada@lab.example", "password": PASSWORD})
    assert no_code.status_code == 401 and no_code.json()["code"] == "totp_required"
    code = _code(secret)
    api.login("ada@lab.example", totp_code=code)
    # The same code again: refused, though still within its time window.
    replay = api.client.post(
        LOGIN, json={"email": "ada@lab.example", "password": PASSWORD, "totp_code": code}
    )
    assert replay.status_code == 401 and replay.json()["code"] == "invalid_totp"
    # Too far from now.
    far = api.client.post(
        LOGIN,
        json={"email": "ada@lab.example", "password": PASSWORD, "totp_code": _code(secret, 3)},
    )
    assert far.status_code == 401 and far.json()["code"] == "invalid_totp"
    wrong_password = api.client.post(
        LOGIN, json={"email": "ada@lab.example", "password": "x", "totp_code": _code(secret, 1)}
    )
    assert wrong_password.json()["code"] == "invalid_credentials"


def test_totp_removal_needs_a_fresh_code(api: Api) -> None:
    api.add_user("ada@lab.example")
    session = api.login("ada@lab.example")
    secret = api.post("/api/v1/me/totp", session).json()["secret"]
    code = _code(secret)
    assert api.post("/api/v1/me/totp/confirm", session, json={"code": code}).status_code == 204
    replay = api.delete("/api/v1/me/totp", session, json={"code": code})
    assert replay.status_code == 400
    removed = api.delete("/api/v1/me/totp", session, json={"code": _code(secret, 1)})
    assert removed.status_code == 204
    api.login("ada@lab.example")


def test_login_is_rate_limited_per_email(api: Api) -> None:
    api.add_user("ada@lab.example")
    for _ in range(5):
        response = api.client.post(LOGIN, json={"email": "ada@lab.example", "password": "nope"})
        assert response.status_code == 401
    # Even the right password waits now.
    limited = api.client.post(LOGIN, json={"email": "ADA@lab.example", "password": PASSWORD})
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited"
    assert 1 <= int(limited.headers["retry-after"]) <= 300
    # Another account from the same address is not limited yet.
    api.add_user("bob@lab.example")
    api.login("bob@lab.example")


def test_login_is_rate_limited_per_client_address(sqlite_url: str) -> None:
    for api in open_api(make_settings(sqlite_url, login_failures_per_address=3)):
        for index in range(3):
            api.client.post(LOGIN, json={"email": f"u{index}@lab.example", "password": "nope"})
        limited = api.client.post(LOGIN, json={"email": "fresh@lab.example", "password": "x"})
        assert limited.status_code == 429


def test_rate_limit_counts_only_failures_within_the_window(api: Api) -> None:
    api.add_user("ada@lab.example")
    for _ in range(5):
        api.client.post(LOGIN, json={"email": "ada@lab.example", "password": "nope"})
    # Age the failures past the five-minute window, as the clock would.
    with api.state.sessions() as session:
        for event in session.scalars(select(AuditEvent)):
            event.at = event.at.replace(year=event.at.year - 1)
        session.commit()
    api.login("ada@lab.example")


def test_rate_limit_holds_across_app_instances(api: Api, settings) -> None:  # type: ignore[no-untyped-def]
    """Two workers (two apps on one database) share the count: it lives in the audit log."""
    api.add_user("ada@lab.example")
    for other in open_api(settings):
        for client in (api.client, other.client, api.client, other.client, api.client):
            client.post(LOGIN, json={"email": "ada@lab.example", "password": "nope"})
        response = other.client.post(LOGIN, json={"email": "ada@lab.example", "password": PASSWORD})
        assert response.status_code == 429
    with api.state.sessions() as session:
        failures = session.scalar(select(func.count()).where(AuditEvent.action == "login.failed"))
    assert failures == 5


def test_disabled_account_cannot_log_in_or_use_its_tokens(api: Api) -> None:
    from genoflow_desktop.server.models import User

    user_id = api.add_user("ada@lab.example")
    session = api.login("ada@lab.example")
    with api.state.sessions() as db:
        db.get(User, user_id).disabled = True  # type: ignore[union-attr]
        db.commit()
    assert api.get("/api/v1/me", session).status_code == 401
    refused = api.client.post(LOGIN, json={"email": "ada@lab.example", "password": PASSWORD})
    assert refused.status_code == 401


def test_lab_fixture_roles(lab: Lab, api: Api) -> None:
    me = api.get("/api/v1/me", lab.viewer).json()
    assert [(entry["id"], entry["role"]) for entry in me["labs"]] == [(lab.id, "viewer")]
