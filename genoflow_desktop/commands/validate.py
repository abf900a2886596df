"""``genoflow validate FILE...``: check files, print a verdict per file, keep the reports."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from genoflow_desktop.commands.context import CommandContext, print_json

EXIT_ALL_VALID = 0
EXIT_SOME_INVALID = 1
EXIT_USAGE = 2


def register(
    subparsers: Any, add_global_options: Callable[[argparse.ArgumentParser], None]
) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check FASTQ, SAM/BAM/CRAM and VCF/BCF files: integrity, format, QC metrics, checksums",
        description="Check every record of each file. Exit code 0 when all files are valid "
        "(warnings allowed), 1 when any is invalid, 2 on a usage error.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", type=Path)
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object per file (a list)"
    )
    parser.add_argument(
        "--reference", metavar="FASTA", type=Path, help="reference FASTA for CRAM files"
    )
    parser.add_argument("--workers", type=int, metavar="N", help="files checked in parallel")
    parser.add_argument(
        "--html",
        metavar="DIR",
        type=Path,
        help="also write a self-contained HTML report per file into DIR",
    )
    parser.add_argument(
        "--no-store", action="store_true", help="do not keep the reports in the local store"
    )
    preflight = parser.add_argument_group(
        "imputation pre-flight (what the imputation server would reject)"
    )
    preflight.add_argument(
        "--preflight", choices=["imputation"], help="also run the pre-flight for VCF files"
    )
    preflight.add_argument(
        "--build", choices=["hg19", "hg38"], help="the build you will choose on the server"
    )
    preflight.add_argument(
        "--phasing",
        choices=["eagle", "beagle", "no_phasing"],
        default="eagle",
        help="the phasing you will choose",
    )
    preflight.add_argument(
        "--min-samples", type=int, default=20, help="the server's minimum (default 20)"
    )
    preflight.add_argument(
        "--max-samples", type=int, default=50000, help="the server's maximum (default 50000)"
    )
    add_global_options(parser)
    parser.set_defaults(handler=run)

    fix = subparsers.add_parser(
        "fix",
        help="write a corrected copy of a VCF for imputation (the original is never changed)",
        description="Fixes offered by the pre-flight. Each writes new files next to the input "
        "and prints their paths; the input file is left exactly as it was.",
    )
    fix.add_argument("fix", choices=FIX_NAMES, help="which fix to apply")
    fix.add_argument("files", nargs="+", metavar="FILE", type=Path)
    fix.add_argument("--build", choices=["hg19", "hg38"], help="target build (rename_chromosomes)")
    fix.add_argument(
        "--overwrite", action="store_true", help="replace earlier outputs of the same fix"
    )
    add_global_options(fix)
    fix.set_defaults(handler=run_fix)


FIX_NAMES = ["bgzip_sort_index", "rename_chromosomes", "split_by_chromosome", "vcf_version_42"]


def run_fix(args: argparse.Namespace, context: CommandContext) -> int:
    from genoflow_desktop.core.validation.fixes import apply_fix

    if args.fix == "rename_chromosomes" and args.build is None:
        print("error: rename_chromosomes needs --build hg19 or --build hg38", file=sys.stderr)
        return EXIT_USAGE
    options = {"overwrite": args.overwrite}
    if args.fix == "rename_chromosomes":
        options["build"] = args.build
    for path in args.files:
        for written in apply_fix(args.fix, path, **options):
            print(written)
    return 0


def _print_human(report: Any) -> None:
    verdict = {
        "valid": "valid",
        "valid_with_warnings": "valid, with warnings",
        "invalid": "INVALID",
    }[report.verdict.value]
    kind = report.format.value.upper()
    if report.compression.value not in ("none",):
        kind += f" ({report.compression.value})"
    print(
        f"{report.path}: {verdict} — {kind}, {report.records:,} records, {report.duration_s:.1f} s"
    )
    for finding in [*report.errors, *report.warnings]:
        where = finding.where()
        print(f"  {finding.severity.value}{f' ({where})' if where else ''}: {finding.message}")
        if finding.hint:
            print(f"    hint: {finding.hint}")
    hidden = report.error_count + report.warning_count - len(report.errors) - len(report.warnings)
    if hidden > 0:
        print(f"  … and {hidden:,} more findings (see --json)")
    if report.md5:
        print(f"  md5 {report.md5}  sha256 {report.sha256}")


def run(args: argparse.Namespace, context: CommandContext) -> int:
    if args.preflight and args.build is None:
        print("error: --preflight imputation needs --build hg19 or --build hg38", file=sys.stderr)
        return EXIT_USAGE
    missing = [str(p) for p in args.files if not p.is_file()]
    if missing:
        print(f"error: not a file: {', '.join(missing)}", file=sys.stderr)
        return EXIT_USAGE
    if args.reference is not None and not args.reference.is_file():
        print(f"error: the reference FASTA {args.reference} does not exist", file=sys.stderr)
        return EXIT_USAGE

    from genoflow_desktop.core.store.repositories import record_validation
    from genoflow_desktop.core.validation.engine import validate_files

    reports = validate_files(
        args.files,
        reference=args.reference,
        workers=args.workers or context.settings.validation_workers,
    )
    if args.html is not None:
        from genoflow_desktop.core.validation import html_report

        for report in reports:
            target = html_report.write(report, args.html / f"{Path(report.path).name}.report.html")
            if not args.json:
                print(f"report: {target}", file=sys.stderr)
    if not args.no_store:
        with context.store.session() as session:
            for report in reports:
                record_validation(session, report)
    preflight = None
    if args.preflight:
        from genoflow_desktop.core.domain import FileFormat
        from genoflow_desktop.core.validation.preflight import imputation_preflight

        vcfs = [r for r in reports if r.format in (FileFormat.VCF, FileFormat.BCF)]
        preflight = imputation_preflight(
            [r.path for r in vcfs],
            build=args.build,
            phasing=args.phasing,
            min_samples=args.min_samples,
            max_samples=args.max_samples,
            reports={r.path: r for r in vcfs},
        )
    if args.json:
        documents = [report.to_dict() for report in reports]
        if preflight is not None:
            for document in documents:
                document["preflight"] = [
                    dataclasses.asdict(f)
                    for f in preflight.findings
                    if f.path in (None, document["path"])
                ]
        print_json(documents)
    else:
        for report in reports:
            _print_human(report)
        if preflight is not None:
            _print_preflight(preflight, args)
    failed = any(r.verdict.value == "invalid" for r in reports) or (
        preflight is not None and not preflight.ok
    )
    return EXIT_SOME_INVALID if failed else EXIT_ALL_VALID


def _print_preflight(preflight: Any, args: argparse.Namespace) -> None:
    verdict = (
        "the server would accept these files"
        if preflight.ok
        else "the server would REJECT these files"
    )
    print(f"\nimputation pre-flight ({args.build}, phasing {args.phasing}): {verdict}")
    for finding in preflight.findings:
        where = f" [{Path(finding.path).name}]" if finding.path else ""
        print(f"  {finding.severity.value}{where}: {finding.message}")
        if finding.hint:
            print(f"    hint: {finding.hint}")
        if finding.fix and finding.path:
            build = f" --build {args.build}" if finding.fix == "rename_chromosomes" else ""
            print(f"    fix: genoflow fix {finding.fix}{build} {finding.path}")
