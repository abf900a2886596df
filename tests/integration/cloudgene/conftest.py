"""The fake Cloudgene server (tests/fakes/cloudgene_server.py) in a subprocess on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, Protocol, TypeVar

import pytest

from genoflow_desktop.core.jobs.backend import JobSpec
from genoflow_desktop.core.services.cloudgene import CloudgeneBackend
from tests.conftest import REPO_ROOT
from tests.fakes.cloudgene_server import DEFAULT_TOKEN
from tests.fakes.vcf import write_input_vcf
from tests.integration.conftest import _free_port

T = TypeVar("T")
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class FakeCloudgene:
    """Address of the running fake, and its control endpoints."""

    token = DEFAULT_TOKEN

    def __init__(self, url: str) -> None:
        self.url = url

    def control(self, path: str, payload: dict[str, Any] | None = None) -> Any:
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(
            f"{self.url}/_fake/{path}",
            data=data,
            method="GET" if payload is None else "POST",
            headers={"Content-Type": "application/json"},
        )
        with _NO_PROXY.open(request, timeout=30) as response:
            return json.loads(response.read())

    def set_state(self, job_id: str, state: int, **extra: Any) -> None:
        self.control(f"jobs/{job_id}/state", {"state": state, **extra})

    def job(self, job_id: str) -> dict[str, Any]:
        return dict(self.control(f"jobs/{job_id}"))

    def requests(self) -> dict[str, int]:
        return dict(self.control("requests"))


@contextlib.contextmanager
def fake_cloudgene_server(state_dir: Path) -> Iterator[str]:
    """Run the fake in a subprocess on a free port of 127.0.0.1; yields its address. Leaving
    the block stops it (by its pid): tests of offline mode use that to take the server away."""
    port = _free_port()
    log = state_dir / "server.log"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.fakes.cloudgene_server",
                "--port",
                str(port),
                "--state-dir",
                str(state_dir / "data"),
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=REPO_ROOT,
            env=env,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with _NO_PROXY.open(url + "/_fake/requests", timeout=2):
                    break
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError(
                        f"fake Cloudgene exited: {Path(log).read_text()[-2000:]}"
                    ) from None
                if time.monotonic() > deadline:
                    raise RuntimeError("fake Cloudgene did not answer within 30 s") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def _cloudgene_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fake_cloudgene_server(tmp_path_factory.mktemp("cloudgene-state")) as url:
        yield url


@pytest.fixture
def cloudgene(_cloudgene_process: str) -> FakeCloudgene:
    """The fake server, reset to its defaults (no jobs, one valid token) for each test."""
    fake = FakeCloudgene(_cloudgene_process)
    fake.control("reset", {})
    return fake


Action = Callable[[CloudgeneBackend], Awaitable[T]]


class Runner(Protocol):
    def __call__(self, action: Action[T], *, token: str | None = ...) -> T: ...


@pytest.fixture
def run(cloudgene: FakeCloudgene) -> Runner:
    """Run ``action(backend)`` in a fresh event loop with a backend for the fake (closed after)."""

    def runner(action: Action[T], *, token: str | None = None) -> T:
        async def scenario() -> T:
            backend = CloudgeneBackend(
                name="MIS",
                base_url=cloudgene.url,
                token=token if token is not None else cloudgene.token,
                retry_backoff_s=0.01,
            )
            try:
                return await action(backend)
            finally:
                await backend.aclose()

        return asyncio.run(scenario())

    return runner


@pytest.fixture
def vcf(tmp_path: Path) -> Path:
    """One small bgzipped genotype VCF of chromosome 20."""
    folder = tmp_path / "inputs"
    folder.mkdir()
    return write_input_vcf(folder / "chr20.vcf.gz")


def job_spec(vcf: Path, job_id: str = "local-1", **params: Any) -> JobSpec:
    return JobSpec(
        job_id=job_id,
        name=f"study {job_id}",
        params={"refpanel": "hapmap-2", "population": "eur", **params},
        inputs=(vcf,),
    )
