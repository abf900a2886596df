"""Real local servers for integration tests: moto's S3 server (and a fault proxy in front of it).

Everything listens on 127.0.0.1 only; boto3 is kept away from the user's AWS configuration, from
instance metadata (169.254.169.254) and from any proxy set in the environment.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from genoflow_desktop.core.paths import AppDirs
from genoflow_desktop.core.store import Store, open_store
from tests.integration.s3_proxy import FaultProxy

ACCESS_KEY_ID = "AKIAGENOFLOWTEST0001"
SECRET_KEY = "genoflow/test+Secret0123456789abcdefghijKL"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


#: Settings of the developer's machine that would send test traffic elsewhere than 127.0.0.1.
OUTSIDE_VARIABLES = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "http_proxy",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL",
)


def _isolated_aws_env(env: dict[str, str] | os._Environ[str]) -> None:
    for name in OUTSIDE_VARIABLES:
        env.pop(name, None)
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    env["AWS_CONFIG_FILE"] = os.devnull
    env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``python -m moto.server`` on a free port of 127.0.0.1, stopped (by its pid) at the end."""
    port = _free_port()
    env = dict(os.environ)
    _isolated_aws_env(env)
    # moto spills object bytes to temporary files: keep them in the test's own folder.
    env["TMPDIR"] = str(tmp_path_factory.mktemp("moto-tmp"))
    log = tmp_path_factory.mktemp("moto-log") / "moto.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
        )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(
                    endpoint + "/moto-api/", timeout=2
                ):
                    break
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError(f"moto server exited: {log.read_text()[-2000:]}") from None
                if time.monotonic() > deadline:
                    raise RuntimeError("moto server did not answer within 60 s") from None
                time.sleep(0.2)
        yield endpoint
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(autouse=True)
def _aws_isolation(monkeypatch: pytest.MonkeyPatch) -> None:
    env: dict[str, str] = {}
    _isolated_aws_env(env)
    for name in OUTSIDE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)


def s3_client(endpoint: str) -> Any:
    """A plain boto3 client straight to moto (not through the proxy), for checking results."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_KEY,
        config=Config(s3={"addressing_style": "path"}),
    )


@pytest.fixture
def bucket(moto_endpoint: str) -> str:
    name = f"genoflow-{uuid.uuid4().hex[:12]}"
    s3_client(moto_endpoint).create_bucket(Bucket=name)
    return name


@pytest.fixture
def proxy(moto_endpoint: str) -> Iterator[FaultProxy]:
    proxy = FaultProxy(moto_endpoint).start()
    try:
        yield proxy
    finally:
        proxy.stop()


@pytest.fixture
def store(app_dirs: AppDirs) -> Iterator[Store]:
    store = open_store(app_dirs.database)
    try:
        yield store
    finally:
        store.close()


def add_profile(
    store: Store,
    endpoint: str,
    bucket: str,
    *,
    name: str = "lab",
    prefix: str = "genoflow",
    sse: str = "AES256",
) -> None:
    """A profile with a key pair, the secret in the (in-memory) test keychain."""
    from genoflow_desktop.core.transfer.profiles import Profile, save_profile

    with store.session() as session:
        save_profile(
            session,
            Profile(
                name=name,
                bucket=bucket,
                endpoint_url=endpoint,
                prefix=prefix,
                access_key_id=ACCESS_KEY_ID,
                sse=sse,
            ),
            SECRET_KEY,
            replace=True,
        )


def make_file(path: Path, size: int, seed: int = 1) -> bytes:
    """``size`` reproducible, incompressible bytes written to ``path``."""
    import random

    data = random.Random(seed).randbytes(size)
    path.write_bytes(data)
    return data


def cli_env(tmp_path: Path) -> dict[str, str]:
    """Environment for `genoflow` subprocesses: a keychain file shared by all of them."""
    from tests.conftest import REPO_ROOT

    env = dict(os.environ)
    _isolated_aws_env(env)
    env["PYTHONPATH"] = str(REPO_ROOT)
    env["PYTHON_KEYRING_BACKEND"] = "tests.integration.file_keyring.FileKeyring"
    env["GENOFLOW_TEST_KEYRING_FILE"] = str(tmp_path / "keychain.json")
    return env
