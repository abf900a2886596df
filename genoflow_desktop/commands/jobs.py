"""``genoflow submit``, ``jobs``, ``job``, ``cancel``, ``download`` and ``logs``.

Exit codes: 0 success, 1 the job failed or was canceled, 2 usage error, 3 service or
authentication error. A job is persisted before it is sent, so Ctrl-C or a crash never loses it:
``genoflow job ID --wait`` (or the app) picks it up where it was.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genoflow_desktop.commands.context import CommandContext, print_json
from genoflow_desktop.commands.exit_codes import EXIT_FAILURE, EXIT_OK
from genoflow_desktop.core.errors import UserError

if TYPE_CHECKING:
    from genoflow_desktop.core.jobs.orchestrator import JobEvent, JobOrchestrator


def register(
    subparsers: Any, add_global_options: Callable[[argparse.ArgumentParser], None]
) -> None:
    submit = subparsers.add_parser(
        "submit",
        help="submit an imputation job or a WES workflow run",
        description="Imputation (Cloudgene servers): FILE... are bgzipped VCFs, one per "
        "chromosome; choices are checked against the server's own lists before anything is "
        "uploaded ('genoflow refpanels SERVICE' shows them). The results password is generated "
        "and kept in the system keychain. Workflows (WES servers): give --workflow-url and "
        "--params; FILE... and --attach are sent as attachments. With --wait, follow the job to "
        "the end and download its results.",
    )
    submit.add_argument("files", nargs="*", metavar="FILE", type=Path)
    submit.add_argument("--service", required=True, metavar="S")
    submit.add_argument("--name", required=True, metavar="N", help="job name")
    imputation = submit.add_argument_group("imputation (Cloudgene)")
    imputation.add_argument("--refpanel", metavar="R", help="reference panel id, e.g. hapmap-2")
    imputation.add_argument("--build", metavar="B", help="genome build of the input: hg19 or hg38")
    imputation.add_argument("--phasing", metavar="P", help="eagle, beagle or no_phasing")
    imputation.add_argument("--population", metavar="POP", help="population of the panel")
    imputation.add_argument("--mode", metavar="M", help="imputation or qc_only")
    imputation.add_argument("--r2-filter", metavar="X", help="drop imputed sites with r2 < X")
    imputation.add_argument("--aes", action="store_true", help="AES-256 encrypted result archives")
    imputation.add_argument(
        "--meta", action="store_true", help="also produce meta-imputation files"
    )
    workflow = submit.add_argument_group("workflow (GA4GH WES)")
    workflow.add_argument("--workflow-url", metavar="U", help="main workflow file or URL")
    workflow.add_argument("--workflow-type", default="CWL", metavar="T", help="CWL (default), WDL")
    workflow.add_argument("--workflow-type-version", metavar="V", help="e.g. v1.2")
    workflow.add_argument(
        "--params", metavar="JSON", help="workflow inputs as JSON text, or @file.json"
    )
    workflow.add_argument("--engine", metavar="E", help="workflow engine (WES 1.1 servers)")
    workflow.add_argument(
        "--attach", action="append", default=[], type=Path, metavar="FILE", help="attachment"
    )
    workflow.add_argument("--tags", metavar="JSON", help="tags as a JSON object")
    _add_wait_options(submit)
    submit.add_argument("--json", action="store_true", help="print the job as JSON")
    add_global_options(submit)
    submit.set_defaults(handler=run_submit)

    jobs = subparsers.add_parser("jobs", help="list jobs (newest first)")
    jobs.add_argument("--state", metavar="S", help="only jobs in this state, e.g. running")
    jobs.add_argument("--service", metavar="S", help="only jobs on this service")
    jobs.add_argument("--limit", type=int, default=50, metavar="N", help="at most N (default 50)")
    jobs.add_argument("--json", action="store_true", help="print JSON")
    add_global_options(jobs)
    jobs.set_defaults(handler=run_jobs)

    job = subparsers.add_parser(
        "job", help="show a job (status history, step messages, results); --wait to follow it"
    )
    job.add_argument("job", metavar="ID", help="job id, a unique prefix of it, or the server's id")
    _add_wait_options(job)
    job.add_argument("--json", action="store_true", help="print JSON")
    add_global_options(job)
    job.set_defaults(handler=run_job)

    cancel = subparsers.add_parser("cancel", help="cancel a job")
    cancel.add_argument("job", metavar="ID")
    _add_wait_options(cancel)
    cancel.add_argument("--json", action="store_true", help="print JSON")
    add_global_options(cancel)
    cancel.set_defaults(handler=run_cancel)

    download = subparsers.add_parser(
        "download",
        help="download (and decrypt) a job's results",
        description="Each file is fetched once (servers count downloads) and files already "
        "complete on disk are kept; imputation archives are decrypted with the job's password.",
    )
    download.add_argument("job", metavar="ID")
    download.add_argument("--output", type=Path, metavar="DIR", help="default: the job's folder")
    download.add_argument("--json", action="store_true", help="print the files as JSON")
    add_global_options(download)
    download.set_defaults(handler=run_download)

    logs = subparsers.add_parser("logs", help="print a job's log from the server")
    logs.add_argument("job", metavar="ID")
    add_global_options(logs)
    logs.set_defaults(handler=run_logs)


def _add_wait_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--wait", action="store_true", help="follow the job until it ends (Ctrl-C stops waiting)"
    )
    parser.add_argument(
        "--poll-interval",
        type=float,
        metavar="S",
        help="seconds between status checks (default: the poll_interval_s setting)",
    )


def _orchestrator(context: CommandContext, poll_interval: float | None = None) -> JobOrchestrator:
    from genoflow_desktop.core.jobs.notify import Notifier
    from genoflow_desktop.core.jobs.orchestrator import JobOrchestrator

    settings = context.settings
    results = (
        Path(settings.results_folder) if settings.results_folder else context.dirs.data / "results"
    )
    return JobOrchestrator(
        context.store,
        results_root=results,
        poll_interval_s=poll_interval or settings.poll_interval_s,
        notifier=Notifier(settings),
    )


def _json_object(text: str | None, option: str) -> dict[str, Any]:
    if not text:
        return {}
    try:
        raw = Path(text[1:]).read_text(encoding="utf-8") if text.startswith("@") else text
        value = json.loads(raw)
    except (OSError, ValueError) as exc:
        raise UserError(
            f"{option} is not valid JSON ({exc}).",
            hint=f"Give a JSON object, e.g. {option} '{{\"input\": 1}}', or {option} @file.json.",
        ) from exc
    if not isinstance(value, dict):
        raise UserError(f"{option} must be a JSON object ({{...}}).")
    return value


def _params(args: argparse.Namespace, kind: str) -> tuple[dict[str, Any], list[Path]]:
    if kind == "cloudgene":
        if args.workflow_url or args.params or args.attach:
            raise UserError(
                f"{args.service} is an imputation server; --workflow-url, --params and --attach "
                "are for WES servers.",
                hint="See 'genoflow submit --help'.",
            )
        params: dict[str, Any] = {
            key: value
            for key, value in {
                "refpanel": args.refpanel,
                "build": args.build,
                "phasing": args.phasing,
                "population": args.population,
                "mode": args.mode,
                "r2_filter": args.r2_filter,
            }.items()
            if value is not None
        }
        if args.aes:
            params["aes"] = True
        if args.meta:
            params["meta"] = True
        return params, list(args.files)
    imputation_options = [args.refpanel, args.build, args.phasing, args.population, args.mode]
    if any(imputation_options) or args.r2_filter or args.aes or args.meta:
        raise UserError(
            f"{args.service} is a WES server; --refpanel, --build, --phasing, --population, "
            "--mode, --r2-filter, --aes and --meta are for imputation servers.",
            hint="See 'genoflow submit --help'.",
        )
    if not args.workflow_url:
        raise UserError(
            "A workflow run needs --workflow-url.",
            hint="Give the main workflow file (attached) or its URL, e.g. --workflow-url "
            "main.cwl --attach main.cwl.",
        )
    params = {
        "workflow_url": args.workflow_url,
        "workflow_type": args.workflow_type,
        "workflow_params": _json_object(args.params, "--params"),
    }
    if args.workflow_type_version:
        params["workflow_type_version"] = args.workflow_type_version
    if args.engine:
        params["workflow_engine"] = args.engine
    if args.tags:
        params["tags"] = _json_object(args.tags, "--tags")
    return params, [*args.files, *args.attach]


def _print_event(event: JobEvent) -> None:
    print(
        f"{event.state.value}: {event.message}" if event.message else event.state.value,
        file=sys.stderr,
    )


def _exit_code(state: str) -> int:
    return EXIT_OK if state == "completed" else EXIT_FAILURE


async def _wait(orchestrator: JobOrchestrator, job_id: str) -> str:
    try:
        state = await orchestrator.follow(job_id, raise_refused_token=True)
    finally:
        await orchestrator.aclose()
    return state.value


def _show(context: CommandContext, job_id: str, as_json: bool) -> str:
    from genoflow_desktop.core.jobs.records import find_job, job_to_dict

    with context.store.session() as session:
        job = find_job(session, job_id)
        data = job_to_dict(session, job)
    if as_json:
        print_json(data)
    else:
        _print_job(data)
    return str(data["state"])


def run_submit(args: argparse.Namespace, context: CommandContext) -> int:
    from genoflow_desktop.core.services import credentials
    from genoflow_desktop.core.services.errors import ServiceUnavailable

    orchestrator = _orchestrator(context, args.poll_interval)
    with context.store.session() as session:
        kind = credentials.find_service(session, args.service).kind
    params, files = _params(args, kind)
    if kind == "cloudgene" and not files:
        raise UserError(
            "No input files were given.",
            hint="Give the bgzipped VCF files (one per chromosome) after the options.",
        )
    orchestrator.add_listener(_print_event)

    async def submit() -> tuple[str, str]:
        try:
            job_id = await orchestrator.submit_new(
                service=args.service, name=args.name, params=params, files=files
            )
            print(f"submitted job {job_id}", file=sys.stderr)
            if not args.wait:
                return job_id, ""
            state = await orchestrator.follow(job_id, raise_refused_token=True)
            return job_id, state.value
        finally:
            await orchestrator.aclose()

    try:
        job_id, state = asyncio.run(submit())
    except ServiceUnavailable as error:
        pending = orchestrator.unfinished_jobs()
        if pending:
            error.hint = (
                f"The job is kept (id {pending[-1]}) and is submitted when the server answers: "
                f"run 'genoflow job {pending[-1]} --wait' or open the app."
            )
        raise
    if args.json or args.wait:
        _show(context, job_id, as_json=args.json)
    else:
        print(job_id)
    return _exit_code(state) if args.wait else EXIT_OK


def run_jobs(args: argparse.Namespace, context: CommandContext) -> int:
    from sqlalchemy import select

    from genoflow_desktop.core.jobs.records import job_to_dict
    from genoflow_desktop.core.store.models import Job, Service

    with context.store.session() as session:
        statement = select(Job).order_by(Job.created_at.desc()).limit(args.limit)
        if args.state:
            statement = statement.where(Job.state == args.state.lower())
        if args.service:
            statement = statement.join(Service, Service.id == Job.service_id).where(
                Service.name == args.service
            )
        rows = [job_to_dict(session, job, history=False) for job in session.scalars(statement)]
    if args.json:
        print_json(rows)
        return EXIT_OK
    if not rows:
        print("no jobs")
    for row in rows:
        where = f"{row['service']} {row['remote_id'] or ''}".strip()
        created = row["created_at"].strftime("%Y-%m-%d %H:%M")
        print(f"{row['id'][:12]}  {row['state']:<11}  {created}  {row['name']}  ({where})")
    return EXIT_OK


def _print_job(data: dict[str, Any]) -> None:
    print(f"{data['name']}  [{data['state']}]")
    print(
        f"  id: {data['id']}   service: {data['service']}   server id: {data['remote_id'] or '-'}"
    )
    if data["remote_state"]:
        queue = data["queue_position"]
        position = (
            f", position {queue + 1} in the queue" if queue is not None and queue >= 0 else ""
        )
        print(f"  server state: {data['remote_state']}{position}")
    if data["attention"]:
        print(f"  waiting: {data['attention']}")
    if data["error"]:
        print(f"  error: {data['error']}")
    hours = data["results_expire_in_hours"]
    if hours is not None and data["state"] not in ("failed", "canceled"):
        if hours > 0:
            print(f"  results are deleted on the server in {hours / 24:.1f} days")
        else:
            print("  results have been deleted on the server")
    for message in data["messages"]:
        print(f"  [{message['level']}] {message['step']}: {message['text']}")
    for event in data.get("history", []):
        print(f"  {event['at']:%Y-%m-%d %H:%M:%S}  {event['state']:<11} {event['message']}")
    if data["results"]:
        print(f"  results in {data['output_dir']}:")
        for result in data["results"]:
            print(f"    {result['name']}  {result['size']} bytes  sha256 {result['sha256'][:16]}…")


def run_job(args: argparse.Namespace, context: CommandContext) -> int:
    from genoflow_desktop.core.jobs.records import find_job

    with context.store.session() as session:
        job_id = find_job(session, args.job).id
    if args.wait:
        orchestrator = _orchestrator(context, args.poll_interval)
        orchestrator.add_listener(_print_event)
        asyncio.run(_wait(orchestrator, job_id))
    state = _show(context, job_id, as_json=args.json)
    return _exit_code(state) if args.wait else EXIT_OK


def run_cancel(args: argparse.Namespace, context: CommandContext) -> int:
    from genoflow_desktop.core.jobs.records import find_job

    with context.store.session() as session:
        job_id = find_job(session, args.job).id
    orchestrator = _orchestrator(context, args.poll_interval)

    async def cancel() -> str:
        try:
            state = await orchestrator.cancel(job_id)
            if args.wait:
                orchestrator.add_listener(_print_event)
                state = await orchestrator.follow(job_id, raise_refused_token=True)
            return state.value
        finally:
            await orchestrator.aclose()

    state = asyncio.run(cancel())
    if args.json or args.wait:
        _show(context, job_id, as_json=args.json)
    else:
        print(f"cancel requested for job {job_id}", file=sys.stderr)
    if args.wait:
        return EXIT_OK if state == "canceled" else EXIT_FAILURE
    return EXIT_OK


def run_download(args: argparse.Namespace, context: CommandContext) -> int:
    from genoflow_desktop.core.jobs.records import find_job

    with context.store.session() as session:
        job_id = find_job(session, args.job).id
    orchestrator = _orchestrator(context)

    async def download() -> list[Any]:
        try:
            return await orchestrator.download(job_id, args.output)
        finally:
            await orchestrator.aclose()

    files = asyncio.run(download())
    if args.json:
        print_json(
            [
                {
                    "name": f.name,
                    "path": str(f.path),
                    "size": f.size,
                    "sha256": f.sha256,
                    "extracted_from": f.extracted_from,
                }
                for f in files
            ]
        )
    else:
        for item in files:
            print(f"{item.path}  {item.size} bytes  sha256 {item.sha256}")
    return EXIT_OK


def run_logs(args: argparse.Namespace, context: CommandContext) -> int:
    from genoflow_desktop.core.jobs.records import find_job

    with context.store.session() as session:
        job_id = find_job(session, args.job).id
    orchestrator = _orchestrator(context)

    async def logs() -> str:
        try:
            return await orchestrator.logs(job_id)
        finally:
            await orchestrator.aclose()

    sys.stdout.write(asyncio.run(logs()))
    return EXIT_OK
