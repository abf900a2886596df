"""The FastAPI application: :func:`create_app` wires settings, database, routes and metrics.

No module-level app and no globals: everything one app needs hangs off ``app.state.server``,
and all of it is derived from the database URL (the signing key lives in the database), so any
number of workers or instances can serve the same lab.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

import genoflow_desktop
from genoflow_desktop.core.errors import UserError
from genoflow_desktop.server import migrations, security
from genoflow_desktop.server.config import DATABASE_URL_VARIABLE, Settings
from genoflow_desktop.server.database import make_engine, make_sessions
from genoflow_desktop.server.deps import ServerState
from genoflow_desktop.server.errors import install_handlers
from genoflow_desktop.server.metrics import Metrics, MetricsMiddleware
from genoflow_desktop.server.routes import auth, health, labs, me, sync, users


def create_app(settings: Settings | str, *, migrate: bool = True) -> FastAPI:
    """The server for ``settings`` (or just a database URL).

    ``migrate``: upgrade the schema first. Worker processes pass False (the parent migrated):
    concurrent migrations of one PostgreSQL database would collide.
    """
    if isinstance(settings, str):
        settings = Settings(database_url=settings)
    engine = make_engine(settings.database_url)
    if migrate:
        migrations.upgrade(engine)
    else:
        migrations.require_head(engine)
    hasher = security.password_hasher(settings)
    state = ServerState(
        settings=settings,
        engine=engine,
        sessions=make_sessions(engine),
        hasher=hasher,
        metrics=Metrics(),
        dummy_hash=hasher.hash("not a password of anyone"),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(
        title="GenoFlow lab sync server",
        version=genoflow_desktop.__version__,
        description="Shares a lab's job and upload history between GenoFlow Desktop "
        "installations (docs/sync-server.md).",
        lifespan=lifespan,
    )
    app.state.server = state
    install_handlers(app)
    for module in (health, auth, me, users, labs, sync):
        app.include_router(module.router)
    app.add_middleware(MetricsMiddleware, metrics=state.metrics)
    return app


def app_from_env() -> FastAPI:
    """The app of a uvicorn worker process: the database URL comes from the environment."""
    url = os.environ.get(DATABASE_URL_VARIABLE)
    if not url:
        raise UserError(f"{DATABASE_URL_VARIABLE} is not set", hint="Start with 'genoflow server'.")
    return create_app(url, migrate=False)
