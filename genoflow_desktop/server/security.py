"""Passwords (argon2id), access tokens (JWT HS256), refresh tokens, and TOTP codes.

Pure functions of their inputs (key, clock, stored values): the routes decide what to store.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from genoflow_desktop.server.config import Settings

JWT_ALGORITHM = "HS256"
TOTP_STEP_SECONDS = 30


def password_hasher(settings: Settings) -> PasswordHasher:
    return PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_cost,
        parallelism=settings.argon2_parallelism,
    )


def verify_password(hasher: PasswordHasher, stored_hash: str, password: str) -> bool:
    try:
        return hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# --- access tokens -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: str
    token_id: str
    family_id: str


class TokenExpired(Exception):
    pass


class TokenInvalid(Exception):
    pass


def issue_access_token(
    key: str, *, user_id: str, family_id: str, lifetime_s: int, now: float | None = None
) -> str:
    issued = int(time.time() if now is None else now)
    claims = {
        "sub": user_id,
        "jti": uuid.uuid4().hex,
        "fam": family_id,
        "iat": issued,
        "exp": issued + lifetime_s,
    }
    return jwt.encode(claims, key, algorithm=JWT_ALGORITHM)


def decode_access_token(key: str, token: str) -> AccessClaims:
    """The claims of a token signed with ``key``; TokenExpired or TokenInvalid otherwise."""
    try:
        # algorithms is pinned: a token claiming "none" or another algorithm is refused.
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[JWT_ALGORITHM],
            options={"require": ["sub", "jti", "fam", "exp", "iat"]},
        )
    except jwt.ExpiredSignatureError as error:
        raise TokenExpired from error
    except jwt.PyJWTError as error:
        raise TokenInvalid from error
    values = (claims.get("sub"), claims.get("jti"), claims.get("fam"))
    if not all(isinstance(value, str) for value in values):
        raise TokenInvalid
    return AccessClaims(user_id=claims["sub"], token_id=claims["jti"], family_id=claims["fam"])


# --- refresh tokens ------------------------------------------------------------------------


def new_refresh_token() -> str:
    """A random 256-bit token; only its :func:`token_hash` is stored."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    # SHA-256 without salt is enough: the input is 256 random bits, not a guessable password.
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


# --- TOTP ----------------------------------------------------------------------------------


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, *, account: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


def totp_step(code: str, secret: str, *, after_step: int, now: float | None = None) -> int | None:
    """The time step ``code`` belongs to (now or one step either side), if later than
    ``after_step``; None if the code is wrong or was already used (replay)."""
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    current = int((time.time() if now is None else now) // TOTP_STEP_SECONDS)
    for step in (current - 1, current, current + 1):
        if step > after_step and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None
