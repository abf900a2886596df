"""Signing in from the command line against the real server: TOTP, token rotation, expiry."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pyotp
import pytest

from tests.integration.sync.conftest import PASSWORD, Admin, Desktop, LabServer

pytestmark = pytest.mark.integration

KEYCHAIN_ACCOUNT = "GenoFlow Desktop\nsync-refresh:{url}:{email}"


def stored_refresh_token(tmp_path: Path, server: LabServer, email: str) -> str | None:
    keychain = tmp_path / "keychain.json"
    data = json.loads(keychain.read_text()) if keychain.exists() else {}
    return data.get(KEYCHAIN_ACCOUNT.format(url=server.url, email=email))


def test_sign_in_with_a_second_factor(tmp_path: Path, lab_server: LabServer, admin: Admin) -> None:
    admin.user("ada@lab.example", "Ada")
    admin.lab("Genomics", {"ada@lab.example": "member"})
    token = admin.login("ada@lab.example", PASSWORD)["access_token"]
    secret = admin.call("POST", "/api/v1/me/totp", token=token)["secret"]
    totp = pyotp.TOTP(secret)
    admin.call("POST", "/api/v1/me/totp/confirm", token=token, json={"code": totp.now()})

    desktop = Desktop(tmp_path, "A")
    missing = desktop.login(lab_server, "ada@lab.example")
    assert missing.returncode == 3
    assert "error: This account needs a code from your authenticator app." in missing.stderr
    assert "--totp-code" in missing.stderr
    wrong = desktop.login(lab_server, "ada@lab.example", "--totp-code", "000000")
    assert wrong.returncode == 3 and "authenticator code is wrong" in wrong.stderr
    assert stored_refresh_token(tmp_path, lab_server, "ada@lab.example") is None

    # The confirmation used the current code, and a code is accepted once: use the next one
    # (one step of drift is accepted).
    code = totp.at(time.time() + 30)
    ok = desktop.login(lab_server, "ada@lab.example", env={"GENOFLOW_SYNC_TOTP": code})
    assert ok.returncode == 0, ok.stderr
    assert "signed in to" in ok.stdout and "lab Genomics (member)" in ok.stdout
    assert stored_refresh_token(tmp_path, lab_server, "ada@lab.example")
    status = json.loads(desktop("sync", "status", "--json").stdout)
    assert status["signed_in"] and status["email"] == "ada@lab.example"
    assert status["lab_name"] == "Genomics" and status["role"] == "member"
    assert PASSWORD not in "".join(desktop.outputs) and secret not in "".join(desktop.outputs)


def test_refresh_token_is_rotated_and_saved_and_a_spent_one_ends_the_sign_in(
    tmp_path: Path, lab_server: LabServer, admin: Admin
) -> None:
    admin.user("ada@lab.example", "Ada")
    admin.lab("Genomics", {"ada@lab.example": "member"})
    desktop = Desktop(tmp_path, "A")
    assert desktop.login(lab_server, "ada@lab.example").returncode == 0
    first = stored_refresh_token(tmp_path, lab_server, "ada@lab.example")
    assert first

    # Each run starts with a refresh (the access token lives in memory only): rotated, saved.
    assert desktop("sync").returncode == 0
    second = stored_refresh_token(tmp_path, lab_server, "ada@lab.example")
    assert second and second != first
    assert desktop("sync").returncode == 0
    third = stored_refresh_token(tmp_path, lab_server, "ada@lab.example")
    assert third and third not in (first, second)

    # Someone replays a spent token: the server revokes the whole family (theft detection).
    replay = admin.http.post("/api/v1/auth/refresh", json={"refresh_token": second})
    assert replay.status_code == 401 and replay.json()["code"] == "token_revoked"
    expired = desktop("sync")
    assert expired.returncode == 3
    assert "error: Your lab sign-in was revoked" in expired.stderr
    assert "hint: Sign in to the lab again" in expired.stderr
    # The dead token is removed from the keychain; status says to sign in again.
    assert stored_refresh_token(tmp_path, lab_server, "ada@lab.example") is None
    status = desktop("sync", "status")
    assert "signed out (sign in again)" in status.stdout

    assert desktop("sync", "logout").returncode == 0
    assert "not signed in" in desktop("sync", "status").stdout


def test_logout_revokes_the_sign_in_on_the_server(
    tmp_path: Path, lab_server: LabServer, admin: Admin
) -> None:
    admin.user("ada@lab.example", "Ada")
    admin.lab("Genomics", {"ada@lab.example": "viewer"})
    desktop = Desktop(tmp_path, "A")
    assert desktop.login(lab_server, "ada@lab.example").returncode == 0
    assert desktop("sync").returncode == 0  # a viewer pulls, and pushes nothing
    token = stored_refresh_token(tmp_path, lab_server, "ada@lab.example")
    assert token
    out = desktop("sync", "logout")
    assert out.returncode == 0 and "signed out of" in out.stdout
    assert stored_refresh_token(tmp_path, lab_server, "ada@lab.example") is None
    # The token the desktop held no longer works on the server.
    refused = admin.http.post("/api/v1/auth/refresh", json={"refresh_token": token})
    assert refused.status_code == 401
    again = desktop("sync")
    assert again.returncode == 3 and "not signed in" in again.stderr


def test_wrong_password_is_said_plainly(
    tmp_path: Path, lab_server: LabServer, admin: Admin
) -> None:
    admin.user("ada@lab.example", "Ada")
    desktop = Desktop(tmp_path, "A")
    result = desktop.login(lab_server, "ada@lab.example", password="not-the-password")
    assert result.returncode == 3
    assert "error: The e-mail address or password is wrong." in result.stderr
    assert "not-the-password" not in "".join(desktop.outputs)
