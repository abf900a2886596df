"""Per-service API tokens: the secret in the OS keychain, the metadata in the local store.

The keychain is whatever ``keyring`` chooses, honouring its own configuration
(``PYTHON_KEYRING_BACKEND``, ``keyringrc.cfg``), so headless machines and tests pick a backend
the documented way. Without a usable keychain we refuse to store secrets rather than fall back
to a plain-text file of our own.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from genoflow_desktop.core.errors import SecretStoreUnavailable, UserError
from genoflow_desktop.core.log import register_secret
from genoflow_desktop.core.services.errors import MissingCredential
from genoflow_desktop.core.store.models import Credential, Service, utcnow

KEYRING_SERVICE = "GenoFlow Desktop"

NO_KEYCHAIN_HINT = (
    "GenoFlow keeps tokens only in your system keychain (macOS Keychain, Windows Credential "
    "Manager, or the Secret Service on Linux: GNOME Keyring or KWallet). On a machine without "
    "one, install and unlock a Secret Service provider, or choose a keyring backend through "
    "keyring's own configuration (PYTHON_KEYRING_BACKEND or keyringrc.cfg); see 'keyring "
    "--help'."
)


def keychain() -> Any:
    """The keyring module, once we know a real keychain backs it."""
    import keyring
    from keyring.backends import fail

    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring):
        raise SecretStoreUnavailable(
            "No system keychain is available to keep your token.", hint=NO_KEYCHAIN_HINT
        )
    return keyring


def _account(service: Service) -> str:
    return f"token:{service.kind}:{service.name}"


def find_service(session: Session, name: str) -> Service:
    service = session.scalar(select(Service).where(Service.name == name))
    if service is None:
        raise UserError(
            f"There is no service called '{name}'.", hint="See 'genoflow services' for the list."
        )
    return service


def set_token(
    session: Session,
    service_name: str,
    token: str,
    *,
    label: str = "",
    username: str | None = None,
    expires_at: datetime | None = None,
) -> Credential:
    """Store ``token`` for the service in the keychain and record its metadata."""
    token = token.strip()
    if not token:
        raise UserError(
            "The token is empty.", hint="Paste the API token from the service's profile page."
        )
    service = find_service(session, service_name)
    keyring = keychain()
    register_secret(token)
    try:
        keyring.set_password(KEYRING_SERVICE, _account(service), token)
    except Exception as exc:  # keyring backends raise their own error types
        raise SecretStoreUnavailable(
            f"The system keychain refused to store the token ({exc}).", hint=NO_KEYCHAIN_HINT
        ) from exc
    credential = session.scalar(select(Credential).where(Credential.service_id == service.id))
    if credential is None:
        credential = Credential(service_id=service.id)
        session.add(credential)
    credential.label = label
    credential.username = username
    credential.created_at = utcnow()
    credential.verified_at = None
    credential.expires_at = expires_at
    session.flush()
    return credential


def get_token(session: Session, service_name: str) -> str | None:
    """The token for the service, or None when none is stored."""
    service = find_service(session, service_name)
    token: str | None = keychain().get_password(KEYRING_SERVICE, _account(service))
    if token is not None:
        register_secret(token)
    return token


def delete_token(session: Session, service_name: str) -> None:
    service = find_service(session, service_name)
    keyring = keychain()
    # Already gone is fine: the goal is reached.
    with contextlib.suppress(keyring.errors.PasswordDeleteError):
        keyring.delete_password(KEYRING_SERVICE, _account(service))
    credential = session.scalar(select(Credential).where(Credential.service_id == service.id))
    if credential is not None:
        session.delete(credential)


def token_for(session: Session, service_name: str) -> str:
    """The service's token, or :class:`MissingCredential` saying how to add one.

    Called before anything is uploaded or submitted, so a missing token costs the user nothing.
    """
    token = get_token(session, service_name)
    if token is None:
        raise MissingCredential(
            f"No token is stored for {service_name}.",
            hint=f"Create an API token on the service's web site, then run "
            f"'genoflow credentials set \"{service_name}\"' (it reads the token from standard "
            "input or GENOFLOW_TOKEN) or add it in Settings > Services.",
        )
    return token


def credential_for(session: Session, service_name: str) -> Credential | None:
    service = find_service(session, service_name)
    return session.scalar(select(Credential).where(Credential.service_id == service.id))


def record_verification(
    session: Session,
    service_name: str,
    *,
    username: str | None,
    expires_at: datetime | None,
) -> Credential | None:
    """Note that the token was just accepted by the server, with what the server told us."""
    credential = credential_for(session, service_name)
    if credential is not None:
        credential.verified_at = utcnow()
        credential.username = username or credential.username
        credential.expires_at = expires_at
    return credential


def days_left(expires_at: datetime | None, now: datetime | None = None) -> int | None:
    """Whole days until ``expires_at`` (negative once expired); None when it never expires."""
    if expires_at is None:
        return None
    now = now or utcnow()
    if expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=UTC)
    return (expires_at - now).days


# Result passwords of imputation jobs: generated by the app for each job, kept in the keychain
# so the user never depends on an e-mail to open their results.


def _job_account(job_id: str) -> str:
    return f"job-password:{job_id}"


def set_job_password(job_id: str, password: str) -> None:
    keyring = keychain()
    register_secret(password)
    try:
        keyring.set_password(KEYRING_SERVICE, _job_account(job_id), password)
    except Exception as exc:  # keyring backends raise their own error types
        raise SecretStoreUnavailable(
            f"The system keychain refused to store the job's password ({exc}).",
            hint=NO_KEYCHAIN_HINT,
        ) from exc


def get_job_password(job_id: str) -> str | None:
    password: str | None = keychain().get_password(KEYRING_SERVICE, _job_account(job_id))
    if password is not None:
        register_secret(password)
    return password


def delete_job_password(job_id: str) -> None:
    keyring = keychain()
    with contextlib.suppress(keyring.errors.PasswordDeleteError):
        keyring.delete_password(KEYRING_SERVICE, _job_account(job_id))
