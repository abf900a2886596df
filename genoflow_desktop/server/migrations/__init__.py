"""Schema migrations of the sync server (Alembic), run programmatically before it serves.

Adding a migration: change ``models.py``, then from the repository root run
``alembic -c genoflow_desktop/server/migrations/alembic.ini revision --autogenerate -m "..."``,
review the file in ``versions/`` (it must not import the models), add its id to
:data:`KNOWN_REVISIONS`, and run ``pytest tests/server``.
"""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from genoflow_desktop.core.errors import UserError

#: Every revision in ``versions/``, oldest first (a test checks this against Alembic's view).
KNOWN_REVISIONS = ("0001",)


def _config() -> Config:
    config = Config()
    config.set_main_option(
        "script_location", str(resources.files("genoflow_desktop.server") / "migrations")
    )
    return config


def script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Bring the database to the newest schema; refuse one written by a newer server."""
    config = _config()
    with engine.begin() as connection:
        revision = current_revision(connection)
        if revision is not None and revision not in KNOWN_REVISIONS:
            raise UserError(
                f"The sync database has schema {revision}, newer than this server understands "
                f"(up to {KNOWN_REVISIONS[-1]}).",
                hint="Run the newer version of GenoFlow's server; the database was not changed.",
            )
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def require_head(engine: Engine) -> None:
    """Refuse to serve a database that is not at this server's newest schema."""
    with engine.connect() as connection:
        revision = current_revision(connection)
    if revision != KNOWN_REVISIONS[-1]:
        raise UserError(
            f"The sync database is at schema {revision or 'none'}, not {KNOWN_REVISIONS[-1]}.",
            hint="Run 'genoflow server migrate --db URL' first.",
        )
