"""Where the app keeps its data, configuration, cache and logs.

Defaults come from platformdirs (the OS conventions). They can be overridden, strongest first:

1. ``--basedir DIR`` / ``--temp-basedir`` on the command line: everything under one folder;
2. ``GENOFLOW_DATA_DIR``, ``GENOFLOW_CONFIG_DIR``, ``GENOFLOW_CACHE_DIR``, ``GENOFLOW_LOG_DIR``;
3. platformdirs.

The frozen (packaged) app resolves the same folders, so an upgrade keeps the user's history.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "GenoFlow"
DATABASE_NAME = "genoflow.sqlite3"
SETTINGS_NAME = "settings.json"

ENV_OVERRIDES = {
    "data": "GENOFLOW_DATA_DIR",
    "config": "GENOFLOW_CONFIG_DIR",
    "cache": "GENOFLOW_CACHE_DIR",
    "logs": "GENOFLOW_LOG_DIR",
}


@dataclass(frozen=True, slots=True)
class AppDirs:
    data: Path
    config: Path
    cache: Path
    logs: Path
    #: Set for ``--temp-basedir``: the caller removes this folder when the app exits.
    temporary_root: Path | None = None

    @property
    def database(self) -> Path:
        return self.data / DATABASE_NAME

    @property
    def settings_file(self) -> Path:
        return self.config / SETTINGS_NAME

    def ensure(self) -> None:
        for folder in (self.data, self.config, self.cache, self.logs):
            folder.mkdir(parents=True, exist_ok=True)


def resolve_dirs(
    basedir: Path | None = None,
    *,
    temp_basedir: bool = False,
    env: Mapping[str, str] | None = None,
) -> AppDirs:
    """Work out the app's folders (without creating them; call :meth:`AppDirs.ensure`)."""
    env = os.environ if env is None else env
    temporary_root = None
    if temp_basedir:
        temporary_root = Path(tempfile.mkdtemp(prefix="genoflow-"))
        basedir = temporary_root
    if basedir is not None:
        base = Path(basedir).expanduser().resolve()
        return AppDirs(
            data=base / "data",
            config=base / "config",
            cache=base / "cache",
            logs=base / "logs",
            temporary_root=temporary_root,
        )
    defaults = {
        "data": platformdirs.user_data_path(APP_NAME, appauthor=False),
        "config": platformdirs.user_config_path(APP_NAME, appauthor=False),
        "cache": platformdirs.user_cache_path(APP_NAME, appauthor=False),
        "logs": platformdirs.user_log_path(APP_NAME, appauthor=False),
    }
    chosen = {
        kind: Path(env[var]).expanduser().resolve() if env.get(var) else defaults[kind]
        for kind, var in ENV_OVERRIDES.items()
    }
    return AppDirs(**chosen)
