"""Benchmark: opening the Results view with 100,000 jobs in the store.

Run as a plain script (it is never collected by pytest)::

    python tests/benchmarks/bench_results.py [--jobs 100000] [--dir DIR] [--repeat 3]

On first use it bulk-inserts the jobs (SQLAlchemy core, one executemany) into a store in the
cache directory (``$GENOFLOW_BENCH_DIR``, default ``<tempdir>/genoflow-bench``). Each run is a
child process (offscreen Qt) that opens the store first, as the app does at start-up, then
times from constructing and showing the view to the first paint of the table holding every row
(model rowCount == jobs). A 10 ms timer on the GUI thread records the longest stall meanwhile.
Target from issue 6: under 1 s.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import harness

ROOT = Path(__file__).resolve().parents[2]
TARGET_S = 1.0


def generate(path: Path, jobs: int) -> None:
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import insert

    from genoflow_desktop.core.store import open_store
    from genoflow_desktop.core.store.demo import OWNERS, SERVICES, STATES
    from genoflow_desktop.core.store.models import Job, Service

    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    store = open_store(partial)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    with store.session() as session:
        session.execute(
            insert(Service),
            [{"name": n, "kind": k, "base_url": u, "builtin": False} for n, k, u in SERVICES],
        )
        session.execute(
            insert(Job),
            [
                {
                    "id": f"{i:032x}",
                    "name": f"Cohort batch {i:06d} chr1-22",
                    "kind": "imputation" if i % 3 else "workflow",
                    "state": STATES[i % len(STATES)].value,
                    "service_id": 1 + i % len(SERVICES),
                    "owner": OWNERS[i % len(OWNERS)],
                    "created_at": start + timedelta(minutes=17 * i),
                    "updated_at": start + timedelta(minutes=17 * i + 5),
                    "params": {},
                    "inputs": [],
                    "messages": [],
                    "results": [],
                }
                for i in range(jobs)
            ],
        )
    store.close()
    partial.rename(path)


def _open_view(database: str) -> str:
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    sys.path.insert(0, str(ROOT))
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    import qasync
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    from genoflow_desktop.core.store import open_store
    from genoflow_desktop.qt.views.results import ResultsView
    from genoflow_desktop.qt.workers.store_access import StoreAccess
    from genoflow_desktop.qt.workers.task_runner import TaskRunner

    app = QApplication([])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    store = open_store(Path(database))
    db = ThreadPoolExecutor(1, thread_name_prefix="db")
    access = StoreAccess(lambda: store, db)
    runner = TaskRunner()
    expected = int(Path(database).stem.split("_")[-1])
    done = asyncio.Event()
    result: dict[str, float] = {"stall": 0.0}
    last_tick = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        result["stall"] = max(result["stall"], now - last_tick[0])
        last_tick[0] = now

    ticker = QTimer(interval=10, timeout=tick)

    class PaintWatcher(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            panel = view.panel if view is not None else None
            if (
                event.type() == QEvent.Type.Paint
                and panel is not None
                and watched is panel.table.viewport()
                and panel.model.rowCount() == expected
                and not done.is_set()
            ):
                result["painted"] = time.perf_counter()
                done.set()
            return False

    view: ResultsView | None = None
    watcher = PaintWatcher()
    app.installEventFilter(watcher)

    async def measure() -> None:
        nonlocal view
        ticker.start()
        last_tick[0] = result["start"] = time.perf_counter()
        view = ResultsView(access, runner, disk=db)
        view.resize(1180, 760)
        view.show()
        view.on_shown()
        await done.wait()

    with loop:
        loop.run_until_complete(measure())
    elapsed = result["painted"] - result["start"]
    assert view is not None and view.panel is not None
    rows = view.panel.model.rowCount()
    db.shutdown()
    store.close()
    return f"{elapsed:.3f} rows={rows} longest_gui_stall_ms={result['stall'] * 1000:.0f}"


def _child(kind: str, path: str) -> None:
    harness.run_in_child(lambda: _open_view(path), external=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100_000)
    harness.add_arguments(parser, repeat=3)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return 0
    path = harness.cached_input(
        args.dir, f"bench_results_{args.jobs}.sqlite3", lambda target: generate(target, args.jobs)
    )
    print(f"store: {path} ({path.stat().st_size / 1e6:,.1f} MB), {os.cpu_count()} cores\n")
    runs = harness.run_interleaved(__file__, [("open Results view", "open")], path, args.repeat)
    print(f"{'run':>4s} {'open to painted s':>18s} {'CPU s':>7s} {'peak RSS MB':>12s}  detail")
    for number, run in enumerate(runs["open Results view"], start=1):
        measured, detail = run.summary.split(" ", 1)
        print(f"{number:4d} {float(measured):18.3f} {run.cpu:7.2f} {run.rss_mb:12.0f}  {detail}")
    best = min(float(r.summary.split(" ", 1)[0]) for r in runs["open Results view"])
    print(
        f"\n  {'best open-to-painted < 1 s':36s} {'met' if best < TARGET_S else 'MISSED'} ({best:.3f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
