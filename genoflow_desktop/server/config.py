"""The server's settings: one frozen object made by whoever creates the app, no global state."""

from __future__ import annotations

from dataclasses import dataclass

#: Environment variable that hands the database URL to uvicorn worker processes (they build the
#: app with :func:`genoflow_desktop.server.app.app_from_env`).
DATABASE_URL_VARIABLE = "GENOFLOW_SERVER_DB"


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str
    access_token_seconds: int = 15 * 60
    refresh_token_seconds: int = 30 * 24 * 3600
    #: Login failures allowed per e-mail and per client address within the window.
    login_failures_per_email: int = 5
    login_failures_per_address: int = 20
    login_window_seconds: int = 5 * 60
    #: argon2id cost; the defaults are argon2-cffi's (tests lower them to stay fast).
    argon2_time_cost: int = 3
    argon2_memory_cost: int = 65536
    argon2_parallelism: int = 4
    #: Shown in the TOTP enrolment URI (the name the authenticator app displays).
    totp_issuer: str = "GenoFlow sync"
