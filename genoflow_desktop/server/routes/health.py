"""``/health`` (anyone, for load balancers) and ``/metrics`` (server administrators)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

import genoflow_desktop
from genoflow_desktop.server.deps import ServerAdmin, State
from genoflow_desktop.server.errors import responses
from genoflow_desktop.server.schemas import HealthOut

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthOut, responses={503: {"model": HealthOut}})
def health(state: State) -> HealthOut | JSONResponse:
    try:
        with state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        body = HealthOut(
            status="error", database="unavailable", version=genoflow_desktop.__version__
        )
        return JSONResponse(body.model_dump(), status_code=503)
    return HealthOut(status="ok", database="ok", version=genoflow_desktop.__version__)


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text format"},
        **responses(401, 403),
    },
)
def metrics(_admin: ServerAdmin, state: State) -> Response:
    return Response(state.metrics.render(), media_type=CONTENT_TYPE_LATEST)
