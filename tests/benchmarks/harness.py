"""What the benchmark scripts share: inputs cached on disk, each contender timed in its own
child process (so peak memory is its own), interleaved runs, and best/median summaries."""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float  # user + system seconds, all threads, this process and its children
    rss_mb: float
    summary: str


@dataclass(frozen=True)
class Summary:
    best: float  # the least disturbed run
    median: float
    cpu: float  # least CPU time: the steadier measure on a shared machine
    rss_mb: float  # the highest peak of all runs
    summary: str


def add_arguments(parser: argparse.ArgumentParser, *, repeat: int) -> None:
    parser.add_argument("--dir", type=Path, default=None, help="where generated inputs are kept")
    parser.add_argument("--repeat", type=int, default=repeat, help="runs per contender")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)


def cached_input(directory: Path | None, name: str, generate: Callable[[Path], None]) -> Path:
    """``name`` in the benchmark cache (``$GENOFLOW_BENCH_DIR`` or <tmp>/genoflow-bench),
    generated first if missing."""
    cache = directory or Path(
        os.environ.get("GENOFLOW_BENCH_DIR", Path(tempfile.gettempdir()) / "genoflow-bench")
    )
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / name
    if not path.exists():
        print(f"generating {path} ...", flush=True)
        start = time.perf_counter()
        generate(path)
        print(f"  done in {time.perf_counter() - start:.0f} s", flush=True)
    return path


def peak_rss_mb() -> float:
    """This process's own peak RSS (VmHWM; ru_maxrss can carry the parent's over fork)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_in_child(function: Callable[[], str], *, external: bool) -> None:
    """In the child: time ``function`` and print the measurement for :func:`time_child`.

    ``external``: the work is done by a tool this process starts, whose peak memory counts.
    """
    start = time.perf_counter()
    summary = function()
    elapsed = time.perf_counter() - start
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
    rss = children.ru_maxrss / 1024 if external else peak_rss_mb()
    print(f"{elapsed:.3f} {cpu:.3f} {rss:.1f} {summary}")


def time_child(script: str, kind: str, path: Path) -> Run:
    out = subprocess.run(
        [sys.executable, script, "--child", kind, str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    wall, cpu, rss, summary = out.split(" ", 3)
    return Run(float(wall), float(cpu), float(rss), summary)


def run_interleaved(
    script: str, contenders: Sequence[tuple[str, str]], path: Path, repeat: int
) -> dict[str, list[Run]]:
    """Every contender ``repeat`` times, interleaved so a noisy neighbour slows all alike."""
    runs: dict[str, list[Run]] = {}
    for _ in range(repeat):
        for name, kind in contenders:
            runs.setdefault(name, []).append(time_child(script, kind, path))
    return runs


def summarise(runs: dict[str, list[Run]]) -> dict[str, Summary]:
    return {
        name: Summary(
            best=min(r.wall for r in rs),
            median=statistics.median(r.wall for r in rs),
            cpu=min(r.cpu for r in rs),
            rss_mb=max(r.rss_mb for r in rs),
            summary=rs[0].summary,
        )
        for name, rs in runs.items()
    }
