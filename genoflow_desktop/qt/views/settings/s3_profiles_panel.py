"""S3 destinations in Settings: list, add, edit, test and remove the profiles uploads go to.

Everything goes through :mod:`genoflow_desktop.core.transfer.profiles`: the store and the
keychain on the db thread (as the services panel does with tokens), the access test on a
blocking-I/O executor (it is a boto3 call that may wait for a time-out: never on the db thread,
which every view's reads share). The secret key goes from the form's password field straight to
the keychain and is never read back into a widget.
"""

from __future__ import annotations

from concurrent.futures import Executor
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from genoflow_desktop.core.errors import UserError
from genoflow_desktop.qt.views.settings.fields import ERROR_COLOR
from genoflow_desktop.qt.views.settings.s3_profile_form import (
    GUI_WORDING,
    S3ProfileForm,
    form_message,
)
from genoflow_desktop.qt.views.settings.s3_profile_model import S3ProfileModel

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from genoflow_desktop.core.transfer.profiles import Profile
    from genoflow_desktop.qt.workers.store_access import StoreAccess
    from genoflow_desktop.qt.workers.task_runner import TaskRunner

TASK = "settings.s3"


def _save(session: Session, profile: Profile, secret: str, editing: bool) -> None:
    """Store the profile; when editing with no new secret, keep the one in the keychain."""
    from genoflow_desktop.core.transfer import profiles

    if editing and not secret and not profile.use_credential_chain:
        old = profiles.get_profile(session, profile.name)
        if old.use_credential_chain:  # it had no key: a new one must be given
            raise profiles.InvalidProfile(GUI_WORDING["secret_key"], field="secret_key")
        secret = profiles.secret_key(old)
    profiles.save_profile(session, profile, secret, replace=editing)


class S3ProfilesPanel(QGroupBox):
    """Signals:
    profiles_changed(): a destination was added, changed or removed (the Upload view's list and
        the connectivity monitor's targets follow).
    """

    profiles_changed = Signal()

    def __init__(
        self,
        store: StoreAccess,
        runner: TaskRunner,
        network: Executor,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("S3 destinations", parent)
        self._store = store
        self._runner = runner
        self._network = network
        self.model = S3ProfileModel()
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("S3 destinations")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        # Compact rows with left-aligned headings, like the services list above it.
        rows = self.table.verticalHeader()
        rows.hide()
        rows.setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setMinimumHeight(96)
        self.table.setMaximumHeight(150)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.table.doubleClicked.connect(self._on_edit_clicked)

        self.add_button = QPushButton("Add…")
        self.edit_button = QPushButton("Edit…")
        self.test_button = QPushButton("Test")
        self.remove_button = QPushButton("Remove…")
        for button, name in (
            (self.add_button, "Add an S3 destination"),
            (self.edit_button, "Edit the selected S3 destination"),
            (self.test_button, "Test access to the selected S3 destination"),
            (self.remove_button, "Remove the selected S3 destination"),
        ):
            button.setAccessibleName(name)
            button.setToolTip(name)
        self.add_button.clicked.connect(self._on_add_clicked)
        self.edit_button.clicked.connect(self._on_edit_clicked)
        self.test_button.clicked.connect(self._on_test_clicked)
        self.remove_button.clicked.connect(self._on_remove_clicked)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.edit_button, self.test_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)

        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName("S3 destination status")
        self.status.hide()
        self.form = S3ProfileForm()
        self.form.hide()
        self.form.submitted.connect(self._on_form_submitted)
        #: The open "Remove?" question, if any (tests answer it).
        self.remove_dialog: QMessageBox | None = None

        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(self.form)
        self._on_selection_changed()
        self.refresh()

    # -- reading -------------------------------------------------------------------------------

    def selected(self) -> Profile | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.profile_at(rows[0].row()) if rows else None

    def select(self, name: str) -> None:
        row = self.model.row_of(name)
        if row >= 0:
            self.table.selectRow(row)

    def refresh(self, select: str | None = None) -> None:
        from genoflow_desktop.core.transfer.profiles import list_profiles

        async def load() -> None:
            current = select or (p.name if (p := self.selected()) else None)
            self.model.set_profiles(await self._store.run(list_profiles))
            if current is not None:
                self.select(current)
            self._on_selection_changed()

        self._runner.start(f"{TASK}.refresh", load())

    def _show(self, text: str, *, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))
        self.status.setStyleSheet(f"color: {ERROR_COLOR};" if error else "")

    @Slot()
    def _on_selection_changed(self) -> None:
        chosen = self.selected() is not None
        for button in (self.edit_button, self.test_button, self.remove_button):
            button.setEnabled(chosen)

    # -- add and edit ----------------------------------------------------------------------

    @Slot()
    def _on_add_clicked(self) -> None:
        self._show("")
        self.form.start_new()

    @Slot()
    def _on_edit_clicked(self) -> None:
        profile = self.selected()
        if profile is not None:
            self._show("")
            self.form.start_edit(profile)

    @Slot(object, str)
    def _on_form_submitted(self, profile: Profile, secret: str) -> None:
        editing = self.form.editing is not None

        async def save() -> None:
            from genoflow_desktop.core.transfer.profiles import InvalidProfile

            try:
                await self._store.run(lambda session: _save(session, profile, secret, editing))
            except InvalidProfile as error:
                self.form.show_error(error.field, form_message(error))
                return
            except UserError as error:  # the keychain refused, most likely
                self.form.show_error(None, f"{error.message} {error.hint}".strip())
                return
            self.form.hide()
            verb = "saved" if editing else "added"
            self._show(f"S3 destination '{profile.name}' {verb}. Test it to check access.")
            self.refresh(select=profile.name)
            self.profiles_changed.emit()

        self._runner.start(f"{TASK}.save", save())

    # -- test and remove ---------------------------------------------------------------------

    @Slot()
    def _on_test_clicked(self) -> None:
        profile = self.selected()
        if profile is not None:
            self._runner.start(f"{TASK}.test", self.test_access(profile))

    async def test_access(self, profile: Profile) -> str:
        """Ask the bucket once with the stored credentials; show and return the outcome."""
        import asyncio

        from genoflow_desktop.core.transfer.profiles import check_access

        self._show(f"Testing '{profile.name}'…")
        self.test_button.setEnabled(False)
        try:
            check = await asyncio.get_running_loop().run_in_executor(
                self._network, check_access, profile
            )
        except UserError as error:
            self._show(f"{profile.name}: {error.message} {error.hint}".strip(), error=True)
        else:
            self._show(check.message)
        finally:
            self._on_selection_changed()
        return self.status.text()

    @Slot()
    def _on_remove_clicked(self) -> None:
        profile = self.selected()
        if profile is None:
            return
        # A decision with consequences (the key leaves the keychain): the one modal here.
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Remove S3 destination",
            f"Remove the S3 destination '{profile.name}'?",
            QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setInformativeText(
            "Its secret key is deleted from the keychain. Files already uploaded stay in the "
            "bucket; unfinished uploads to it can no longer be resumed."
        )
        remove = box.addButton("Remove", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(box.deleteLater)
        box.buttonClicked.connect(
            lambda button: self.remove(profile.name) if button is remove else None
        )
        self.remove_dialog = box
        box.open()  # window-modal, without a nested event loop

    def remove(self, name: str) -> None:
        from genoflow_desktop.core.transfer.profiles import remove_profile

        async def run() -> None:
            try:
                await self._store.run(lambda session: remove_profile(session, name))
            except UserError as error:
                self._show(f"{error.message} {error.hint}".strip(), error=True)
                return
            self._show(f"S3 destination '{name}' removed.")
            if self.form.editing == name:
                self.form.hide()
            self.refresh()
            self.profiles_changed.emit()

        self._runner.start(f"{TASK}.remove", run())
