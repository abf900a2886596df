"""The S3 destinations as a table: one row per :class:`~genoflow_desktop.core.transfer.profiles.Profile`.

Rows are detached value objects read on the db thread; the model only adapts them for display.
Secrets never pass through here: a profile holds the access key id only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

if TYPE_CHECKING:
    from genoflow_desktop.core.transfer.profiles import Profile

Index = QModelIndex | QPersistentModelIndex
ROOT = QModelIndex()

COLUMNS = ["Name", "Endpoint", "Bucket", "Prefix", "Encryption", "Credentials"]
NAME, ENDPOINT, BUCKET, PREFIX, ENCRYPTION, CREDENTIALS = range(len(COLUMNS))
#: The profile's name, for the panel's actions.
NAME_ROLE = Qt.ItemDataRole.UserRole

SSE_TEXT = {"AES256": "SSE-S3 (AES-256)", "aws:kms": "SSE-KMS", "none": "None"}


def credentials_text(profile: Profile) -> str:
    if profile.use_credential_chain:
        return "AWS credential chain"
    return f"Key {profile.access_key_id} (secret in keychain)"


def _text(profile: Profile, column: int) -> str:
    if column == NAME:
        return profile.name
    if column == ENDPOINT:
        return profile.endpoint_label
    if column == BUCKET:
        return profile.bucket
    if column == PREFIX:
        return profile.prefix or "(bucket root)"
    if column == ENCRYPTION:
        text = SSE_TEXT.get(profile.sse, profile.sse)
        return f"{text}, key {profile.kms_key_id}" if profile.kms_key_id else text
    return credentials_text(profile)


class S3ProfileModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self._profiles: list[Profile] = []

    @property
    def profiles(self) -> list[Profile]:
        return list(self._profiles)

    def set_profiles(self, profiles: Sequence[Profile]) -> None:
        self.beginResetModel()
        self._profiles = list(profiles)
        self.endResetModel()

    def profile_at(self, row: int) -> Profile:
        return self._profiles[row]

    def row_of(self, name: str) -> int:
        """The row of the profile called ``name``, or -1."""
        return next((i for i, p in enumerate(self._profiles) if p.name == name), -1)

    def rowCount(self, parent: Index = ROOT) -> int:
        return 0 if parent.isValid() else len(self._profiles)

    def columnCount(self, parent: Index = ROOT) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._profiles):
            return None
        profile = self._profiles[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return _text(profile, index.column())
        if role == NAME_ROLE:
            return profile.name
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal
        if horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        return None
