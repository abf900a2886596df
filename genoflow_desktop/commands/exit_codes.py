"""The command line's exit codes, in one place for every command (and documented in the README)."""

# A service or authentication error: defined in core, where errors carry it as ``exit_code``.
from genoflow_desktop.core.services.errors import EXIT_SERVICE

__all__ = [
    "EXIT_FAILURE",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_SERVICE",
    "EXIT_USAGE",
]

EXIT_OK = 0
#: A failure the user can act on, or a job that failed or was canceled.
EXIT_FAILURE = 1
EXIT_USAGE = 2
#: Interrupted with Ctrl-C (an upload pauses).
EXIT_INTERRUPTED = 130
#: A bug: the traceback is in the log file.
EXIT_INTERNAL = 70
