"""An in-memory keyring backend, selected in tests through keyring's own PYTHON_KEYRING_BACKEND."""

from __future__ import annotations

from typing import ClassVar

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]
    _passwords: ClassVar[dict[tuple[str, str], str]] = {}

    @classmethod
    def clear(cls) -> None:
        cls._passwords.clear()

    def get_password(self, service: str, username: str) -> str | None:
        return self._passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self._passwords.pop((service, username), None) is None:
            raise PasswordDeleteError("no such password")
