"""Alembic environment: migrates the connection handed over by ``migrations.upgrade``.

Run from the command line (``alembic -c genoflow_desktop/server/migrations/alembic.ini ...``) it
uses ``sqlalchemy.url`` from the ini file instead, which is how new revisions are generated.
"""

from alembic import context
from sqlalchemy import engine_from_config, pool

from genoflow_desktop.server.models import Base


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    # render_as_batch: SQLite cannot ALTER most things in place; batch mode rebuilds the table.
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as own_connection:
        _run(own_connection)


# Alembic sets ``context.config`` before it runs this file; a plain import (a test importing
# every module of the package, say) must do nothing.
if hasattr(context, "config"):
    _main()
