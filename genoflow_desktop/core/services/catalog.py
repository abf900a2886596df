"""The services a user can send jobs to: the built-in imputation servers and their own.

Built-in entries come from ``resources/services/catalog.json`` and are added to the store on
first use; users add any number of Cloudgene or GA4GH WES servers by name, type and address.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from genoflow_desktop.core import resources
from genoflow_desktop.core.domain import ServiceKind
from genoflow_desktop.core.errors import UserError
from genoflow_desktop.core.jobs.backend import JobBackend
from genoflow_desktop.core.services.credentials import days_left, delete_token
from genoflow_desktop.core.services.errors import ServiceError
from genoflow_desktop.core.services.http import normalise_base_url, probing
from genoflow_desktop.core.store.models import Credential, Service

#: A token this close to expiry gets a warning everywhere it is shown.
EXPIRY_WARNING_DAYS = 7


@dataclass(frozen=True)
class CatalogEntry:
    name: str
    kind: ServiceKind
    base_url: str
    description: str = ""
    token_help: str = ""
    retention_days: int | None = None


@dataclass(frozen=True)
class ServiceView:
    """A service as lists show it: where it is and what we know of the user's token."""

    name: str
    kind: ServiceKind
    base_url: str
    builtin: bool
    description: str
    has_token: bool
    token_label: str
    token_username: str | None
    token_verified_at: datetime | None
    token_expires_at: datetime | None

    @property
    def token_days_left(self) -> int | None:
        return days_left(self.token_expires_at)

    @property
    def token_expiring(self) -> bool:
        left = self.token_days_left
        return left is not None and left < EXPIRY_WARNING_DAYS

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.kind.value,
            "url": self.base_url,
            "builtin": self.builtin,
            "description": self.description,
            "credential": None
            if not self.has_token
            else {
                "label": self.token_label,
                "username": self.token_username,
                "verified_at": self.token_verified_at,
                "expires_at": self.token_expires_at,
                "days_left": self.token_days_left,
            },
        }


@dataclass(frozen=True)
class ServiceHealth:
    """Is the service reachable, does its API answer, and how fast."""

    name: str
    reachable: bool
    api_ok: bool
    latency_ms: float | None
    description: str = ""
    error: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "reachable": self.reachable,
            "api_ok": self.api_ok,
            "latency_ms": None if self.latency_ms is None else round(self.latency_ms, 1),
            "description": self.description,
            "error": self.error,
        }


@cache
def builtin_catalog() -> tuple[CatalogEntry, ...]:
    data = json.loads(resources.read_bytes("services", "catalog.json"))
    return tuple(
        CatalogEntry(
            name=item["name"],
            kind=ServiceKind(item["kind"]),
            base_url=item["base_url"],
            description=item.get("description", ""),
            token_help=item.get("token_help", ""),
            retention_days=item.get("retention_days"),
        )
        for item in data["services"]
    )


def catalog_entry(name: str) -> CatalogEntry | None:
    return next((entry for entry in builtin_catalog() if entry.name == name), None)


def ensure_builtin_services(session: Session) -> None:
    """Add the built-in services the store does not have yet (a user may have removed none)."""
    known = set(session.scalars(select(Service.name)))
    for entry in builtin_catalog():
        if entry.name not in known:
            session.add(
                Service(
                    name=entry.name, kind=entry.kind.value, base_url=entry.base_url, builtin=True
                )
            )
    session.flush()


def list_services(session: Session) -> list[ServiceView]:
    ensure_builtin_services(session)
    rows = session.execute(
        select(Service, Credential)
        .outerjoin(Credential, Credential.service_id == Service.id)
        .order_by(Service.builtin.desc(), Service.name)
    )
    views = []
    for service, credential in rows:
        entry = catalog_entry(service.name) if service.builtin else None
        views.append(
            ServiceView(
                name=service.name,
                kind=ServiceKind(service.kind),
                base_url=service.base_url,
                builtin=service.builtin,
                description=entry.description if entry else "",
                has_token=credential is not None,
                token_label=credential.label if credential else "",
                token_username=credential.username if credential else None,
                token_verified_at=credential.verified_at if credential else None,
                token_expires_at=credential.expires_at if credential else None,
            )
        )
    return views


def add_service(session: Session, name: str, kind: str, base_url: str) -> Service:
    """Add a user's own Cloudgene or WES server."""
    name = name.strip()
    if not name:
        raise UserError("A service needs a name.", hint="For example: 'Lab WES'.")
    try:
        service_kind = ServiceKind(kind)
    except ValueError:
        raise UserError(
            f"'{kind}' is not a service type GenoFlow knows.",
            hint="Use 'cloudgene' (imputation servers) or 'wes' (GA4GH WES servers).",
        ) from None
    url = normalise_base_url(base_url)
    if session.scalar(select(Service).where(Service.name == name)) is not None:
        raise UserError(
            f"There is already a service called '{name}'.",
            hint="Choose another name, or remove the old one first.",
        )
    service = Service(name=name, kind=service_kind.value, base_url=url, builtin=False)
    session.add(service)
    session.flush()
    return service


def remove_service(session: Session, name: str) -> None:
    """Remove a user-added service and its token. Its jobs stay in the history."""
    service = session.scalar(select(Service).where(Service.name == name))
    if service is None:
        raise UserError(
            f"There is no service called '{name}'.", hint="See 'genoflow services' for the list."
        )
    if service.builtin:
        raise UserError(
            f"'{name}' is built in and cannot be removed.",
            hint="Remove its token instead if you no longer use it.",
        )
    delete_token(session, name)
    session.delete(service)


async def check_health(name: str, backend: JobBackend) -> ServiceHealth:
    """Probe the service once: reachable, API answering, and the round trip in milliseconds.

    One attempt with short time-outs (:func:`~genoflow_desktop.core.services.http.probing`):
    a refused connection is reported at once, not after the retries a job request gets.
    """
    started = time.perf_counter()
    try:
        with probing():
            description = await backend.probe()
    except ServiceError as error:
        latency = (time.perf_counter() - started) * 1000
        # An answer that is not the API's (HTTP error, a web page) still means the host is up.
        reachable = error.status is not None
        return ServiceHealth(
            name, reachable, False, latency if reachable else None, error=error.message
        )
    except httpx.HTTPError as error:
        return ServiceHealth(name, False, False, None, error=str(error) or type(error).__name__)
    latency = (time.perf_counter() - started) * 1000
    return ServiceHealth(name, True, True, latency, description=description)
