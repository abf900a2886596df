"""A planted token must appear in no log file and no database column."""

import logging
import sqlite3
from pathlib import Path

import pytest

from genoflow_desktop.core import log as core_log
from genoflow_desktop.core.errors import SecretStoreUnavailable
from genoflow_desktop.core.paths import AppDirs
from genoflow_desktop.core.services import credentials
from genoflow_desktop.core.store import open_store
from genoflow_desktop.core.store.models import Service

FAKE_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VybmFtZSI6InBsYW50ZWQifQ.c2VjcmV0LXNpZ25hdHVyZS0xMjM0NTY"


def _all_database_text(path: Path) -> str:
    connection = sqlite3.connect(path)
    try:
        chunks = []
        tables = [
            r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        for table in tables:
            for row in connection.execute(f'SELECT * FROM "{table}"'):
                chunks.extend(str(value) for value in row)
        return "\n".join(chunks)
    finally:
        connection.close()


def test_planted_token_reaches_neither_logs_nor_database(app_dirs: AppDirs) -> None:
    log_file = core_log.setup_logging(app_dirs.logs, file_level="DEBUG")
    store = open_store(app_dirs.database)
    try:
        with store.session() as session:
            session.add(Service(name="Michigan", kind="cloudgene", base_url="https://mis.example"))
        with store.session() as session:
            credentials.set_token(session, "Michigan", FAKE_TOKEN, label="lab token")
        with store.session() as session:
            assert credentials.get_token(session, "Michigan") == FAKE_TOKEN

        # Libraries and careless code do log secrets: the log must mask them anyway.
        logger = logging.getLogger("genoflow_desktop.test")
        logger.debug("request headers: {'X-Auth-Token': '%s'}", FAKE_TOKEN)
        logger.info("GET https://mis.example/api?token=%s", FAKE_TOKEN)
        try:
            raise RuntimeError(f"server said no to {FAKE_TOKEN}")
        except RuntimeError:
            logger.exception("a failure")
        for handler in logging.getLogger().handlers:
            handler.flush()

        assert log_file is not None
        log_text = "".join(p.read_text() for p in app_dirs.logs.glob("*.log*"))
        assert "request headers" in log_text and "a failure" in log_text
        assert core_log.MASK in log_text
        assert FAKE_TOKEN not in log_text
        assert FAKE_TOKEN not in _all_database_text(app_dirs.database)
        assert "lab token" in _all_database_text(app_dirs.database)  # the metadata is there
        settings_text = "".join(p.read_text() for p in app_dirs.config.glob("*"))
        assert FAKE_TOKEN not in settings_text
    finally:
        store.close()
        core_log.setup_logging(None)


def test_unregistered_secret_shapes_are_masked() -> None:
    # A registry of its own: the process-wide one holds whatever earlier tests registered.
    redact = core_log.SecretRegistry().redact
    assert "hunter2secret" not in redact("login with password=hunter2secret ok")
    assert "abcdef123456" not in redact("Authorization: Bearer abcdef123456")
    assert "s3cr3tKey/xyz" not in redact("aws_secret_access_key='s3cr3tKey/xyz'")
    assert redact("nothing secret here: 42 files") == "nothing secret here: 42 files"


def test_without_a_keychain_tokens_are_refused_not_written_elsewhere(
    app_dirs: AppDirs, monkeypatch: pytest.MonkeyPatch
) -> None:
    import keyring
    from keyring.backends import fail

    monkeypatch.setattr(keyring, "get_keyring", lambda: fail.Keyring())
    store = open_store(app_dirs.database)
    try:
        with store.session() as session:
            session.add(Service(name="TOPMed", kind="cloudgene", base_url="https://topmed.example"))
        with pytest.raises(SecretStoreUnavailable) as caught, store.session() as session:
            credentials.set_token(session, "TOPMed", FAKE_TOKEN)
        assert "keychain" in caught.value.message
        assert "PYTHON_KEYRING_BACKEND" in caught.value.hint
        assert FAKE_TOKEN not in _all_database_text(app_dirs.database)
    finally:
        store.close()


def test_a_registered_secret_inside_a_key_name_does_not_unmask_its_value() -> None:
    from genoflow_desktop.core.log import SecretRegistry

    registry = SecretRegistry()
    registry.add("secret")
    redacted = registry.redact("aws_secret_access_key='s3cr3tKey/xyz'")
    assert "s3cr3tKey/xyz" not in redacted and "secret" not in redacted
