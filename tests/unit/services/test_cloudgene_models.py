"""Parsing what a Cloudgene server says about itself: apps, panels, populations, tokens."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from genoflow_desktop.core.errors import UserError
from genoflow_desktop.core.services.cloudgene.models import (
    parse_app,
    parse_time,
    parse_token_check,
    pick_app_id,
    server_description,
)

#: Shaped as spec 4.2 describes a Cloudgene 3 answer (trimmed to what matters).
APP_JSON = {
    "id": "imputationserver2",
    "name": "Genotype Imputation (Minimac4)",
    "version": "2.0.12",
    "params": [
        {
            "id": "refpanel",
            "type": "app_list",
            "value": "",
            "values": [
                {"key": "apps@1000g-phase3-deep@1.0.0", "value": "1000G 30x (GRCh38/hg38)"},
                {"key": "apps@hapmap-2@2.0.0", "value": "HapMap 2 (GRCh37/hg19)"},
            ],
        },
        {"id": "files", "type": "local_folder", "source": "upload"},
        {
            "id": "build",
            "type": "list",
            "value": "hg19",
            "values": [
                {"key": "hg19", "value": "GRCh37/hg19"},
                {"key": "hg38", "value": "GRCh38/hg38"},
            ],
        },
        {
            "id": "r2Filter",
            "type": "list",
            "value": "0",
            "values": [{"key": "0", "value": "off"}, {"key": "0.3", "value": "0.3"}],
        },
        {
            "id": "phasing",
            "type": "list",
            "value": "eagle",
            "values": [
                {"key": "beagle", "value": "Beagle"},
                {"key": "eagle", "value": "Eagle"},
                {"key": "no_phasing", "value": "No"},
            ],
        },
        {
            "id": "population",
            "type": "binded_list",
            "bind": "refpanel",
            "values": [
                {
                    "key": "apps@1000g-phase3-deep@1.0.0",
                    "label": "1000G",
                    "values": [{"key": "afr", "value": "AFR"}],
                },
                {
                    "key": "apps@hapmap-2@2.0.0",
                    "label": "HapMap 2",
                    "values": [{"key": "eur", "value": "EUR"}, {"key": "off", "value": "off"}],
                },
            ],
        },
        {
            "id": "mode",
            "type": "list",
            "value": "imputation",
            "values": [
                {"key": "imputation", "value": "QC & Imputation"},
                {"key": "qc_only", "value": "QC only"},
            ],
        },
        {
            "id": "aesEncryption",
            "type": "checkbox",
            "value": "false",
            "values": [{"key": "false", "value": "no"}, {"key": "true", "value": "yes"}],
        },
        {"id": "myseparator", "type": "separator"},
        {"id": "check1", "type": "terms_checkbox", "description": "I agree"},
    ],
}


def test_parse_app_reads_panels_populations_and_choices() -> None:
    app = parse_app(APP_JSON)
    assert app.id == "imputationserver2" and app.version == "2.0.12"
    assert [(p.id, p.key) for p in app.panels] == [
        ("1000g-phase3-deep", "apps@1000g-phase3-deep@1.0.0"),
        ("hapmap-2", "apps@hapmap-2@2.0.0"),
    ]
    hapmap = app.panel("hapmap-2")
    assert hapmap is not None and hapmap.name == "HapMap 2 (GRCh37/hg19)"
    assert [c.value for c in hapmap.populations] == ["eur", "off"]
    assert [c.value for c in app.builds] == ["hg19", "hg38"]
    assert [c.value for c in app.phasing] == ["beagle", "eagle", "no_phasing"]
    assert [c.value for c in app.r2_filters] == ["0", "0.3"]
    assert [c.value for c in app.modes] == ["imputation", "qc_only"]
    assert app.has_aes and not app.has_meta  # this app declares no meta checkbox
    assert app.defaults["phasing"] == "eagle" and "refpanel" not in app.defaults
    # Decoration is not a field one may send.
    assert "myseparator" not in app.param_ids and "check1" not in app.param_ids
    assert {"refpanel", "files", "population", "aesEncryption"} <= app.param_ids


def test_panel_lookup_accepts_short_id_full_key_and_id_at_version() -> None:
    app = parse_app(APP_JSON)
    for name in ("hapmap-2", "HapMap-2", "apps@hapmap-2@2.0.0", "hapmap-2@2.0.0"):
        panel = app.panel(name)
        assert panel is not None and panel.key == "apps@hapmap-2@2.0.0", name
    assert app.panel("hapmap") is None


def test_populations_in_raw_id_name_shape_are_understood() -> None:
    data = {
        **APP_JSON,
        "params": [
            APP_JSON["params"][0],
            {
                "id": "population",
                "type": "binded_list",
                "values": [
                    {
                        "key": "apps@hapmap-2@2.0.0",
                        "values": [{"id": "eur", "name": "European", "samples": 60}],
                    }
                ],
            },
        ],
    }
    panel = parse_app(data).panel("hapmap-2")
    assert panel is not None and [(c.value, c.label) for c in panel.populations] == [
        ("eur", "European")
    ]


def test_pick_app_id_wants_the_exact_left_part() -> None:
    server = {
        "loggedIn": True,
        "apps": [{"id": "imputationserver2-hla@2.0.0"}, {"id": "imputationserver2@2.0.12"}],
    }
    assert pick_app_id(server, service="MIS") == "imputationserver2@2.0.12"
    legacy = {"loggedIn": True, "apps": [{"id": "imputationserver@1.7.3"}]}
    assert pick_app_id(legacy, service="TOPMed") == "imputationserver@1.7.3"
    both = {"loggedIn": True, "apps": [{"id": "minimac4@1.0"}, {"id": "imputationserver2@2.0.12"}]}
    assert pick_app_id(both, service="X") == "imputationserver2@2.0.12"


def test_pick_app_id_explains_an_unaccepted_token() -> None:
    with pytest.raises(UserError, match="no applications for this token") as caught:
        pick_app_id({"loggedIn": False, "apps": []}, service="MIS")
    assert "token" in caught.value.hint


def test_pick_app_id_names_the_apps_when_none_imputes() -> None:
    with pytest.raises(UserError, match=r"applications: hla@1\.0"):
        pick_app_id({"loggedIn": True, "apps": [{"id": "hla@1.0"}]}, service="MIS")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-01T10:00:00.000Z", datetime(2026, 3, 1, 10, tzinfo=UTC)),
        ("2026-03-01T12:00:00+02:00", datetime(2026, 3, 1, 10, tzinfo=UTC)),
        ("2026-03-01T11:00:00+01:00[Europe/Berlin]", datetime(2026, 3, 1, 10, tzinfo=UTC)),
        ("2026-03-01T10:00:00", datetime(2026, 3, 1, 10, tzinfo=UTC)),
        (1772359200000, datetime(2026, 3, 1, 10, tzinfo=UTC)),  # Cloudgene 2: epoch ms
        ("1772359200000", datetime(2026, 3, 1, 10, tzinfo=UTC)),
        (0, None),
        (-1, None),
        (None, None),
        ("soon", None),
    ],
)
def test_parse_time(value: object, expected: datetime | None) -> None:
    assert parse_time(value) == expected


def test_parse_token_check_valid_and_invalid() -> None:
    valid = parse_token_check(
        {
            "valid": True,
            "message": "API Token was created by %s and is valid.",
            "username": "alice",
            "name": "Alice",
            "mail": "a@x",
            "expire": "2026-03-01T10:00:00.000+00:00",
        }
    )
    assert valid.valid and valid.username == "alice"
    assert valid.expires_at == datetime(2026, 3, 1, 10, tzinfo=UTC)
    invalid = parse_token_check(
        {"valid": False, "message": "Invalid API Token.", "username": None, "expire": None}
    )
    assert not invalid.valid and invalid.username is None and invalid.expires_at is None


def test_server_description_names_the_imputation_app() -> None:
    server = {"name": "Michigan Imputation Server"}
    ids = ["imputationserver2-hla@2.0.0", "imputationserver2@2.0.12"]
    assert (
        server_description(server, ids)
        == "Michigan Imputation Server (Cloudgene), imputationserver2 2.0.12"
    )
    assert server_description(server, []) == "Michigan Imputation Server (Cloudgene)"
