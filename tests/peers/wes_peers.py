"""Two real GA4GH WES servers on 127.0.0.1: wes-service 5.0 and sapporo 2.4.0, running cwltool.

Installed and started exactly as specs/wes.md says. Each lives in its own virtualenv under
``.peers/`` at the top of the repository (gitignored), built by the first test session that
needs it and reused afterwards; a file lock keeps parallel sessions from building it twice.
A failed install is an error, never a skip: CI must not pass without these suites.

No Docker engine is needed: sapporo gets a run.sh whose cwltool branch runs the venv's
``cwltool --no-container`` instead of ``docker run``.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psutil

REPO_ROOT = Path(__file__).resolve().parents[2]
PEERS_DIR = REPO_ROOT / ".peers"
WES_ROOT = "/ga4gh/wes/v1"
#: The cwltool that wes-service 5.0 pulls in; sapporo is pinned to the same one (specs/wes.md).
CWLTOOL_VERSION = "3.3.20260925135507"
REQUIREMENTS = {
    "wes-service": ("wes-service[cwltool]==5.0",),
    "sapporo": ("sapporo==2.4.0", f"cwltool=={CWLTOOL_VERSION}"),
}
INSTALL_TIMEOUT_S = 900
READY_TIMEOUT_S = 60
STOP_GRACE_S = 5
SAPPORO_USER = "genoflow-test"

# Taken before any test fixture edits the environment: pip may need the proxy settings.
_ENVIRONMENT = dict(os.environ)


class PeerSetupError(RuntimeError):
    """A peer server could not be installed or started; the message says what to do."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_venv(name: str) -> Path:
    """The virtualenv of peer ``name``, built on first use; PeerSetupError if pip fails."""
    venv = PEERS_DIR / name
    requirements = REQUIREMENTS[name]
    stamp = venv / ".genoflow-installed"
    wanted = "\n".join((sys.version.split()[0], *requirements)) + "\n"
    with _locked(PEERS_DIR / f"{name}.lock"):
        if stamp.is_file() and stamp.read_text() == wanted:
            return venv
        # A venv without the stamp is a build that was interrupted: start again.
        shutil.rmtree(venv, ignore_errors=True)
        _run_install([sys.executable, "-m", "venv", str(venv)], name, requirements)
        _run_install(
            [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", *requirements],
            name,
            requirements,
        )
        stamp.write_text(wanted)
    return venv


def _run_install(command: list[str], name: str, requirements: tuple[str, ...]) -> None:
    try:
        result = subprocess.run(
            command,
            env=_ENVIRONMENT,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise PeerSetupError(
            f"Installing the {name} test server ({' '.join(requirements)}) took more than "
            f"{INSTALL_TIMEOUT_S} s. Check that pip can reach PyPI or its mirror."
        ) from exc
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip().splitlines()
        raise PeerSetupError(
            f"Could not install the {name} test server ({' '.join(requirements)}): "
            f"{' '.join(command[:4])}... exited with {result.returncode}.\n"
            + "\n".join(output[-30:])
            + "\nThese integration tests need pip to reach PyPI (or its mirror)."
        )


@dataclass
class WesPeer:
    """A running WES server. ``token`` is set for servers that need one (sapporo)."""

    name: str
    base_url: str
    process: subprocess.Popen[bytes]
    state_dir: Path
    log_path: Path
    token: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM to every process of the server's session, then SIGKILL after a grace period.

        The session, not just the process group: sapporo's run.sh puts each run in a process
        group of its own (``set -m``), and cwltool ignores SIGTERM while a step runs.
        """
        members = _session_members(self.process.pid)
        _signal_all(members, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        while time.monotonic() < deadline and any(_alive(pid) for pid in members):
            time.sleep(0.1)
        _signal_all([pid for pid in members if _alive(pid)], signal.SIGKILL)
        self.process.wait(timeout=STOP_GRACE_S)  # our own child: reap it


def _session_members(session_id: int) -> list[int]:
    members = []
    for pid in psutil.pids():
        try:
            if os.getsid(pid) == session_id:
                members.append(pid)
        except OSError:
            continue
    return members


def _signal_all(pids: list[int], sig: signal.Signals) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except OSError:
            continue


def _alive(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def _server_env(venv: Path, state_dir: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in _ENVIRONMENT.items()
        # Nothing of the developer's proxy or sapporo settings may reach the servers.
        if "proxy" not in key.lower() and not key.startswith("SAPPORO_")
    }
    tmp = state_dir / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', os.defpath)}",
        TMPDIR=str(tmp),
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
    )
    return env


def _open(url: str, data: bytes | None = None, timeout: float = 5) -> bytes:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, data=data, timeout=timeout) as response:
        body: bytes = response.read()
        return body


def _launch(
    name: str, command: list[str], env: dict[str, str], state_dir: Path, base_url: str
) -> WesPeer:
    log_path = state_dir / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=state_dir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own session and process group, stopped as a whole
        )
    peer = WesPeer(name, base_url, process, state_dir, log_path)
    deadline = time.monotonic() + READY_TIMEOUT_S
    while True:
        try:
            _open(f"{base_url}/service-info")
            return peer
        except OSError:
            if process.poll() is not None:
                raise PeerSetupError(
                    f"The {name} test server exited at start (code {process.returncode}):\n"
                    + peer.log_tail()
                ) from None
            if time.monotonic() > deadline:
                peer.stop()
                raise PeerSetupError(
                    f"The {name} test server did not answer within {READY_TIMEOUT_S} s:\n"
                    + peer.log_tail()
                ) from None
            time.sleep(0.2)


def start_wes_service(state_dir: Path) -> WesPeer:
    """wes-service 5.0 (WES 1.0, no auth) with its cwl_runner backend on a free port."""
    venv = ensure_venv("wes-service")
    port = free_port()
    command = [
        str(venv / "bin" / "wes-server"),
        "--backend=wes_service.cwl_runner",
        "--port",
        str(port),
        # An absolute runner: with a bare name not on PATH, service-info answers 500.
        "--opt",
        f"runner={venv / 'bin' / 'cwltool'}",
        "--opt",
        "extra=--no-container",
        "--opt",
        "extra=--disable-color",
    ]
    state_dir.mkdir(parents=True, exist_ok=True)
    # wes-server has no --host: it binds uvicorn's default, 127.0.0.1. Runs go to ./workflows.
    return _launch(
        "wes-service",
        command,
        _server_env(venv, state_dir),
        state_dir,
        f"http://127.0.0.1:{port}{WES_ROOT}",
    )


def start_sapporo(state_dir: Path) -> WesPeer:
    """sapporo 2.4.0 (WES 1.1, bearer tokens) running cwltool without containers."""
    if shutil.which("jq") is None:
        raise PeerSetupError(
            "sapporo's run.sh needs jq, which is not installed: install jq (apt-get install jq)."
        )
    venv = ensure_venv("sapporo")
    # Sapporo keeps its SQLite database in the run directory: it must exist before start.
    (state_dir / "workflows").mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(16)
    run_sh = state_dir / "run.sh"
    run_sh.write_text(sapporo_run_sh(venv))
    service_info = state_dir / "service_info.json"
    service_info.write_text(json.dumps(SAPPORO_SERVICE_INFO, indent=2))
    auth_config = state_dir / "auth_config.json"
    auth_config.write_text(json.dumps(_sapporo_auth_config(venv, password), indent=2))
    port = free_port()
    base_url = f"http://127.0.0.1:{port}{WES_ROOT}"
    command = [
        str(venv / "bin" / "sapporo"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--url-prefix",
        WES_ROOT,  # without it sapporo serves at /
        "--run-dir",
        str(state_dir / "workflows"),
        "--service-info",
        str(service_info),
        "--run-sh",
        str(run_sh),
        "--auth-config",
        str(auth_config),
        "--allow-origin",
        "http://127.0.0.1",
        "--cancel-grace-seconds",
        "5",
    ]
    peer = _launch("sapporo", command, _server_env(venv, state_dir), state_dir, base_url)
    try:
        form = urllib.parse.urlencode({"username": SAPPORO_USER, "password": password}).encode()
        answer = json.loads(_open(f"{base_url}/token", data=form))
    except (OSError, ValueError) as exc:
        peer.stop()
        raise PeerSetupError(f"sapporo gave no token ({exc}):\n{peer.log_tail()}") from exc
    peer.token = str(answer["access_token"])
    peer.username, peer.password = SAPPORO_USER, password
    return peer


SAPPORO_SERVICE_INFO = {
    "workflow_type_versions": {"CWL": {"workflow_type_version": ["v1.0", "v1.1", "v1.2"]}},
    "supported_filesystem_protocols": ["file", "http", "https"],
    "workflow_engine_versions": {"cwltool": {"workflow_engine_version": [CWLTOOL_VERSION]}},
    "default_workflow_engine_parameters": {},
}


def _sapporo_auth_config(venv: Path, password: str) -> dict[str, object]:
    # Hashed by the venv's own argon2, as `sapporo-cli hash-password` does.
    result = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import sys; from argon2 import PasswordHasher; print(PasswordHasher().hash(sys.argv[1]))",
            password,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return {
        "auth_enabled": True,
        "idp_provider": "sapporo",
        "sapporo_auth_config": {
            "secret_key": secrets.token_urlsafe(32),  # sapporo refuses keys under 32 characters
            "expires_delta_hours": 24,
            "users": [{"username": SAPPORO_USER, "password_hash": result.stdout.strip()}],
        },
        # Required by the schema even when unused.
        "external_config": {
            "idp_url": "http://127.0.0.1:1/unused",
            "jwt_audience": "account",
            "client_mode": "public",
            "client_id": None,
            "client_secret": None,
        },
    }


#: Appended to the package's run.sh just before it starts run_wf: bash uses the last definition.
RUN_SH_OVERRIDES = r"""
# ---- GenoFlow test peer: there is no Docker engine here -----------------------------------
# cwltool from the peer's venv, without containers, in the run's exe/ dir where sapporo stages
# the attachments, so a relative workflow_url and relative locations resolve.
function run_cwltool() {
    cd "${exe_dir}"
    export TMPDIR="${tmp_dir}"
    local -a cmd_arr=("@CWLTOOL@" --no-container --disable-color
        --tmpdir-prefix "${tmp_dir}/" --outdir "${outputs_dir}")
    _append_engine_params cmd_arr
    cmd_arr+=("${wf_url}" "${wf_params}")
    _write_and_run cmd_arr
}

# The RO-Crate step runs `docker run multiqc` whenever a docker binary is on PATH, daemon or
# not: run it with every folder holding docker left out of PATH.
function generate_ro_crate() {
    local dir
    local -a kept=()
    local IFS=:
    for dir in ${PATH}; do
        [[ -x "${dir}/docker" ]] || kept+=("${dir}")
    done
    PATH="${kept[*]}" sapporo-cli generate-ro-crate "${run_dir}" 2>>"${stderr}" \
        || _write_control_file "${ro_crate}" '{"@error": "RO-Crate generation failed. Check stderr.log for details."}'
}
# ---- end of GenoFlow test peer changes ----------------------------------------------------

"""
RUN_SH_START_LINE = "run_wf </dev/null &"


def sapporo_run_sh(venv: Path) -> str:
    """The installed sapporo's run.sh, with our cwltool and RO-Crate functions put in."""
    packaged = next(venv.glob("lib/python*/site-packages/sapporo/run.sh"), None)
    if packaged is None:
        raise PeerSetupError(f"No run.sh found in the sapporo package under {venv}.")
    text = packaged.read_text()
    if text.count(RUN_SH_START_LINE) != 1:
        raise PeerSetupError(
            f"sapporo's run.sh ({packaged}) no longer starts runs with '{RUN_SH_START_LINE}': "
            "update RUN_SH_OVERRIDES in tests/peers/wes_peers.py for this sapporo version."
        )
    overrides = RUN_SH_OVERRIDES.replace("@CWLTOOL@", str(venv / "bin" / "cwltool"))
    return text.replace(RUN_SH_START_LINE, overrides + RUN_SH_START_LINE)
