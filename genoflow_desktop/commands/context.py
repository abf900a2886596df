"""What every subcommand gets: the app's folders, settings and (opened on demand) the store."""

from __future__ import annotations

import getpass
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genoflow_desktop.core import settings as core_settings
from genoflow_desktop.core.paths import AppDirs

if TYPE_CHECKING:
    from genoflow_desktop.core.store import Store


@dataclass
class CommandContext:
    dirs: AppDirs
    log_file: Path | None = None
    _store: Store | None = field(default=None, init=False, repr=False)
    _settings: core_settings.Settings | None = field(default=None, init=False, repr=False)

    @property
    def store(self) -> Store:
        if self._store is None:
            # Imported here: SQLAlchemy is not needed by commands that never touch the store.
            from genoflow_desktop.core.services.catalog import ensure_builtin_services
            from genoflow_desktop.core.store import open_store

            self._store = open_store(self.dirs.database)
            with self._store.session() as session:
                ensure_builtin_services(session)
        return self._store

    @property
    def settings(self) -> core_settings.Settings:
        if self._settings is None:
            self._settings, warnings = core_settings.load(self.dirs.settings_file)
            for warning in warnings:
                print(f"warning: {warning}", file=sys.stderr)
        return self._settings

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def read_secret(variable: str, prompt: str) -> str:
    """A secret from the environment variable, else stdin (prompted for, unechoed, on a tty).

    Never from a command-line argument: those show up in ``ps`` and shell histories.
    """
    secret = os.environ.get(variable)
    if secret:
        return secret.strip()
    if sys.stdin is None:
        return ""
    if sys.stdin.isatty():
        return getpass.getpass(prompt).strip()
    return sys.stdin.readline().strip()
