"""``/api/v1/users``: accounts, managed by server administrators."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from genoflow_desktop.server import accounts, audit
from genoflow_desktop.server.deps import ClientAddress, DbSession, ServerAdmin, State
from genoflow_desktop.server.errors import responses
from genoflow_desktop.server.models import User
from genoflow_desktop.server.schemas import UserCreate, UserOut

router = APIRouter(prefix="/api/v1/users", tags=["users"])


@router.get("", response_model=list[UserOut], responses=responses(401, 403))
def list_users(_admin: ServerAdmin, session: DbSession) -> list[UserOut]:
    users = session.scalars(select(User).order_by(User.email))
    return [accounts.user_out(user) for user in users]


@router.post("", status_code=201, response_model=UserOut, responses=responses(401, 403, 409, 422))
def create_user(
    body: UserCreate, admin: ServerAdmin, state: State, session: DbSession, client: ClientAddress
) -> UserOut:
    user = accounts.create_user(
        session,
        state,
        email=body.email,
        display_name=body.display_name,
        password=body.password,
        is_admin=body.is_admin,
    )
    audit.record(
        session,
        "user.created",
        client=client,
        user_id=admin.id,
        target=user.id,
        detail={"is_admin": user.is_admin},
    )
    session.commit()
    return accounts.user_out(user)
