"""``genoflow upload`` (send, resume, cancel) and ``genoflow uploads`` (the journal)."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genoflow_desktop.commands.context import CommandContext, print_json
from genoflow_desktop.commands.exit_codes import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_SERVICE,
    EXIT_USAGE,
)
from genoflow_desktop.core.errors import UserError

if TYPE_CHECKING:
    from genoflow_desktop.core.progress import Progress
    from genoflow_desktop.core.transfer.control import UploadControl


def register(
    subparsers: Any, add_global_options: Callable[[argparse.ArgumentParser], None]
) -> None:
    parser = subparsers.add_parser(
        "upload",
        help="upload files to S3 (resumable), or resume/cancel uploads",
        description="Upload each FILE as a resumable S3 multipart upload to "
        "{prefix}/{project}/{sample}/{upload id}/{file name}, check the object against the file "
        "and tag it with its MD5 and SHA-256. Ctrl-C pauses (resume later with --resume). "
        "Exit code 0 when all uploads completed, 1 when any failed, 2 on a usage error, 3 on a "
        "service or credentials error, 130 when paused with Ctrl-C.",
    )
    parser.add_argument("files", nargs="*", metavar="FILE", type=Path)
    parser.add_argument("--profile", metavar="NAME", help="S3 profile (see 'genoflow s3 profiles')")
    parser.add_argument(
        "--project", metavar="P", help="project id (part of the key and the metadata)"
    )
    parser.add_argument(
        "--sample", metavar="S", help="sample id (part of the key and the metadata)"
    )
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--resume", metavar="ID", help="resume (or retry) the upload ID")
    action.add_argument("--resume-all", action="store_true", help="resume every unfinished upload")
    action.add_argument(
        "--cancel", metavar="ID", help="cancel the upload ID and delete its parts from S3"
    )
    parser.add_argument("--concurrency", type=int, metavar="N", help="parts sent in parallel")
    parser.add_argument("--part-size-mib", type=int, metavar="MIB", help="part size of new uploads")
    parser.add_argument("--limit-kib-s", type=int, metavar="KIB", help="bandwidth limit (0: none)")
    parser.add_argument("--json", action="store_true", help="print the uploads as JSON (a list)")
    add_global_options(parser)
    parser.set_defaults(handler=run)

    listing = subparsers.add_parser("uploads", help="list uploads and their progress")
    listing.add_argument("--json", action="store_true", help="print JSON")
    add_global_options(listing)
    listing.set_defaults(handler=run_list)


@contextmanager
def _ctrl_c_pauses(control: UploadControl) -> Iterator[None]:
    """The first Ctrl-C pauses (parts in flight finish and are journaled); a second one quits."""

    def handler(_signum: int, _frame: object) -> None:
        if control.cancelled:
            raise KeyboardInterrupt
        print(
            "\npausing after the parts in flight (Ctrl-C again to quit at once)...", file=sys.stderr
        )
        control.pause()

    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread (tests calling main() from a thread)
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class _ProgressLine:
    """One line on a terminal's stderr, redrawn at most ~10 times a second by the engine."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._width = 0

    def __call__(self, progress: Progress) -> None:
        from genoflow_desktop.core.transfer.progress import (
            TransferProgress,
            human_bytes,
            human_duration,
        )

        if not self.enabled or not isinstance(progress, TransferProgress):
            return

        percent = 100 * progress.done / progress.total if progress.total else 0.0
        speed = f"{human_bytes(progress.speed)}/s" if progress.speed else "-"
        text = (
            f"{progress.name}: {percent:5.1f}% {human_bytes(progress.done)} of "
            f"{human_bytes(progress.total or 0)}, {speed}, ETA {human_duration(progress.eta_s)}"
        )
        sys.stderr.write("\r" + text.ljust(self._width))
        sys.stderr.flush()
        self._width = len(text)

    def end(self) -> None:
        if self.enabled and self._width:
            sys.stderr.write("\n")
            self._width = 0


def run(args: argparse.Namespace, context: CommandContext) -> int:
    from genoflow_desktop.core.transfer.journal import RESUMABLE, Journal
    from genoflow_desktop.core.transfer.planner import MiB
    from genoflow_desktop.core.transfer.result import UploadOptions

    if args.cancel:
        return _cancel(args, context)
    for name, value, low, high in (
        ("--concurrency", args.concurrency, 1, 64),
        ("--part-size-mib", args.part_size_mib, 5, 5120),
        ("--limit-kib-s", args.limit_kib_s, 0, None),
    ):
        if value is not None and (value < low or (high is not None and value > high)):
            bounds = f"from {low} to {high}" if high is not None else f"{low} or more"
            print(f"error: {name} must be {bounds}", file=sys.stderr)
            return EXIT_USAGE
    if args.files and (args.resume or args.resume_all):
        print("error: give files to upload, or --resume/--resume-all, not both", file=sys.stderr)
        return EXIT_USAGE
    journal = Journal(context.store)
    if args.resume:
        upload_ids = [journal.find(args.resume).id]
    elif args.resume_all:
        upload_ids = [r.id for r in journal.uploads(tuple(s.value for s in RESUMABLE))]
        if not upload_ids:
            print("no unfinished uploads", file=sys.stderr)
    else:
        if not args.files:
            print(
                "error: give at least one FILE (or --resume ID / --resume-all / --cancel ID)",
                file=sys.stderr,
            )
            return EXIT_USAGE
        if not args.profile:
            print(
                "error: --profile NAME is needed for new uploads (see 'genoflow s3 profiles')",
                file=sys.stderr,
            )
            return EXIT_USAGE
        missing = [str(p) for p in args.files if not p.is_file()]
        if missing:
            print(f"error: not a file: {', '.join(missing)}", file=sys.stderr)
            return EXIT_USAGE
        upload_ids = _create(args, context, MiB)
    options = UploadOptions.from_settings(
        context.settings,
        concurrency=args.concurrency,
        part_size=args.part_size_mib * MiB if args.part_size_mib else None,
        bandwidth_limit=args.limit_kib_s * 1024 if args.limit_kib_s is not None else None,
    )
    return _run_all(upload_ids, options, args, context)


def _create(args: argparse.Namespace, context: CommandContext, mib: int) -> list[str]:
    from genoflow_desktop.core.transfer.engine import create_upload

    part_size = (args.part_size_mib or context.settings.part_size_mib) * mib
    return [
        create_upload(
            context.store,
            args.profile,
            path,
            project=args.project,
            sample=args.sample,
            part_size=part_size,
        ).id
        for path in args.files
    ]


def _run_all(
    upload_ids: list[str], options: Any, args: argparse.Namespace, context: CommandContext
) -> int:
    from genoflow_desktop.core.transfer.control import UploadCanceled, UploadControl, UploadPaused
    from genoflow_desktop.core.transfer.engine import run_upload
    from genoflow_desktop.core.transfer.journal import Journal
    from genoflow_desktop.core.transfer.result import result_of

    journal = Journal(context.store)
    exit_code = EXIT_OK
    results: list[dict[str, Any]] = []
    line = _ProgressLine(enabled=sys.stderr.isatty())
    control = UploadControl()
    with _ctrl_c_pauses(control):
        for upload_id in upload_ids:
            if control.cancelled:
                break  # paused: leave the remaining uploads for --resume-all
            try:
                result = run_upload(
                    context.store, upload_id, options=options, progress=line, cancel=control
                )
                line.end()
                if not args.json:
                    print(
                        f"{Path(result.source_path).name}: uploaded to s3://{result.bucket}/{result.key}"
                        f" (md5 {result.md5}, sha256 {result.sha256})"
                    )
                    for warning in (result.verification or {}).get("warnings", []):
                        print(f"  warning: {warning}", file=sys.stderr)
            except UploadPaused:
                line.end()
                print(
                    f"paused {upload_id}; resume with: genoflow upload --resume {upload_id}",
                    file=sys.stderr,
                )
                exit_code = EXIT_INTERRUPTED
            except UploadCanceled:
                line.end()
                print(f"cancelled {upload_id}", file=sys.stderr)
                exit_code = max(exit_code, EXIT_FAILURE)
            except UserError as error:
                line.end()
                print(f"error: {error.message}", file=sys.stderr)
                if error.hint:
                    print(f"hint: {error.hint}", file=sys.stderr)
                code = getattr(error, "exit_code", EXIT_FAILURE)
                if exit_code != EXIT_INTERRUPTED:
                    exit_code = max(
                        exit_code, EXIT_SERVICE if code == EXIT_SERVICE else EXIT_FAILURE
                    )
            results.append(result_of(journal.get(upload_id)).as_json())
    if args.json:
        print_json(results)
    return exit_code


def _cancel(args: argparse.Namespace, context: CommandContext) -> int:
    from genoflow_desktop.core.transfer.cleanup import cancel_upload
    from genoflow_desktop.core.transfer.journal import Journal
    from genoflow_desktop.core.transfer.result import result_of

    upload_id = Journal(context.store).find(args.cancel).id
    record = cancel_upload(context.store, upload_id)
    if args.json:
        print_json([result_of(record).as_json()])
    else:
        print(f"cancelled {upload_id}; its parts were deleted from s3://{record.bucket}")
    return EXIT_OK


def run_list(args: argparse.Namespace, context: CommandContext) -> int:
    from genoflow_desktop.core.transfer.journal import Journal
    from genoflow_desktop.core.transfer.progress import eta_seconds, human_bytes, human_duration
    from genoflow_desktop.core.transfer.result import result_of

    records = Journal(context.store).uploads()
    if args.json:
        print_json([result_of(r).as_json() for r in records])
        return EXIT_OK
    if not records:
        print("no uploads yet")
    for r in records:
        percent = 100 * r.bytes_done / r.source_size if r.source_size else 0.0
        line = (
            f"{r.id[:12]}  {r.status:<9} {percent:5.1f}%  {human_bytes(r.source_size):>10}  "
            f"{Path(r.source_path).name}"
        )
        # Speed is stored with each acknowledged part; it is only current while parts arrive.
        recent = r.speed_bps and time.time() - r.updated_at.timestamp() < 60
        if r.status == "uploading" and recent:
            line += (
                f"  {human_bytes(r.speed_bps or 0)}/s, ETA "
                f"{human_duration(eta_seconds(r.source_size - r.bytes_done, r.speed_bps))}"
            )
        print(line)
        if r.error and r.status != "completed":
            print(f"    {r.error}")
    return EXIT_OK
