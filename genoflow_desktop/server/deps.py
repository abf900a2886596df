"""What routes depend on: the app's state, a database session, the caller, the caller's lab."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated

from argon2 import PasswordHasher
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from genoflow_desktop.server import security
from genoflow_desktop.server.config import Settings
from genoflow_desktop.server.errors import forbidden, not_found, unauthorized
from genoflow_desktop.server.metrics import Metrics
from genoflow_desktop.server.models import Lab, Membership, Role, ServerKey, TokenFamily, User

HEX_ID = re.compile(r"[0-9a-f]{32}")


@dataclass
class ServerState:
    """Everything one app instance holds; all of it is derived from the settings and the DB."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    hasher: PasswordHasher
    metrics: Metrics
    #: A hash to verify against when the e-mail is unknown, so that takes as long as a wrong
    #: password (no account enumeration by timing).
    dummy_hash: str
    _signing_key: str | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def signing_key(self) -> str:
        # Read once: the key lives in the database (shared by all workers) and never changes.
        with self._lock:
            if self._signing_key is None:
                with self.sessions() as session:
                    self._signing_key = session.scalars(
                        select(ServerKey.value).where(ServerKey.name == "jwt")
                    ).one()
            return self._signing_key


def get_state(request: Request) -> ServerState:
    state: ServerState = request.app.state.server
    return state


def get_session(state: Annotated[ServerState, Depends(get_state)]) -> Iterator[Session]:
    # Routes commit explicitly before answering; anything left uncommitted is rolled back.
    with state.sessions() as session:
        yield session


def client_address(request: Request) -> str | None:
    """The client's address (uvicorn puts the proxy's X-Forwarded-For here when trusted)."""
    return request.client.host if request.client else None


_bearer = HTTPBearer(auto_error=False, description="the access token from auth/login")


def current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    state: Annotated[ServerState, Depends(get_state)],
    session: Annotated[Session, Depends(get_session)],
) -> User:
    if credentials is None:
        raise unauthorized("invalid_token", "An access token is required")
    try:
        claims = security.decode_access_token(state.signing_key(), credentials.credentials)
    except security.TokenExpired:
        raise unauthorized("token_expired", "The access token has expired") from None
    except security.TokenInvalid:
        raise unauthorized("invalid_token", "The access token is not valid") from None
    # One indexed lookup: a logout or a detected refresh-token theft takes effect at once.
    row = session.execute(
        select(User, TokenFamily.revoked_at)
        .join(TokenFamily, TokenFamily.user_id == User.id)
        .where(TokenFamily.id == claims.family_id, User.id == claims.user_id)
    ).first()
    if row is None:
        raise unauthorized("invalid_token", "The access token is not valid")
    user, revoked_at = row
    if revoked_at is not None or user.disabled:
        raise unauthorized("token_revoked", "The session has ended; log in again")
    request.state.family_id = claims.family_id
    return user


CurrentUser = Annotated[User, Depends(current_user)]
DbSession = Annotated[Session, Depends(get_session)]
State = Annotated[ServerState, Depends(get_state)]
ClientAddress = Annotated[str | None, Depends(client_address)]


def require_server_admin(user: CurrentUser) -> User:
    if not user.is_admin:
        raise forbidden("Only a server administrator may do this")
    return user


ServerAdmin = Annotated[User, Depends(require_server_admin)]


@dataclass(frozen=True)
class LabAccess:
    lab: Lab
    role: Role
    user: User


def lab_access(lab_id: str, user: CurrentUser, session: DbSession) -> LabAccess:
    """The caller's lab; 404 when it does not exist *or* the caller is not a member, alike."""
    if not HEX_ID.fullmatch(lab_id):
        raise not_found("Lab not found")
    row = session.execute(
        select(Lab, Membership.role)
        .join(Membership, Membership.lab_id == Lab.id)
        .where(Lab.id == lab_id, Membership.user_id == user.id)
    ).first()
    if row is None:
        raise not_found("Lab not found")
    return LabAccess(lab=row[0], role=Role(row[1]), user=user)


def lab_writer(access: Annotated[LabAccess, Depends(lab_access)]) -> LabAccess:
    if access.role is Role.VIEWER:
        raise forbidden("Viewers cannot change the lab's records")
    return access


def lab_admin(access: Annotated[LabAccess, Depends(lab_access)]) -> LabAccess:
    if access.role is not Role.ADMIN:
        raise forbidden("Only a lab administrator may do this")
    return access


MemberAccess = Annotated[LabAccess, Depends(lab_access)]
WriterAccess = Annotated[LabAccess, Depends(lab_writer)]
AdminAccess = Annotated[LabAccess, Depends(lab_admin)]
