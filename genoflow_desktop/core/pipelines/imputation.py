"""The imputation "pipeline": a Cloudgene job's parameters as presets store them.

The choices themselves come from each server (see
:mod:`genoflow_desktop.core.services.cloudgene.params`); this schema only checks the shape of a
preset (known keys, text or true/false), so a file written by hand or by another version cannot
put anything else into a form. Values are checked against the chosen server on submission.
"""

from __future__ import annotations

from typing import Any

PIPELINE = "imputation"

_TEXT = {"type": "string"}
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "refpanel": {**_TEXT, "title": "Reference panel"},
        "population": {**_TEXT, "title": "Population"},
        "build": {**_TEXT, "title": "Genome build"},
        "phasing": {**_TEXT, "title": "Phasing"},
        "mode": {**_TEXT, "title": "Mode"},
        "r2_filter": {**_TEXT, "title": "r² filter"},
        "aes": {"type": "boolean", "title": "AES-256 encryption"},
        "meta": {"type": "boolean", "title": "Meta-imputation dosages"},
    },
    "additionalProperties": False,
}
