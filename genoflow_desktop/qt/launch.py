"""Entry from the command line into the desktop app, with a plain message when Qt cannot load."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from genoflow_desktop.commands.context import CommandContext
from genoflow_desktop.core import system_check
from genoflow_desktop.core.errors import UserError


def launch(context: CommandContext, *, files: Sequence[str], smoke: bool) -> int:
    """Open the main window (or hand ``files`` to the already running instance)."""
    if not system_check.has_display():
        if not smoke:
            raise UserError(
                "No display was found, so the GenoFlow window cannot open.",
                hint="Start GenoFlow from a desktop session, or use its commands headless "
                "(see 'genoflow --help').",
            )
        # --smoke checks that the app can start and paint, which needs no screen.
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    if sys.platform.startswith("linux"):
        platform = system_check.expected_platform()
        # A platform plugin that cannot load makes Qt abort the process, so check first.
        missing = (
            system_check.missing_qt_libraries(platform) if platform in ("xcb", "wayland") else set()
        )
        if missing:
            raise UserError(system_check.install_advice(missing))
    try:
        from genoflow_desktop.qt.app import run_app
    except ImportError as exc:
        raise UserError(system_check.explain_import_error(exc)) from exc
    return run_app(context.dirs, files=list(files), smoke=smoke)
