"""The ``genoflow`` command: the desktop app with no subcommand, the headless core with one.

Global options work before or after the subcommand (``genoflow --basedir D info`` and
``genoflow info --basedir D`` mean the same). Exit codes: 0 success, 1 a failure the user can act
on (invalid file, failed job), 2 usage error, 3 service or authentication error, 70 an internal
error (a bug: the traceback is in the log file, not on the terminal).
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
from collections.abc import Sequence

import genoflow_desktop
from genoflow_desktop.commands import COMMAND_MODULES
from genoflow_desktop.commands.context import CommandContext
from genoflow_desktop.commands.exit_codes import EXIT_FAILURE, EXIT_INTERNAL, EXIT_OK, EXIT_SERVICE
from genoflow_desktop.core import log as core_log
from genoflow_desktop.core import paths
from genoflow_desktop.core.errors import UserError

log = logging.getLogger(__name__)


def _add_global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """Add the global options; ``suppress`` keeps a subparser from resetting values given before it."""

    def default(value: object) -> object:
        return argparse.SUPPRESS if suppress else value

    group = parser.add_argument_group("global options")
    location = group.add_mutually_exclusive_group()
    location.add_argument(
        "--basedir",
        metavar="DIR",
        default=default(None),
        help="keep all data, settings, logs and cache under DIR",
    )
    location.add_argument(
        "--temp-basedir",
        action="store_true",
        default=default(False),
        help="use a new temporary folder for everything, removed on exit",
    )
    group.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=default(0),
        help="print more log messages on the terminal (-vv for debug)",
    )


def build_parser(*, with_commands: bool = True) -> argparse.ArgumentParser:
    """The parser for a subcommand line, or (``with_commands=False``) for opening the app with files.

    argparse cannot mix optional file arguments with subcommands in one parser (a file name
    would be taken for an unknown command), hence two parsers sharing the global options.
    """
    parser = argparse.ArgumentParser(
        prog="genoflow",
        description="GenoFlow Desktop. Without a command, opens the app; "
        "with a command, runs it headless.",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {genoflow_desktop.__version__}"
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="open the main window, wait for its first paint, and exit 0 (packaging checks)",
    )
    _add_global_options(parser, suppress=False)
    if with_commands:
        subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
        for module in COMMAND_MODULES:
            module.register(subparsers, lambda p: _add_global_options(p, suppress=True))
    else:
        parser.add_argument("open_files", nargs="*", metavar="FILE", help="files to add in the app")
        parser.set_defaults(command=None)
    return parser


def _parse(argv: Sequence[str]) -> tuple[argparse.ArgumentParser, argparse.Namespace]:
    parser = build_parser()
    commands = set(parser._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    positionals = [token for token in argv if not token.startswith("-")]
    if positionals and not any(token in commands for token in positionals):
        # `genoflow reads.fastq` (e.g. a file opened from the file manager): open the app.
        parser = build_parser(with_commands=False)
    args = parser.parse_args(argv)
    args.open_files = getattr(args, "open_files", [])
    return parser, args


def _print_user_error(error: UserError) -> None:
    print(f"error: {error.message}", file=sys.stderr)
    if error.hint:
        print(f"hint: {error.hint}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser, args = _parse(sys.argv[1:] if argv is None else list(argv))

    dirs = paths.resolve_dirs(basedir=args.basedir, temp_basedir=args.temp_basedir)
    keep_temporary = False
    try:
        dirs.ensure()
        console_level = ("WARNING", "INFO", "DEBUG")[min(args.verbose, 2)]
        log_file = core_log.setup_logging(dirs.logs, console_level=console_level)
        context = CommandContext(dirs=dirs, log_file=log_file)
        try:
            if args.command is None:
                from genoflow_desktop.qt.launch import launch

                return launch(context, files=args.open_files, smoke=args.smoke)
            if args.smoke:
                parser.error("--smoke only applies to the app, not to a command")
            handler = args.handler
            return int(handler(args, context))
        except UserError as error:
            log.info("user error: %s", error)
            _print_user_error(error)
            return (
                EXIT_SERVICE if getattr(error, "exit_code", None) == EXIT_SERVICE else EXIT_FAILURE
            )
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return 130
        except BrokenPipeError:
            # The reader went away (`genoflow ... | head`): not an error of ours. Point stdout at
            # devnull so the interpreter's final flush does not raise again.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return EXIT_OK
        except Exception:
            log.exception("internal error", extra=core_log.FILE_ONLY)
            keep_temporary = True  # the log file must outlive --temp-basedir
            print(
                "error: GenoFlow hit an internal error (a bug). "
                f"The details were written to {log_file}; please include them in a report.",
                file=sys.stderr,
            )
            return EXIT_INTERNAL
        finally:
            context.close()
    finally:
        logging.shutdown()
        if dirs.temporary_root is not None and not keep_temporary:
            shutil.rmtree(dirs.temporary_root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
