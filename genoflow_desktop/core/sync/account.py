"""The lab sync account: what the store keeps about it, and its refresh token in the keychain.

The store's ``sync_account`` row holds the server, the user, the lab and the pull cursor; no
token or password ever goes there. A remembered sign-in keeps its refresh token in the OS
keychain (the same one, and the same rules, as the service tokens of
:mod:`~genoflow_desktop.core.services.credentials`); the access token lives in memory only.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update

from genoflow_desktop.core.errors import SecretStoreUnavailable, UserError
from genoflow_desktop.core.log import register_secret
from genoflow_desktop.core.services.credentials import KEYRING_SERVICE, NO_KEYCHAIN_HINT, keychain
from genoflow_desktop.core.store import Store
from genoflow_desktop.core.store.models import (
    ORIGIN_LAB,
    Job,
    SyncAccount,
    Upload,
    utcnow,
)

ACCOUNT_ROW = 1


@dataclass(frozen=True, slots=True)
class AccountInfo:
    """A snapshot of the ``sync_account`` row (detached from any session)."""

    server_url: str
    user_id: str
    email: str
    display_name: str
    lab_id: str | None
    lab_name: str | None
    role: str | None
    remember: bool
    pull_cursor: int = 0
    last_sync_at: datetime | None = None
    last_error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "server": self.server_url,
            "user_id": self.user_id,
            "email": self.email,
            "display_name": self.display_name,
            "lab_id": self.lab_id,
            "lab_name": self.lab_name,
            "role": self.role,
            "remember": self.remember,
            "cursor": self.pull_cursor,
            "last_sync_at": self.last_sync_at,
            "last_error": self.last_error,
        }


def _info(row: SyncAccount) -> AccountInfo:
    return AccountInfo(
        server_url=row.server_url,
        user_id=row.user_id,
        email=row.email,
        display_name=row.display_name,
        lab_id=row.lab_id,
        lab_name=row.lab_name,
        role=row.role,
        remember=row.remember,
        pull_cursor=row.pull_cursor,
        last_sync_at=row.last_sync_at,
        last_error=row.last_error,
    )


def load_account(store: Store) -> AccountInfo | None:
    with store.session() as session:
        row = session.get(SyncAccount, ACCOUNT_ROW)
        return _info(row) if row is not None else None


def save_account(store: Store, info: AccountInfo) -> None:
    """Record a new sign-in. Another server or lab than before starts over: the pull cursor goes
    back to 0 and every row made here is pushed again (pushes are idempotent)."""
    with store.session() as session:
        row = session.get(SyncAccount, ACCOUNT_ROW)
        same_lab = (
            row is not None and row.server_url == info.server_url and row.lab_id == info.lab_id
        )
        if not same_lab:
            for model in (Job, Upload):
                session.execute(
                    update(model)
                    .where(model.origin != ORIGIN_LAB)
                    .values(synced_at=None, updated_at=model.updated_at)
                )
        if row is None:
            row = SyncAccount(id=ACCOUNT_ROW)
        if not same_lab:
            row.pull_cursor = 0
            row.last_sync_at = None
        row.server_url = info.server_url
        row.user_id = info.user_id
        row.email = info.email
        row.display_name = info.display_name
        row.lab_id = info.lab_id
        row.lab_name = info.lab_name
        row.role = info.role
        row.remember = info.remember
        row.signed_in_at = utcnow()
        row.last_error = None
        session.add(row)


def forget_account(store: Store) -> None:
    with store.session() as session:
        session.execute(delete(SyncAccount))


def record_outcome(store: Store, *, error: str | None, synced: bool) -> None:
    """Note the end of a sync run: its time when it went through, else why it did not."""
    with store.session() as session:
        row = session.get(SyncAccount, ACCOUNT_ROW)
        if row is None:
            return
        row.last_error = error
        if synced:
            row.last_sync_at = utcnow()


def pending_filter(model: type[Job] | type[Upload]) -> Any:
    """Rows changed since the version last exchanged with the lab (or never exchanged)."""
    return or_(model.synced_at.is_(None), model.synced_at != model.updated_at)


def pending_count(store: Store) -> int:
    """Jobs and uploads with changes not yet pushed to the lab."""
    with store.session() as session:
        return sum(
            int(session.scalar(select(func.count()).select_from(m).where(pending_filter(m))) or 0)
            for m in (Job, Upload)
        )


def choose_lab(me: dict[str, Any], wanted: str | None) -> dict[str, Any] | None:
    """The lab to sync with: ``wanted`` (an id or a name), else the user's only lab."""
    labs = [lab for lab in me.get("labs") or [] if isinstance(lab, dict)]
    if wanted:
        for lab in labs:
            if wanted in (str(lab.get("id")), str(lab.get("name"))):
                return lab
        names = ", ".join(f"{lab.get('name')} (id {lab.get('id')})" for lab in labs) or "none"
        raise UserError(
            f"You are not a member of a lab called '{wanted}'.",
            hint=f"Your labs: {names}.",
        )
    if len(labs) == 1:
        return labs[0]
    if not labs:
        return None
    names = ", ".join(f"{lab.get('name')} (id {lab.get('id')})" for lab in labs)
    raise UserError(
        "You belong to several labs; choose the one to sync with.",
        hint=f"Sign in again with --lab ID_OR_NAME. Your labs: {names}.",
    )


# -- the refresh token in the keychain ------------------------------------------------------


def _keychain_account(server_url: str, email: str) -> str:
    return f"sync-refresh:{server_url}:{email.lower()}"


def save_refresh_token(server_url: str, email: str, token: str) -> None:
    keyring = keychain()
    register_secret(token)
    try:
        keyring.set_password(KEYRING_SERVICE, _keychain_account(server_url, email), token)
    except Exception as exc:  # keyring backends raise their own error types
        raise SecretStoreUnavailable(
            f"The system keychain refused to store the lab sign-in ({exc}).",
            hint=NO_KEYCHAIN_HINT,
        ) from exc


def load_refresh_token(server_url: str, email: str) -> str | None:
    token: str | None = keychain().get_password(
        KEYRING_SERVICE, _keychain_account(server_url, email)
    )
    if token is not None:
        register_secret(token)
    return token


def delete_refresh_token(server_url: str, email: str) -> None:
    keyring = keychain()
    with contextlib.suppress(keyring.errors.PasswordDeleteError):
        keyring.delete_password(KEYRING_SERVICE, _keychain_account(server_url, email))
