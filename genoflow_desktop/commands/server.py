"""``genoflow server``: run the lab sync server, migrate its database, create its first admin.

The server is an optional extra (``pip install 'genoflow-desktop[server]'``): FastAPI, uvicorn
and the server package are imported only inside the handlers.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import Any

from genoflow_desktop.commands.context import CommandContext, print_json, read_secret
from genoflow_desktop.commands.exit_codes import EXIT_OK
from genoflow_desktop.core.errors import UserError

PASSWORD_VARIABLE = "GENOFLOW_ADMIN_PASSWORD"
SERVER_DATABASE_NAME = "sync-server.sqlite3"
MIN_PASSWORD_LENGTH = 8


def register(
    subparsers: Any, add_global_options: Callable[[argparse.ArgumentParser], None]
) -> None:
    server = subparsers.add_parser(
        "server",
        help="run the lab sync server (needs the 'server' extra)",
        description="Without an action: migrate the database, then serve the sync API with "
        "uvicorn. See docs/sync-server.md for deploying behind a TLS reverse proxy.",
    )
    _add_db_option(server)
    server.add_argument("--host", default="127.0.0.1", help="address to listen on")
    server.add_argument("--port", type=int, default=8000, help="port to listen on")
    server.add_argument(
        "--workers", type=int, default=1, help="uvicorn worker processes (share the database)"
    )
    server.add_argument(
        "--forwarded-allow-ips",
        default="127.0.0.1",
        metavar="IPS",
        help="reverse proxies trusted for X-Forwarded-For/-Proto (comma-separated, or '*')",
    )
    add_global_options(server)
    server.set_defaults(handler=run_serve)
    actions = server.add_subparsers(dest="server_command", metavar="ACTION")

    migrate = actions.add_parser("migrate", help="create or upgrade the database schema")
    _add_db_option(migrate)
    add_global_options(migrate)
    migrate.set_defaults(handler=run_migrate)

    admin = actions.add_parser(
        "create-admin",
        help="create a server administrator",
        description=f"The password is read from {PASSWORD_VARIABLE}, else from stdin (prompted "
        "for, unechoed, on a terminal); never from the command line.",
    )
    _add_db_option(admin)
    admin.add_argument("--email", required=True)
    admin.add_argument("--name", default="", help="display name (default: the e-mail)")
    admin.add_argument("--json", action="store_true", help="print JSON")
    add_global_options(admin)
    admin.set_defaults(handler=run_create_admin)


def _add_db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        metavar="URL",
        default=argparse.SUPPRESS,
        help="SQLAlchemy URL: sqlite:////path/sync.db or postgresql+psycopg://user@host/db "
        f"(default: {SERVER_DATABASE_NAME} in the app's data folder)",
    )


def _database_url(args: argparse.Namespace, context: CommandContext) -> str:
    url = getattr(args, "db", None)
    return str(url) if url else f"sqlite:///{context.dirs.data / SERVER_DATABASE_NAME}"


def _require_extra() -> None:
    try:
        import argon2  # noqa: F401
        import fastapi  # noqa: F401
        import jwt  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as error:
        raise UserError(
            f"The sync server is not installed ({error.name} is missing).",
            hint="pip install 'genoflow-desktop[server]'",
        ) from None


def _migrate(url: str) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    from genoflow_desktop.server import migrations
    from genoflow_desktop.server.database import make_engine

    engine = None
    try:
        engine = make_engine(url)
        migrations.upgrade(engine)
    except SQLAlchemyError as error:
        cause = getattr(error, "orig", None) or error
        raise UserError(
            f"Cannot migrate the sync database: {cause}",
            hint="Check the --db URL and that the database server is running.",
        ) from None
    finally:
        if engine is not None:
            engine.dispose()


def run_migrate(args: argparse.Namespace, context: CommandContext) -> int:
    _require_extra()
    url = _database_url(args, context)
    _migrate(url)
    print("the sync database is up to date", file=sys.stderr)
    return EXIT_OK


def run_create_admin(args: argparse.Namespace, context: CommandContext) -> int:
    _require_extra()
    from genoflow_desktop.server.app import create_app

    password = read_secret(PASSWORD_VARIABLE, f"Password for {args.email}: ")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(
            f"The password must have at least {MIN_PASSWORD_LENGTH} characters.",
            hint=f"Set {PASSWORD_VARIABLE} or type it when asked.",
        )
    url = _database_url(args, context)
    _migrate(url)
    app = create_app(url, migrate=False)
    state = app.state.server
    try:
        from genoflow_desktop.server import accounts, audit
        from genoflow_desktop.server.errors import ApiError

        with state.sessions() as session:
            try:
                user = accounts.create_user(
                    session,
                    state,
                    email=args.email,
                    display_name=args.name or args.email,
                    password=password,
                    is_admin=True,
                )
            except ApiError as error:
                raise UserError(error.detail, hint="Choose another e-mail.") from None
            audit.record(
                session, "user.created", client="cli", target=user.id, detail={"is_admin": True}
            )
            session.commit()
            result = {"id": user.id, "email": user.email, "is_admin": True}
    finally:
        state.engine.dispose()
    if args.json:
        print_json(result)
    else:
        print(f"created server administrator {result['email']} ({result['id']})")
    return EXIT_OK


def run_serve(args: argparse.Namespace, context: CommandContext) -> int:
    _require_extra()
    import uvicorn

    from genoflow_desktop.server.config import DATABASE_URL_VARIABLE

    url = _database_url(args, context)
    # Migrated once here, before any worker starts: workers only check the schema.
    _migrate(url)
    # Workers are separate processes: they build the app from the URL in their environment.
    os.environ[DATABASE_URL_VARIABLE] = url
    uvicorn.run(
        "genoflow_desktop.server.app:app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=max(1, args.workers),
        proxy_headers=True,
        forwarded_allow_ips=args.forwarded_allow_ips,
        # No "server: uvicorn" header: the software and its version are nobody's business.
        # (The access log is kept: tokens travel in headers and bodies, never in URLs.)
        server_header=False,
    )
    return EXIT_OK
