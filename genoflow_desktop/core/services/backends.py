"""Which client speaks to which service: one place that turns a service row into a backend."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from sqlalchemy.orm import Session

from genoflow_desktop.core.domain import ServiceKind
from genoflow_desktop.core.jobs.backend import JobBackend
from genoflow_desktop.core.services import credentials
from genoflow_desktop.core.store.models import Service


@dataclass(frozen=True)
class ServiceRef:
    """A service detached from the database session, safe to keep in long-lived objects."""

    name: str
    kind: ServiceKind
    base_url: str

    @classmethod
    def of(cls, service: Service) -> ServiceRef:
        return cls(service.name, ServiceKind(service.kind), service.base_url)


def service_ref(session: Session, name: str) -> ServiceRef:
    """The service called ``name``, detached from ``session`` (raises as ``find_service`` does)."""
    return ServiceRef.of(credentials.find_service(session, name))


def make_backend(
    service: ServiceRef, token: str | None, *, transport: httpx.AsyncBaseTransport | None = None
) -> JobBackend:
    # Imported here so each client's modules load only when that kind of service is used.
    if service.kind is ServiceKind.CLOUDGENE:
        from genoflow_desktop.core.services.cloudgene.backend import CloudgeneBackend

        return CloudgeneBackend(
            name=service.name, base_url=service.base_url, token=token, transport=transport
        )
    from genoflow_desktop.core.services.wes.backend import WesBackend

    return WesBackend(
        name=service.name, base_url=service.base_url, token=token, transport=transport
    )
