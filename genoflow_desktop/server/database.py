"""Engines and sessions for SQLite (one user, one writer) and PostgreSQL (a lab, many workers)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, event, make_url
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL: pulls read while a push writes. busy_timeout: a second writer waits for the first
    # instead of failing at once (SQLite has a single writer; see records.lock_lab).
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url`` (``sqlite:///path`` or ``postgresql+psycopg://...``)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            url,
            # Endpoints run in FastAPI's thread pool: a connection may move between threads.
            connect_args={"check_same_thread": False, "timeout": 30},
        )
        event.listen(engine, "connect", _set_sqlite_pragmas)
        return engine
    # pool_pre_ping: a PostgreSQL restart (or failover) must not fail the next requests.
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def make_sessions(engine: Engine) -> sessionmaker[Session]:
    # expire_on_commit=False: response bodies are built from objects after the commit.
    return sessionmaker(engine, expire_on_commit=False, autoflush=False)
