"""Settings: services and S3 destinations, then the user's preferences, in titled sections.

The preference editors are generated from the typed settings model (see :mod:`.fields` for the
grouping); the services and S3 panels list what the store holds, so they are added once the
store is open (:meth:`SettingsView.attach_services`). A bar under the scrolling page jumps to a
section; Save stays visible at the bottom. Problems show under the field they concern.
"""

from __future__ import annotations

from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from genoflow_desktop.core import settings as core_settings
from genoflow_desktop.qt.views.base import View
from genoflow_desktop.qt.views.settings import fields
from genoflow_desktop.qt.views.settings.fields import FieldError
from genoflow_desktop.qt.views.settings.services_panel import ServicesPanel

if TYPE_CHECKING:
    from genoflow_desktop.qt.views.settings.s3_profiles_panel import S3ProfilesPanel
    from genoflow_desktop.qt.workers.store_access import StoreAccess
    from genoflow_desktop.qt.workers.task_runner import TaskRunner

SERVICES_TITLE = "Services and tokens"
S3_TITLE = "S3 destinations"
#: The lab sync sign-in; its preferences (interval, idle timeout) are the "Lab sync" section.
LAB_ACCOUNT_TITLE = "Lab account"
#: Shorter names for the "Go to:" bar.
JUMP_NAMES = {
    "Services and tokens": "Services",
    "S3 destinations": "S3",
    "Notifications and e-mail": "Notifications",
}
#: Preference sections are narrower than the page: full-width spin boxes look odd.
FORM_WIDTH = 680


class SettingsView(View):
    """Signals:
    settings_saved(object): the new :class:`~genoflow_desktop.core.settings.Settings`, after saving.
    credentials_changed(str): a token of this service was saved or removed.
    s3_profiles_changed(): an S3 destination was added, changed or removed.
    check_connectivity_requested(): "Check now" next to an offline service.
    """

    title = "Settings"
    subtitle = (
        "Services, S3 destinations and defaults for checking, uploading and following jobs. "
        "Tokens and keys are kept in your system keychain."
    )
    icon_name = "settings"

    settings_saved = Signal(object)
    credentials_changed = Signal(str)
    s3_profiles_changed = Signal()
    check_connectivity_requested = Signal()

    def __init__(
        self, settings: core_settings.Settings, path: Any, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._path = path
        self._saved = settings
        self.editors: dict[str, QWidget] = {}
        self.errors: dict[str, FieldError] = {}
        self.sections: dict[str, QGroupBox] = {}
        self.services: ServicesPanel | None = None
        self.s3_profiles: S3ProfilesPanel | None = None
        self._store: StoreAccess | None = None
        self._runner: TaskRunner | None = None

        content = QWidget()
        self.content = QVBoxLayout(content)
        self.content.setContentsMargins(0, 0, 12, 0)
        self.content.setSpacing(14)
        self._row_labels: list[QLabel] = []
        for title, specs in fields.sections():
            self.content.addWidget(self._section(title, specs, settings))
        self.content.addStretch(1)
        # One label column for all sections: the editors line up from one box to the next.
        width = max(label.sizeHint().width() for label in self._row_labels)
        for label in self._row_labels:
            label.setMinimumWidth(width)
        self.page = QScrollArea()
        self.page.setWidgetResizable(True)
        self.page.setFrameShape(QFrame.Shape.NoFrame)
        self.page.setWidget(content)
        self.page.setAccessibleName("Settings sections")

        self.jump_bar = QHBoxLayout()
        self.jump_bar.setSpacing(4)
        self.jump_bar.addWidget(QLabel("Go to:"))
        self.jump_buttons: dict[str, QPushButton] = {}
        for title in self.sections:
            self._add_jump_button(title)
        self.jump_bar.addStretch(1)

        buttons = QHBoxLayout()
        self.saved_label = QLabel()
        self.saved_label.setAccessibleName("Save status")
        self.save_button = QPushButton("Save")
        self.save_button.setShortcut("Ctrl+S")
        self.save_button.setToolTip("Save the preferences (Ctrl+S)")
        self.save_button.clicked.connect(self._on_save_button_clicked)
        self.revert_button = QPushButton("Revert")
        self.revert_button.setToolTip("Put back the saved preferences")
        self.revert_button.clicked.connect(self._on_revert_button_clicked)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.saved_label, 1)

        self.body.addLayout(self.jump_bar)
        self.body.addWidget(self.page, 1)
        self.body.addLayout(buttons)

    # -- building ----------------------------------------------------------------------------

    def _section(self, title: str, specs: list[Any], settings: core_settings.Settings) -> QGroupBox:
        box = QGroupBox(title)
        box.setMaximumWidth(FORM_WIDTH)
        form = QFormLayout(box)
        for spec in specs:
            text = fields.label(spec.name)
            editor = fields.editor_for(spec, getattr(settings, spec.name))
            editor.setToolTip(spec.metadata["description"])
            editor.setAccessibleName(text)
            editor.setAccessibleDescription(spec.metadata["description"])
            self.editors[spec.name] = editor
            error = FieldError(text)
            self.errors[spec.name] = error
            column = QVBoxLayout()
            column.setSpacing(2)
            if spec.name == "results_folder":
                column.addLayout(self._with_browse(editor))
            else:
                column.addWidget(editor)
            column.addWidget(error)
            self._add_row(form, text, column)
        if title == "Notifications and e-mail":
            self._add_smtp_password(form)
        self.sections[title] = box
        return box

    def _with_browse(self, editor: QWidget) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(editor, 1)
        browse = QPushButton("Browse…")
        browse.setAccessibleName("Choose the results folder")
        browse.clicked.connect(self._on_browse_clicked)
        row.addWidget(browse)
        return row

    def _add_smtp_password(self, form: QFormLayout) -> None:
        # Like a token: typed, sent to the keychain, cleared. Not a setting (settings.json is
        # plain text), so it is saved by its own button, on the db thread once the store is open.
        self.smtp_password = QLineEdit()
        self.smtp_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.smtp_password.setPlaceholderText("Stored in the system keychain, never shown again")
        self.smtp_password.setAccessibleName("SMTP password")
        self.smtp_password_button = QPushButton("Save password")
        self.smtp_password_button.setAccessibleName("Save the SMTP password")
        self.smtp_password_button.setEnabled(False)  # until the store (and keychain) is ready
        self.smtp_password_button.clicked.connect(self._on_smtp_password_clicked)
        self.smtp_password.returnPressed.connect(self._on_smtp_password_clicked)
        self.errors["smtp_password"] = FieldError("SMTP password")
        row = QHBoxLayout()
        row.addWidget(self.smtp_password, 1)
        row.addWidget(self.smtp_password_button)
        column = QVBoxLayout()
        column.setSpacing(2)
        column.addLayout(row)
        column.addWidget(self.errors["smtp_password"])
        self._add_row(form, "SMTP password", column)

    def _add_row(self, form: QFormLayout, text: str, column: QVBoxLayout) -> None:
        label = QLabel(f"{text}:")
        self._row_labels.append(label)
        form.addRow(label, column)

    def _add_jump_button(self, title: str, position: int | None = None) -> None:
        # Short names keep the bar within the window's width; the sections keep their titles.
        button = QPushButton(JUMP_NAMES.get(title, title))
        button.setFlat(True)
        button.setAccessibleName(f"Go to {title}")
        button.clicked.connect(lambda _=False, t=title: self.go_to(t))
        self.jump_buttons[title] = button
        # After the "Go to:" label, or at ``position`` among the buttons.
        self.jump_bar.insertWidget(
            1 + (len(self.jump_buttons) - 1 if position is None else position), button
        )

    def go_to(self, title: str) -> None:
        """Scroll the section ``title`` to the top and focus its first control."""
        box = self.sections[title]
        self.page.verticalScrollBar().setValue(box.y())
        focusable = (
            w
            for w in box.findChildren(QWidget)
            if w.focusPolicy() & Qt.FocusPolicy.TabFocus and w.isEnabled() and w.isVisibleTo(box)
        )
        first = next(focusable, None)
        if first is not None:
            first.setFocus(Qt.FocusReason.TabFocusReason)

    def attach_services(
        self, store: StoreAccess, runner: TaskRunner, network: Executor | None = None
    ) -> None:
        """Add the services and S3 panels once the store is open (they list what it holds).

        ``network`` runs the S3 access test (a blocking boto3 call); without it there is no S3
        panel (the screenshots and some tests need only the services).
        """
        if self.services is not None:
            return
        self._store = store
        self._runner = runner
        self.services = ServicesPanel(store, runner)
        self.services.setTitle(SERVICES_TITLE)
        self.services.credentials_changed.connect(self.credentials_changed)
        self.services.check_connectivity_requested.connect(self.check_connectivity_requested)
        self._insert_section(SERVICES_TITLE, self.services, 0)
        if network is not None:
            from genoflow_desktop.qt.views.settings.s3_profiles_panel import S3ProfilesPanel

            self.s3_profiles = S3ProfilesPanel(store, runner, network)
            self.s3_profiles.profiles_changed.connect(self.s3_profiles_changed)
            self._insert_section(S3_TITLE, self.s3_profiles, 1)
        self.smtp_password_button.setEnabled(True)

    def attach_sync(self, panel: QGroupBox) -> None:
        """Add the lab account section (``sync_panel.SyncPanel``) after the services and S3
        sections, with the other connections; app.py builds it once the sync runner exists."""
        if LAB_ACCOUNT_TITLE in self.sections:
            return
        panel.setTitle(LAB_ACCOUNT_TITLE)
        position = sum(title in self.sections for title in (SERVICES_TITLE, S3_TITLE))
        self._insert_section(LAB_ACCOUNT_TITLE, panel, position)

    def _insert_section(self, title: str, box: QGroupBox, position: int) -> None:
        self.sections = {
            **dict(list(self.sections.items())[:position]),
            title: box,
            **dict(list(self.sections.items())[position:]),
        }
        self.content.insertWidget(position, box)
        self._add_jump_button(title, position)

    # -- saving ------------------------------------------------------------------------------

    def values(self) -> dict[str, Any]:
        return {name: fields.editor_value(editor) for name, editor in self.editors.items()}

    def current(self) -> core_settings.Settings:
        settings, _ = core_settings.from_dict(self.values())
        return settings

    def show_problems(self, found: dict[str, str]) -> None:
        for name, error in self.errors.items():
            if name != "smtp_password":
                error.show_message(found.get(name, ""))

    @Slot()
    def _on_save_button_clicked(self) -> None:
        found = fields.problems(self.values())
        self.show_problems(found)
        if found:
            self.saved_label.setText(f"Not saved: {len(found)} field(s) need attention.")
            first = next(name for name in self.editors if name in found)
            self.editors[first].setFocus()
            self.page.ensureWidgetVisible(self.editors[first])
            return
        settings = self.current()
        core_settings.save(settings, self._path)
        self._saved = settings
        self.saved_label.setText("Saved.")
        self.settings_saved.emit(settings)

    @Slot()
    def _on_revert_button_clicked(self) -> None:
        for name, editor in self.editors.items():
            fields.set_editor_value(editor, getattr(self._saved, name))
        self.show_problems({})
        self.saved_label.setText("Reverted to the saved preferences.")

    @Slot()
    def _on_browse_clicked(self) -> None:
        editor = self.editors["results_folder"]
        assert isinstance(editor, QLineEdit)
        folder = QFileDialog.getExistingDirectory(self, "Results folder", editor.text())
        if folder:
            editor.setText(folder)

    @Slot()
    def _on_smtp_password_clicked(self) -> None:
        from genoflow_desktop.core.errors import UserError

        password = self.smtp_password.text()
        self.smtp_password.clear()  # only the keychain keeps it
        error = self.errors["smtp_password"]
        if not password:
            error.show_message("Type the password of the SMTP user first.")
            return

        store, runner = self._store, self._runner
        assert store is not None and runner is not None  # the button waits for attach_services

        async def save() -> None:
            from genoflow_desktop.core.jobs.notify import set_smtp_password

            try:
                await store.run(lambda _session: set_smtp_password(password))
            except UserError as problem:
                error.show_message(f"{problem.message} {problem.hint}".strip())
                return
            error.show_message("")
            self.saved_label.setText("SMTP password saved in the keychain.")

        runner.start("settings.smtp-password", save())
