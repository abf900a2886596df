"""Job e-mails go through a real SMTP server (aiosmtpd on 127.0.0.1), with the password from
the keychain and nowhere else."""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from genoflow_desktop.core.jobs.notify import Note, Notifier, send_email, set_smtp_password
from genoflow_desktop.core.settings import Settings
from genoflow_desktop.core.store import open_store
from genoflow_desktop.core.store.models import Notification
from tests.integration.conftest import _free_port

pytestmark = pytest.mark.integration


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def settings_for(port: int) -> Settings:
    return Settings(
        notification_email="ana@lab.example",
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security="none",
        smtp_sender="genoflow@lab.example",
    )


def test_a_finished_job_is_mailed_and_recorded(app_dirs, smtp) -> None:  # type: ignore[no-untyped-def]
    inbox, port = smtp
    store = open_store(app_dirs.database)
    try:
        notifier = Notifier(settings_for(port))
        with store.session() as session:
            notifier.notify(
                session, Note("info", "Job 'cohort 1' finished", "22 files in /data"), email=True
            )
        with store.session() as session:
            assert [n.title for n in session.query(Notification)] == ["Job 'cohort 1' finished"]
    finally:
        store.close()
    assert len(inbox.messages) == 1
    recipients, message = inbox.messages[0]
    assert recipients == ["ana@lab.example"]
    assert message["Subject"] == "Job 'cohort 1' finished"
    assert message["From"] == "genoflow@lab.example"
    assert "22 files in /data" in message.get_payload()


def test_an_unreachable_smtp_server_becomes_a_notification(app_dirs) -> None:  # type: ignore[no-untyped-def]
    store = open_store(app_dirs.database)
    try:
        notifier = Notifier(settings_for(_free_port()))  # nothing listens there
        with store.session() as session:
            notifier.notify(session, Note("error", "Job 'x' failed", "QC"), email=True)
        with store.session() as session:
            titles = [n.title for n in session.query(Notification)]
    finally:
        store.close()
    assert titles[0] == "Job 'x' failed"
    assert "could not be sent" in titles[1]


def test_smtp_password_lives_in_the_keychain(smtp) -> None:  # type: ignore[no-untyped-def]
    import keyring

    inbox, port = smtp
    set_smtp_password("s3cret-smtp")
    assert keyring.get_password("GenoFlow Desktop", "smtp-password") == "s3cret-smtp"
    send_email(settings_for(port), "subject", "body")  # no login without a user name
    assert len(inbox.messages) == 1
