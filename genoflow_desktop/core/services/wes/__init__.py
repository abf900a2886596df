"""GA4GH Workflow Execution Service (WES 1.0/1.1): the client and its job backend."""

from genoflow_desktop.core.services.wes.backend import WesBackend
from genoflow_desktop.core.services.wes.client import WesClient

__all__ = ["WesBackend", "WesClient"]
