"""Alembic environment: migrates the connection handed over by ``migrations.upgrade_to_head``.

Run from the command line (``alembic -c .../alembic.ini ...``) it uses ``sqlalchemy.url`` from
the ini file instead, which is how new revisions are generated during development.
"""

from alembic import context
from sqlalchemy import engine_from_config, pool

from genoflow_desktop.core.store.models import Base

config = context.config


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    # render_as_batch: SQLite cannot ALTER most things in place; batch mode rebuilds the table.
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as own_connection:
        _run(own_connection)
