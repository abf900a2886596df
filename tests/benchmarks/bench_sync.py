"""Benchmark: the lab sync server under 50 concurrent clients, and proof that no change is lost.

Run as a plain script (it is never collected by pytest)::

    python tests/benchmarks/bench_sync.py [--duration 30] [--workers 2] [--users 10]
                                          [--clients-per-user 5] [--labs 2] [--batch 5]

Starts a throwaway PostgreSQL cluster (tests/peers/postgres.py, durable settings: fsync on) and
``genoflow server`` with ``--workers`` uvicorn workers on 127.0.0.1. ``--users`` accounts split
over ``--labs`` labs; each user runs ``--clients-per-user`` asyncio httpx clients (one login
each). For ``--duration`` seconds every client loops: push a batch of ``--batch`` job records
(new ones, plus an update of one of its earlier records), then pull with its cursor until
``more`` is false. Afterwards every client pulls once more, and the script checks that every
pushed id is in its lab exactly once and that each client's pulled set equals its lab's set.

Prints requests/s and p50/p99 latency per endpoint; exits 1 if any record was lost or
duplicated. Client, server and database share the machine's cores: the numbers are a floor.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.peers.postgres import free_port, postgres_cluster  # noqa: E402

ADMIN_EMAIL = "bench-admin@lab.example"
PASSWORD = "benchmark password"
READY_TIMEOUT_S = 60


@dataclass
class Client:
    lab_id: str
    headers: dict[str, str]
    cursor: int = 0
    own: list[str] = field(default_factory=list)
    #: Every (record id, seq) pulled, in order: duplicates and gaps show up here.
    pulled: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    pushed: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    errors: list[str] = field(default_factory=list)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    return {**env, "NO_PROXY": "127.0.0.1", "PYTHONPATH": str(ROOT)}


def _genoflow(*args: str, **kwargs: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "genoflow_desktop", *args], cwd=ROOT, **kwargs)


def _wait_ready(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited:\n{log.read_text()}")
        try:
            if httpx.get(f"{base}/health", trust_env=False, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)  # polling for readiness; nothing else signals it
    raise SystemExit(f"the server did not answer within {READY_TIMEOUT_S} s:\n{log.read_text()}")


async def _timed(stats: Stats, name: str, request: Any) -> httpx.Response:
    start = time.perf_counter()
    response: httpx.Response = await request
    stats.latencies[name].append(time.perf_counter() - start)
    if response.status_code != 200:
        stats.errors.append(f"{name}: {response.status_code} {response.text[:200]}")
    return response


async def _drain(http: httpx.AsyncClient, client: Client, stats: Stats) -> None:
    while True:
        response = await _timed(
            stats,
            "pull",
            http.get(
                f"/api/v1/labs/{client.lab_id}/sync/pull",
                params={"since": client.cursor, "limit": 500},
                headers=client.headers,
            ),
        )
        body = response.json()
        client.pulled += [(entry["record"]["id"], entry["seq"]) for entry in body["records"]]
        client.cursor = body["cursor"]
        if not body["more"]:
            return


async def _run_client(base: str, client: Client, stats: Stats, batch: int, deadline: float) -> None:
    async with httpx.AsyncClient(base_url=base, trust_env=False, timeout=60) as http:
        round_ = 0
        while time.monotonic() < deadline:
            round_ += 1
            stamp = f"2026-03-01T{round_ // 60 % 24:02d}:{round_ % 60:02d}:00+00:00"
            records = [
                {"id": uuid.uuid4().hex, "name": "bench", "state": "queued", "updated_at": stamp}
                for _ in range(batch - 1 if client.own else batch)
            ]
            if client.own:  # an update: a newer version of an earlier record
                records.append(
                    {
                        "id": client.own[round_ % len(client.own)],
                        "name": f"round {round_}",
                        "state": "running",
                        "updated_at": stamp,
                    }
                )
            response = await _timed(
                stats,
                "push",
                http.post(
                    f"/api/v1/labs/{client.lab_id}/sync/push",
                    json={"records": [{"kind": "job", "record": r} for r in records]},
                    headers=client.headers,
                ),
            )
            if response.status_code == 200:
                stats.pushed[client.lab_id].update(r["id"] for r in records)
                client.own += [r["id"] for r in records[: batch - 1]]
            await _drain(http, client, stats)


async def _final_drain(base: str, client: Client, stats: Stats) -> None:
    """Once every client has stopped pushing: what others committed after our last pull."""
    async with httpx.AsyncClient(base_url=base, trust_env=False, timeout=60) as http:
        await _drain(http, client, stats)


def _setup(base: str, args: argparse.Namespace) -> list[Client]:
    with httpx.Client(base_url=base, trust_env=False, timeout=30) as http:

        def login(email: str) -> dict[str, str]:
            response = http.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
            response.raise_for_status()
            return {"Authorization": f"Bearer {response.json()['access_token']}"}

        admin = login(ADMIN_EMAIL)
        labs = [
            http.post("/api/v1/labs", json={"name": f"lab {i}"}, headers=admin).json()["id"]
            for i in range(args.labs)
        ]
        clients = []
        for index in range(args.users):
            email = f"user{index}@lab.example"
            http.post(
                "/api/v1/users",
                json={"email": email, "display_name": f"user {index}", "password": PASSWORD},
                headers=admin,
            ).raise_for_status()
            lab_id = labs[index % len(labs)]
            http.put(
                f"/api/v1/labs/{lab_id}/members",
                json={"email": email, "role": "member"},
                headers=admin,
            ).raise_for_status()
            clients += [Client(lab_id, login(email)) for _ in range(args.clients_per_user)]
        return clients


def _verify(base: str, clients: list[Client], stats: Stats) -> tuple[int, list[str]]:
    """(rows checked, problems): each lab's rows against what was pushed and what was pulled."""
    problems: list[str] = []
    checked = 0
    with httpx.Client(base_url=base, trust_env=False, timeout=60) as http:
        for lab_id, pushed in stats.pushed.items():
            headers = next(c.headers for c in clients if c.lab_id == lab_id)
            rows: list[str] = []
            cursor = 0
            while True:
                body = http.get(
                    f"/api/v1/labs/{lab_id}/sync/pull",
                    params={"since": cursor, "limit": 1000},
                    headers=headers,
                ).json()
                rows += [entry["record"]["id"] for entry in body["records"]]
                cursor = body["cursor"]
                if not body["more"]:
                    break
            checked += len(rows)
            if len(rows) != len(set(rows)):
                problems.append(f"lab {lab_id}: {len(rows) - len(set(rows))} duplicated rows")
            if set(rows) != pushed:
                problems.append(
                    f"lab {lab_id}: {len(pushed - set(rows))} pushed ids missing, "
                    f"{len(set(rows) - pushed)} unknown ids"
                )
            for number, client in enumerate(c for c in clients if c.lab_id == lab_id):
                seqs = [seq for _, seq in client.pulled]
                if seqs != sorted(set(seqs)):
                    problems.append(f"lab {lab_id} client {number}: a change pulled twice")
                if {record_id for record_id, _ in client.pulled} != set(rows):
                    problems.append(f"lab {lab_id} client {number}: pulled set differs")
    return checked, problems


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--clients-per-user", type=int, default=5)
    parser.add_argument("--labs", type=int, default=2)
    parser.add_argument("--batch", type=int, default=5, help="records per push")
    args = parser.parse_args()

    with postgres_cluster(durable=True) as cluster, tempfile.TemporaryDirectory() as scratch:
        url = cluster.create_database("bench")
        log = Path(scratch) / "server.log"
        env = {**_env(), "GENOFLOW_ADMIN_PASSWORD": PASSWORD}
        basedir = ["--basedir", scratch]
        created = _genoflow(
            "server", "create-admin", "--db", url, "--email", ADMIN_EMAIL, *basedir, env=env
        ).wait()
        if created != 0:
            raise SystemExit("genoflow server create-admin failed")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with log.open("w") as output:
            server = _genoflow(
                "server",
                "--db",
                url,
                "--port",
                str(port),
                "--workers",
                str(args.workers),
                *basedir,
                env=_env(),
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        try:
            _wait_ready(base, server, log)
            clients = _setup(base, args)
            stats = Stats()
            start = time.monotonic()

            async def run_all() -> None:
                deadline = time.monotonic() + args.duration
                await asyncio.gather(
                    *(_run_client(base, c, stats, args.batch, deadline) for c in clients)
                )
                await asyncio.gather(*(_final_drain(base, c, stats) for c in clients))

            asyncio.run(run_all())
            elapsed = time.monotonic() - start
            checked, problems = _verify(base, clients, stats)
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()

    print(
        f"{os.cpu_count()} cores; {args.workers} uvicorn workers; PostgreSQL (fsync on); "
        f"{len(clients)} clients ({args.users} users x {args.clients_per_user}) in {args.labs} "
        f"labs; batches of {args.batch}; {elapsed:.1f} s of load\n"
    )
    print("| endpoint | requests | requests/s | p50 ms | p99 ms |")
    print("|---|---:|---:|---:|---:|")
    total = 0
    for name, values in sorted(stats.latencies.items()):
        total += len(values)
        print(
            f"| {name} | {len(values):,} | {len(values) / elapsed:,.0f} | "
            f"{statistics.median(values) * 1000:.1f} | {_percentile(values, 0.99) * 1000:.1f} |"
        )
    print(f"| all | {total:,} | {total / elapsed:,.0f} | | |")
    pushed = sum(len(ids) for ids in stats.pushed.values())
    delivered = sum(len(client.pulled) for client in clients)
    print(
        f"\nrecords pushed: {pushed:,}; record versions delivered by pulls: {delivered:,} "
        f"({delivered / elapsed:,.0f}/s); rows verified: {checked:,}"
    )
    for error in stats.errors[:10]:
        print(f"request error: {error}", file=sys.stderr)
    for problem in problems:
        print(f"LOST OR DUPLICATED: {problem}", file=sys.stderr)
    ok = not problems and not stats.errors
    print("no lost or duplicated rows" if ok else "FAILED", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
