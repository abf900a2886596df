"""Accounts and login sessions: creating users, issuing, rotating and revoking token pairs."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from genoflow_desktop.server import security
from genoflow_desktop.server.deps import ServerState
from genoflow_desktop.server.errors import ApiError, unauthorized
from genoflow_desktop.server.models import RefreshToken, TokenFamily, User, new_id
from genoflow_desktop.server.schemas import TokenPair, UserOut


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def create_user(
    session: Session,
    state: ServerState,
    *,
    email: str,
    display_name: str,
    password: str,
    is_admin: bool = False,
) -> User:
    """A new account (flushed, not committed); 409 ``conflict`` if the e-mail is taken."""
    if find_user(session, email) is not None:
        raise ApiError(409, "conflict", "An account with this e-mail already exists")
    user = User(
        id=new_id(),
        email=normalise_email(email),
        display_name=display_name.strip() or normalise_email(email),
        password_hash=state.hasher.hash(password),
        is_admin=is_admin,
        totp_enabled=False,
        last_totp_step=0,
        disabled=False,
    )
    session.add(user)
    session.flush()
    return user


def user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        is_admin=user.is_admin,
        totp_enabled=user.totp_enabled,
    )


def _issue(
    session: Session, state: ServerState, user: User, family_id: str, now: datetime
) -> TokenPair:
    refresh = security.new_refresh_token()
    session.add(
        RefreshToken(
            token_hash=security.token_hash(refresh),
            family_id=family_id,
            user_id=user.id,
            issued_at=now,
            expires_at=now + timedelta(seconds=state.settings.refresh_token_seconds),
        )
    )
    lifetime = state.settings.access_token_seconds
    access = security.issue_access_token(
        state.signing_key(), user_id=user.id, family_id=family_id, lifetime_s=lifetime
    )
    return TokenPair(
        access_token=access, refresh_token=refresh, expires_in=lifetime, user=user_out(user)
    )


def start_session(session: Session, state: ServerState, user: User, now: datetime) -> TokenPair:
    """A token pair of a new family (a login)."""
    family = TokenFamily(id=new_id(), user_id=user.id, created_at=now)
    session.add(family)
    session.flush()
    return _issue(session, state, user, family.id, now)


def revoke_family(session: Session, family_id: str, now: datetime) -> None:
    session.execute(
        update(TokenFamily)
        .where(TokenFamily.id == family_id, TokenFamily.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def revoke_all_sessions(session: Session, user_id: str, now: datetime) -> None:
    session.execute(
        update(TokenFamily)
        .where(TokenFamily.user_id == user_id, TokenFamily.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def accept_totp(session: Session, user: User, code: str | None) -> bool:
    """Whether ``code`` is the user's current TOTP code, never accepted before; if so the step
    is recorded as used. A compare-and-set: of two concurrent uses of one code, one wins."""
    if not code or not user.totp_secret:
        return False
    step = security.totp_step(code, user.totp_secret, after_step=user.last_totp_step)
    if step is None:
        return False
    claimed = session.execute(
        update(User)
        .where(User.id == user.id, User.last_totp_step < step)
        .values(last_totp_step=step)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return False
    user.last_totp_step = step
    return True


class RefreshReused(Exception):
    """A spent refresh token came back: its family is revoked (committed by the caller)."""

    def __init__(self, user_id: str) -> None:
        super().__init__(user_id)
        self.user_id = user_id


def rotate(session: Session, state: ServerState, presented: str, now: datetime) -> TokenPair:
    """Spend ``presented`` and return the family's next pair.

    Raises:
        RefreshReused: the token was spent before (possible theft); its family was revoked.
        ApiError: 401 ``invalid_token``, ``token_expired`` or ``token_revoked``.
    """
    stored = session.get(RefreshToken, security.token_hash(presented))
    if stored is None:
        raise unauthorized("invalid_token", "The refresh token is not valid")
    family = session.get(TokenFamily, stored.family_id)
    user = session.get(User, stored.user_id)
    if family is None or user is None or family.revoked_at is not None or user.disabled:
        raise unauthorized("token_revoked", "The session has ended; log in again")
    if stored.expires_at <= now:
        raise unauthorized("token_expired", "The refresh token has expired; log in again")
    # Compare-and-set: of two concurrent uses exactly one wins; the other counts as a reuse.
    spent = session.execute(
        update(RefreshToken)
        .where(RefreshToken.token_hash == stored.token_hash, RefreshToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        revoke_family(session, family.id, now)
        raise RefreshReused(user.id)
    return _issue(session, state, user, family.id, now)
