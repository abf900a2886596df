"""What a Cloudgene server tells us, as typed values: the imputation app's form and token checks.

The parsing follows specs/cloudgene-api.md sections 4.1 and 4.2. Everything is read tolerantly
(missing keys become empty values) because the same code has to understand Cloudgene 3 (MIS 2,
AfriGen-D) and the older Cloudgene 2 installations (TOPMed, section 9).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from genoflow_desktop.core.errors import UserError

#: App ids (left of the first "@") that run genotype imputation, newest first (spec 4.1).
IMPUTATION_APP_IDS = ("imputationserver2", "imputationserver", "minimac4")


@dataclass(frozen=True)
class Choice:
    """One allowed value of a list parameter: what is sent, and what the server shows."""

    value: str
    label: str


@dataclass(frozen=True)
class RefPanel:
    key: str  # the full key the server wants on submission: "apps@hapmap-2@2.0.0"
    id: str  # the short id people type: "hapmap-2"
    name: str  # "HapMap 2 (GRCh37/hg19)"
    populations: tuple[Choice, ...] = ()


@dataclass(frozen=True)
class ImputationApp:
    """The submission form of a server's imputation app (``GET /api/v2/server/apps/{id}``)."""

    id: str  # the bare id from the response ("imputationserver2"): used in the submit URL
    name: str
    version: str
    panels: tuple[RefPanel, ...]
    builds: tuple[Choice, ...] = ()
    phasing: tuple[Choice, ...] = ()
    r2_filters: tuple[Choice, ...] = ()
    modes: tuple[Choice, ...] = ()
    has_aes: bool = False
    has_meta: bool = False
    #: Parameter id -> default value, for every visible parameter that has one.
    defaults: Mapping[str, str] = field(default_factory=dict)
    #: Ids of every visible parameter: the only form field names the server accepts (besides
    #: the invisible ``password`` and ``job-name``).
    param_ids: frozenset[str] = frozenset()

    def to_dict(self) -> dict[str, Any]:
        """What ``genoflow refpanels --json`` prints."""

        def choices(items: tuple[Choice, ...]) -> list[dict[str, str]]:
            return [{"value": c.value, "label": c.label} for c in items]

        return {
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "panels": [
                {
                    "id": p.id,
                    "key": p.key,
                    "name": p.name,
                    "populations": choices(p.populations),
                }
                for p in self.panels
            ],
            "builds": choices(self.builds),
            "phasing": choices(self.phasing),
            "r2_filters": choices(self.r2_filters),
            "modes": choices(self.modes),
            "aes": self.has_aes,
            "meta": self.has_meta,
            "defaults": dict(self.defaults),
        }

    def panel(self, wanted: str) -> RefPanel | None:
        """The panel called ``wanted``: its short id, full key or ``<id>@<version>``."""
        text = wanted.strip().lower()
        for panel in self.panels:
            key = panel.key.lower()
            if text in (panel.id.lower(), key, key.removeprefix("apps@")):
                return panel
        return None


@dataclass(frozen=True)
class TokenCheck:
    """The answer of ``POST /api/v2/tokens/verify``."""

    valid: bool
    message: str
    username: str | None = None
    name: str | None = None
    expires_at: datetime | None = None


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _choices(param: Mapping[str, Any]) -> tuple[Choice, ...]:
    values = param.get("values") or []
    return tuple(
        Choice(value=_text(item.get("key")), label=_text(item.get("value") or item.get("label")))
        for item in values
        if isinstance(item, Mapping) and item.get("key") is not None
    )


def panel_id(key: str) -> str:
    """The short id of a panel key: the second "@" token of ``apps@hapmap-2@2.0.0``."""
    parts = key.split("@")
    if parts[0] == "apps" and len(parts) > 1:
        return parts[1]
    return parts[0]


def _populations(param: Mapping[str, Any] | None) -> dict[str, tuple[Choice, ...]]:
    """Populations of each panel key, from the ``population`` binded list (spec 4.2)."""
    result: dict[str, tuple[Choice, ...]] = {}
    if param is None:
        return result
    for entry in param.get("values") or []:
        if not isinstance(entry, Mapping) or entry.get("key") is None:
            continue
        populations: list[Choice] = []
        for item in entry.get("values") or []:
            # Cloudgene renders a panel's populations as {key, value}; the panel's own yaml has
            # {id, name}. Accept either, so a server that passes the raw list still works.
            if isinstance(item, Mapping):
                value = item.get("key", item.get("id"))
                if value is not None:
                    label = item.get("value", item.get("name"))
                    populations.append(Choice(_text(value), _text(label) or _text(value)))
        result[_text(entry["key"])] = tuple(populations)
    return result


def parse_app(data: Mapping[str, Any]) -> ImputationApp:
    """An :class:`ImputationApp` from the JSON of ``GET /api/v2/server/apps/{id}``."""
    params: dict[str, Mapping[str, Any]] = {}
    for item in data.get("params") or []:
        if isinstance(item, Mapping) and item.get("id"):
            params[_text(item["id"])] = item
    refpanel = params.get("refpanel")
    populations = _populations(params.get("population"))
    panels = tuple(
        RefPanel(
            key=choice.value,
            id=panel_id(choice.value),
            name=choice.label or panel_id(choice.value),
            populations=populations.get(choice.value, ()),
        )
        for choice in (_choices(refpanel) if refpanel else ())
    )
    # Separators, terms checkboxes and labels are form decoration, not fields one may send.
    decoration = {"separator", "terms_checkbox", "info", "group", "label"}
    field_ids = frozenset(
        pid for pid, item in params.items() if _text(item.get("type")) not in decoration
    )
    defaults = {
        pid: _text(item.get("value"))
        for pid, item in params.items()
        if pid in field_ids and _text(item.get("value"))
    }
    return ImputationApp(
        id=_text(data.get("id")),
        name=_text(data.get("name")),
        version=_text(data.get("version")),
        panels=panels,
        builds=_choices(params.get("build", {})),
        phasing=_choices(params.get("phasing", {})),
        r2_filters=_choices(params.get("r2Filter", {})),
        modes=_choices(params.get("mode", {})),
        has_aes=_text(params.get("aesEncryption", {}).get("type")) == "checkbox",
        has_meta=_text(params.get("meta", {}).get("type")) == "checkbox",
        defaults=defaults,
        param_ids=field_ids,
    )


def pick_app_id(server: Mapping[str, Any], *, service: str) -> str:
    """The id of the imputation app among the apps ``GET /api/v2/server`` lists (spec 4.1)."""
    listed: dict[str, str] = {}
    for app in server.get("apps") or []:
        if isinstance(app, Mapping) and app.get("id"):
            full_id = _text(app["id"])
            listed.setdefault(full_id.split("@", 1)[0], full_id)
    for wanted in IMPUTATION_APP_IDS:
        if wanted in listed:
            return listed[wanted]
    if not server.get("loggedIn"):
        raise UserError(
            f"{service} lists no applications for this token, so it was not accepted.",
            hint="Create a new API token on the service's web site (tokens expire after 30 "
            "days) and save it in Settings > Services or with 'genoflow credentials set'.",
        )
    names = ", ".join(sorted(listed.values())) or "none"
    raise UserError(
        f"{service} offers no genotype imputation application to your account "
        f"(applications: {names}).",
        hint="Check that this is an imputation server and that your account may use it; "
        "some servers grant access on request.",
    )


def parse_time(value: Any) -> datetime | None:
    """A timestamp the server sent: an ISO date-time string, or epoch milliseconds (Cloudgene 2
    and all job fields), where 0 or a negative number means "not set"."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float) or (isinstance(value, str) and value.strip().isdigit()):
        millis = int(value)
        return datetime.fromtimestamp(millis / 1000, UTC) if millis > 0 else None
    if not isinstance(value, str) or not value.strip():
        return None
    # Java's ZonedDateTime appends the zone name in brackets: "...+02:00[Europe/Berlin]".
    text = re.sub(r"\[[^\]]*\]$", "", value.strip())
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_token_check(data: Mapping[str, Any]) -> TokenCheck:
    """The answer of ``POST /api/v2/tokens/verify`` (Cloudgene 3 and 2 shapes)."""
    return TokenCheck(
        valid=bool(data.get("valid")),
        message=_text(data.get("message")),
        username=_text(data.get("username")) or None,
        name=_text(data.get("name")) or None,
        expires_at=parse_time(data.get("expire")),
    )


def server_description(server: Mapping[str, Any], app_ids: Sequence[str]) -> str:
    """One line naming the server and its imputation app, e.g. for "Test connection"."""
    name = _text(server.get("name")) or "Cloudgene"
    visible = [app for app in app_ids if app.split("@", 1)[0] in IMPUTATION_APP_IDS]
    if visible:
        app, _, version = visible[0].partition("@")
        return f"{name} (Cloudgene), {app} {version}".rstrip()
    return f"{name} (Cloudgene)"
