"""Subcommands of the ``genoflow`` command line, one module per group.

Each module has ``register(subparsers, add_global_options)``, which adds its subparsers and sets
``handler`` (a function of ``(args, context) -> exit code``) as their default.
"""

from genoflow_desktop.commands import info, jobs, s3, server, services, sync, upload, validate

COMMAND_MODULES = [validate, upload, s3, services, jobs, sync, info, server]
