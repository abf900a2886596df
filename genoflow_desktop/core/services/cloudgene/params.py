"""A job's imputation parameters, checked against the server's form, turned into form fields.

Cloudgene does not check list values on submission (spec 4.3): a wrong population or build is
only noticed by the pipeline, after the upload and often after hours in the queue. So every value
is checked here, against the choices the server itself offers, before anything is sent.

The job's ``params`` dict uses our own keys, independent of the server's field names:

=============  ====================================================  ================
key            value                                                 form field
=============  ====================================================  ================
``refpanel``   short id (``hapmap-2``) or full key (``apps@...``)    ``refpanel``
``build``      ``hg19`` / ``hg38``                                   ``build``
``phasing``    ``eagle`` / ``beagle`` / ``no_phasing``               ``phasing``
``population`` a population of the chosen panel (any case)           ``population``
``mode``       ``imputation`` / ``qc_only``                          ``mode``
``r2_filter``  one of the server's values, e.g. ``"0.3"``            ``r2Filter``
``aes``        bool: WinZip AES-256 instead of ZipCrypto             ``aesEncryption``
``meta``       bool: also write empirical dosages (meta-imputation)  ``meta``
=============  ====================================================  ================
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Mapping, Sequence
from typing import Any

from genoflow_desktop.core.errors import UserError
from genoflow_desktop.core.services.cloudgene.models import Choice, ImputationApp, RefPanel

#: Our key -> the server's parameter id, for the list parameters.
LIST_FIELDS = {"build": "build", "phasing": "phasing", "mode": "mode", "r2_filter": "r2Filter"}
#: Our key -> the server's checkbox id.
CHECKBOX_FIELDS = {"aes": "aesEncryption", "meta": "meta"}
KNOWN_KEYS = frozenset({"refpanel", "population", *LIST_FIELDS, *CHECKBOX_FIELDS})

#: Characters that reach the zip password unchanged: Cloudgene HTML-escapes every submitted
#: value, so & < > " (and anything non-ASCII) would turn into entities (spec 4.3). We also leave
#: out the quote characters ' and ` and the backslash, which users would have to escape when
#: they type the password into a shell to unzip by hand.
PASSWORD_ALPHABET = string.ascii_letters + string.digits + "!#$%()*+,-./:;=?@[]^_{|}~"
PASSWORD_LENGTH = 24


def generate_password(length: int = PASSWORD_LENGTH) -> str:
    """A random result password from :data:`PASSWORD_ALPHABET` (about 6.4 bits per character)."""
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))


def _choice_list(choices: Sequence[Choice]) -> str:
    return ", ".join(
        f"{c.value} ({c.label})" if c.label and c.label != c.value else c.value for c in choices
    )


def _invalid(what: str, value: Any, choices: Sequence[Choice], service: str) -> UserError:
    return UserError(
        f"'{value}' is not a {what} that {service} offers.",
        hint=f"Choose one of: {_choice_list(choices)}.",
    )


def _same_number(a: str, b: str) -> bool:
    try:
        return float(a) == float(b)
    except ValueError:
        return False


def _pick(value: Any, choices: Sequence[Choice], what: str, service: str) -> str:
    """The server's spelling of ``value`` among ``choices``, or a UserError listing them."""
    text = str(value).strip()
    for choice in choices:
        if choice.value == text:
            return choice.value
    for choice in choices:
        # "HG19" for "hg19", 0.3 (a number from JSON) for "0.3".
        if choice.value.lower() == text.lower() or _same_number(choice.value, text):
            return choice.value
    raise _invalid(what, value, choices, service)


def _as_bool(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "1", "on"):
        return True
    if text in ("false", "no", "0", "off", ""):
        return False
    raise UserError(f"'{key}' must be true or false, not '{value}'.")


def resolve_panel(app: ImputationApp, wanted: Any, service: str) -> RefPanel:
    if wanted is None or not str(wanted).strip():
        raise UserError(
            "No reference panel was chosen.",
            hint=f"Choose one of {service}'s panels: "
            + ", ".join(f"{p.id} ({p.name})" for p in app.panels)
            + ". 'genoflow refpanels' lists them with their populations.",
        )
    panel = app.panel(str(wanted))
    if panel is None:
        raise UserError(
            f"'{wanted}' is not a reference panel that {service} offers.",
            hint="Choose one of: " + ", ".join(f"{p.id} ({p.name})" for p in app.panels) + ".",
        )
    return panel


def build_form(
    app: ImputationApp,
    params: Mapping[str, Any],
    *,
    service: str,
    password: str | None = None,
    job_name: str | None = None,
) -> list[tuple[str, str]]:
    """The text fields of the submission, in the server's names, after checking every value.

    Only fields the app declares are sent (any other name fails the submission with "Parameter
    'x' not found."). A list value the user did not give is sent as the server's default, so the
    job records what it ran with. Checkboxes are sent only when on: Cloudgene switches a
    checkbox on when the field is present *whatever its value*, so "aesEncryption=false" would
    switch AES on.
    """
    unknown = sorted(set(params) - KNOWN_KEYS)
    if unknown:
        raise UserError(
            f"Unknown imputation setting(s): {', '.join(unknown)}.",
            hint="Known settings: " + ", ".join(sorted(KNOWN_KEYS)) + ".",
        )
    panel = resolve_panel(app, params.get("refpanel"), service)
    fields: list[tuple[str, str]] = [("refpanel", panel.key)]

    choices_of = {
        "build": app.builds,
        "phasing": app.phasing,
        "mode": app.modes,
        "r2_filter": app.r2_filters,
    }
    for key, field in LIST_FIELDS.items():
        value = params.get(key)
        if value is None or str(value).strip() == "":
            if field in app.defaults:
                fields.append((field, app.defaults[field]))
            continue
        if field not in app.param_ids:
            raise UserError(f"{service}'s imputation app has no '{key}' setting; leave it out.")
        fields.append((field, _pick(value, choices_of[key], key.replace("_", " "), service)))

    population = params.get("population")
    if population is not None and str(population).strip():
        if not panel.populations:
            raise UserError(
                f"The reference panel {panel.id} has no populations to choose from.",
                hint="Leave 'population' out.",
            )
        fields.append(
            (
                "population",
                _pick(population, panel.populations, f"population of {panel.id}", service),
            )
        )

    for key, field in CHECKBOX_FIELDS.items():
        if key in params and _as_bool(key, params[key]):
            if field not in app.param_ids:
                raise UserError(f"{service}'s imputation app has no '{key}' option; leave it out.")
            fields.append((field, "true"))

    if password is not None:
        fields.append(("password", password))
    if job_name:
        fields.append(("job-name", job_name))
    return fields
