"""``genoflow services``, ``genoflow credentials`` and ``genoflow refpanels``.

Services are the imputation servers (Cloudgene) and workflow servers (GA4GH WES) jobs go to;
credentials are the user's API tokens for them, kept only in the system keychain.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from typing import Any

from genoflow_desktop.commands.context import CommandContext, print_json, read_secret
from genoflow_desktop.commands.exit_codes import EXIT_OK, EXIT_SERVICE
from genoflow_desktop.core.errors import UserError

TOKEN_VARIABLE = "GENOFLOW_TOKEN"


def register(
    subparsers: Any, add_global_options: Callable[[argparse.ArgumentParser], None]
) -> None:
    services = subparsers.add_parser(
        "services",
        help="list services (imputation and WES servers), add, remove or check them",
        description="Without an action: the services with their tokens (label, verified, "
        "expiry). 'check' measures whether each service answers, and how fast.",
    )
    add_global_options(services)
    services.add_argument("--json", action="store_true", help="print JSON")
    services.set_defaults(handler=run_list)
    actions = services.add_subparsers(dest="services_command", metavar="ACTION")

    add = actions.add_parser("add", help="add a Cloudgene or WES server")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--type", required=True, choices=("cloudgene", "wes"), dest="kind")
    add.add_argument(
        "--url",
        required=True,
        metavar="URL",
        help="base address; for WES the API root, e.g. https://host/ga4gh/wes/v1",
    )
    add.add_argument("--json", action="store_true", help="print JSON")
    add_global_options(add)
    add.set_defaults(handler=run_add)

    remove = actions.add_parser("remove", help="remove a service you added (and its token)")
    remove.add_argument("name", metavar="NAME")
    add_global_options(remove)
    remove.set_defaults(handler=run_remove)

    check = actions.add_parser("check", help="is each service reachable, and how fast")
    check.add_argument("names", nargs="*", metavar="NAME", help="default: every service")
    check.add_argument("--json", action="store_true", help="print JSON")
    add_global_options(check)
    check.set_defaults(handler=run_check)

    creds = subparsers.add_parser(
        "credentials", help="store, test or remove your API token for a service"
    )
    add_global_options(creds)
    cred_actions = creds.add_subparsers(dest="credentials_command", metavar="ACTION", required=True)
    set_ = cred_actions.add_parser(
        "set",
        help="store a token (read from GENOFLOW_TOKEN or stdin) and test it",
        description=f"The token is read from {TOKEN_VARIABLE}, else from stdin (prompted for, "
        "unechoed, on a terminal), checked with the service, and stored only in the system "
        "keychain. A token the service rejects is not stored.",
    )
    set_.add_argument("service", metavar="SERVICE")
    set_.add_argument("--label", default="", help="a name for the token, e.g. 'lab laptop'")
    set_.add_argument("--json", action="store_true", help="print JSON")
    add_global_options(set_)
    set_.set_defaults(handler=run_credentials_set)
    test = cred_actions.add_parser("test", help="test the stored token with the service")
    test.add_argument("service", metavar="SERVICE")
    test.add_argument("--json", action="store_true", help="print JSON")
    add_global_options(test)
    test.set_defaults(handler=run_credentials_test)
    delete = cred_actions.add_parser("remove", help="remove the stored token")
    delete.add_argument("service", metavar="SERVICE")
    add_global_options(delete)
    delete.set_defaults(handler=run_credentials_remove)

    panels = subparsers.add_parser(
        "refpanels",
        help="reference panels, populations and options of an imputation server",
        description="Asks the server (Cloudgene API) which imputation app it runs and lists its "
        "reference panels with their populations, builds, phasing engines, r2 filters and modes.",
    )
    panels.add_argument("service", metavar="SERVICE")
    panels.add_argument("--json", action="store_true", help="print JSON")
    add_global_options(panels)
    panels.set_defaults(handler=run_refpanels)


def _date(value: Any) -> str:
    return value.strftime("%Y-%m-%d") if value is not None else "-"


def run_list(args: argparse.Namespace, context: CommandContext) -> int:
    from genoflow_desktop.core.services.catalog import list_services

    with context.store.session() as session:
        views = list_services(session)
    if args.json:
        print_json([view.to_dict() for view in views])
        return EXIT_OK
    for view in views:
        if not view.has_token:
            token = "no token"
        else:
            left = view.token_days_left
            expiry = "" if left is None else f", expires in {left} days"
            if view.token_expiring:
                expiry += " (renew it soon)"
            verified = f"verified {_date(view.token_verified_at)}"
            token = f"token {view.token_label or 'set'}, {verified}{expiry}"
        print(f"{view.name}  [{view.kind.value}]  {view.base_url}  ({token})")
    return EXIT_OK


def run_add(args: argparse.Namespace, context: CommandContext) -> int:
    from genoflow_desktop.core.services.catalog import add_service

    with context.store.session() as session:
        service = add_service(session, args.name, args.kind, args.url)
        result = {"name": service.name, "type": service.kind, "url": service.base_url}
    if args.json:
        print_json(result)
    else:
        print(f"added {result['name']} ({result['type']}) at {result['url']}")
        print(f'next: genoflow credentials set "{result["name"]}"', file=sys.stderr)
    return EXIT_OK


def run_remove(args: argparse.Namespace, context: CommandContext) -> int:
    from genoflow_desktop.core.services.catalog import remove_service

    with context.store.session() as session:
        remove_service(session, args.name)
    print(f"removed {args.name}")
    return EXIT_OK


def _backend_for(context: CommandContext, name: str, *, token_required: bool) -> Any:
    from genoflow_desktop.core.services import credentials
    from genoflow_desktop.core.services.backends import make_backend, service_ref

    with context.store.session() as session:
        ref = service_ref(session, name)
        token = credentials.token_for(session, name) if token_required else None
    return make_backend(ref, token)


def run_check(args: argparse.Namespace, context: CommandContext) -> int:
    from genoflow_desktop.core.services.catalog import check_health, list_services

    with context.store.session() as session:
        names = args.names or [view.name for view in list_services(session)]

    async def check_all() -> list[Any]:
        backends = [_backend_for(context, name, token_required=False) for name in names]
        try:
            return list(
                await asyncio.gather(
                    *(check_health(n, b) for n, b in zip(names, backends, strict=True))
                )
            )
        finally:
            for backend in backends:
                await backend.aclose()

    results = asyncio.run(check_all())
    if args.json:
        print_json([health.to_dict() for health in results])
    else:
        for health in results:
            if health.api_ok:
                print(f"{health.name}: ok, {health.latency_ms:.0f} ms ({health.description})")
            elif health.reachable:
                print(f"{health.name}: reachable, but the API did not answer: {health.error}")
            else:
                print(f"{health.name}: not reachable: {health.error}")
    return EXIT_OK if all(h.api_ok for h in results) else EXIT_SERVICE


def _test_token(context: CommandContext, name: str) -> Any:
    """Check the stored token with the service; record the result; return the check."""
    from genoflow_desktop.core.services import credentials

    async def check() -> Any:
        backend = _backend_for(context, name, token_required=True)
        try:
            return await backend.check_credentials()
        finally:
            await backend.aclose()

    result = asyncio.run(check())
    if result.valid:
        with context.store.session() as session:
            credentials.record_verification(
                session, name, username=result.username, expires_at=result.expires_at
            )
    return result


def _check_to_dict(name: str, result: Any) -> dict[str, Any]:
    from genoflow_desktop.core.services.credentials import days_left

    return {
        "service": name,
        "valid": result.valid,
        "message": result.message,
        "username": result.username,
        "expires_at": result.expires_at,
        "days_left": days_left(result.expires_at),
    }


def _print_check(name: str, result: Any) -> None:
    from genoflow_desktop.core.services.catalog import EXPIRY_WARNING_DAYS
    from genoflow_desktop.core.services.credentials import days_left

    if not result.valid:
        print(f"{name}: the token was refused: {result.message}")
        return
    who = f" for {result.username}" if result.username else ""
    left = days_left(result.expires_at)
    expiry = "" if left is None else f"; expires {_date(result.expires_at)} ({left} days left)"
    print(f"{name}: token valid{who}{expiry}")
    if left is not None and left < EXPIRY_WARNING_DAYS:
        print(
            f"warning: the token for {name} expires in {left} days; create a new one on the "
            "service's web site and run 'genoflow credentials set' again.",
            file=sys.stderr,
        )


def run_credentials_set(args: argparse.Namespace, context: CommandContext) -> int:
    from genoflow_desktop.core.services import credentials
    from genoflow_desktop.core.services.errors import ServiceUnavailable

    token = read_secret(TOKEN_VARIABLE, f"API token for {args.service}: ")
    with context.store.session() as session:
        credentials.set_token(session, args.service, token, label=args.label)
    try:
        result = _test_token(context, args.service)
    except ServiceUnavailable as error:
        print(
            f"warning: the token is stored but could not be tested now: {error.message}",
            file=sys.stderr,
        )
        return EXIT_OK
    if not result.valid:
        with context.store.session() as session:
            credentials.delete_token(session, args.service)
        raise _refused(args.service, result.message)
    if args.json:
        print_json(_check_to_dict(args.service, result))
    else:
        _print_check(args.service, result)
    return EXIT_OK


def _refused(service: str, message: str) -> UserError:
    from genoflow_desktop.core.services.errors import AuthenticationFailed

    return AuthenticationFailed(
        f"{service} does not accept this token: {message}",
        hint="Copy the newest token from the service's web site (profile > API token); "
        "creating a new token invalidates the old one.",
    )


def run_credentials_test(args: argparse.Namespace, context: CommandContext) -> int:
    result = _test_token(context, args.service)
    if args.json:
        print_json(_check_to_dict(args.service, result))
    else:
        _print_check(args.service, result)
    if not result.valid:
        raise _refused(args.service, result.message)
    return EXIT_OK


def run_credentials_remove(args: argparse.Namespace, context: CommandContext) -> int:
    from genoflow_desktop.core.services import credentials

    with context.store.session() as session:
        credentials.delete_token(session, args.service)
    print(f"removed the token for {args.service}")
    return EXIT_OK


def run_refpanels(args: argparse.Namespace, context: CommandContext) -> int:
    from genoflow_desktop.core.domain import ServiceKind
    from genoflow_desktop.core.services import credentials

    with context.store.session() as session:
        service = credentials.find_service(session, args.service)
        if service.kind != ServiceKind.CLOUDGENE.value:
            raise UserError(
                f"{args.service} is a WES server; reference panels belong to imputation servers.",
                hint="See 'genoflow services' for the imputation servers.",
            )

    async def fetch() -> Any:
        backend = _backend_for(context, args.service, token_required=True)
        try:
            return await backend.imputation_app()
        finally:
            await backend.aclose()

    app = asyncio.run(fetch())
    if args.json:
        print_json(app.to_dict())
        return EXIT_OK

    def values(choices: Any) -> str:
        return ", ".join(choice.value for choice in choices) or "-"

    print(f"{app.name} {app.version} (app id {app.id})")
    print("reference panels (--refpanel) and their populations (--population):")
    for panel in app.panels:
        print(f"  {panel.id}: {panel.name}  [{values(panel.populations)}]")
    print(f"builds (--build): {values(app.builds)}")
    print(f"phasing (--phasing): {values(app.phasing)}")
    print(f"r2 filters (--r2-filter): {values(app.r2_filters)}")
    print(f"modes (--mode): {values(app.modes)}")
    if app.has_aes:
        print("AES-256 result archives: --aes")
    return EXIT_OK
