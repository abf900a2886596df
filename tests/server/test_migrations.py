"""The server's schema: Alembic's head is exactly the models, built from empty on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select

from genoflow_desktop.core.errors import UserError
from genoflow_desktop.server import migrations
from genoflow_desktop.server.app import create_app
from genoflow_desktop.server.database import make_engine
from genoflow_desktop.server.models import Base, ServerKey
from tests.peers.postgres import PostgresCluster
from tests.server.conftest import BACKENDS, PASSWORD, make_settings, open_api


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database no migration has touched (not the tests' migrated template)."""
    if request.param == "postgresql":
        cluster: PostgresCluster = request.getfixturevalue("pg_cluster")
        return cluster.create_database()
    return f"sqlite:///{tmp_path / 'empty.sqlite3'}"


def test_known_revisions_match_the_migration_scripts() -> None:
    script = migrations.script_directory()
    ordered = [revision.revision for revision in reversed(list(script.walk_revisions()))]
    assert tuple(ordered) == migrations.KNOWN_REVISIONS


def test_upgrade_from_empty_matches_the_models(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        migrations.upgrade(engine)
        with engine.connect() as connection:
            assert migrations.current_revision(connection) == migrations.KNOWN_REVISIONS[-1]
            diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
            keys = connection.execute(select(ServerKey.name, ServerKey.value)).all()
        assert diff == []
        # The signing key is made by the first migration, long and random.
        assert [name for name, _ in keys] == ["jwt"] and len(keys[0][1]) >= 64
        # Migrating again is a no-op that keeps the key.
        migrations.upgrade(engine)
        with engine.connect() as connection:
            assert connection.execute(select(ServerKey.value)).scalar_one() == keys[0][1]
    finally:
        engine.dispose()


def test_sqlite_database_uses_wal_and_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


def test_workers_refuse_an_unmigrated_database(empty_database_url: str) -> None:
    with pytest.raises(UserError, match="genoflow server migrate"):
        create_app(empty_database_url, migrate=False)


def test_a_database_from_a_newer_server_is_refused_untouched(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    engine = make_engine(url)
    try:
        migrations.upgrade(engine)
        with engine.begin() as connection:
            connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
        with pytest.raises(UserError, match="newer"):
            migrations.upgrade(engine)
    finally:
        engine.dispose()


def test_apps_on_one_database_share_the_signing_key(database_url: str) -> None:
    """Two workers (or instances) on one database accept each other's tokens."""
    settings = make_settings(database_url)
    for first in open_api(settings):
        first.add_user("ada@lab.example")
        login = first.login("ada@lab.example", PASSWORD)
        for second in open_api(settings):
            assert second.get("/api/v1/me", login).status_code == 200
            assert second.state.signing_key() == first.state.signing_key()
