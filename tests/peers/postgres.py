"""A throwaway PostgreSQL cluster on 127.0.0.1: initdb in a temporary folder, stopped and removed
afterwards. Used by tests/server (a fresh database per test) and tests/benchmarks/bench_sync.py.

Needs PostgreSQL's server binaries (initdb, pg_ctl): found on PATH, through ``pg_config
--bindir``, or under /usr/lib/postgresql/*/bin. Missing binaries are an error, never a skip: CI
installs PostgreSQL and must not pass without these tests.

initdb refuses to run as root, so as root the cluster runs as the ``postgres`` system user (or
``nobody``) through ``runuser``/``setpriv``, in a folder handed over to that user.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

SUPERUSER = "postgres"
START_TIMEOUT_S = 60


class PostgresSetupError(RuntimeError):
    """PostgreSQL could not be found or started; the message says what to do."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def find_bindir() -> Path:
    """The folder holding initdb and pg_ctl."""
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    pg_config = shutil.which("pg_config")
    if pg_config:
        bindir = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, check=False
        ).stdout.strip()
        if bindir and (Path(bindir) / "initdb").is_file():
            return Path(bindir)

    def major(path: str) -> float:
        try:
            return float(Path(path).parent.name)
        except ValueError:
            return 0.0

    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=major, reverse=True)
    if candidates:
        return Path(candidates[0]).parent
    raise PostgresSetupError(
        "PostgreSQL's initdb was not found (PATH, pg_config --bindir, /usr/lib/postgresql/*/bin). "
        "Install the PostgreSQL server, e.g. 'apt-get install postgresql'."
    )


def _run_as() -> tuple[list[str], pwd.struct_passwd | None]:
    """The command prefix that drops root (and the account it drops to), or nothing."""
    if os.geteuid() != 0:
        return [], None
    for name in ("postgres", "nobody"):
        try:
            account = pwd.getpwnam(name)
        except KeyError:
            continue
        if shutil.which("runuser"):
            return ["runuser", "-u", name, "--"], account
        return [
            "setpriv",
            f"--reuid={account.pw_uid}",
            f"--regid={account.pw_gid}",
            "--init-groups",
            "--",
        ], account
    raise PostgresSetupError("Running as root, and neither a 'postgres' nor 'nobody' user exists.")


@dataclass
class PostgresCluster:
    bindir: Path
    root: Path
    port: int
    prefix: list[str]
    _admin_dsn: str = field(init=False)

    def __post_init__(self) -> None:
        self._admin_dsn = f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname=postgres"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log_file(self) -> Path:
        return self.root / "postgres.log"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        """A new, empty database; its SQLAlchemy URL."""
        import psycopg

        name = name or f"test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self._admin_dsn, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def _tool(self, name: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.prefix, str(self.bindir / name), *args],
            capture_output=True,
            text=True,
            check=False,
            stdin=subprocess.DEVNULL,
            timeout=START_TIMEOUT_S + 30,
        )

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def start(self, *, durable: bool) -> None:
        result = self._tool(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            SUPERUSER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        if result.returncode != 0:
            raise PostgresSetupError(f"initdb failed:\n{result.stdout}\n{result.stderr}")
        options = [
            "-c listen_addresses=127.0.0.1",
            f"-c port={self.port}",
            f"-c unix_socket_directories={self.root}",
            "-c max_connections=200",
        ]
        if not durable:
            # Tests throw the cluster away: nothing needs to survive a power cut.
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        result = self._tool(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.log_file),
            "-w",
            "-t",
            str(START_TIMEOUT_S),
            "-o",
            " ".join(options),
            "start",
        )
        if result.returncode != 0:
            raise PostgresSetupError(
                f"pg_ctl start failed:\n{result.stdout}\n{result.stderr}\n{self.log_tail()}"
            )

    def stop(self) -> None:
        """Stop fast; kill the postmaster if it lingers; remove the folder."""
        pid = self._postmaster_pid()
        if self.data.exists():
            self._tool("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "30", "stop")
        if pid is not None and _alive(pid):
            os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.root, ignore_errors=True)

    def _postmaster_pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def postgres_cluster(*, durable: bool = False) -> Iterator[PostgresCluster]:
    """A running cluster for the duration of the block (superuser ``postgres``, trust auth)."""
    bindir = find_bindir()
    prefix, account = _run_as()
    # Not under pytest's tmp_path: as root that is a 0700 folder the postgres user cannot enter.
    root = Path(tempfile.mkdtemp(prefix="genoflow-pg-"))
    if account is not None:
        os.chown(root, account.pw_uid, account.pw_gid)
    cluster = PostgresCluster(bindir=bindir, root=root, port=free_port(), prefix=prefix)
    try:
        cluster.start(durable=durable)
        yield cluster
    finally:
        cluster.stop()
