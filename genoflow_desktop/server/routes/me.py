"""``/api/v1/me``: the caller's account, second factor and password."""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy import select

from genoflow_desktop.server import accounts, audit, security
from genoflow_desktop.server.deps import ClientAddress, CurrentUser, DbSession, State
from genoflow_desktop.server.errors import ApiError, responses
from genoflow_desktop.server.models import Lab, Membership, Role, User, utcnow
from genoflow_desktop.server.schemas import (
    LabRole,
    MeOut,
    PasswordChange,
    TotpCode,
    TotpEnrolment,
)

router = APIRouter(prefix="/api/v1/me", tags=["me"])


def user_labs(session: DbSession, user_id: str) -> list[LabRole]:
    rows = session.execute(
        select(Lab.id, Lab.name, Membership.role)
        .join(Membership, Membership.lab_id == Lab.id)
        .where(Membership.user_id == user_id)
        .order_by(Lab.name, Lab.id)
    )
    return [LabRole(id=lab_id, name=name, role=Role(role)) for lab_id, name, role in rows]


@router.get("", response_model=MeOut, responses=responses(401))
def me(user: CurrentUser, session: DbSession) -> MeOut:
    return MeOut(**accounts.user_out(user).model_dump(), labs=user_labs(session, user.id))


@router.post("/totp", response_model=TotpEnrolment, responses=responses(401, 409))
def start_totp(
    user: CurrentUser, state: State, session: DbSession, client: ClientAddress
) -> TotpEnrolment:
    if user.totp_enabled:
        raise ApiError(409, "conflict", "A second factor is already active; remove it first")
    user.totp_secret = security.new_totp_secret()
    audit.record(session, "totp.enrolment_started", client=client, user_id=user.id)
    session.commit()
    uri = security.totp_uri(user.totp_secret, account=user.email, issuer=state.settings.totp_issuer)
    return TotpEnrolment(secret=user.totp_secret, otpauth_uri=uri)


def _check_code(session: DbSession, user: User, code: str) -> None:
    if not accounts.accept_totp(session, user, code):
        raise ApiError(400, "invalid_totp", "Wrong or already used authentication code")


@router.post(
    "/totp/confirm",
    status_code=204,
    response_class=Response,
    responses=responses(400, 401, 409, 422),
)
def confirm_totp(
    body: TotpCode, user: CurrentUser, session: DbSession, client: ClientAddress
) -> Response:
    if user.totp_enabled or not user.totp_secret:
        raise ApiError(409, "conflict", "No second factor enrolment is waiting for confirmation")
    _check_code(session, user, body.code)
    user.totp_enabled = True
    audit.record(session, "totp.enabled", client=client, user_id=user.id)
    session.commit()
    return Response(status_code=204)


@router.delete(
    "/totp", status_code=204, response_class=Response, responses=responses(400, 401, 409, 422)
)
def remove_totp(
    body: TotpCode, user: CurrentUser, session: DbSession, client: ClientAddress
) -> Response:
    if not user.totp_enabled:
        raise ApiError(409, "conflict", "No second factor is active")
    _check_code(session, user, body.code)
    user.totp_enabled, user.totp_secret = False, None
    audit.record(session, "totp.removed", client=client, user_id=user.id)
    session.commit()
    return Response(status_code=204)


@router.post(
    "/password", status_code=204, response_class=Response, responses=responses(401, 403, 422)
)
def change_password(
    body: PasswordChange,
    user: CurrentUser,
    state: State,
    session: DbSession,
    client: ClientAddress,
) -> Response:
    if not security.verify_password(state.hasher, user.password_hash, body.current_password):
        audit.record(session, "password.change_refused", client=client, user_id=user.id)
        session.commit()
        raise ApiError(403, "invalid_credentials", "The current password is wrong")
    user.password_hash = state.hasher.hash(body.new_password)
    # Every session ends, this one included: whoever knew the old password is logged out.
    accounts.revoke_all_sessions(session, user.id, utcnow())
    audit.record(session, "password.changed", client=client, user_id=user.id)
    session.commit()
    return Response(status_code=204)
