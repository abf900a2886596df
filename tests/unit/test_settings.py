import json
from pathlib import Path

import pytest

from genoflow_desktop.core import settings


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    loaded, warnings = settings.load(tmp_path / "settings.json")
    assert loaded == settings.Settings()
    assert warnings == []


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    original = settings.Settings(upload_concurrency=8, theme="dark", notifications=False)
    settings.save(original, path)
    assert settings.load(path) == (original, [])
    assert json.loads(path.read_text())["schema_version"] == settings.SCHEMA_VERSION


def test_invalid_values_fall_back_to_defaults_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(
        json.dumps(
            {
                "theme": "purple",
                "part_size_mib": 1,
                "upload_concurrency": "4",
                "notifications": False,
                "colour": "red",
            }
        )
    )
    loaded, warnings = settings.load(path)
    assert (
        loaded.theme == "system" and loaded.part_size_mib == 64 and loaded.upload_concurrency == 4
    )
    assert loaded.notifications is False
    assert any("'theme'" in w for w in warnings)
    assert any("minimum 5" in w for w in warnings)
    assert any("'colour'" in w for w in warnings)
    assert len(warnings) == 4


def test_booleans_are_not_accepted_as_numbers() -> None:
    loaded, warnings = settings.from_dict({"upload_concurrency": True})
    assert loaded.upload_concurrency == 4 and warnings


def test_damaged_file_is_kept_aside_not_lost(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text("{not json")
    loaded, warnings = settings.load(path)
    assert loaded == settings.Settings()
    kept = list(tmp_path.glob("settings.json.damaged-*"))
    assert len(kept) == 1 and kept[0].read_text() == "{not json"
    assert "could not be read" in warnings[0]


def test_newer_schema_keeps_shared_settings(tmp_path: Path) -> None:
    loaded, warnings = settings.from_dict({"schema_version": 99, "theme": "dark"})
    assert loaded.theme == "dark"
    assert "newer version" in warnings[0]


def test_save_is_atomic(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "settings.json"
    settings.save(settings.Settings(theme="light"), path)

    def failing_replace(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(settings.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        settings.save(settings.Settings(theme="dark"), path)
    assert settings.load(path)[0].theme == "light"


def test_every_setting_is_described() -> None:
    described = settings.describe()
    assert {name for name, _, _ in described} == {
        f for f in settings.Settings.__dataclass_fields__ if f != "schema_version"
    }
    assert all(description for _, _, description in described)


def test_no_setting_can_hold_a_secret() -> None:
    secret_words = ("token", "secret", "password", "key")
    assert not [
        f for f in settings.Settings.__dataclass_fields__ if any(w in f for w in secret_words)
    ]
