"""Telling the user a job has ended: the notification center, the desktop, and e-mail.

Every notification is first a row in the store (the app's notification center shows them, with
an unread count). A desktop callback, set by the app, shows it as a system notification; the
command line has none. E-mail goes out through the user's own SMTP server when they configured
one; its password is in the keychain like every other secret.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage

from sqlalchemy.orm import Session

from genoflow_desktop.core.errors import UserError
from genoflow_desktop.core.log import register_secret
from genoflow_desktop.core.services.credentials import KEYRING_SERVICE, keychain
from genoflow_desktop.core.settings import Settings
from genoflow_desktop.core.store.models import Notification

log = logging.getLogger(__name__)

SMTP_ACCOUNT = "smtp-password"

#: Called with (level, title, body) on the thread that finished the job.
DesktopNotify = Callable[[str, str, str], None]


@dataclass(frozen=True)
class Note:
    level: str  # "info", "warning" or "error"
    title: str
    body: str
    job_id: str | None = None


def set_smtp_password(password: str) -> None:
    register_secret(password)
    keychain().set_password(KEYRING_SERVICE, SMTP_ACCOUNT, password)


def _smtp_password() -> str | None:
    try:
        password: str | None = keychain().get_password(KEYRING_SERVICE, SMTP_ACCOUNT)
    except UserError:
        return None
    if password:
        register_secret(password)
    return password


def send_email(settings: Settings, subject: str, body: str) -> None:
    """Send one e-mail through the configured SMTP server. Raises UserError when it fails."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.smtp_sender or settings.smtp_username or settings.notification_email
    message["To"] = settings.notification_email
    message.set_content(body)
    context = ssl.create_default_context()
    try:
        smtp: smtplib.SMTP
        if settings.smtp_security == "ssl":
            smtp = smtplib.SMTP_SSL(
                settings.smtp_host, settings.smtp_port, context=context, timeout=30
            )
        else:
            smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30)
        with smtp:
            if settings.smtp_security == "starttls":
                smtp.starttls(context=context)
            if settings.smtp_username:
                password = _smtp_password()
                if password:
                    smtp.login(settings.smtp_username, password)
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise UserError(
            f"The e-mail to {settings.notification_email} could not be sent ({exc}).",
            hint="Check the SMTP server, port, security and user name in Settings.",
            retryable=True,
        ) from exc


class Notifier:
    """Records notifications and passes them on to the desktop and e-mail."""

    def __init__(self, settings: Settings, desktop: DesktopNotify | None = None) -> None:
        self.settings = settings
        self.desktop = desktop

    def notify(self, session: Session, note: Note, *, email: bool = False) -> None:
        session.add(
            Notification(level=note.level, title=note.title, body=note.body, job_id=note.job_id)
        )
        if self.desktop is not None and self.settings.notifications:
            # A broken notification area must never stop a job from being followed.
            with contextlib.suppress(Exception):
                self.desktop(note.level, note.title, note.body)
        if email and self.settings.notification_email and self.settings.smtp_host:
            try:
                send_email(self.settings, note.title, note.body)
            except UserError as error:
                log.warning("%s", error)
                session.add(Notification(level="warning", title=error.message, body=error.hint))
