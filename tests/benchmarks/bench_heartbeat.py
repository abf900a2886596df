"""Benchmark: how long the GUI thread stalls while files validate and upload (issue 6).

Run as a plain script (it is never collected by pytest)::

    python tests/benchmarks/bench_heartbeat.py [--size-mb 2000] [--vcf-chromosomes 22]
                                               [--trace] [--switch-interval MS]

A child process (offscreen Qt) builds the real app (:class:`GenoflowApp`, a real store in a
temporary folder, default settings) against moto's S3 server on 127.0.0.1 with a profile,
drops four files on the window (``files_dropped``) so they are checked on the validation pool,
and, as soon as the two FASTQ files have a verdict, uploads both at once through the Upload
view (its queue, the transfer engine) while the BAM and the VCF are still being checked. A
5 ms ``QTimer`` on the GUI thread records every gap between its ticks from the drop until the
last upload has ended and every file is checked. Target: the longest gap under 50 ms.

Inputs (cached in ``$GENOFLOW_BENCH_DIR``, default ``<tempdir>/genoflow-bench``, built from
the other benchmarks' generators):

- two FASTQ.gz of ``--size-mb``: gzip members of 1M reads from ``bench_fastq.generate``
  (one seed per file), concatenated as multi-member gzip (as ``cat`` of lanes gives);
- a BAM of ``--size-mb``: the body of ``bench_bam``'s 2M-read BAM repeated (BGZF blocks copied
  as they are), under its header with ``SO:unsorted`` (the copies are not in coordinate order);
- a VCF.gz: ``bench_vcf``'s 200 samples x 100k sites once per chromosome (``--vcf-chromosomes``,
  22 by default: ~165 MB, 2.2M sites). Its check decodes every genotype (~12 MB/s here), so a
  2 GB VCF.gz alone would take minutes on this machine's one validation thread.

``--trace`` also logs every GUI-thread callback (asyncio handle or Qt event) that took over
20 ms, to find what stalls. ``--switch-interval`` sets ``sys.setswitchinterval`` in the child.
"""

from __future__ import annotations

import argparse
import faulthandler
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import bench_bam
import bench_fastq
import bench_upload
import bench_vcf
import harness

ROOT = Path(__file__).resolve().parents[2]
MB = 1_000_000
TARGET_MS = 50.0
TICK_MS = 5
BASE_READS = 1_000_000
BAM_READS = 2_000_000
VCF_SAMPLES, VCF_SITES = 200, 100_000


# -- inputs ----------------------------------------------------------------------------------


def _repeat(target: Path, head: bytes, body: Path | bytes, tail: bytes, size: int) -> None:
    """``head``, then ``body`` repeated until ``size`` bytes, then ``tail``, written atomically."""
    partial = target.with_name(target.name + ".partial")
    data = body.read_bytes() if isinstance(body, Path) else body
    copies = max(1, round((size - len(head) - len(tail)) / len(data)))
    with open(partial, "wb") as out:
        out.write(head)
        for _ in range(copies):
            out.write(data)
        out.write(tail)
    partial.replace(target)


def fastq_input(cache: Path | None, size: int, seed: int) -> Path:
    base = harness.cached_input(
        cache,
        f"bench_{BASE_READS}x150_seed{seed}.fastq.gz",
        lambda p: bench_fastq.generate(p, BASE_READS, seed),
    )
    return harness.cached_input(
        cache,
        f"heartbeat_{size // MB}mb_seed{seed}.fastq.gz",
        lambda p: _repeat(p, b"", base, b"", size),
    )


def bam_input(cache: Path | None, size: int) -> Path:
    import pysam

    source = harness.cached_input(
        cache,
        f"bench_{BAM_READS}x{bench_bam.READ_LENGTH}_seed{bench_bam.SEED}.bam",
        lambda p: bench_bam.generate(p, BAM_READS),
    )

    def build(target: Path) -> None:
        eof = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")
        with pysam.AlignmentFile(str(source), "rb") as bam:
            header = bam.header.to_dict()
            first_record = bam.tell()
        # htslib flushes after the header, so the records start at a BGZF block boundary.
        assert first_record & 0xFFFF == 0, "records do not start on a block boundary"
        header["HD"]["SO"] = "unsorted"
        with tempfile.TemporaryDirectory() as scratch:
            empty = Path(scratch) / "header.bam"
            pysam.AlignmentFile(str(empty), "wb", header=header).close()
            head = empty.read_bytes()
        raw = source.read_bytes()
        assert head.endswith(eof) and raw.endswith(eof)
        _repeat(target, head[: -len(eof)], raw[first_record >> 16 : -len(eof)], eof, size)

    return harness.cached_input(cache, f"heartbeat_{size // MB}mb.bam", build)


def vcf_input(cache: Path | None, chromosomes: int) -> Path:
    import pysam

    source = harness.cached_input(
        cache,
        f"bench_{VCF_SAMPLES}x{VCF_SITES}_seed{bench_vcf.SEED}.vcf.gz",
        lambda p: bench_vcf.generate(p, VCF_SAMPLES, VCF_SITES),
    )

    def build(target: Path) -> None:
        text = gzip.decompress(source.read_bytes())
        lines = text.split(b"\n#CHROM", 1)
        meta = [m for m in lines[0].split(b"\n") if not m.startswith(b"##contig")]
        header_line, body = (b"#CHROM" + lines[1]).split(b"\n", 1)
        assert body.startswith(b"20\t")
        contigs = [b"##contig=<ID=%d,length=250000000>" % c for c in range(1, chromosomes + 1)]
        partial = target.with_name(target.name + ".partial")
        with pysam.BGZFile(str(partial), "wb") as out:
            out.write(b"\n".join([meta[0], *contigs, *meta[1:], header_line]) + b"\n")
            for chromosome in range(1, chromosomes + 1):
                prefix = b"%d\t" % chromosome
                out.write(prefix + body[3:].replace(b"\n20\t", b"\n" + prefix))
        partial.replace(target)

    return harness.cached_input(cache, f"heartbeat_{chromosomes}chr.vcf.gz", build)


# -- the child: the real app, offscreen --------------------------------------------------------


def _run_app(basedir: Path, files: list[str], trace: bool, switch_ms: float | None) -> dict:
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    sys.path.insert(0, str(ROOT))
    if switch_ms is not None:
        sys.setswitchinterval(switch_ms / 1000)
    import asyncio

    import qasync
    from PySide6.QtCore import QElapsedTimer, Qt, QTimer

    from genoflow_desktop.core import paths
    from genoflow_desktop.core import settings as core_settings
    from genoflow_desktop.qt.app import (
        GenoflowApp,
        create_application,
        settle_heap,
        warm_up_engines,
    )

    slow: list[tuple[float, str]] = []
    if trace:
        _install_tracer(slow)

    app = create_application()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    dirs = paths.resolve_dirs(basedir)
    dirs.ensure()
    genoflow = GenoflowApp(app, dirs, core_settings.Settings())
    window = genoflow.window
    window.resize(1180, 760)
    window.show()
    upload = genoflow.views["upload"]

    gaps: list[float] = []
    clock = QElapsedTimer()
    last = [0]
    last_cpu = [time.thread_time()]
    # (seconds after the drop, gap ms, GUI thread CPU ms) of gaps over 50 ms
    stalls: list[tuple[float, float, int]] = []
    stacks = _stack_watchdog(basedir) if trace else None

    def tick() -> None:
        now, cpu = clock.nsecsElapsed(), time.thread_time()
        gap = (now - last[0]) / 1e6
        gaps.append(gap)
        if gap > TARGET_MS:
            # The GUI thread's own CPU time in the gap: near the gap, it was busy; near zero,
            # it waited (for the GIL, or for a core).
            stalls.append((round(now / 1e9, 2), round(gap, 1), round((cpu - last_cpu[0]) * 1000)))
        last[0], last_cpu[0] = now, cpu
        if stacks is not None:
            if gap > TARGET_MS:
                stacks.write(
                    f"=== the dumps above: a {gap:.0f} ms gap ending at {now / 1e9:.2f} s\n"
                )
                stacks.flush()
            # Re-armed every tick: the stacks of all threads are written (every 50 ms) only
            # while a tick is late.
            faulthandler.dump_traceback_later(TARGET_MS / 1000, repeat=True, file=stacks)

    ticker = QTimer(interval=TICK_MS, timeout=tick)
    ticker.setTimerType(Qt.TimerType.PreciseTimer)
    checked: dict[str, str] = {}
    ended: dict[str, str] = {}
    marks: dict[str, float] = {}
    fastq_count = sum(".fastq" in f for f in files)
    all_done = asyncio.Event()

    def on_checked(path: str, report: object, _html: str) -> None:
        checked[path] = report.verdict.value  # type: ignore[attr-defined]
        marks[f"checked {Path(path).name}"] = clock.elapsed() / 1000
        if len(checked) == len(files):
            marks["all checked"] = clock.elapsed() / 1000
        fastqs = [f for f in checked if ".fastq" in f]
        if len(fastqs) == fastq_count and "uploads started" not in marks:
            rows = [upload.model.row_of(f) for f in fastqs]
            selection = upload.table.selectionModel()
            selection.clearSelection()
            for row in rows:
                selection.select(
                    upload.model.index(row, 0),
                    selection.SelectionFlag.Select | selection.SelectionFlag.Rows,
                )
            marks["uploads started"] = clock.elapsed() / 1000
            upload.upload_selected()
        _check_done()

    def on_ended(path: str, how: str, message: str) -> None:
        ended[path] = f"{how} {message}".strip()
        marks[f"upload ended {Path(path).name}"] = clock.elapsed() / 1000
        _check_done()

    def _check_done() -> None:
        if len(checked) == len(files) and sum(".fastq" in f for f in ended) == fastq_count:
            all_done.set()

    genoflow.validation.file_checked.connect(on_checked)
    upload.queue.ended.connect(on_ended)

    async def scenario() -> None:
        # As run_app does once the window is shown.
        await genoflow.store_access.open()
        await loop.run_in_executor(genoflow.executors.db, genoflow.start_jobs)
        genoflow.services_ready()
        await loop.run_in_executor(genoflow.executors.db, warm_up_engines)
        settle_heap()
        # Let the window settle (first paint, the store and the views' first queries).
        await asyncio.sleep(1.0)
        upload.refresh()
        await asyncio.sleep(0.5)
        clock.start()
        last[0] = 0
        slow.clear()  # only what happens from the drop on
        ticker.start()
        window.files_dropped.emit(files)
        await asyncio.wait_for(all_done.wait(), timeout=1800)
        ticker.stop()
        if stacks is not None:
            faulthandler.cancel_dump_traceback_later()
        marks["done"] = clock.elapsed() / 1000

    with loop:
        try:
            loop.run_until_complete(scenario())
        finally:
            loop.run_until_complete(genoflow.aclose())
    ordered = sorted(gaps)
    return {
        "gaps": len(gaps),
        "longest_ms": ordered[-1],
        "p99_ms": ordered[int(0.99 * (len(ordered) - 1))],
        "p999_ms": ordered[int(0.999 * (len(ordered) - 1))],
        "median_ms": statistics.median(ordered),
        "over_50": sum(g > TARGET_MS for g in gaps),
        "over_20": sum(g > 20 for g in gaps),
        "total_s": marks["done"],
        "marks": marks,
        "checked": {Path(p).name: v for p, v in checked.items()},
        "ended": {Path(p).name: v for p, v in ended.items()},
        "slow": sorted(slow, reverse=True)[:25],
        "stalls": stalls[:40],
        "switch_interval_ms": sys.getswitchinterval() * 1000,
    }


def _stack_watchdog(basedir: Path):  # type: ignore[no-untyped-def]
    """A file for faulthandler's watchdog thread, which needs no GIL: when the GUI thread is late,
    it shows what every thread was doing (the GIL holder keeps its frame across dumps)."""
    target = Path(os.environ.get("GENOFLOW_BENCH_STACKS", basedir / "stacks.txt"))
    print(f"stacks of late ticks: {target}", file=sys.stderr)
    return open(target, "w", encoding="utf-8")


def _install_tracer(slow: list[tuple[float, str]]) -> None:
    """Time every asyncio callback and Qt event delivery on the GUI thread; keep those > 20 ms."""
    import asyncio.events
    import threading

    from PySide6.QtWidgets import QApplication

    gui = threading.main_thread()
    calls: list[tuple[float, str]] = []

    def profile(frame, event, arg):  # type: ignore[no-untyped-def]
        # Python functions (and C calls) on the GUI thread that took over 20 ms.
        if event in ("call", "c_call"):
            calls.append((time.perf_counter(), frame.f_code.co_filename, frame.f_lineno, arg))
        elif event in ("return", "c_return", "c_exception") and calls:
            started, filename, line, function = calls.pop()
            took = (time.perf_counter() - started) * 1000
            if took > 20:
                name = getattr(function, "__qualname__", "") if function is not None else ""
                where = "/".join(Path(filename).parts[-2:])
                slow.append((round(took, 1), f"python {where}:{line} {name}".strip()))

    sys.setprofile(profile)

    import gc

    collecting: dict[int, tuple[float, float]] = {}

    def on_gc(phase: str, info: dict) -> None:  # type: ignore[type-arg]
        # A collection holds the GIL from start to stop: every other thread waits.
        if phase == "start":
            collecting[threading.get_ident()] = (time.perf_counter(), time.thread_time())
        elif (started := collecting.pop(threading.get_ident(), None)) is not None:
            took = (time.perf_counter() - started[0]) * 1000
            if took > 10:
                cpu = (time.thread_time() - started[1]) * 1000
                slow.append(
                    (
                        round(took, 1),
                        f"gc gen {info['generation']} in {threading.current_thread().name} "
                        f"({cpu:.0f} ms CPU, {info['collected']} collected)",
                    )
                )

    gc.callbacks.append(on_gc)
    run = asyncio.events.Handle._run

    def timed_run(handle: asyncio.events.Handle) -> None:
        started = time.perf_counter()
        try:
            run(handle)
        finally:
            took = (time.perf_counter() - started) * 1000
            if took > 20 and threading.current_thread() is gui:
                slow.append((round(took, 1), f"asyncio {handle._callback!r}"[:300]))

    asyncio.events.Handle._run = timed_run  # type: ignore[method-assign]

    class TimedApplication(QApplication):
        def notify(self, receiver, event):  # type: ignore[no-untyped-def]
            started = time.perf_counter()
            try:
                return super().notify(receiver, event)
            finally:
                took = (time.perf_counter() - started) * 1000
                if took > 20:
                    slow.append(
                        (round(took, 1), f"qt {type(receiver).__name__} {event.type().name}")
                    )

    TimedApplication(sys.argv[:1])  # create_application() reuses this instance


def _child(basedir: str, files: str, trace: str, switch: str) -> None:
    result = _run_app(
        Path(basedir),
        files.split(os.pathsep),
        trace == "1",
        None if switch == "-" else float(switch),
    )
    result["rss_mb"] = harness.peak_rss_mb()
    print("RESULT " + json.dumps(result))


# -- the parent ------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=2000, help="FASTQ.gz and BAM size")
    parser.add_argument("--vcf-chromosomes", type=int, default=22)
    parser.add_argument("--dir", type=Path, default=None, help="where generated inputs are kept")
    parser.add_argument("--trace", action="store_true", help="log GUI callbacks over 20 ms")
    parser.add_argument("--switch-interval", type=float, default=None, metavar="MS")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return 0

    size = args.size_mb * MB
    files = [
        fastq_input(args.dir, size, bench_fastq.SEED),
        fastq_input(args.dir, size, bench_fastq.SEED + 1),
        bam_input(args.dir, size),
        vcf_input(args.dir, args.vcf_chromosomes),
    ]
    scratch = Path(tempfile.mkdtemp(prefix="genoflow-bench-heartbeat-"))
    # Distinct names (the two FASTQ are not an R1/R2 pair: each is its own upload).
    names = ["lane1.fastq.gz", "lane2.fastq.gz", "sample.bam", "cohort.vcf.gz"]
    links = []
    for source, name in zip(files, names, strict=True):
        link = scratch / name
        try:
            link.hardlink_to(source)  # the app resolves symbolic links: keep the short name
        except OSError:
            link.symlink_to(source)
        links.append(str(link))
    print(f"{os.cpu_count()} cores; inputs:")
    for source, name in zip(files, names, strict=True):
        print(f"  {name:16s} {source.stat().st_size / MB:8,.0f} MB  ({source.name})")
    server = bench_upload.MotoServer(scratch)
    try:
        basedir = scratch / "app"
        # The profile (credentials from the environment) exists before the app starts.
        bench_upload._prepare_store(basedir / "data", server.endpoint)
        output = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                str(basedir),
                os.pathsep.join(links),
                "1" if args.trace else "0",
                "-" if args.switch_interval is None else str(args.switch_interval),
            ],
            env=bench_upload._env(),
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
    finally:
        server.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    lines = [line for line in output.stdout.splitlines() if line.startswith("RESULT ")]
    if output.returncode != 0 or not lines:
        print(output.stdout[-3000:], output.stderr[-5000:], sep="\n", file=sys.stderr)
        return 1
    result = json.loads(lines[-1].removeprefix("RESULT "))
    print(f"\nswitch interval {result['switch_interval_ms']:.1f} ms; timeline (s after the drop):")
    for mark, at in sorted(result["marks"].items(), key=lambda item: item[1]):
        print(f"  {at:7.1f}  {mark}")
    print("verdicts:", ", ".join(f"{k}: {v}" for k, v in result["checked"].items()))
    print("uploads:", "; ".join(f"{k}: {v}" for k, v in result["ended"].items()))
    if result["stalls"]:
        stalls = ", ".join(
            f"{gap:.0f} ms at {at:.1f} s ({cpu} ms CPU)" for at, gap, cpu in result["stalls"]
        )
        print(f"\ngaps over {TARGET_MS:.0f} ms (the GUI thread's CPU time in each): {stalls}")
    if result["slow"]:
        print("\nGUI-thread callbacks over 20 ms (ms, what):")
        for took, what in result["slow"]:
            print(f"  {took:7.1f}  {what}")
    print(
        f"\n| heartbeat ({TICK_MS} ms timer) | longest gap ms | p99 ms | p99.9 ms | median ms "
        "| gaps > 20 ms | gaps > 50 ms | total s | peak RSS MB |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {result['gaps']:,} ticks | {result['longest_ms']:.1f} | {result['p99_ms']:.1f} "
        f"| {result['p999_ms']:.1f} | {result['median_ms']:.1f} | {result['over_20']} "
        f"| {result['over_50']} | {result['total_s']:.1f} | {result['rss_mb']:.0f} |"
    )
    met = result["longest_ms"] < TARGET_MS
    print(f"\nlongest GUI stall < {TARGET_MS:.0f} ms: {'met' if met else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
