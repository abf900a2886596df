"""``genoflow s3 ...``: S3 profiles (add, list, remove) and clean-up of stale multipart uploads."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from genoflow_desktop.commands.context import CommandContext, print_json, read_secret
from genoflow_desktop.core.errors import UserError

SECRET_VARIABLE = "GENOFLOW_S3_SECRET_ACCESS_KEY"


def register(
    subparsers: Any, add_global_options: Callable[[argparse.ArgumentParser], None]
) -> None:
    parser = subparsers.add_parser("s3", help="manage S3 destinations (profiles) and stale uploads")
    commands = parser.add_subparsers(dest="s3_command", metavar="ACTION", required=True)

    add = commands.add_parser(
        "add-profile",
        help="add (or --replace) an S3 destination",
        description=f"The secret access key is read from {SECRET_VARIABLE}, else from stdin "
        "(prompted for on a terminal), and stored only in the system keychain. With "
        "--credential-chain, boto3's own configuration is used instead (AWS_* variables, "
        "~/.aws profiles, SSO). Proxies come from HTTPS_PROXY/HTTP_PROXY/NO_PROXY.",
    )
    add.add_argument("name", metavar="NAME")
    add.add_argument(
        "--endpoint-url",
        metavar="URL",
        help="S3-compatible endpoint (MinIO, Ceph, ...); leave out for AWS S3",
    )
    add.add_argument("--bucket", required=True, metavar="B")
    add.add_argument(
        "--prefix", default="", metavar="P", help="key prefix (folder) for all uploads"
    )
    add.add_argument("--region", metavar="R", help="region (AWS default: us-east-1)")
    credentials = add.add_mutually_exclusive_group(required=True)
    credentials.add_argument("--access-key-id", metavar="ID")
    credentials.add_argument(
        "--credential-chain",
        action="store_true",
        help="use AWS's standard credential chain instead of a stored key",
    )
    add.add_argument(
        "--sse",
        choices=("AES256", "aws:kms", "none"),
        default="AES256",
        help="server-side encryption (default AES256)",
    )
    add.add_argument(
        "--kms-key-id", metavar="KEY", help="KMS key for --sse aws:kms (default: the bucket's)"
    )
    add.add_argument("--replace", action="store_true", help="overwrite a profile of the same name")
    add.add_argument("--check", action="store_true", help="check that the bucket can be reached")
    add_global_options(add)
    add.set_defaults(handler=run_add)

    listing = commands.add_parser("profiles", help="list S3 profiles")
    listing.add_argument("--json", action="store_true", help="print JSON")
    add_global_options(listing)
    listing.set_defaults(handler=run_list)

    remove = commands.add_parser(
        "remove-profile", help="remove a profile and its stored secret key"
    )
    remove.add_argument("name", metavar="NAME")
    add_global_options(remove)
    remove.set_defaults(handler=run_remove)

    cleanup = commands.add_parser(
        "cleanup",
        help="abort incomplete multipart uploads older than HOURS under the profile's prefix",
        description="S3 bills the parts of unfinished multipart uploads until they are aborted. "
        "Only keys made by GenoFlow ({prefix}/{project}/{sample}/{upload id}/{file}) are touched.",
    )
    cleanup.add_argument("--profile", required=True, metavar="NAME")
    cleanup.add_argument("--older-than", type=float, required=True, metavar="HOURS")
    cleanup.add_argument("--dry-run", action="store_true", help="only list what would be aborted")
    cleanup.add_argument("--json", action="store_true", help="print JSON")
    add_global_options(cleanup)
    cleanup.set_defaults(handler=run_cleanup)


def run_add(args: argparse.Namespace, context: CommandContext) -> int:
    from genoflow_desktop.core.transfer import profiles

    profile = profiles.Profile(
        name=args.name,
        bucket=args.bucket,
        endpoint_url=args.endpoint_url,
        region=args.region,
        prefix=args.prefix,
        access_key_id=args.access_key_id,
        sse=args.sse,
        kms_key_id=args.kms_key_id,
        use_credential_chain=args.credential_chain,
    )
    profile = profiles.validate(profile)  # before asking for a secret
    secret = (
        None
        if profile.use_credential_chain
        else read_secret(SECRET_VARIABLE, "Secret access key: ")
    )
    with context.store.session() as session:
        profile = profiles.save_profile(session, profile, secret, replace=args.replace)
    print(
        f"profile '{profile.name}' saved: s3://{profile.bucket}/{profile.prefix}"
        f" at {profile.endpoint_label}"
    )
    if args.check:
        _check(profile)
        print("the bucket can be reached with these credentials")
    return 0


def _check(profile: Any) -> None:
    from genoflow_desktop.core.transfer.profiles import ClientOptions, make_client
    from genoflow_desktop.core.transfer.retry import Backoff, Where, call_with_retry

    client = make_client(profile, ClientOptions(concurrency=1))
    call_with_retry(
        lambda: client.head_bucket(Bucket=profile.bucket),
        where=Where(profile.bucket, profile.endpoint_label, "HeadBucket"),
        backoff=Backoff(attempts=3),
    )


def run_list(args: argparse.Namespace, context: CommandContext) -> int:
    from genoflow_desktop.core.transfer import profiles

    with context.store.session() as session:
        found = profiles.list_profiles(session)
    if args.json:
        print_json([p.as_dict() for p in found])
        return 0
    if not found:
        print("no S3 profiles; add one with 'genoflow s3 add-profile'")
    for p in found:
        credentials = "credential chain" if p.use_credential_chain else f"key {p.access_key_id}"
        print(
            f"{p.name}: s3://{p.bucket}/{p.prefix} at {p.endpoint_label}, {credentials}, "
            f"sse {p.sse}"
        )
    return 0


def run_remove(args: argparse.Namespace, context: CommandContext) -> int:
    from genoflow_desktop.core.transfer import profiles

    with context.store.session() as session:
        profiles.remove_profile(session, args.name)
    print(f"profile '{args.name}' removed")
    return 0


def run_cleanup(args: argparse.Namespace, context: CommandContext) -> int:
    from genoflow_desktop.core.transfer.cleanup import clean_up

    if args.older_than < 0:
        raise UserError(
            "--older-than must be 0 or more hours.", hint="For example --older-than 24."
        )
    found = clean_up(
        context.store, args.profile, timedelta(hours=args.older_than), dry_run=args.dry_run
    )
    if args.json:
        print_json([s.as_json() for s in found])
        return 0
    verb = "would abort" if args.dry_run else "aborted"
    for stale in found:
        local = f" (local upload {stale.local_id})" if stale.local_id else ""
        print(f"{verb}: {stale.key}, started {stale.initiated:%Y-%m-%d %H:%M}{local}")
    print(f"{len(found)} incomplete upload(s) {verb}")
    return 0
