"""``/api/v1/labs/{lab_id}/sync``: push records, pull changes (see records.py for the rules)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from genoflow_desktop.server import audit, records
from genoflow_desktop.server.deps import ClientAddress, DbSession, MemberAccess, State, WriterAccess
from genoflow_desktop.server.errors import responses
from genoflow_desktop.server.schemas import (
    DEFAULT_PULL_LIMIT,
    MAX_PULL_LIMIT,
    MAX_SEQ,
    PullResponse,
    PushRequest,
    PushResponse,
)

router = APIRouter(prefix="/api/v1/labs/{lab_id}/sync", tags=["sync"])


@router.post("/push", response_model=PushResponse, responses=responses(401, 403, 404, 422))
def push(
    body: PushRequest,
    access: WriterAccess,
    state: State,
    session: DbSession,
    client: ClientAddress,
) -> PushResponse:
    outcome = records.push(
        session, lab_id=access.lab.id, user=access.user, role=access.role, items=body.records
    )
    audit.record(
        session,
        "sync.push",
        client=client,
        user_id=access.user.id,
        lab_id=access.lab.id,
        detail=dict(outcome.counts),
    )
    session.commit()
    for result in outcome.response.results:
        state.metrics.records_pushed.labels(result.kind.value, result.status).inc()
    return outcome.response


@router.get("/pull", response_model=PullResponse, responses=responses(401, 404, 422))
def pull(
    access: MemberAccess,
    state: State,
    session: DbSession,
    since: Annotated[int, Query(ge=0, le=MAX_SEQ)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PULL_LIMIT)] = DEFAULT_PULL_LIMIT,
) -> PullResponse:
    pulled, cursor, more = records.pull(session, lab_id=access.lab.id, since=since, limit=limit)
    for record in pulled:
        state.metrics.records_pulled.labels(record.kind.value).inc()
    return PullResponse(records=pulled, cursor=cursor, more=more)
