"""Benchmark: full FASTQ.gz validation against ``seqkit stats -a`` and plain isal inflation.

Run as a plain script (it is never collected by pytest)::

    python tests/benchmarks/bench_fastq.py [--reads 8000000] [--dir /some/cache] [--repeat 1]

On first use it writes a realistic, seeded test file (Illumina 1.8 style headers and
qualities, 150 bp reads with some Ns, duplicates and adapter read-through) into the cache
directory (``$GENOFLOW_BENCH_DIR``, default ``<tempdir>/genoflow-bench``) and reuses it later.
Each contender runs in its own child process so that its peak resident memory (ru_maxrss) is
its own. The targets from issue #3: wall time at most 0.5x seqkit's and at most 1.5x plain
isal decompression, peak RSS under 400 MB.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import threading
import zlib
from pathlib import Path
from queue import Queue

import harness
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
SEED = 20240603
READ_LENGTH = 150
BATCH = 100_000
ADAPTER = b"AGATCGGAAGAGCACACGTCTGAACTCCAGTCAC"


def _make_batch(rng: np.random.Generator, n: int, first: int) -> bytes:
    """``n`` FASTQ records; vectorised except for the header formatting."""
    bases = np.frombuffer(b"ACGT", dtype=np.uint8)
    seq = bases[rng.integers(0, 4, size=(n, READ_LENGTH))]
    # ~8 % of reads are copies of another read of the batch: a duplication level like a
    # typical whole-genome library.
    dup = np.flatnonzero(rng.random(n) < 0.08)
    seq[dup] = seq[rng.integers(0, n, size=dup.size)]
    # ~3 % of reads run into the adapter (short inserts).
    ad = np.flatnonzero(rng.random(n) < 0.03)
    adapter = np.frombuffer(ADAPTER, dtype=np.uint8)
    for row, start in zip(ad, rng.integers(60, READ_LENGTH - 12, size=ad.size), strict=True):
        piece = adapter[: READ_LENGTH - start]
        seq[row, start : start + piece.size] = piece
    nmask = rng.random((n, READ_LENGTH)) < 0.001
    nmask[:, 0] |= rng.random(n) < 0.01  # the first cycle has more no-calls, as on real runs
    seq[nmask] = ord("N")
    # Illumina 1.8+ qualities: high at the start, slowly degrading, noisy, Q2 ('#') at Ns.
    mean = 37.0 - 0.045 * np.arange(READ_LENGTH)
    noise = rng.normal(0.0, 2.5, size=(n, READ_LENGTH)) - rng.exponential(1.5, (n, READ_LENGTH))
    qual = np.clip(np.rint(mean + noise), 2, 41).astype(np.uint8)
    qual[nmask] = 2
    qual += 33
    tiles = rng.integers(1101, 2679, size=n)
    xs = rng.integers(1000, 32000, size=n)
    ys = rng.integers(1000, 37000, size=n)
    seq_rows = [row.tobytes() for row in seq]
    qual_rows = [row.tobytes() for row in qual]
    return b"".join(
        b"@A00123:456:HVWKLDSXY:%d:%d:%d:%d 1:N:0:ACGTACGT+TGCATGCA\n%s\n+\n%s\n"
        % ((first + i) % 4 + 1, tiles[i], xs[i], ys[i], seq_rows[i], qual_rows[i])
        for i in range(n)
    )


def generate(path: Path, reads: int, seed: int = SEED) -> None:
    """Writes ``reads`` records to ``path`` as one gzip member (zlib level 6)."""
    rng = np.random.default_rng(seed)
    tmp = path.with_suffix(".partial")
    queue: Queue[bytes | None] = Queue(maxsize=4)

    def compress() -> None:
        # zlib releases the GIL while deflating, so this overlaps with generating.
        packer = zlib.compressobj(6, zlib.DEFLATED, 31)
        with open(tmp, "wb") as out:
            while (data := queue.get()) is not None:
                out.write(packer.compress(data))
            out.write(packer.flush())

    worker = threading.Thread(target=compress, name="bench-gzip")
    worker.start()
    try:
        for first in range(0, reads, BATCH):
            queue.put(_make_batch(rng, min(BATCH, reads - first), first))
    finally:
        queue.put(None)
        worker.join()
    tmp.replace(path)


# --- contenders, each run in a child process ------------------------------------------


def _run_ours(path: str) -> str:
    sys.path.insert(0, str(ROOT))
    from genoflow_desktop.core.validation.fastq import validate_fastq

    report = validate_fastq(path)
    m = report.metrics
    return (
        f"verdict={report.verdict.value} reads={report.records:,} bases={m['bases']:,} "
        f"gc={m['gc_percent']:.2f} meanq={m['mean_quality']:.2f} md5={report.md5}"
    )


def _run_isal(path: str) -> str:
    from isal import igzip

    total = 0
    with igzip.open(path, "rb") as handle:
        while chunk := handle.read(8 * 1024 * 1024):
            total += len(chunk)
    return f"inflated {total:,} bytes"


def _run_seqkit(path: str) -> str:
    seqkit = shutil.which("seqkit")
    assert seqkit is not None
    proc = subprocess.run(
        [seqkit, "stats", "-a", "-j", "2", "-T", path], check=True, capture_output=True, text=True
    )
    row = proc.stdout.strip().splitlines()[-1].split("\t")
    return f"num_seqs={int(row[3]):,} sum_len={int(row[4]):,}"


def _child(kind: str, path: str) -> None:
    run = {"ours": _run_ours, "isal": _run_isal, "seqkit": _run_seqkit}[kind]
    harness.run_in_child(lambda: run(path), external=kind == "seqkit")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=8_000_000)
    harness.add_arguments(parser, repeat=1)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return 0

    path = harness.cached_input(
        args.dir,
        f"bench_{args.reads}x{READ_LENGTH}_seed{SEED}.fastq.gz",
        lambda target: generate(target, args.reads),
    )
    size_mb = path.stat().st_size / 1e6
    load = os.getloadavg()[0]
    print(f"input: {path} ({size_mb:,.0f} MB compressed), {os.cpu_count()} cores, load {load:.2f}")
    if load > 0.5:
        print("  warning: other processes are using the CPUs; wall times will be noisy")
    print()

    contenders = [("isal inflate", "isal"), ("genoflow validate_fastq", "ours")]
    if shutil.which("seqkit") is not None:
        contenders.append(("seqkit stats -a -j 2", "seqkit"))
    else:
        print("seqkit not found (apt-get install seqkit): comparing with isal only\n")
    results = harness.summarise(harness.run_interleaved(__file__, contenders, path, args.repeat))
    isal = results["isal inflate"].best
    seqkit = results["seqkit stats -a -j 2"].best if "seqkit stats -a -j 2" in results else None
    print(
        f"{'contender':26s} {'best s':>7s} {'median s':>9s} {'CPU s':>7s} {'peak RSS MB':>12s} "
        f"{'/ isal':>7s} {'/ seqkit':>9s}  output"
    )
    for name, it in results.items():
        vs_seqkit = f"{it.best / seqkit:9.2f}" if seqkit else f"{'-':>9s}"
        print(
            f"{name:26s} {it.best:7.2f} {it.median:9.2f} {it.cpu:7.2f} {it.rss_mb:12.0f} "
            f"{it.best / isal:7.2f} {vs_seqkit}  {it.summary}"
        )
    print()
    ours = results["genoflow validate_fastq"]
    checks = [("<= 1.5 x isal", ours.best <= 1.5 * isal)]
    if seqkit:
        checks.append(("<= 0.5 x seqkit", ours.best <= 0.5 * seqkit))
    checks.append(("peak RSS < 400 MB", ours.rss_mb < 400))
    print("ours: " + ", ".join(f"{label}: {'met' if ok else 'MISSED'}" for label, ok in checks))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
