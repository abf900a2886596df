"""S3 profiles: where uploads go, and with which credentials.

A profile names an endpoint (AWS, or any S3-compatible store such as MinIO or Ceph RGW), a
region, a bucket, a key prefix and server-side encryption. Credentials are either an access key
id (kept in the store: it is not secret) whose secret key lives in the OS keychain, or boto3's
standard credential chain (environment variables, ``~/.aws`` profiles, SSO, instance roles).

Proxies: botocore takes them from HTTPS_PROXY/HTTP_PROXY/NO_PROXY, and through
``urllib.request.getproxies`` from the system settings on macOS and Windows.
"""

from __future__ import annotations

import contextlib
import functools
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from genoflow_desktop.core.errors import SecretStoreUnavailable, UserError
from genoflow_desktop.core.log import register_secret
from genoflow_desktop.core.services.credentials import KEYRING_SERVICE, NO_KEYCHAIN_HINT, keychain
from genoflow_desktop.core.store.models import S3Profile
from genoflow_desktop.core.transfer.planner import clean_prefix

SSE_CHOICES = ("AES256", "aws:kms", "none")
DEFAULT_REGION = "us-east-1"

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html (the common subset)
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    bucket: str
    endpoint_url: str | None = None
    region: str | None = None
    prefix: str = ""
    access_key_id: str | None = None
    sse: str = "AES256"
    kms_key_id: str | None = None
    use_credential_chain: bool = False

    @property
    def endpoint_label(self) -> str:
        return self.endpoint_url or f"AWS S3 ({self.region or DEFAULT_REGION})"

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "endpoint_url": self.endpoint_url,
            "region": self.region,
            "bucket": self.bucket,
            "prefix": self.prefix,
            "access_key_id": self.access_key_id,
            "sse": self.sse,
            "kms_key_id": self.kms_key_id,
            "use_credential_chain": self.use_credential_chain,
        }


class InvalidProfile(UserError):
    """A profile field is wrong; ``field`` names it (a :class:`Profile` attribute, or
    ``"secret_key"``), so a form can show the message next to that field."""

    def __init__(self, message: str, *, field: str, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.field = field


def _from_row(row: S3Profile) -> Profile:
    return Profile(
        name=row.name,
        bucket=row.bucket,
        endpoint_url=row.endpoint_url,
        region=row.region,
        prefix=row.prefix,
        access_key_id=row.access_key_id,
        sse=row.sse,
        kms_key_id=row.kms_key_id,
        use_credential_chain=row.use_credential_chain,
    )


def _account(name: str) -> str:
    return f"s3:{name}"


def validate(profile: Profile) -> Profile:
    """The profile with its fields normalised, or a UserError saying what is wrong."""
    if not _NAME.match(profile.name):
        raise InvalidProfile(
            f"'{profile.name}' cannot be a profile name.",
            field="name",
            hint="Use up to 64 letters, digits, '.', '_' or '-' (for example 'lab-aws').",
        )
    if not _BUCKET.match(profile.bucket) or ".." in profile.bucket:
        raise InvalidProfile(
            f"'{profile.bucket}' is not a valid bucket name.",
            field="bucket",
            hint="Bucket names have 3-63 lower-case letters, digits, '.' or '-'.",
        )
    endpoint = profile.endpoint_url.strip().rstrip("/") if profile.endpoint_url else None
    if endpoint is not None:
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidProfile(
                f"'{profile.endpoint_url}' is not an endpoint URL.",
                field="endpoint_url",
                hint="Give the full URL, for example https://s3.eu-central-1.amazonaws.com "
                "or http://127.0.0.1:9000 for a local MinIO.",
            )
    if profile.sse not in SSE_CHOICES:
        raise InvalidProfile(
            f"Unknown encryption '{profile.sse}'.",
            field="sse",
            hint=f"Use one of {', '.join(SSE_CHOICES)}.",
        )
    if profile.kms_key_id and profile.sse != "aws:kms":
        raise InvalidProfile(
            "A KMS key id needs --sse aws:kms.",
            field="kms_key_id",
            hint="Add --sse aws:kms, or leave out --kms-key-id.",
        )
    if not profile.use_credential_chain and not (profile.access_key_id or "").strip():
        raise InvalidProfile(
            "The profile needs an access key id, or --credential-chain.",
            field="access_key_id",
            hint="Give --access-key-id ID (the secret is read from stdin or "
            "GENOFLOW_S3_SECRET_ACCESS_KEY), or --credential-chain to use AWS's own configuration.",
        )
    return Profile(
        name=profile.name,
        bucket=profile.bucket,
        endpoint_url=endpoint,
        region=(profile.region or None),
        prefix=clean_prefix(profile.prefix),
        access_key_id=None
        if profile.use_credential_chain
        else (profile.access_key_id or "").strip(),
        sse=profile.sse,
        kms_key_id=profile.kms_key_id or None,
        use_credential_chain=profile.use_credential_chain,
    )


def save_profile(
    session: Session, profile: Profile, secret_key: str | None, *, replace: bool = False
) -> Profile:
    """Store ``profile`` (and its secret key in the keychain)."""
    profile = validate(profile)
    row = session.scalar(select(S3Profile).where(S3Profile.name == profile.name))
    if row is not None and not replace:
        raise InvalidProfile(
            f"There is already a profile called '{profile.name}'.",
            field="name",
            hint="Add --replace to overwrite it, or choose another name.",
        )
    if not profile.use_credential_chain:
        secret_key = (secret_key or "").strip()
        if not secret_key:
            raise InvalidProfile(
                "No secret access key was given.",
                field="secret_key",
                hint="Pipe it on stdin or set GENOFLOW_S3_SECRET_ACCESS_KEY; it is stored only "
                "in the system keychain.",
            )
        register_secret(secret_key)
        keyring = keychain()
        try:
            keyring.set_password(KEYRING_SERVICE, _account(profile.name), secret_key)
        except Exception as exc:  # keyring backends raise their own error types
            raise SecretStoreUnavailable(
                f"The system keychain refused to store the secret key ({exc}).",
                hint=NO_KEYCHAIN_HINT,
            ) from exc
    elif row is not None and not row.use_credential_chain:
        # The profile now uses the credential chain: its old key must not linger.
        import keyring.errors

        with contextlib.suppress(keyring.errors.KeyringError, SecretStoreUnavailable):
            keychain().delete_password(KEYRING_SERVICE, _account(profile.name))
    if row is None:
        row = S3Profile(name=profile.name)
        session.add(row)
    row.endpoint_url = profile.endpoint_url
    row.region = profile.region
    row.bucket = profile.bucket
    row.prefix = profile.prefix
    row.access_key_id = profile.access_key_id
    row.sse = profile.sse
    row.kms_key_id = profile.kms_key_id
    row.use_credential_chain = profile.use_credential_chain
    session.flush()
    return profile


def get_profile(session: Session, name: str) -> Profile:
    row = session.scalar(select(S3Profile).where(S3Profile.name == name))
    if row is None:
        raise UserError(
            f"There is no S3 profile called '{name}'.",
            hint="See 'genoflow s3 profiles', or add one with 'genoflow s3 add-profile'.",
        )
    return _from_row(row)


def list_profiles(session: Session) -> list[Profile]:
    return [_from_row(row) for row in session.scalars(select(S3Profile).order_by(S3Profile.name))]


def remove_profile(session: Session, name: str) -> None:
    row = session.scalar(select(S3Profile).where(S3Profile.name == name))
    if row is None:
        raise UserError(
            f"There is no S3 profile called '{name}'.", hint="See 'genoflow s3 profiles'."
        )
    if not row.use_credential_chain:
        keyring = keychain()
        # Already gone is fine: the goal is reached.
        with contextlib.suppress(keyring.errors.PasswordDeleteError):
            keyring.delete_password(KEYRING_SERVICE, _account(name))
    session.delete(row)


def secret_key(profile: Profile) -> str:
    secret = keychain().get_password(KEYRING_SERVICE, _account(profile.name))
    if not secret:
        raise UserError(
            f"The secret key of profile '{profile.name}' is not in the system keychain.",
            hint=f"Store it again: genoflow s3 add-profile {profile.name} ... --replace",
        )
    register_secret(secret)
    return str(secret)


@dataclass(frozen=True, slots=True)
class ClientOptions:
    concurrency: int = 4
    connect_timeout: float = 10.0
    read_timeout: float = 60.0


@functools.cache
def _shared_loader() -> Any:
    """One botocore data loader for the process: it caches the parsed service models.

    Every new boto3 session otherwise parses S3's model and the endpoint rules again (several MB
    of JSON). ``json.loads`` holds the GIL for the whole document, so each upload started froze
    the GUI thread for tens of milliseconds.
    """
    from botocore.loaders import create_loader

    return create_loader()


def _new_session(**credentials: Any) -> Any:
    import boto3
    import botocore.session

    core = botocore.session.get_session()
    core.register_component("data_loader", _shared_loader())
    return boto3.session.Session(botocore_session=core, **credentials)


def warm_up() -> None:
    """Parse S3's service model now (at start-up, off the GUI thread), not at the first upload.

    Builds a client for a local address that is never contacted: creating a client sends nothing.
    """
    session = _new_session(
        aws_access_key_id="warm-up", aws_secret_access_key="warm-up", region_name=DEFAULT_REGION
    )
    session.client("s3", endpoint_url="http://127.0.0.1:9")


def make_client(profile: Profile, options: ClientOptions | None = None) -> Any:
    """A boto3 S3 client for ``profile`` (thread-safe; one per upload)."""
    from botocore.config import Config

    options = options or ClientOptions()
    if profile.use_credential_chain:
        session = _new_session(region_name=profile.region)
    else:
        session = _new_session(
            aws_access_key_id=profile.access_key_id,
            aws_secret_access_key=secret_key(profile),
            region_name=profile.region,
        )
    s3_options: dict[str, Any] = {
        # Our parts carry a signed x-amz-checksum-sha256 header that S3 verifies, so signing the
        # payload as well would hash every byte a second time for no extra safety. (botocore
        # already skips it over HTTPS when a checksum is present; this does the same over HTTP.)
        "payload_signing_enabled": False,
    }
    if profile.endpoint_url:
        # S3-compatible stores (MinIO, Ceph, moto) expect bucket names in the path, not the host.
        s3_options["addressing_style"] = "path"
    config = Config(
        region_name=profile.region or session.region_name or DEFAULT_REGION,
        # One connection per part in flight, plus the calls of the orchestrating thread.
        max_pool_connections=options.concurrency + 2,
        # Our own loop decides what is transient (retry.py), with backoff per part.
        retries={"max_attempts": 1, "mode": "standard"},
        connect_timeout=options.connect_timeout,
        read_timeout=options.read_timeout,
        tcp_keepalive=True,
        # Checksums are ours to choose (SHA-256 per part); botocore would otherwise add CRC32.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        s3=s3_options,
    )
    return session.client("s3", endpoint_url=profile.endpoint_url, config=config)


@dataclass(frozen=True, slots=True)
class AccessCheck:
    """What :func:`check_access` found: the bucket answered, and how fast."""

    latency_ms: float
    message: str


def check_access(profile: Profile) -> AccessCheck:
    """Ask the endpoint for one key under the profile's prefix, with the profile's credentials.

    One ListObjectsV2 request (MaxKeys=1), not retried and with short timeouts: it answers "can
    these credentials reach this bucket?" in about a round trip. ListObjectsV2 rather than
    HeadBucket because a HEAD reply has no body, so a refusal would come without its S3 error
    code (NoSuchBucket, InvalidAccessKeyId, ...) and the message could not say what is wrong.

    Raises:
        UserError: the bucket cannot be used; the message says why (see ``retry.classify``).
    """
    from genoflow_desktop.core.transfer.retry import Where, classify

    client = make_client(profile, ClientOptions(concurrency=1, connect_timeout=5, read_timeout=10))
    where = Where(profile.bucket, profile.endpoint_label, "ListObjectsV2")
    started = time.perf_counter()
    try:
        client.list_objects_v2(Bucket=profile.bucket, Prefix=profile.prefix, MaxKeys=1)
    except Exception as exc:  # classify() turns S3 and network errors into UserErrors
        raise classify(exc, where)[1] from exc
    finally:
        client.close()
    latency = (time.perf_counter() - started) * 1000
    return AccessCheck(
        latency,
        f"{profile.endpoint_label} answered in {latency:.0f} ms: bucket '{profile.bucket}' "
        "is reachable with these credentials.",
    )
