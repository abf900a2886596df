"""Request and response bodies: what ``/openapi.json`` documents, and what is validated.

Every text field has a length limit that fits its column and refuses NUL characters and lone
surrogates, which PostgreSQL (and UTF-8) cannot store: bad input must be a 422, never a database error.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, EmailStr, Field

from genoflow_desktop.core.domain.sync import RecordKind
from genoflow_desktop.server.models import Role

#: Most records a push may carry (more: 422).
MAX_PUSH_RECORDS = 500
MAX_PULL_LIMIT = 1000
DEFAULT_PULL_LIMIT = 500
#: Change numbers stay within a signed 64-bit column.
MAX_SEQ = 2**62


def storable_text(value: str) -> bool:
    """Whether both databases can store ``value``: no NUL, no lone surrogate (JSON allows
    ``"\\ud800"``, UTF-8 and so PostgreSQL and every JSON answer do not)."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _no_nul(value: str) -> str:
    if not storable_text(value):
        raise ValueError("must not contain NUL characters or lone surrogates")
    return value


def _utc(value: datetime) -> datetime:
    # The database keeps naive UTC times; the API says so (RFC 3339 needs the offset).
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


_NO_NUL = AfterValidator(_no_nul)
UtcDatetime = Annotated[datetime, AfterValidator(_utc)]
Email = Annotated[str, Field(min_length=1, max_length=320), _NO_NUL]
Name = Annotated[str, Field(min_length=1, max_length=200), _NO_NUL]
Password = Annotated[str, Field(min_length=1, max_length=1024), _NO_NUL]
NewPassword = Annotated[str, Field(min_length=8, max_length=1024), _NO_NUL]
TotpCodeText = Annotated[str, Field(max_length=16), _NO_NUL]
Token = Annotated[str, Field(max_length=512), _NO_NUL]


class LoginRequest(BaseModel):
    email: Email
    password: Password
    totp_code: TotpCodeText | None = None


class UserOut(BaseModel):
    id: str
    email: str
    display_name: str
    is_admin: bool
    totp_enabled: bool


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="seconds until the access token expires")
    user: UserOut


class RefreshRequest(BaseModel):
    refresh_token: Token


class LabRole(BaseModel):
    id: str
    name: str
    role: Role


class MeOut(UserOut):
    labs: list[LabRole]


class TotpEnrolment(BaseModel):
    secret: str
    otpauth_uri: str


class TotpCode(BaseModel):
    code: TotpCodeText


class PasswordChange(BaseModel):
    current_password: Password
    new_password: NewPassword


class UserCreate(BaseModel):
    email: Annotated[EmailStr, Field(max_length=320), _NO_NUL]
    display_name: Name
    password: NewPassword
    is_admin: bool = False


class LabCreate(BaseModel):
    name: Name


class MemberOut(BaseModel):
    user_id: str
    email: str
    display_name: str
    role: Role


class MemberPut(BaseModel):
    email: Email
    role: Role


class PushItem(BaseModel):
    kind: RecordKind
    record: dict[str, Any] = Field(
        description="only the fields of JOB_FIELDS / UPLOAD_FIELDS in core/domain/sync.py"
    )


class PushRequest(BaseModel):
    records: list[PushItem] = Field(max_length=MAX_PUSH_RECORDS)


PushStatus = Literal["created", "updated", "unchanged", "conflict"]


class PushResult(BaseModel):
    kind: RecordKind
    id: str
    seq: int = Field(description="the record's change number after the push")
    status: PushStatus


class PushResponse(BaseModel):
    results: list[PushResult]
    cursor: int = Field(description="the highest change number among the pushed records")


class Owner(BaseModel):
    id: str
    display_name: str


class PulledRecord(BaseModel):
    kind: RecordKind
    record: dict[str, Any]
    owner: Owner
    seq: int


class PullResponse(BaseModel):
    records: list[PulledRecord]
    cursor: int
    more: bool


class AuditOut(BaseModel):
    id: int
    at: UtcDatetime
    action: str
    user_id: str | None
    lab_id: str | None
    target: str | None
    client_address: str | None
    detail: dict[str, Any] | None


class HealthOut(BaseModel):
    status: Literal["ok", "error"]
    database: Literal["ok", "unavailable"]
    version: str
