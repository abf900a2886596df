"""Settings → Lab account: sign in to the lab's sync server, see the sync state, manage TOTP.

(How often to sync and the idle timeout are preferences, in the Settings' "Lab sync" section.)

Only renders a :class:`~genoflow_desktop.qt.workers.sync_runner.SyncState` and hands the
user's requests to the :class:`~genoflow_desktop.qt.workers.sync_runner.SyncRunner` as tasks.
Every problem shows inline under the part it concerns, never in a dialog. The password lives
in its field until the sign-in succeeds (then it is cleared); it is never logged or stored.
"""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QRegularExpression, Qt, Slot
from PySide6.QtGui import QGuiApplication, QPixmap, QRegularExpressionValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from genoflow_desktop.core.errors import UserError
from genoflow_desktop.qt.views.settings.fields import FieldError
from genoflow_desktop.qt.workers.sync_runner import SyncState

if TYPE_CHECKING:
    from genoflow_desktop.qt.workers.sync_runner import SyncRunner
    from genoflow_desktop.qt.workers.task_runner import TaskRunner

TITLE = "Lab account"
TASK = "settings.sync"
TOTP_TASK = "settings.sync.totp"
NEEDS_CODE = "This account needs a code from your authenticator app: enter it, then Sign in."
CHOOSE_LAB = "You belong to several labs: choose the one to sync with, then Sign in."


def qr_pixmap(text: str, scale: int = 5) -> QPixmap:
    """``text`` as a QR code (rendered by segno to PNG in memory)."""
    import segno

    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=scale, border=3)
    pixmap = QPixmap()
    pixmap.loadFromData(buffer.getvalue(), "PNG")
    return pixmap


def _code_field(name: str) -> QLineEdit:
    field = QLineEdit()
    field.setValidator(QRegularExpressionValidator(QRegularExpression(r"\d{0,6}")))
    field.setPlaceholderText("6-digit code")
    field.setMaximumWidth(140)
    field.setAccessibleName(name)
    return field


def _button(text: str, name: str) -> QPushButton:
    button = QPushButton(text)
    button.setAccessibleName(name)
    return button


def _time_text(value: datetime | None) -> str:
    if value is None:
        return "never"
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone().strftime("%Y-%m-%d %H:%M")


def _problem(error: UserError) -> str:
    return f"{error.message} {error.hint}".strip()


class SyncPanel(QGroupBox):
    """The "Lab sync" section: a sign-in form, or the signed-in account and its state."""

    def __init__(self, sync: SyncRunner, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(TITLE, parent)
        self._sync = sync
        self._runner = runner
        self.state = SyncState()
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setAccessibleName("Lab sign-in notice")
        self.note.hide()
        self.pages = QStackedWidget()
        self.signed_out = self._build_sign_in()
        self.signed_in = self._build_account()
        self.pages.addWidget(self.signed_out)
        self.pages.addWidget(self.signed_in)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.pages)
        sync.state_changed.connect(self.show_state)
        self.show_state(sync.state)

    # -- building ------------------------------------------------------------------------------

    def _build_sign_in(self) -> QWidget:
        page = QWidget()
        self.form = QFormLayout(page)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.server = QLineEdit()
        self.server.setPlaceholderText("https://sync.lab.example.org")
        self.server.setAccessibleName("Lab server address")
        self.email = QLineEdit()
        self.email.setPlaceholderText("you@lab.example.org")
        self.email.setAccessibleName("E-mail address")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        self.code = _code_field("Authenticator code")
        self.lab = QComboBox()
        self.lab.setAccessibleName("Lab")
        self.remember = QCheckBox("Remember me on this computer")
        self.remember.setAccessibleName("Remember me")
        self.remember.setToolTip(
            "Keep the sign-in in the system keychain: the app signs in by itself at start-up, "
            "and the sign-in does not end when you are away."
        )
        self.sign_in_button = _button("Sign in", "Sign in to the lab")
        self.sign_in_button.setDefault(True)
        self.sign_in_error = FieldError("Lab sign-in")
        for field in (self.server, self.email, self.password, self.code):
            field.returnPressed.connect(self._on_sign_in_clicked)
        self.sign_in_button.clicked.connect(self._on_sign_in_clicked)
        self.form.addRow("Server address:", self.server)
        self.form.addRow("E-mail:", self.email)
        self.form.addRow("Password:", self.password)
        self.form.addRow("Authenticator code:", self.code)
        self.form.addRow("Lab:", self.lab)
        self.form.addRow("", self.remember)
        buttons = QHBoxLayout()
        buttons.addWidget(self.sign_in_button)
        buttons.addStretch(1)
        self.form.addRow("", buttons)
        self.form.addRow("", self.sign_in_error)
        self.form.setRowVisible(self.code, False)
        self.form.setRowVisible(self.lab, False)
        return page

    def _build_account(self) -> QWidget:
        page = QWidget()
        self.who = QLabel()
        self.who.setAccessibleName("Lab account")
        self.who.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.last_sync = QLabel()
        self.last_sync.setAccessibleName("Last sync")
        self.pending = QLabel()
        self.pending.setAccessibleName("Pending local changes")
        self.sync_error = FieldError("Lab sync")
        self.sync_now = _button("Sync now", "Sync with the lab now")
        self.sign_out = _button("Sign out", "Sign out of the lab")
        self.sync_now.clicked.connect(self._sync.sync_now)
        self.sign_out.clicked.connect(self._on_sign_out_clicked)
        buttons = QHBoxLayout()
        buttons.addWidget(self.sync_now)
        buttons.addWidget(self.sign_out)
        buttons.addStretch(1)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.who, self.last_sync, self.pending, self.sync_error):
            layout.addWidget(widget)
        layout.addLayout(buttons)
        layout.addWidget(self._build_totp())
        return page

    def _build_totp(self) -> QWidget:
        box = QGroupBox("Two-factor authentication")
        self.totp_status = QLabel()
        self.totp_status.setWordWrap(True)
        self.totp_status.setAccessibleName("Two-factor authentication status")
        self.totp_enable = _button("Enable…", "Enable two-factor authentication")
        self.totp_enable.clicked.connect(self._on_totp_enable_clicked)
        self.totp_disable_code = _code_field("Current code to disable two-factor authentication")
        self.totp_disable = _button("Disable", "Disable two-factor authentication")
        self.totp_disable.clicked.connect(self._on_totp_disable_clicked)
        self.totp_disable_code.returnPressed.connect(self._on_totp_disable_clicked)
        actions = QHBoxLayout()
        for widget in (self.totp_enable, self.totp_disable_code, self.totp_disable):
            actions.addWidget(widget)
        actions.addStretch(1)

        # The enrolment: the QR code for the authenticator app, the secret for typing it in,
        # and the first code to prove it works.
        self.enrolment = QWidget()
        self.qr = QLabel()
        self.qr.setAccessibleName("QR code for your authenticator app")
        self.qr.setAccessibleDescription("Scan it with an authenticator app, or type the key.")
        self.secret = QLineEdit()
        self.secret.setReadOnly(True)
        self.secret.setAccessibleName("Secret key for your authenticator app")
        self.copy_secret = _button("Copy", "Copy the secret key")
        self.copy_secret.clicked.connect(self._on_copy_secret_clicked)
        self.confirm_code = _code_field("Code to confirm two-factor authentication")
        self.confirm = _button("Confirm", "Confirm two-factor authentication")
        self.confirm.clicked.connect(self._on_totp_confirm_clicked)
        self.confirm_code.returnPressed.connect(self._on_totp_confirm_clicked)
        self.cancel_enrolment = _button("Cancel", "Cancel enabling two-factor authentication")
        self.cancel_enrolment.clicked.connect(self._end_enrolment)
        steps = QFormLayout()
        secret_row = QHBoxLayout()
        secret_row.addWidget(self.secret, 1)
        secret_row.addWidget(self.copy_secret)
        confirm_row = QHBoxLayout()
        for widget in (self.confirm_code, self.confirm, self.cancel_enrolment):
            confirm_row.addWidget(widget)
        confirm_row.addStretch(1)
        steps.addRow(QLabel("1. Scan the code with your authenticator app, or type the key:"))
        steps.addRow("Key:", secret_row)
        steps.addRow("2. Enter the code it shows:", confirm_row)
        enrolment = QHBoxLayout(self.enrolment)
        enrolment.setContentsMargins(0, 0, 0, 0)
        enrolment.addWidget(self.qr, 0, Qt.AlignmentFlag.AlignTop)
        enrolment.addLayout(steps, 1)
        self.enrolment.hide()
        self.totp_error = FieldError("Two-factor authentication")

        layout = QVBoxLayout(box)
        layout.addWidget(self.totp_status)
        layout.addLayout(actions)
        layout.addWidget(self.enrolment)
        layout.addWidget(self.totp_error)
        return box

    # -- showing the state ---------------------------------------------------------------------

    @Slot(object)
    def show_state(self, state: SyncState) -> None:
        was_signed_in = self.state.signed_in
        self.state = state
        info = state.account
        self.note.setText(state.note)
        self.note.setVisible(bool(state.note))
        if not state.signed_in:
            self.pages.setCurrentWidget(self.signed_out)
            self._end_enrolment()
            if info is not None and (was_signed_in or not self.server.text()):
                # Prefill from the last account (after an idle or expired sign-in too).
                self.server.setText(info.server_url)
                self.email.setText(info.email)
                self.remember.setChecked(info.remember)
            return
        self.pages.setCurrentWidget(self.signed_in)
        if info is not None:
            lab = f"lab {info.lab_name} ({info.role})" if info.lab_id else "in no lab yet"
            name = info.display_name or info.email
            self.who.setText(f"Signed in as {name} ({info.email}) · {lab}")
            self.who.setToolTip(info.server_url)
            when = "Syncing…" if state.syncing else f"Last sync: {_time_text(info.last_sync_at)}"
            self.last_sync.setText(when)
        self.pending.setText(f"Pending local changes: {state.pending}")
        self.sync_error.show_message(state.error)
        self.sync_now.setEnabled(not state.syncing)
        enrolling = not self.enrolment.isHidden()
        if state.totp_enabled is None:
            self.totp_status.setText("Status unknown until the lab server answers.")
        elif state.totp_enabled:
            self.totp_status.setText("On: signing in needs a code from your authenticator app.")
        else:
            self.totp_status.setText("Off: add a code from an authenticator app to signing in.")
        self.totp_enable.setVisible(state.totp_enabled is False and not enrolling)
        self.totp_enable.setEnabled(not self._runner.is_running(TOTP_TASK))
        self.totp_disable_code.setVisible(bool(state.totp_enabled))
        self.totp_disable.setVisible(bool(state.totp_enabled))

    # -- signing in and out --------------------------------------------------------------------

    def _run(self, name: str, work: Callable[[], Awaitable[None]], error: FieldError) -> None:
        """Run ``work`` as a task; a :class:`UserError` shows in ``error`` (bugs go on)."""

        async def run() -> None:
            error.show_message("")
            try:
                await work()
            except UserError as problem:
                error.show_message(self._explain(problem))

        self._runner.start(name, run())

    def _explain(self, problem: UserError) -> str:
        from genoflow_desktop.core.sync.client import TotpRequired
        from genoflow_desktop.core.sync.session import LabChoiceNeeded

        if isinstance(problem, TotpRequired):
            self.form.setRowVisible(self.code, True)
            self.code.setFocus()
            return NEEDS_CODE  # the core's hint speaks of the command line
        if isinstance(problem, LabChoiceNeeded):
            self._offer_labs(problem.labs)
            return CHOOSE_LAB
        return _problem(problem)

    def _offer_labs(self, labs: list[dict[str, Any]]) -> None:
        self.lab.clear()
        for lab in labs:
            self.lab.addItem(f"{lab.get('name')} ({lab.get('role')})", str(lab.get("id")))
        self.form.setRowVisible(self.lab, True)
        self.lab.setFocus()

    @Slot()
    def _on_sign_in_clicked(self) -> None:
        if self._runner.is_running(TASK):
            return
        server, email = self.server.text().strip(), self.email.text().strip()
        if not server or not email or not self.password.text():
            self.sign_in_error.show_message(
                "Fill in the server address, your e-mail address and your password."
            )
            return
        code = self.code.text().strip() if self.form.isRowVisible(self.code) else ""
        lab = self.lab.currentData() if self.form.isRowVisible(self.lab) else None

        async def sign_in() -> None:
            self.sign_in_button.setEnabled(False)
            try:
                await self._sync.sign_in(
                    server,
                    email,
                    self.password.text(),
                    totp_code=code or None,
                    lab=lab,
                    remember=self.remember.isChecked(),
                )
            finally:
                self.sign_in_button.setEnabled(True)
            self.password.clear()
            self.code.clear()
            self.form.setRowVisible(self.code, False)
            self.form.setRowVisible(self.lab, False)

        self._run(TASK, sign_in, self.sign_in_error)

    @Slot()
    def _on_sign_out_clicked(self) -> None:
        self._run(TASK, self._sync.sign_out, self.sync_error)

    # -- second factor -------------------------------------------------------------------------

    @Slot()
    def _on_totp_enable_clicked(self) -> None:
        async def start() -> None:
            enrolment = await self._sync.start_totp()
            self.qr.setPixmap(qr_pixmap(str(enrolment.get("otpauth_uri") or "")))
            self.secret.setText(str(enrolment.get("secret") or ""))
            self.totp_enable.hide()
            self.enrolment.show()
            self.confirm_code.setFocus()

        self._run(TOTP_TASK, start, self.totp_error)

    @Slot()
    def _on_totp_confirm_clicked(self) -> None:
        code = self.confirm_code.text().strip()
        if len(code) != 6:
            self.totp_error.show_message("Enter the 6-digit code your authenticator app shows.")
            return

        async def confirm() -> None:
            await self._sync.confirm_totp(code)
            self._end_enrolment()
            self.show_state(self._sync.state)

        self._run(TOTP_TASK, confirm, self.totp_error)

    @Slot()
    def _on_totp_disable_clicked(self) -> None:
        code = self.totp_disable_code.text().strip()
        if len(code) != 6:
            self.totp_error.show_message("Enter the current 6-digit code to disable it.")
            return

        async def disable() -> None:
            await self._sync.disable_totp(code)
            self.totp_disable_code.clear()

        self._run(TOTP_TASK, disable, self.totp_error)

    @Slot()
    def _on_copy_secret_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self.secret.text())

    @Slot()
    def _end_enrolment(self) -> None:
        """Forget the enrolment's secret and QR code (confirmed, cancelled or signed out)."""
        self.enrolment.hide()
        self.qr.clear()
        self.secret.clear()
        self.confirm_code.clear()
        if self.state.signed_in:
            self.totp_enable.setVisible(self.state.totp_enabled is False)
