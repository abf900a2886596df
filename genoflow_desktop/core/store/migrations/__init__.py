"""Schema migrations of the local store (Alembic), run programmatically at start-up.

Adding a migration: change ``models.py``, then from the repository root run
``alembic -c genoflow_desktop/core/store/migrations/alembic.ini revision --autogenerate -m "..."``,
review the file in ``versions/`` (it must not import the models), add its id to
:data:`KNOWN_REVISIONS`, and run the tests.

Alembic is imported only when a migration actually runs: checking that a database is current
reads one row with sqlite3, which keeps ~150 ms of imports off every start-up.
"""

from __future__ import annotations

import sqlite3
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from genoflow_desktop.core.errors import IncompatibleStoreError

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from sqlalchemy.engine import Connection, Engine

#: Every revision in ``versions/``, oldest first (a test checks this against Alembic's own view).
KNOWN_REVISIONS = ("0001", "0002", "0003", "0004")


def _config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option(
        "script_location", str(resources.files("genoflow_desktop.core.store") / "migrations")
    )
    return config


def script_directory() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config())


def head_revision() -> str:
    return KNOWN_REVISIONS[-1]


def first_revision() -> str:
    return KNOWN_REVISIONS[0]


def current_revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def _stored_revision(path: Path) -> tuple[str | None, bool]:
    """(revision, has_tables) of the database file, read without changing it."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = {
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        if "alembic_version" not in tables:
            return None, bool(tables)
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        return (row[0] if row else None), True
    except sqlite3.DatabaseError as exc:
        raise IncompatibleStoreError(
            f"The local database {path} cannot be read: {exc}.",
            hint="Move the file aside (or start with --basedir pointing to a new folder) "
            "and start GenoFlow again; it will create a new database.",
        ) from exc
    finally:
        connection.close()


def check_compatible(path: Path) -> None:
    """Raise :class:`IncompatibleStoreError` if this app version must not open ``path``."""
    revision, has_tables = _stored_revision(path)
    if revision is None:
        if has_tables:
            raise IncompatibleStoreError(
                f"{path} is not a GenoFlow database.",
                hint="Choose another data folder with --basedir or GENOFLOW_DATA_DIR.",
            )
        return
    if revision not in KNOWN_REVISIONS:
        raise IncompatibleStoreError(
            f"The local database {path} was written by a newer version of GenoFlow "
            f"(schema {revision}); this version understands schemas up to {head_revision()}.",
            hint="Install the newer GenoFlow again, or start this version with --basedir "
            "pointing to another folder. The database was not changed.",
        )


def needs_upgrade(path: Path) -> bool:
    revision, _ = _stored_revision(path)
    return revision is not None and revision != head_revision()


def upgrade_to(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database to ``revision`` (the tests build old schemas with it)."""
    from alembic import command

    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
