"""The user's preferences: one typed model with defaults, descriptions and schema migrations.

Settings live in ``settings.json`` in the config folder. Secrets never go here (tokens and S3
keys live in the OS keychain). Reading never fails the app: a damaged file is kept aside as
``settings.json.damaged-<time>`` and defaults are used, with a warning for the user.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1

THEMES = ("system", "light", "dark")
SMTP_SECURITY = ("starttls", "ssl", "none")


def _default_validation_workers() -> int:
    # Leave one core to the user interface and the uploads.
    return max(1, (os.cpu_count() or 2) - 1)


def _setting(default: Any, description: str, **extra: Any) -> Any:
    if callable(default):
        return field(default_factory=default, metadata={"description": description, **extra})
    return field(default=default, metadata={"description": description, **extra})


@dataclass
class Settings:
    schema_version: int = SCHEMA_VERSION
    validation_workers: int = _setting(
        _default_validation_workers, "Files validated at the same time.", minimum=1, maximum=64
    )
    upload_concurrency: int = _setting(
        4, "Parts sent in parallel per upload.", minimum=1, maximum=64
    )
    part_size_mib: int = _setting(64, "Multipart upload part size in MiB.", minimum=5, maximum=5120)
    bandwidth_limit_kib_s: int = _setting(
        0, "Upload bandwidth limit in KiB/s (0 = none).", minimum=0
    )
    poll_interval_s: int = _setting(
        30, "Seconds between job status checks.", minimum=5, maximum=3600
    )
    notifications: bool = _setting(True, "Show desktop notifications when jobs finish.")
    notification_email: str = _setting("", "Also e-mail job results to this address.")
    smtp_host: str = _setting("", "SMTP server for job e-mails (empty: no e-mail).")
    smtp_port: int = _setting(587, "SMTP server port.", minimum=1, maximum=65535)
    smtp_security: str = _setting("starttls", "SMTP connection security.", choices=SMTP_SECURITY)
    smtp_username: str = _setting("", "SMTP user name (the password is kept in the keychain).")
    smtp_sender: str = _setting("", "Sender address of job e-mails (default: the user name).")
    results_folder: str = _setting(
        "", "Folder for downloaded job results (empty: 'results' in the data folder)."
    )
    theme: str = _setting("system", "Colour theme.", choices=THEMES)
    log_level: str = _setting(
        "INFO", "Detail of the log file.", choices=("DEBUG", "INFO", "WARNING", "ERROR")
    )
    sync_interval_seconds: int = _setting(
        300,
        "Seconds between automatic lab syncs while signed in (0 = only when asked).",
        minimum=0,
        maximum=86400,
    )
    sync_idle_timeout_minutes: int = _setting(
        30,
        "Minutes without activity after which a lab sign-in that is not remembered is forgotten.",
        minimum=1,
        maximum=10080,
    )


# Each entry upgrades a settings dict from version N to N+1.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


def describe() -> list[tuple[str, Any, str]]:
    """(name, default, description) of every setting, for documentation and the Settings view."""
    defaults = Settings()
    return [
        (f.name, getattr(defaults, f.name), f.metadata["description"])
        for f in dataclasses.fields(Settings)
        if f.name != "schema_version"
    ]


def _coerce(spec: dataclasses.Field[Any], value: Any) -> Any:
    """Return ``value`` if it fits the setting, else raise ValueError with the reason."""
    expected = {"int": int, "bool": bool, "str": str}[str(spec.type)]
    if (expected is int and isinstance(value, bool)) or not isinstance(value, expected):
        raise ValueError(f"expected {expected.__name__}, got {value!r}")
    meta = spec.metadata
    if "choices" in meta and value not in meta["choices"]:
        raise ValueError(f"{value!r} is not one of {', '.join(meta['choices'])}")
    if "minimum" in meta and value < meta["minimum"]:
        raise ValueError(f"{value} is below the minimum {meta['minimum']}")
    if "maximum" in meta and value > meta["maximum"]:
        raise ValueError(f"{value} is above the maximum {meta['maximum']}")
    return value


def from_dict(raw: dict[str, Any]) -> tuple[Settings, list[str]]:
    """Build settings from a stored dict; returns the settings and warnings about what was dropped."""
    warnings: list[str] = []
    version = raw.get("schema_version", 1)
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        warnings.append(
            f"The settings file was written by a newer version (schema {version}); "
            "settings it does not share with this version use their defaults."
        )
    else:
        while version < SCHEMA_VERSION:
            raw = MIGRATIONS[version](dict(raw))
            version += 1
    specs = {f.name: f for f in dataclasses.fields(Settings) if f.name != "schema_version"}
    values: dict[str, Any] = {}
    for name, value in raw.items():
        if name == "schema_version":
            continue
        if name not in specs:
            warnings.append(f"Ignored unknown setting '{name}'.")
            continue
        try:
            values[name] = _coerce(specs[name], value)
        except ValueError as exc:
            warnings.append(f"Setting '{name}' was reset to its default: {exc}.")
    return Settings(**values), warnings


def load(path: Path) -> tuple[Settings, list[str]]:
    """Read settings from ``path``; a missing file gives defaults, a damaged one is kept aside."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings(), []
    try:
        raw = json.loads(text)
        if not isinstance(raw, dict):
            raise ValueError("the top level is not an object")
    except ValueError as exc:
        kept = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
        path.replace(kept)
        log.warning("settings file %s is damaged (%s); kept as %s", path, exc, kept)
        return Settings(), [
            f"Your settings file could not be read ({exc}); defaults are used "
            f"and the old file was kept as {kept.name}."
        ]
    return from_dict(raw)


def save(settings: Settings, path: Path) -> None:
    """Write settings atomically: a crash mid-write leaves the previous file intact."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(
        json.dumps(dataclasses.asdict(settings), indent=2) + "\n", encoding="utf-8"
    )
    os.replace(temporary, path)
