from __future__ import annotations

import time

from genoflow_desktop.core.errors import UserError
from genoflow_desktop.core.progress import CancelToken, Progress
from genoflow_desktop.qt.workers.executors import Executors
from genoflow_desktop.qt.workers.task_runner import TaskRunner
from tests.qt.conftest import wait_idle


def slow_count(n: int, *, progress, cancel: CancelToken) -> int:  # type: ignore[no-untyped-def]
    for i in range(n):
        cancel.raise_if_cancelled()
        progress(Progress(done=i + 1, total=n))
        time.sleep(0.002)
    return n


def test_blocking_work_reports_progress_and_result(qtbot, loop) -> None:  # type: ignore[no-untyped-def]
    executors = Executors.create(1)
    runner = TaskRunner()
    reports: list[Progress] = []
    runner.progress.connect(lambda name, p: reports.append(p))
    try:
        with qtbot.waitSignal(runner.finished) as finished:
            runner.run_blocking("count", executors.validation, slow_count, 50)
            wait_idle(qtbot, runner)
        assert finished.args == ["count", 50]
        assert reports and reports[-1].done == 50  # the last report is never throttled away
        assert len(reports) < 50  # but the rest are
    finally:
        executors.shutdown()


def test_starting_a_task_again_cancels_the_previous_one(qtbot, loop) -> None:  # type: ignore[no-untyped-def]
    executors = Executors.create(2)
    runner = TaskRunner()
    cancelled: list[str] = []
    runner.cancelled.connect(cancelled.append)
    try:
        runner.run_blocking("count", executors.validation, slow_count, 2000)
        second = runner.run_blocking("count", executors.validation, slow_count, 5)
        wait_idle(qtbot, runner)
        assert second.result() == 5
        assert cancelled == ["count"]
    finally:
        executors.shutdown()


def test_user_errors_become_a_failed_signal(qtbot, loop) -> None:  # type: ignore[no-untyped-def]
    runner = TaskRunner()

    async def refuse() -> None:
        raise UserError("The token has expired.", hint="Add a new token in Settings.")

    with qtbot.waitSignal(runner.failed) as failed:
        runner.start("submit", refuse())
        wait_idle(qtbot, runner)
    assert failed.args == ["submit", "The token has expired.", "Add a new token in Settings."]
    assert not runner.running
