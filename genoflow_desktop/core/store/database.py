"""Opening the local SQLite store: pragmas, schema migrations, and refusal of newer databases."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from genoflow_desktop.core.store import migrations

log = logging.getLogger(__name__)


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the GUI read while a worker writes; NORMAL sync is durable across app crashes
    # (only an OS crash can lose the last transactions) and much faster than FULL.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class Store:
    """The app's database. Create with :func:`open_store`; one per process, passed explicitly."""

    def __init__(self, path: Path, engine: Engine) -> None:
        self.path = path
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits when the block ends and rolls back if it raises."""
        with self._sessions.begin() as session:
            yield session

    def schema_revision(self) -> str | None:
        with self.engine.connect() as connection:
            return migrations.current_revision(connection)

    def close(self) -> None:
        self.engine.dispose()


def open_store(path: Path) -> Store:
    """Open (creating or upgrading as needed) the store at ``path``.

    Raises:
        IncompatibleStoreError: the file was written by a newer app version or is not a GenoFlow
            database. The file is not modified in that case.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    existing = path.exists() and path.stat().st_size > 0
    if existing:
        # Checked through a read-only connection so a refused file is left exactly as it was.
        migrations.check_compatible(path)
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 30})
    event.listen(engine, "connect", _set_sqlite_pragmas)
    if not existing:
        migrations.upgrade_to(engine)
    elif migrations.needs_upgrade(path):
        backup = _backup(path)
        log.info("upgrading the local store %s (a copy was kept as %s)", path, backup)
        migrations.upgrade_to(engine)
    return Store(path, engine)


def _backup(path: Path) -> Path:
    """Copy the database before a schema upgrade, so a failed upgrade loses nothing."""
    target = path.with_name(f"{path.stem}.before-upgrade{path.suffix}")
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)
        finally:
            destination.close()
    finally:
        source.close()
    return target
