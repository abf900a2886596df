"""Benchmark: our resumable S3 upload against boto3's ``upload_file`` (TransferManager).

Run as a plain script (never collected by pytest)::

    python tests/benchmarks/bench_upload.py [--size-mib 2048] [--part-size-mib 16]
                                            [--concurrency 4] [--rounds 3]

It writes a file of random bytes into a new temporary folder (removed at the end), starts
moto's S3 server on 127.0.0.1 (a fresh one for every measurement, so that neither contender
inherits the other's stored objects), and uploads the file with each contender in its own child
process, alternating the order between rounds. Both use the same part size and concurrency.
We also compute the file's MD5 and SHA-256 and journal every part in SQLite; boto3 computes
its default CRC32 per part. Targets from issue #4: our wall time at most 1.0x boto3's, our peak
RSS within concurrency x part size + 100 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MiB = 1024 * 1024
BUCKET = "genoflow-bench"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "AKIABENCHMARK0000001",
    "AWS_SECRET_ACCESS_KEY": "bench-secret-key-0123456789",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "NO_PROXY": "127.0.0.1",
    "no_proxy": "127.0.0.1",
}


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "PROXY" not in k.upper()}
    env.update(CREDENTIALS)
    env["PYTHONPATH"] = str(ROOT)
    return env


# -- children: one upload each, timing only the upload call ---------------------------------------


def _child_boto3(path: str, endpoint: str, part_size: int, concurrency: int) -> dict[str, object]:
    import boto3
    from boto3.s3.transfer import TransferConfig

    config = TransferConfig(
        multipart_threshold=part_size,
        multipart_chunksize=part_size,
        max_concurrency=concurrency,
        use_threads=True,
    )
    # Both contenders are timed from "a file on disk" to "uploaded": their client included
    # (our run_upload makes its own, as every upload does).
    started, cpu = time.perf_counter(), time.process_time()
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.upload_file(path, BUCKET, "boto3/" + Path(path).name, Config=config)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    size = client.head_object(Bucket=BUCKET, Key="boto3/" + Path(path).name)["ContentLength"]
    return {"elapsed": elapsed, "cpu": cpu, "size": size}


def _child_ours(path: str, basedir: str, part_size: int, concurrency: int) -> dict[str, object]:
    import boto3  # noqa: F401 - imported before timing, as in the boto3 child

    from genoflow_desktop.core.store import open_store
    from genoflow_desktop.core.transfer.engine import create_upload, run_upload
    from genoflow_desktop.core.transfer.result import UploadOptions

    store = open_store(Path(basedir) / "genoflow.sqlite3")
    started, cpu = time.perf_counter(), time.process_time()
    record = create_upload(store, "bench", path, part_size=part_size)
    result = run_upload(
        store, record.id, options=UploadOptions(concurrency=concurrency, part_size=part_size)
    )
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    store.close()
    return {
        "elapsed": elapsed,
        "cpu": cpu,
        "size": result.size,
        "md5": result.md5,
        "sha256": result.sha256,
        "verification": result.verification,
    }


class _NullS3:
    """A stand-in S3 client that answers at once: what our pipeline costs without a server."""

    def __init__(self) -> None:
        self.sizes: dict[int, int] = {}
        self.metadata: dict[str, str] = {}
        self.tags: list[dict[str, str]] = []

    def create_multipart_upload(self, **kwargs: object) -> dict[str, object]:
        self.metadata = dict(kwargs["Metadata"])  # type: ignore[call-overload]
        return {"UploadId": "null"}

    def upload_part(self, **kwargs: object) -> dict[str, object]:
        self.sizes[int(kwargs["PartNumber"])] = int(kwargs["ContentLength"])  # type: ignore[call-overload]
        return {"ETag": f'"{kwargs["PartNumber"]}"'}

    def complete_multipart_upload(self, **kwargs: object) -> dict[str, object]:
        return {}

    def head_object(self, **kwargs: object) -> dict[str, object]:
        return {"ContentLength": sum(self.sizes.values()), "Metadata": self.metadata, "ETag": '"x"'}

    def put_object_tagging(self, **kwargs: object) -> None:
        self.tags = list(kwargs["Tagging"]["TagSet"])  # type: ignore[index]

    def get_object_tagging(self, **kwargs: object) -> dict[str, object]:
        return {"TagSet": self.tags}


def _child_null(path: str, basedir: str, part_size: int, concurrency: int) -> dict[str, object]:
    from genoflow_desktop.core.store import open_store
    from genoflow_desktop.core.transfer.engine import create_upload, run_upload
    from genoflow_desktop.core.transfer.result import UploadOptions

    store = open_store(Path(basedir) / "genoflow.sqlite3")
    started, cpu = time.perf_counter(), time.process_time()
    record = create_upload(store, "bench", path, part_size=part_size)
    result = run_upload(
        store,
        record.id,
        client_factory=lambda profile, options: _NullS3(),
        options=UploadOptions(concurrency=concurrency, part_size=part_size),
    )
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    store.close()
    return {
        "elapsed": elapsed,
        "cpu": cpu,
        "size": result.size,
        "md5": result.md5,
        "sha256": result.sha256,
    }


def _child(kind: str, *args: str) -> None:
    part_size, concurrency = int(args[-2]), int(args[-1])
    if kind == "boto3":
        report = _child_boto3(args[0], args[1], part_size, concurrency)
    elif kind == "null":
        report = _child_null(args[0], args[1], part_size, concurrency)
    else:
        report = _child_ours(args[0], args[1], part_size, concurrency)
    report["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps(report))


# -- the parent -------------------------------------------------------------------------------


class MotoServer:
    def __init__(self, scratch: Path) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        env = _env()
        # moto spills part bytes to temporary files: keep them in RAM when there is room, so the
        # disk's write-back stalls do not decide the result.
        shm = Path("/dev/shm")
        env["TMPDIR"] = str(
            shm if shm.is_dir() and shutil.disk_usage(shm).free > 8 * 1024**3 else scratch
        )
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        deadline = time.monotonic() + 60
        while True:
            try:
                opener.open(self.endpoint + "/moto-api/", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("moto server did not start") from None
                time.sleep(0.2)
        request = urllib.request.Request(f"{self.endpoint}/{BUCKET}", method="PUT")
        opener.open(request, timeout=10).close()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _measure(
    kind: str, path: Path, scratch: Path, part_size: int, concurrency: int
) -> dict[str, object]:
    server = MotoServer(scratch) if kind != "null" else None
    try:
        endpoint = server.endpoint if server is not None else "http://127.0.0.1:9"
        if kind in ("ours", "null"):
            basedir = scratch / f"store-{time.monotonic_ns()}"
            _prepare_store(basedir, endpoint)
            args = [str(path), str(basedir)]
        else:
            args = [str(path), endpoint]
        output = subprocess.run(
            [sys.executable, __file__, "--child", kind, *args, str(part_size), str(concurrency)],
            env=_env(),
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        ).stdout
        return dict(json.loads(output.strip().splitlines()[-1]))
    finally:
        if server is not None:
            server.stop()


def _prepare_store(basedir: Path, endpoint: str) -> None:
    """The store and profile exist before the run, as in real use (no migration in the child)."""
    from genoflow_desktop.core.store import open_store
    from genoflow_desktop.core.transfer.profiles import Profile, save_profile

    store = open_store(basedir / "genoflow.sqlite3")
    with store.session() as session:
        save_profile(
            session,
            Profile(
                name="bench",
                bucket=BUCKET,
                endpoint_url=endpoint,
                prefix="bench",
                use_credential_chain=True,
            ),
            None,
        )
    store.close()


def _write_file(path: Path, size: int) -> None:
    chunk = 64 * MiB
    with open(path, "wb") as handle:
        written = 0
        while written < size:
            handle.write(os.urandom(min(chunk, size - written)))
            written += min(chunk, size - written)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=2048)
    parser.add_argument("--part-size-mib", type=int, default=16)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], *args.child[1:])
        return 0

    from genoflow_desktop.core.validation.checksums import file_digests

    part_size = args.part_size_mib * MiB
    scratch = Path(tempfile.mkdtemp(prefix="genoflow-bench-upload-"))
    try:
        path = scratch / "bench.bin"
        print(f"writing {args.size_mib:,} MiB of random bytes to {path} ...", flush=True)
        _write_file(path, args.size_mib * MiB)
        reference = file_digests(path)
        print(
            f"{os.cpu_count()} cores; parts of {args.part_size_mib} MiB, concurrency "
            f"{args.concurrency}; {args.rounds} rounds, order alternating\n",
            flush=True,
        )
        results: dict[str, list[dict[str, object]]] = {"boto3": [], "ours": [], "null": []}
        for round_number in range(args.rounds):
            order = ("boto3", "ours") if round_number % 2 == 0 else ("ours", "boto3")
            for kind in order:
                report = _measure(kind, path, scratch, part_size, args.concurrency)
                if kind == "ours" and (report["md5"], report["sha256"]) != (
                    reference.md5,
                    reference.sha256,
                ):
                    print("error: our digests differ from the file's", file=sys.stderr)
                    return 1
                results[kind].append(report)
                # The load average shows whether other work shared the cores meanwhile.
                elapsed, rss = float(report["elapsed"]), float(report["rss_mb"])  # type: ignore[arg-type]
                print(
                    f"  round {round_number + 1} {kind:5s} {elapsed:6.2f} s  {rss:6.0f} MB"
                    f"  (load average {os.getloadavg()[0]:.1f})",
                    flush=True,
                )
        # Our pipeline alone (a stand-in client answering at once): the hashing and journaling
        # throughput available to overlap with a real network.
        null = _measure("null", path, scratch, part_size, args.concurrency)
        if (null["md5"], null["sha256"]) != (reference.md5, reference.sha256):
            print("error: our digests differ from the file's", file=sys.stderr)
            return 1
        results["null"].append(null)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    def median(kind: str, field: str) -> float:
        return statistics.median(float(r[field]) for r in results[kind])  # type: ignore[arg-type]

    def peak(kind: str) -> float:
        return max(float(r["rss_mb"]) for r in results[kind])  # type: ignore[arg-type]

    ratios = [
        float(o["elapsed"]) / float(b["elapsed"])  # type: ignore[arg-type]
        for o, b in zip(results["ours"], results["boto3"], strict=True)
    ]
    size_mb = args.size_mib * MiB / 1e6
    bound = args.concurrency * part_size / 1e6 + 100
    ratio = median("ours", "elapsed") / median("boto3", "elapsed")
    print(
        f"\n{args.size_mib / 1024:.1f} GiB to moto's S3 server on 127.0.0.1, "
        f"{args.rounds} rounds (medians):\n"
    )
    print("| contender | wall s (median) | MB/s | client CPU s | peak RSS MB | computes |")
    print("|---|---:|---:|---:|---:|---|")
    for kind, label, extra in (
        ("boto3", "boto3 `upload_file`", "CRC32 + payload SHA-256 per part (botocore defaults)"),
        ("ours", "GenoFlow `run_upload`",
         "SHA-256 per part, whole-file MD5 + SHA-256, journal commit per part, verify + tag"),
        ("null", "GenoFlow, no server (stand-in client)", "the same, without the network"),
    ):  # fmt: skip
        wall = median(kind, "elapsed")
        print(
            f"| {label} | {wall:.2f} | {size_mb / wall:.0f} | {median(kind, 'cpu'):.1f} "
            f"| {peak(kind):.0f} | {extra} |"
        )
    per_round = ", ".join(f"{r:.2f}" for r in ratios)
    print(f"\nratio ours/boto3: {ratio:.2f} (per round: {per_round})")
    print(f"time target (<= 1.00x boto3): {'met' if ratio <= 1.0 else 'MISSED'}")
    print(
        f"memory target (<= {args.concurrency} x {args.part_size_mib} MiB + 100 MB"
        f" = {bound:.0f} MB): "
        f"{'met' if peak('ours') <= bound else 'MISSED'} ({peak('ours'):.0f} MB)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
