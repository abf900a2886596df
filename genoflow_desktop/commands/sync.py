"""``genoflow sync``: share this computer's job and upload history with the lab's sync server.

``sync login`` signs in (the password from GENOFLOW_SYNC_PASSWORD or stdin, never an argument)
and remembers the sign-in in the system keychain; ``sync`` runs one push-and-pull; ``sync
status`` says where things stand, offline too; ``sync logout`` revokes the sign-in.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable
from typing import Any

from genoflow_desktop.commands.context import CommandContext, print_json, read_secret
from genoflow_desktop.commands.exit_codes import EXIT_OK

PASSWORD_VARIABLE = "GENOFLOW_SYNC_PASSWORD"
TOTP_VARIABLE = "GENOFLOW_SYNC_TOTP"


def register(
    subparsers: Any, add_global_options: Callable[[argparse.ArgumentParser], None]
) -> None:
    sync = subparsers.add_parser(
        "sync",
        help="share job and upload history with the lab sync server (login, status, logout)",
        description="Without an action: push this computer's changes to the lab, then pull the "
        "lab's. Only metadata is shared (names, states, checksums, sizes, times): never "
        "parameters, paths, passwords or links.",
    )
    add_global_options(sync)
    sync.add_argument("--json", action="store_true", help="print JSON")
    sync.set_defaults(handler=run_sync)
    actions = sync.add_subparsers(dest="sync_command", metavar="ACTION")

    login = actions.add_parser(
        "login",
        help="sign in to a lab sync server (remembered in the system keychain)",
        description=f"The password is read from {PASSWORD_VARIABLE}, else from stdin (prompted "
        f"for, unechoed, on a terminal). An authenticator code goes in --totp-code or "
        f"{TOTP_VARIABLE}. The lab is chosen automatically when you belong to one.",
    )
    login.add_argument("--server", required=True, metavar="URL", help="the sync server's address")
    login.add_argument("--email", required=True, metavar="E")
    login.add_argument("--lab", metavar="LAB_ID_OR_NAME", help="needed if you are in several labs")
    login.add_argument("--totp-code", metavar="CODE", help="the current authenticator code")
    login.add_argument("--json", action="store_true", help="print JSON")
    add_global_options(login)
    login.set_defaults(handler=run_login)

    logout = actions.add_parser("logout", help="sign out: revoke the sign-in and forget it here")
    add_global_options(logout)
    logout.set_defaults(handler=run_logout)

    status = actions.add_parser(
        "status", help="server, user, lab, role, last sync and pending local changes"
    )
    status.add_argument("--json", action="store_true", help="print JSON")
    add_global_options(status)
    status.set_defaults(handler=run_status)


def _not_signed_in() -> Exception:
    from genoflow_desktop.core.sync.client import SessionExpired

    return SessionExpired("This computer is not signed in to a lab sync server.")


def run_sync(args: argparse.Namespace, context: CommandContext) -> int:
    from genoflow_desktop.core.sync.engine import sync_once
    from genoflow_desktop.core.sync.session import restore_session

    store = context.store
    session = restore_session(
        store, idle_timeout_s=context.settings.sync_idle_timeout_minutes * 60.0
    )
    if session is None:
        raise _not_signed_in()

    async def run() -> Any:
        try:
            return await sync_once(store, session)
        finally:
            await session.client.aclose()

    result = asyncio.run(run())
    if args.json:
        print_json(result.to_dict())
    else:
        line = f"pushed {result.pushed}, pulled {result.pulled}, conflicts {result.conflicts}"
        if result.refused:
            line += f" ({result.refused} refused by the server: records of other members)"
        print(line)
    return EXIT_OK


def run_login(args: argparse.Namespace, context: CommandContext) -> int:
    from genoflow_desktop.core.sync.client import SyncClient
    from genoflow_desktop.core.sync.session import sign_in

    client = SyncClient(args.server)  # checks the address before asking for a password
    password = read_secret(PASSWORD_VARIABLE, f"Password for {args.email}: ")
    totp = args.totp_code or os.environ.get(TOTP_VARIABLE) or None
    store = context.store

    async def run() -> Any:
        try:
            session = await sign_in(
                store,
                client,
                email=args.email,
                password=password,
                totp_code=totp,
                lab=args.lab,
                remember=True,
                idle_timeout_s=context.settings.sync_idle_timeout_minutes * 60.0,
            )
            return session.info
        finally:
            await client.aclose()

    info = asyncio.run(run())
    if args.json:
        print_json(info.to_dict())
        return EXIT_OK
    name = info.display_name or info.email
    if info.lab_id is None:
        print(f"signed in to {info.server_url} as {name}; you are in no lab yet")
    else:
        print(f"signed in to {info.server_url} as {name}, lab {info.lab_name} ({info.role})")
        print("next: genoflow sync", file=sys.stderr)
    return EXIT_OK


def run_logout(args: argparse.Namespace, context: CommandContext) -> int:
    from genoflow_desktop.core.sync import account
    from genoflow_desktop.core.sync.session import restore_session

    store = context.store
    session = restore_session(store)
    if session is None:
        info = account.load_account(store)
        if info is not None:
            account.delete_refresh_token(info.server_url, info.email)
            account.forget_account(store)
        print("not signed in")
        return EXIT_OK

    async def run() -> bool:
        try:
            return await session.sign_out(store)
        finally:
            await session.client.aclose()

    if asyncio.run(run()):
        print(f"signed out of {session.info.server_url}")
    else:
        print(
            f"signed out here; {session.info.server_url} could not be reached to revoke the "
            "sign-in (it expires on its own)",
            file=sys.stderr,
        )
    return EXIT_OK


def run_status(args: argparse.Namespace, context: CommandContext) -> int:
    from genoflow_desktop.core.sync.engine import sync_status

    status = sync_status(context.store)
    if args.json:
        print_json(status.to_dict())
        return EXIT_OK
    info = status.account
    if info is None:
        print("not signed in to a lab sync server")
        print(f"pending local changes: {status.pending}")
        return EXIT_OK
    state = "signed in" if status.remembered else "signed out (sign in again)"
    last = info.last_sync_at.strftime("%Y-%m-%d %H:%M:%S UTC") if info.last_sync_at else "never"
    lines = [
        ("server", f"{info.server_url} ({state})"),
        ("user", f"{info.display_name or '-'} <{info.email}>"),
        ("lab", f"{info.lab_name or '-'} (id {info.lab_id or '-'})"),
        ("role", info.role or "-"),
        ("last sync", last),
        *([("last error", info.last_error)] if info.last_error else []),
        ("pending local changes", str(status.pending)),
    ]
    for label, value in lines:
        print(f"{label + ':':<23}{value}")
    return EXIT_OK
