"""What the fake Cloudgene server has installed: the imputationserver2 app and two panels.

Shapes follow specs/cloudgene-api.md sections 4.1 and 4.2 (WdlAppResponse, WdlParameterInput-
Response, PropertyResponse); parameter ids, types, values and defaults follow the
imputationserver2 table there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

APP_ID = "imputationserver2"
APP_VERSION = "2.0.12"
APP_NAME = "Genotype Imputation (Minimac4)"
SERVER_NAME = "Michigan Imputation Server"


@dataclass(frozen=True)
class Panel:
    id: str
    version: str
    name: str
    build: str
    populations: tuple[tuple[str, str], ...]

    @property
    def key(self) -> str:
        return f"apps@{self.id}@{self.version}"


PANELS = (
    Panel(
        "1000g-phase3-deep",
        "1.0.0",
        "1000 Genomes Phase 3 (30x/GRCh38/hg38)",
        "hg38",
        (
            ("afr", "AFR"),
            ("amr", "AMR"),
            ("eas", "EAS"),
            ("eur", "EUR"),
            ("sas", "SAS"),
            ("off", "off - do not calculate population specific statistics"),
        ),
    ),
    Panel(
        "hapmap-2",
        "2.0.0",
        "HapMap 2 (GRCh37/hg19)",
        "hg19",
        (
            ("eur", "EUR"),
            ("afr", "AFR"),
            ("asn", "ASN"),
            ("mixed", "Mixed population"),
            ("off", "off - do not calculate population specific statistics"),
        ),
    ),
)

#: Listed by GET /api/v2/server for a logged-in user. The HLA app comes first: its id starts
#: with "imputationserver2" too, and a client must not pick it.
SERVER_APPS = (
    {"id": "imputationserver2-hla@2.0.0", "name": "HLA Imputation", "version": "2.0.0"},
    {"id": f"{APP_ID}@{APP_VERSION}", "name": APP_NAME, "version": APP_VERSION},
)

LISTS: dict[str, dict[str, str]] = {
    "build": {"hg19": "GRCh37/hg19", "hg38": "GRCh38/hg38"},
    "r2Filter": {"0": "off", "0.001": "0.001", "0.1": "0.1", "0.2": "0.2", "0.3": "0.3"},
    "phasing": {
        "beagle": "Beagle 5.4 (HRC and 1KG only)",
        "eagle": "Eagle v2.4 (phased output)",
        "no_phasing": "No phasing",
    },
    "mode": {"imputation": "Quality Control & Imputation", "qc_only": "Quality Control Only"},
}
DEFAULTS = {
    "build": "hg19",
    "r2Filter": "0",
    "phasing": "eagle",
    "mode": "imputation",
    "aesEncryption": "false",
    "meta": "false",
}
CHECKBOXES = ("aesEncryption", "meta")
#: Every declared input: the names a submission may use (spec 4.3). ``password`` is invisible.
DECLARED = (
    "refpanel",
    "files",
    "build",
    "r2Filter",
    "phasing",
    "population",
    "mode",
    "aesEncryption",
    "meta",
    "myseparator",
    "check1",
    "check2",
    "password",
)


def find_panel(value: str) -> Panel | None:
    """Cloudgene's resolution of a refpanel value: ``apps@id@v``, ``id@v``, ``apps@id``, ``id``."""
    text = value.removeprefix("apps@")
    panel_id, _, version = text.partition("@")
    for panel in PANELS:
        if panel.id == panel_id and version in ("", panel.version):
            return panel
    return None


def _param(pid: str, type_: str, description: str, **extra: Any) -> dict[str, Any]:
    # Items omit null fields (@JsonInclude(NON_NULL)); required defaults to true.
    item: dict[str, Any] = {
        "id": pid,
        "description": description,
        "type": type_,
        "value": DEFAULTS.get(pid, ""),
        "visible": True,
        "required": True,
        "adminOnly": False,
    }
    item.update(extra)
    return item


def _list(pid: str, description: str) -> dict[str, Any]:
    values = [{"key": key, "value": LISTS[pid][key]} for key in sorted(LISTS[pid])]
    return _param(pid, "list", description, values=values)


def app_response() -> dict[str, Any]:
    """The body of ``GET /api/v2/server/apps/imputationserver2``."""
    checkbox_values = [{"key": "false", "value": "no"}, {"key": "true", "value": "yes"}]
    params = [
        _param(
            "refpanel",
            "app_list",
            'Reference Panel (<a href="https://imputationserver.readthedocs.io/en/latest/reference-panels/" target="_blank">Details</a>)',
            values=[{"key": p.key, "value": p.name} for p in sorted(PANELS, key=lambda p: p.key)],
        ),
        _param(
            "files",
            "local_folder",
            'Input Files (<a href="https://imputationserver.readthedocs.io/en/latest/prepare-your-data/" target="_blank">VCF</a>)',
            source="upload",
            accept=".vcf.gz",
        ),
        _list("build", "Array Build"),
        _list("r2Filter", "rsq Filter"),
        _list("phasing", "Phasing"),
        _param(
            "population",
            "binded_list",
            "Population",
            bind="refpanel",
            values=[
                {
                    "key": p.key,
                    "label": p.name,
                    "values": [{"key": key, "value": name} for key, name in p.populations],
                }
                for p in sorted(PANELS, key=lambda p: p.key)
            ],
        ),
        _list("mode", "Mode"),
        _param(
            "aesEncryption",
            "checkbox",
            "AES 256 encryption",
            required=False,
            values=checkbox_values,
            details="Imputation Server encrypts all zip files by default. Please note that AES encryption does not work with standard unzip programs. We recommend 7z instead.",
        ),
        _param(
            "meta",
            "checkbox",
            "Generate Meta-imputation file",
            required=False,
            values=checkbox_values,
        ),
        _param("myseparator", "separator", ""),
        _param(
            "check1",
            "terms_checkbox",
            "I will not attempt to re-identify or contact research participants.",
        ),
        _param(
            "check2",
            "terms_checkbox",
            "I will report any inadvertent data release, security breach or other data management incident of which I become aware.",
        ),
    ]
    return {
        "id": APP_ID,
        "name": APP_NAME,
        "version": APP_VERSION,
        "description": "This is the new Michigan Imputation Server Pipeline using Minimac4.",
        "author": "Lukas Forer, Sebastian Schönherr and Christian Fuchsberger",
        "website": "https://imputationserver.readthedocs.io",
        "logo": None,
        "submitButton": "Start Imputation",
        "params": params,
        "s3Workspace": False,
        "footer": None,
    }
