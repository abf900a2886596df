"""Versions of the components a bug report needs (shown in Help > About and `genoflow info`)."""

from __future__ import annotations

import platform
import sys
from importlib import metadata

import genoflow_desktop


def _distribution_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def component_versions() -> dict[str, str]:
    """Versions of GenoFlow, Python and the libraries that do the heavy lifting.

    Imports pysam lazily: it is only loaded when this is asked for, not at start-up.
    """
    versions = {
        "GenoFlow": genoflow_desktop.__version__,
        "Python": platform.python_version(),
        "Platform": f"{platform.system()} {platform.release()} ({platform.machine()})",
    }
    try:
        from importlib import import_module

        # import_module: `pysam.version` as an attribute is shadowed by pysam's command dispatcher.
        pysam_version = import_module("pysam.version")
        versions["pysam"] = pysam_version.__version__
        versions["htslib"] = pysam_version.__htslib_version__
    except ImportError as exc:  # a broken install should still show its About box
        versions["pysam"] = f"unavailable ({exc})"
    for name in ("SQLAlchemy", "boto3", "httpx", "keyring"):
        versions[name] = _distribution_version(name)
    if "PySide6" in sys.modules:
        from importlib import import_module

        qtcore = import_module("PySide6.QtCore")
        versions["Qt"] = qtcore.qVersion()
        versions["PySide6"] = import_module("PySide6").__version__
    return versions
