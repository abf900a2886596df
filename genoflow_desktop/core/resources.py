"""Access to the data files in the top-level ``resources/`` folder (icons, catalogs, templates).

Installed (wheel or frozen app), the folder is the package ``genoflow_desktop.resources`` and is
read through importlib.resources. In a development checkout (editable install) the package does
not exist and the folder beside the source tree is used. Never relative to the working directory.
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path


def resource_root() -> Traversable:
    try:
        return resources.files("genoflow_desktop.resources")
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / "resources"


def resource(*parts: str) -> Traversable:
    """The resource at ``resources/<parts...>``, e.g. ``resource("icons", "app.svg")``."""
    node = resource_root()
    for part in parts:
        node = node / part
    return node


def read_bytes(*parts: str) -> bytes:
    return resource(*parts).read_bytes()
