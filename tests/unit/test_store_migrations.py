"""The local store: created empty, upgraded in place from the first schema, newer ones refused."""

import hashlib
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, select

from genoflow_desktop.core.domain import JobKind, JobState
from genoflow_desktop.core.errors import IncompatibleStoreError
from genoflow_desktop.core.store import migrations, open_store
from genoflow_desktop.core.store.models import Base, Job, Service
from genoflow_desktop.core.store.repositories import set_job_state


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_known_revisions_match_the_migration_scripts() -> None:
    script = migrations.script_directory()
    ordered = [r.revision for r in reversed(list(script.walk_revisions()))]
    assert tuple(ordered) == migrations.KNOWN_REVISIONS


def test_new_database_is_created_at_head_in_wal_mode(tmp_path: Path) -> None:
    store = open_store(tmp_path / "new.sqlite3")
    try:
        assert store.schema_revision() == migrations.head_revision()
        with store.engine.connect() as connection:
            mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
            foreign_keys = connection.exec_driver_sql("PRAGMA foreign_keys").scalar()
        assert mode == "wal" and foreign_keys == 1
    finally:
        store.close()


def test_migrated_schema_matches_the_models(tmp_path: Path) -> None:
    store = open_store(tmp_path / "db.sqlite3")
    try:
        with store.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert diff == []
    finally:
        store.close()


def test_upgrade_from_the_first_schema_keeps_the_data(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    engine = create_engine(f"sqlite:///{path}")
    migrations.upgrade_to(engine, migrations.first_revision())
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO services (name, kind, base_url, builtin, created_at) "
            "VALUES ('Michigan', 'cloudgene', 'https://example.org', 1, '2026-01-01 00:00:00')"
        )
    engine.dispose()

    store = open_store(path)
    try:
        assert store.schema_revision() == migrations.head_revision()
        with store.session() as session:
            assert session.scalar(select(Service.name)) == "Michigan"
    finally:
        store.close()


def test_upgrade_keeps_a_backup_when_the_schema_changes(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "old.sqlite3"
    open_store(path).close()
    # Pretend this app knows one more revision than the file has.
    monkeypatch.setattr(migrations, "needs_upgrade", lambda p: True)
    before = _digest(path)
    open_store(path).close()
    backup = tmp_path / "old.before-upgrade.sqlite3"
    assert backup.exists()
    with sqlite3.connect(backup) as connection:
        assert (
            connection.execute("SELECT version_num FROM alembic_version").fetchone()[0]
            == migrations.head_revision()
        )
    assert before  # the original was readable before the upgrade


def test_database_from_a_newer_version_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "newer.sqlite3"
    open_store(path).close()
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999_future'")
    connection.close()
    before = _digest(path)
    with pytest.raises(IncompatibleStoreError) as caught:
        open_store(path)
    assert "newer version of GenoFlow" in caught.value.message
    assert "9999_future" in caught.value.message
    assert "--basedir" in caught.value.hint
    assert _digest(path) == before


def test_foreign_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE something (x)")
    connection.close()
    with pytest.raises(IncompatibleStoreError, match="not a GenoFlow database"):
        open_store(path)


def test_garbage_file_is_refused_with_a_plain_message(tmp_path: Path) -> None:
    path = tmp_path / "garbage.sqlite3"
    path.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(IncompatibleStoreError, match="cannot be read"):
        open_store(path)
    assert path.read_bytes().startswith(b"this is not")


def test_job_state_changes_are_recorded_in_history(tmp_path: Path) -> None:
    store = open_store(tmp_path / "db.sqlite3")
    try:
        with store.session() as session:
            job = Job(name="chr20 imputation", kind=JobKind.IMPUTATION, state=JobState.DRAFT)
            session.add(job)
            set_job_state(session, job, JobState.QUEUED, "submitted")
            set_job_state(session, job, JobState.COMPLETED)
            session.flush()
            job_id = job.id
        with store.session() as session:
            job = session.get(Job, job_id)
            assert job is not None
            assert [e.state for e in job.history] == ["queued", "completed"]
            assert job.finished_at is not None and job.finished_at.tzinfo is not None
            assert job.created_at <= datetime.now(UTC)
    finally:
        store.close()
