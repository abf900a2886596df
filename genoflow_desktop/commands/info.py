"""``genoflow info``: versions, folders, the store's schema and the keychain in use."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from genoflow_desktop.commands.context import CommandContext, print_json


def register(
    subparsers: Any, add_global_options: Callable[[argparse.ArgumentParser], None]
) -> None:
    parser = subparsers.add_parser(
        "info", help="show versions, folders and the local database in use"
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    add_global_options(parser)
    parser.set_defaults(handler=run)


def _keyring_backend() -> str:
    try:
        import keyring

        backend = keyring.get_keyring()
        return f"{type(backend).__module__}.{type(backend).__name__}"
    except Exception as exc:
        return f"unavailable ({exc})"


def run(args: argparse.Namespace, context: CommandContext) -> int:
    from genoflow_desktop.core.store import migrations
    from genoflow_desktop.core.versions import component_versions

    store = context.store
    info = {
        "versions": component_versions(),
        "folders": {
            "data": str(context.dirs.data),
            "config": str(context.dirs.config),
            "cache": str(context.dirs.cache),
            "logs": str(context.dirs.logs),
        },
        "database": {
            "path": str(store.path),
            "schema": store.schema_revision(),
            "latest_schema": migrations.head_revision(),
        },
        "keyring": _keyring_backend(),
    }
    if args.json:
        print_json(info)
        return 0
    for section, values in info.items():
        if isinstance(values, dict):
            print(f"{section}:")
            width = max(len(key) for key in values) + 1
            for key, value in values.items():
                print(f"  {key + ':':<{width}} {value}")
        else:
            print(f"{section}: {values}")
    return 0
