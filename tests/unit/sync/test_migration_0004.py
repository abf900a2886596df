"""Schema 0004: rows made before lab sync existed are this machine's own, and not yet pushed."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, select

from genoflow_desktop.core.store import migrations, open_store
from genoflow_desktop.core.store.models import ORIGIN_LOCAL, Job, SyncAccount, Upload
from genoflow_desktop.core.sync import account


def test_upgrade_from_0003_marks_existing_rows_local_and_pending(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    engine = create_engine(f"sqlite:///{path}")
    migrations.upgrade_to(engine, "0003")
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO jobs (id, name, kind, state, params, inputs, messages, results, "
            "created_at, updated_at) VALUES ('j1', 'old job', 'imputation', 'completed', '{}', "
            "'[]', '[]', '[]', '2026-01-01 00:00:00', '2026-01-02 00:00:00')"
        )
        connection.exec_driver_sql(
            "INSERT INTO uploads (id, source_path, source_size, source_mtime_ns, profile, bucket, "
            "key, part_size, status, bytes_done, created_at, updated_at) VALUES ('u1', '/d/a.bam', "
            "1, 1, 'lab', 'b', 'k', 5242880, 'completed', 1, '2026-01-01 00:00:00', "
            "'2026-01-01 00:00:00')"
        )
    engine.dispose()

    store = open_store(path)
    try:
        assert store.schema_revision() == "0004" == migrations.head_revision()
        with store.session() as session:
            job = session.get(Job, "j1")
            upload = session.get(Upload, "u1")
            assert job is not None and upload is not None
            assert (job.origin, job.synced_at, job.lab_owner_id) == (ORIGIN_LOCAL, None, None)
            assert (upload.origin, upload.owner, upload.synced_at) == (ORIGIN_LOCAL, None, None)
            assert session.scalar(select(SyncAccount)) is None
        assert account.pending_count(store) == 2  # pushed at the first sync
    finally:
        store.close()

    # And back down: 0003 has none of it.
    engine = create_engine(f"sqlite:///{path}")
    from alembic import command

    config = migrations._config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")
    with engine.connect() as connection:
        columns = {row[1] for row in connection.exec_driver_sql("PRAGMA table_info(jobs)")}
        tables = {
            row[0]
            for row in connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type='table'"
            )
        }
    engine.dispose()
    assert "origin" not in columns and "synced_at" not in columns
    assert "sync_account" not in tables
