"""Imputation settings checked against the server's form, and turned into exact form fields."""

from __future__ import annotations

import string

import pytest

from genoflow_desktop.core.errors import UserError
from genoflow_desktop.core.services.cloudgene.models import parse_app
from genoflow_desktop.core.services.cloudgene.params import (
    PASSWORD_ALPHABET,
    build_form,
    generate_password,
)
from tests.unit.services.test_cloudgene_models import APP_JSON

APP = parse_app(
    {
        **APP_JSON,
        "params": [*APP_JSON["params"], {"id": "meta", "type": "checkbox", "value": "false"}],
    }
)


def form(**params: object) -> list[tuple[str, str]]:
    return build_form(APP, params, service="MIS", password="pw", job_name="study 1")


def test_fields_use_the_servers_names_and_spellings() -> None:
    fields = form(
        refpanel="HapMap-2",
        population="EUR",
        build="HG19",
        phasing="beagle",
        mode="qc_only",
        r2_filter=0.3,
    )
    assert fields == [
        ("refpanel", "apps@hapmap-2@2.0.0"),
        ("build", "hg19"),
        ("phasing", "beagle"),
        ("mode", "qc_only"),
        ("r2Filter", "0.3"),
        ("population", "eur"),
        ("password", "pw"),
        ("job-name", "study 1"),
    ]


def test_missing_list_values_are_sent_as_the_servers_defaults() -> None:
    fields = dict(form(refpanel="apps@hapmap-2@2.0.0"))
    assert fields["build"] == "hg19" and fields["phasing"] == "eagle"
    assert fields["r2Filter"] == "0" and fields["mode"] == "imputation"
    assert "population" not in fields


def test_checkboxes_are_sent_only_when_on() -> None:
    # Cloudgene turns a checkbox on whenever the field is present, whatever its value.
    off = [name for name, _ in form(refpanel="hapmap-2", aes=False, meta="no")]
    assert "aesEncryption" not in off and "meta" not in off
    on = form(refpanel="hapmap-2", aes=True, meta="true")
    assert ("aesEncryption", "true") in on and ("meta", "true") in on


def test_no_password_or_name_means_no_such_fields() -> None:
    names = [name for name, _ in build_form(APP, {"refpanel": "hapmap-2"}, service="MIS")]
    assert "password" not in names and "job-name" not in names


@pytest.mark.parametrize(
    ("params", "message", "hint_part"),
    [
        ({}, "No reference panel", "hapmap-2 (HapMap 2 (GRCh37/hg19))"),
        ({"refpanel": "hrc-r1.1"}, "'hrc-r1.1' is not a reference panel", "1000g-phase3-deep"),
        (
            {"refpanel": "hapmap-2", "population": "afr"},
            "not a population of hapmap-2",
            "eur (EUR), off",
        ),
        (
            {"refpanel": "hapmap-2", "build": "hg18"},
            "'hg18' is not a build",
            "hg19 (GRCh37/hg19), hg38",
        ),
        (
            {"refpanel": "hapmap-2", "phasing": "shapeit"},
            "not a phasing",
            "beagle (Beagle), eagle (Eagle), no_phasing",
        ),
        ({"refpanel": "hapmap-2", "r2_filter": "0.5"}, "'0.5' is not a r2 filter", "0 (off), 0.3"),
        ({"refpanel": "hapmap-2", "mode": "phasing"}, "not a mode", "imputation (QC & Imputation)"),
        ({"refpanel": "hapmap-2", "r2filter": "0.3"}, "Unknown imputation setting", "r2_filter"),
        ({"refpanel": "hapmap-2", "aes": "maybe"}, "'aes' must be true or false", ""),
    ],
)
def test_invalid_values_are_refused_with_the_valid_choices(
    params: dict[str, object], message: str, hint_part: str
) -> None:
    with pytest.raises(UserError) as caught:
        build_form(APP, params, service="MIS")
    assert message in caught.value.message
    assert hint_part in caught.value.hint


def test_options_the_app_lacks_are_refused() -> None:
    bare = parse_app({"id": "imputationserver2", "params": [APP_JSON["params"][0]]})
    with pytest.raises(UserError, match="no 'aes' option"):
        build_form(bare, {"refpanel": "hapmap-2", "aes": True}, service="MIS")
    with pytest.raises(UserError, match="no 'build' setting"):
        build_form(bare, {"refpanel": "hapmap-2", "build": "hg19"}, service="MIS")


def test_generated_passwords_are_long_random_and_survive_html_escaping() -> None:
    passwords = {generate_password() for _ in range(200)}
    assert len(passwords) == 200
    for password in passwords:
        assert len(password) >= 20
        assert set(password) <= set(PASSWORD_ALPHABET)
    assert not set('&<>"') & set(PASSWORD_ALPHABET)
    assert set(PASSWORD_ALPHABET) <= set(string.printable)
    # Over many passwords, every kind of character turns up (it is not letters only).
    seen = set("".join(passwords))
    assert seen & set(string.digits) and seen & set("!#$%()*+,-./:;=?@[]^_{|}~")
