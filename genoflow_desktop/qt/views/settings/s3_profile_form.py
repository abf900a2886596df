"""The form that adds or edits one S3 destination, inline in the Settings page.

The secret key is typed into a password field, handed over once with :attr:`submitted` and
cleared: it lives on only in the keychain. Editing a profile leaves the field empty; left empty,
the stored secret is kept. Problems show under the field they concern.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from genoflow_desktop.qt.views.settings.fields import FieldError
from genoflow_desktop.qt.views.settings.s3_profile_model import SSE_TEXT

if TYPE_CHECKING:
    from genoflow_desktop.core.transfer.profiles import InvalidProfile, Profile

KEY, CHAIN = "key", "chain"
#: The core's messages name command-line options; the form names its own fields instead.
GUI_WORDING = {
    "kms_key_id": "A KMS key id needs the SSE-KMS encryption.",
    "access_key_id": "Give the access key id, or choose the AWS credential chain.",
    "secret_key": "Type the secret access key: it is stored in the system keychain only.",
}
FIELDS = (
    ("name", "Name"),
    ("endpoint_url", "Endpoint"),
    ("region", "Region"),
    ("bucket", "Bucket"),
    ("prefix", "Key prefix"),
    ("sse", "Encryption"),
    ("kms_key_id", "KMS key id"),
    ("credentials", "Credentials"),
    ("access_key_id", "Access key id"),
    ("secret_key", "Secret access key"),
)


def form_message(error: InvalidProfile) -> str:
    if error.field in GUI_WORDING:
        return GUI_WORDING[error.field]
    if error.message.startswith("There is already a profile"):
        return f"{error.message} Choose another name, or edit that destination."
    return f"{error.message} {error.hint}".strip()


class S3ProfileForm(QGroupBox):
    """Signals:
    submitted(object, str): the validated :class:`Profile` and the secret key typed ("" to keep
        the stored one, when editing).
    cancelled(): the user closed the form without saving.
    """

    submitted = Signal(object, str)
    cancelled = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("New S3 destination", parent)
        self.editing: str | None = None
        self.name = QLineEdit()
        self.name.setPlaceholderText("lab-aws")
        self.endpoint_url = QLineEdit()
        self.endpoint_url.setPlaceholderText("Empty for AWS S3; e.g. https://minio.lab.org:9000")
        self.region = QLineEdit()
        self.region.setPlaceholderText("us-east-1")
        self.bucket = QLineEdit()
        self.prefix = QLineEdit()
        self.prefix.setPlaceholderText("Optional, e.g. sequencing/incoming")
        self.sse = QComboBox()
        for value, text in SSE_TEXT.items():
            self.sse.addItem(text, value)
        self.kms_key_id = QLineEdit()
        self.kms_key_id.setPlaceholderText("Optional: the bucket's default KMS key is used")
        self.credentials = QComboBox()
        self.credentials.addItem("Access key (secret kept in the system keychain)", KEY)
        self.credentials.addItem("AWS credential chain (environment, ~/.aws, SSO, role)", CHAIN)
        self.access_key_id = QLineEdit()
        self.secret_key = QLineEdit()
        self.secret_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.errors: dict[str, FieldError] = {}
        form = QFormLayout()
        for name, text in FIELDS:
            editor: QWidget = getattr(self, name)
            editor.setAccessibleName(text)
            error = FieldError(text)
            self.errors[name] = error
            column = QVBoxLayout()
            column.setSpacing(2)
            column.addWidget(editor)
            column.addWidget(error)
            form.addRow(f"{text}:", column)
        self.general_error = FieldError("S3 destination")
        self.save_button = QPushButton("Save destination")
        self.save_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        self.save_button.clicked.connect(self._on_save_clicked)
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        self.returnable = (self.name, self.endpoint_url, self.region, self.bucket, self.prefix)
        for line in (*self.returnable, self.kms_key_id, self.access_key_id, self.secret_key):
            line.returnPressed.connect(self._on_save_clicked)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.general_error)
        layout.addLayout(buttons)
        self.sse.currentIndexChanged.connect(self._on_choices_changed)
        self.credentials.currentIndexChanged.connect(self._on_choices_changed)
        self._on_choices_changed()

    # -- filling -----------------------------------------------------------------------------

    def start_new(self) -> None:
        self.editing = None
        self.setTitle("New S3 destination")
        for line in (*self.returnable, self.kms_key_id, self.access_key_id, self.secret_key):
            line.clear()
        self.name.setReadOnly(False)
        self.sse.setCurrentIndex(self.sse.findData("AES256"))
        self.credentials.setCurrentIndex(self.credentials.findData(KEY))
        self.secret_key.setPlaceholderText("Stored in the system keychain, never shown again")
        self._open()

    def start_edit(self, profile: Profile) -> None:
        self.editing = profile.name
        self.setTitle(f"Edit S3 destination '{profile.name}'")
        self.name.setText(profile.name)
        # The keychain entry and the upload journal know the profile by its name.
        self.name.setReadOnly(True)
        self.endpoint_url.setText(profile.endpoint_url or "")
        self.region.setText(profile.region or "")
        self.bucket.setText(profile.bucket)
        self.prefix.setText(profile.prefix)
        self.sse.setCurrentIndex(self.sse.findData(profile.sse))
        self.kms_key_id.setText(profile.kms_key_id or "")
        chain = profile.use_credential_chain
        self.credentials.setCurrentIndex(self.credentials.findData(CHAIN if chain else KEY))
        self.access_key_id.setText(profile.access_key_id or "")
        self.secret_key.clear()
        self.secret_key.setPlaceholderText("Saved in the keychain: type a new key to replace it")
        self._open()

    def _open(self) -> None:
        self.clear_errors()
        self.show()
        (self.bucket if self.editing else self.name).setFocus()

    def clear_errors(self) -> None:
        for error in (*self.errors.values(), self.general_error):
            error.show_message("")

    def show_error(self, field: str | None, message: str) -> None:
        """Show ``message`` under ``field`` (or under the form when it concerns no field)."""
        target = self.errors.get(field or "", self.general_error)
        target.show_message(message)
        editor = getattr(self, field or "", None)
        if isinstance(editor, QWidget):
            editor.setFocus()

    @Slot()
    def _on_choices_changed(self) -> None:
        self.kms_key_id.setEnabled(self.sse.currentData() == "aws:kms")
        uses_key = self.credentials.currentData() == KEY
        self.access_key_id.setEnabled(uses_key)
        self.secret_key.setEnabled(uses_key)

    # -- submitting --------------------------------------------------------------------------

    def profile(self) -> Profile:
        from genoflow_desktop.core.transfer.profiles import Profile

        chain = self.credentials.currentData() == CHAIN
        kms = self.kms_key_id.text().strip() if self.sse.currentData() == "aws:kms" else ""
        return Profile(
            name=self.name.text().strip(),
            bucket=self.bucket.text().strip(),
            endpoint_url=self.endpoint_url.text().strip() or None,
            region=self.region.text().strip() or None,
            prefix=self.prefix.text().strip(),
            access_key_id=None if chain else self.access_key_id.text().strip(),
            sse=self.sse.currentData(),
            kms_key_id=kms or None,
            use_credential_chain=chain,
        )

    @Slot()
    def _on_save_clicked(self) -> None:
        from genoflow_desktop.core.transfer.profiles import InvalidProfile, validate

        self.clear_errors()
        try:
            profile = validate(self.profile())
        except InvalidProfile as error:
            self.show_error(error.field, form_message(error))
            return
        needs_secret = not profile.use_credential_chain and self.editing is None
        secret = self.secret_key.text().strip() if not profile.use_credential_chain else ""
        if needs_secret and not secret:
            self.show_error("secret_key", GUI_WORDING["secret_key"])
            return
        # Handed over once, then gone from the widget: only the keychain keeps it.
        self.secret_key.clear()
        self.submitted.emit(profile, secret)

    @Slot()
    def _on_cancel_clicked(self) -> None:
        self.secret_key.clear()
        self.hide()
        self.cancelled.emit()
