"""``/api/v1/labs``: labs, their members and their audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy import func, select

from genoflow_desktop.server import accounts, audit
from genoflow_desktop.server.deps import (
    HEX_ID,
    AdminAccess,
    ClientAddress,
    CurrentUser,
    DbSession,
    MemberAccess,
    ServerAdmin,
)
from genoflow_desktop.server.errors import ApiError, not_found, responses
from genoflow_desktop.server.models import Lab, Membership, Role, User, new_id
from genoflow_desktop.server.routes.me import user_labs
from genoflow_desktop.server.schemas import AuditOut, LabCreate, LabRole, MemberOut, MemberPut

router = APIRouter(prefix="/api/v1/labs", tags=["labs"])
LAB_ERRORS = (401, 404)


@router.get("", response_model=list[LabRole], responses=responses(401))
def list_labs(user: CurrentUser, session: DbSession) -> list[LabRole]:
    return user_labs(session, user.id)


@router.post("", status_code=201, response_model=LabRole, responses=responses(401, 403, 422))
def create_lab(
    body: LabCreate, admin: ServerAdmin, session: DbSession, client: ClientAddress
) -> LabRole:
    lab = Lab(id=new_id(), name=body.name.strip() or body.name, last_seq=0)
    session.add(lab)
    session.flush()
    session.add(Membership(lab_id=lab.id, user_id=admin.id, role=Role.ADMIN.value))
    audit.record(session, "lab.created", client=client, user_id=admin.id, lab_id=lab.id)
    session.commit()
    return LabRole(id=lab.id, name=lab.name, role=Role.ADMIN)


@router.get("/{lab_id}", response_model=LabRole, responses=responses(*LAB_ERRORS))
def get_lab(access: MemberAccess) -> LabRole:
    return LabRole(id=access.lab.id, name=access.lab.name, role=access.role)


@router.get("/{lab_id}/members", response_model=list[MemberOut], responses=responses(*LAB_ERRORS))
def list_members(access: MemberAccess, session: DbSession) -> list[MemberOut]:
    rows = session.execute(
        select(User, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.lab_id == access.lab.id)
        .order_by(User.email)
    )
    return [
        MemberOut(user_id=u.id, email=u.email, display_name=u.display_name, role=Role(role))
        for u, role in rows
    ]


def _admin_count(session: DbSession, lab_id: str) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(Membership.lab_id == lab_id, Membership.role == Role.ADMIN.value)
        )
        or 0
    )


def _refuse_losing_last_admin(session: DbSession, membership: Membership) -> None:
    if membership.role == Role.ADMIN.value and _admin_count(session, membership.lab_id) <= 1:
        raise ApiError(409, "conflict", "A lab keeps at least one administrator")


@router.put(
    "/{lab_id}/members",
    response_model=MemberOut,
    responses=responses(*LAB_ERRORS, 403, 409, 422),
)
def put_member(
    body: MemberPut, access: AdminAccess, session: DbSession, client: ClientAddress
) -> MemberOut:
    user = accounts.find_user(session, body.email)
    if user is None:
        raise not_found("No account with this e-mail")
    membership = session.get(Membership, (access.lab.id, user.id))
    if membership is None:
        session.add(Membership(lab_id=access.lab.id, user_id=user.id, role=body.role.value))
    elif membership.role != body.role.value:
        if body.role is not Role.ADMIN:
            _refuse_losing_last_admin(session, membership)
        membership.role = body.role.value
    audit.record(
        session,
        "lab.member_set",
        client=client,
        user_id=access.user.id,
        lab_id=access.lab.id,
        target=user.id,
        detail={"role": body.role.value},
    )
    session.commit()
    return MemberOut(
        user_id=user.id, email=user.email, display_name=user.display_name, role=body.role
    )


@router.delete(
    "/{lab_id}/members/{user_id}",
    status_code=204,
    response_class=Response,
    responses=responses(*LAB_ERRORS, 403, 409),
)
def remove_member(
    user_id: str, access: AdminAccess, session: DbSession, client: ClientAddress
) -> Response:
    membership = (
        session.get(Membership, (access.lab.id, user_id)) if HEX_ID.fullmatch(user_id) else None
    )
    if membership is None:
        raise not_found("No such member")
    _refuse_losing_last_admin(session, membership)
    session.delete(membership)
    audit.record(
        session,
        "lab.member_removed",
        client=client,
        user_id=access.user.id,
        lab_id=access.lab.id,
        target=user_id,
    )
    session.commit()
    return Response(status_code=204)


@router.get(
    "/{lab_id}/audit", response_model=list[AuditOut], responses=responses(*LAB_ERRORS, 403, 422)
)
def lab_audit(
    access: AdminAccess,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditOut]:
    return [
        AuditOut.model_validate(event, from_attributes=True)
        for event in audit.lab_events(session, access.lab.id, limit)
    ]
