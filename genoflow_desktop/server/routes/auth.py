"""``/api/v1/auth``: login (rate limited, optional TOTP), refresh-token rotation, logout."""

from __future__ import annotations

from fastapi import APIRouter, Response

from genoflow_desktop.server import accounts, audit, security
from genoflow_desktop.server.deps import ClientAddress, CurrentUser, DbSession, State
from genoflow_desktop.server.errors import ApiError, responses, unauthorized
from genoflow_desktop.server.models import RefreshToken, User, utcnow
from genoflow_desktop.server.ratelimit import login_retry_after
from genoflow_desktop.server.schemas import LoginRequest, RefreshRequest, TokenPair

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/login", response_model=TokenPair, responses=responses(401, 422, 429))
def login(body: LoginRequest, state: State, session: DbSession, client: ClientAddress) -> TokenPair:
    email = accounts.normalise_email(body.email)
    now = utcnow()
    wait = login_retry_after(session, state.settings, email=email, client=client, now=now)
    if wait is not None:
        audit.record(session, audit.LOGIN_RATE_LIMITED, client=client, target=email, at=now)
        session.commit()
        raise ApiError(
            429,
            "rate_limited",
            "Too many failed logins; try again later",
            {"Retry-After": str(wait)},
        )

    def refuse(code: str, user: User | None) -> ApiError:
        # Committed before answering: the failure must count towards the rate limit.
        audit.record(
            session,
            audit.LOGIN_FAILED,
            client=client,
            user_id=user.id if user else None,
            target=email,
            detail={"reason": code},
            at=now,
        )
        session.commit()
        return unauthorized(
            code,
            "Wrong e-mail or password"
            if code == "invalid_credentials"
            else "Wrong or already used authentication code",
        )

    user = accounts.find_user(session, email)
    if user is None or user.disabled:
        # Hash anyway: an unknown e-mail must take as long to refuse as a wrong password.
        security.verify_password(state.hasher, state.dummy_hash, body.password)
        raise refuse("invalid_credentials", None)
    if not security.verify_password(state.hasher, user.password_hash, body.password):
        raise refuse("invalid_credentials", user)
    if user.totp_enabled and user.totp_secret:
        if not body.totp_code:
            audit.record(
                session, audit.LOGIN_TOTP_REQUIRED, client=client, user_id=user.id, target=email
            )
            session.commit()
            raise unauthorized("totp_required", "Enter the code from your authenticator app")
        if not accounts.accept_totp(session, user, body.totp_code):
            raise refuse("invalid_totp", user)
    if state.hasher.check_needs_rehash(user.password_hash):
        user.password_hash = state.hasher.hash(body.password)
    pair = accounts.start_session(session, state, user, now)
    audit.record(
        session, audit.LOGIN_SUCCEEDED, client=client, user_id=user.id, target=email, at=now
    )
    session.commit()
    return pair


@router.post("/refresh", response_model=TokenPair, responses=responses(401, 422))
def refresh(
    body: RefreshRequest, state: State, session: DbSession, client: ClientAddress
) -> TokenPair:
    now = utcnow()
    try:
        pair = accounts.rotate(session, state, body.refresh_token, now)
    except accounts.RefreshReused as reuse:
        audit.record(session, "auth.refresh_reused", client=client, user_id=reuse.user_id)
        session.commit()
        raise unauthorized(
            "token_revoked", "This refresh token was already used; the session is revoked"
        ) from None
    audit.record(session, "auth.refresh", client=client, user_id=pair.user.id, at=now)
    session.commit()
    return pair


@router.post("/logout", status_code=204, response_class=Response, responses=responses(401, 422))
def logout(
    body: RefreshRequest, user: CurrentUser, session: DbSession, client: ClientAddress
) -> Response:
    stored = session.get(RefreshToken, security.token_hash(body.refresh_token))
    # Someone else's token is ignored: a logout must not end another user's session.
    if stored is not None and stored.user_id == user.id:
        accounts.revoke_family(session, stored.family_id, utcnow())
    audit.record(session, "auth.logout", client=client, user_id=user.id)
    session.commit()
    return Response(status_code=204)
