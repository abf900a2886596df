"""Cloudgene imputation servers (Michigan Imputation Server 2, TOPMed, AfriGen-D).

:class:`~.backend.CloudgeneBackend` is what the job orchestrator and the command line use;
:class:`~.client.CloudgeneClient` is the thin layer over the REST API beneath it.
"""

from genoflow_desktop.core.services.cloudgene.backend import CloudgeneBackend
from genoflow_desktop.core.services.cloudgene.client import CloudgeneClient
from genoflow_desktop.core.services.cloudgene.models import (
    Choice,
    ImputationApp,
    RefPanel,
    TokenCheck,
)

__all__ = [
    "Choice",
    "CloudgeneBackend",
    "CloudgeneClient",
    "ImputationApp",
    "RefPanel",
    "TokenCheck",
]
