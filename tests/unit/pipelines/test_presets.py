"""Presets: kept in the store, exported to and imported from JSON files; bad files refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from genoflow_desktop.core.errors import UserError
from genoflow_desktop.core.paths import AppDirs
from genoflow_desktop.core.pipelines import imputation
from genoflow_desktop.core.pipelines.presets import (
    FILE_VERSION,
    Preset,
    delete_preset,
    export_preset,
    list_presets,
    load_preset,
    read_preset_file,
    save_preset,
)
from genoflow_desktop.core.pipelines.templates import load_template
from genoflow_desktop.core.store import Store, open_store


@pytest.fixture
def store(app_dirs: AppDirs) -> Iterator[Store]:
    opened = open_store(app_dirs.database)
    yield opened
    opened.close()


def test_presets_round_trip_through_the_store(store: Store) -> None:
    exome = Preset("wes", "Twist exome", {"padding_bp": 50, "cpus": 8})
    with store.session() as session:
        save_preset(session, exome)
        save_preset(session, Preset("wes", "  Agilent  ", {"padding_bp": 100}))
        save_preset(session, Preset("wgs", "Twist exome", {"cpus": 2}))  # another pipeline
    with store.session() as session:
        assert list_presets(session, "wes") == ["Agilent", "Twist exome"]
        assert load_preset(session, "wes", "Twist exome") == exome
        # Saving under an existing name updates it.
        save_preset(session, Preset("wes", "Twist exome", {"padding_bp": 75}))
    with store.session() as session:
        assert load_preset(session, "wes", "Twist exome").params == {"padding_bp": 75}
        delete_preset(session, "wes", "Twist exome")
    with store.session() as session:
        assert list_presets(session, "wes") == ["Agilent"]
        assert list_presets(session, "wgs") == ["Twist exome"]
        with pytest.raises(UserError, match="no preset called"):
            load_preset(session, "wes", "Twist exome")
        with pytest.raises(UserError, match="needs a name"):
            save_preset(session, Preset("wes", " ", {}))


def test_export_then_import_gives_the_same_preset(tmp_path: Path) -> None:
    template = load_template("wes")
    preset = Preset("wes", "Exome 30x", {"padding_bp": 50, "sample_id": "S1", "cpus": 8})
    path = export_preset(preset, tmp_path / "exome.json")
    document = json.loads(path.read_text())
    assert document["genoflow_preset"] == FILE_VERSION and document["pipeline"] == "wes"
    assert read_preset_file(path, pipeline="wes", schema=template.schema) == preset


def test_imputation_presets_are_checked_against_their_schema(tmp_path: Path) -> None:
    preset = Preset(
        "imputation", "EUR hg19", {"refpanel": "hapmap-2", "build": "hg19", "aes": True}
    )
    path = export_preset(preset, tmp_path / "p.json")
    assert read_preset_file(path, pipeline="imputation", schema=imputation.SCHEMA) == preset
    bad = export_preset(Preset("imputation", "x", {"password": "no"}), tmp_path / "bad.json")
    with pytest.raises(UserError, match=r"Unknown setting\(s\): password"):
        read_preset_file(bad, pipeline="imputation", schema=imputation.SCHEMA)


@pytest.mark.parametrize(
    ("content", "why"),
    [
        ("{not json", "it is not JSON"),
        ('["a list"]', "not a GenoFlow preset file"),
        ('{"name": "x", "params": {}}', "not a GenoFlow preset file"),
        (
            '{"genoflow_preset": 2, "pipeline": "wes", "name": "x", "params": {}}',
            "format version 2",
        ),
        ('{"genoflow_preset": 1, "pipeline": "wgs", "name": "x", "params": {}}', "pipeline 'wgs'"),
        ('{"genoflow_preset": 1, "pipeline": "wes", "name": "", "params": {}}', "needs a 'name'"),
        ('{"genoflow_preset": 1, "pipeline": "wes", "name": "x", "params": 3}', "needs a 'name'"),
        (
            '{"genoflow_preset": 1, "pipeline": "wes", "name": "x", "params": {"cpus": 0}}',
            "cpus: Must be at least 1",
        ),
    ],
)
def test_a_malformed_file_is_refused_with_the_reason(
    tmp_path: Path, content: str, why: str
) -> None:
    path = tmp_path / "preset.json"
    path.write_text(content)
    with pytest.raises(UserError) as caught:
        read_preset_file(path, pipeline="wes", schema=load_template("wes").schema)
    assert why in caught.value.message
    assert caught.value.message.startswith("preset.json cannot be imported")
