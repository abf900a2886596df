"""A Cloudgene job's JSON mapped onto our states, messages and outputs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from genoflow_desktop.core.domain import JobState
from genoflow_desktop.core.services.cloudgene.status import (
    PASSWORD_PLACEHOLDER,
    RETIRED_ERROR,
    parse_status,
    plain_text,
    summary_password,
)

BASE = "https://imputation.example.org/base"
END_MS = 1772359200000  # 2026-03-01T10:00Z


def job(state: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": "job-20260301-100000-123",
        "state": state,
        "positionInQueue": -1,
        "submittedOn": END_MS - 7200_000,
        "startTime": END_MS - 3600_000 if state != 1 else 0,
        "endTime": END_MS if state in (4, 5, 6, 7, 8, 9) else 0,
        "deletedOn": -1,
        "steps": [],
        "outputParams": [],
        **extra,
    }


def step(name: str, *messages: tuple[str, int]) -> dict[str, Any]:
    return {
        "id": 1,
        "name": name,
        "empty": not messages,
        "logMessages": [
            {"success": True, "message": m, "type": t, "time": END_MS} for m, t in messages
        ],
    }


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (1, JobState.QUEUED),
        (2, JobState.RUNNING),
        (3, JobState.RUNNING),
        (4, JobState.COMPLETED),
        (8, JobState.COMPLETED),
        (5, JobState.FAILED),
        (9, JobState.FAILED),
        (6, JobState.CANCELED),
        (7, JobState.FAILED),
        (-1, JobState.FAILED),
    ],
)
def test_states(state: int, expected: JobState) -> None:
    assert parse_status(job(state), BASE).state is expected


def test_queue_position_only_while_waiting() -> None:
    assert parse_status(job(1, positionInQueue=3), BASE).queue_position == 3
    assert parse_status(job(2, positionInQueue=0), BASE).queue_position is None


def test_retired_and_dead_jobs_say_why() -> None:
    assert parse_status(job(7), BASE).error == RETIRED_ERROR
    dead = parse_status(job(-1), BASE)
    assert dead.error is not None and "dead" in dead.error and "restart" in dead.error


def test_failed_job_error_is_the_error_messages_in_plain_words() -> None:
    steps = [
        step("Input Validation", ("1 valid VCF file(s) found.", 0)),
        step(
            "Quality Control",
            ("Calculating QC Statistics", 0),
            (
                "Excluded sites in total: 3<br><b>Error:</b> More than 100 obvious strand flips &amp; more.",
                1,
            ),
        ),
        step("Summary", ("Pipeline execution failed.", 1), ("Imputation job failed.", 1)),
    ]
    status = parse_status(job(5, steps=steps), BASE)
    assert status.error == (
        "Excluded sites in total: 3\nError: More than 100 obvious strand flips & more.\n"
        "Pipeline execution failed.\nImputation job failed."
    )
    assert [(m.step, m.level) for m in status.messages] == [
        ("Input Validation", "ok"),
        ("Quality Control", "ok"),
        ("Quality Control", "error"),
        ("Summary", "error"),
        ("Summary", "error"),
    ]


def test_failed_job_without_messages_still_explains() -> None:
    status = parse_status(job(5), BASE)
    assert status.error is not None and "log" in status.error


def test_messages_lose_html_and_progress_bars_give_progress() -> None:
    bar = '<b>Imputation (5/20)</b><br><div class="progress progress-striped active"><div class="bar" style="width: 25%"></div></div>'
    steps = [
        step("Quality Control", ("<b>Statistics:</b> <br>SNPs call rate < 90%: 0", 2)),
        step(
            "Phasing and Imputation",
            ('<b>Phasing with Eagle (1/1)</b><br><div class="progress"></div>', 0),
            (bar, 3),
        ),
    ]
    status = parse_status(job(2, steps=steps), BASE)
    assert [m.text for m in status.messages] == [
        "Statistics:\nSNPs call rate < 90%: 0",
        "Phasing with Eagle (1/1)",
        "Imputation (5/20)",
    ]
    assert [m.level for m in status.messages] == ["warning", "ok", "running"]
    assert status.progress == pytest.approx(0.25)
    assert status.messages[0].at == datetime(2026, 3, 1, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    "password",
    ["Ab3!xY9#kLmN", "a<b>c", "x</b>y", "<<>>&;?", "Q2[]{};:.<>?-="],
)
def test_summary_password_runs_to_the_last_closing_tag(password: str) -> None:
    message = f"Data have been exported successfully. We encrypted the results with the following password: <b>{password}</b>"
    assert summary_password(message) == password
    status = parse_status(job(4, steps=[step("Summary", (message, 0))]), BASE)
    assert status.result_password == password
    # The password is a secret: the message the app stores and shows has a placeholder.
    assert password not in status.messages[0].text
    assert status.messages[0].text.endswith(f"password: {PASSWORD_PLACEHOLDER}")
    assert password not in repr(status)


def test_no_password_when_the_server_mailed_it() -> None:
    message = "Data have been exported successfully. We have sent a notification email to <b>a@example.org</b>"
    assert summary_password(message) is None
    status = parse_status(job(4, steps=[step("Summary", (message, 0))]), BASE)
    assert status.result_password is None


def test_outputs_become_share_links() -> None:
    files = [
        {"name": "chr_20.zip", "hash": "a" * 64, "count": 10, "size": "2 GB"},
        {"name": "statistics/snps excluded.txt", "hash": "b" * 64, "count": 3, "size": "39 KB"},
    ]
    status = parse_status(job(4, outputParams=[{"name": "output", "files": files}]), BASE)
    assert [(o.name, o.url, o.size_text, o.downloads_left) for o in status.outputs] == [
        ("chr_20.zip", f"{BASE}/share/results/{'a' * 64}/chr_20.zip", "2 GB", 10),
        (
            "statistics/snps excluded.txt",
            f"{BASE}/share/results/{'b' * 64}/statistics/snps%20excluded.txt",
            "39 KB",
            3,
        ),
    ]


def test_results_expiry_from_deleted_on_else_seven_days_after_the_end() -> None:
    end = datetime(2026, 3, 1, 10, tzinfo=UTC)
    assert parse_status(job(4), BASE).results_expire_at == end + timedelta(days=7)
    notice = parse_status(job(8, deletedOn=END_MS + 86400_000), BASE)
    assert notice.results_expire_at == end + timedelta(days=1)
    assert parse_status(job(2), BASE).results_expire_at is None


def test_plain_text_keeps_lone_angle_brackets_and_decodes_entities() -> None:
    assert plain_text("a < b &gt; c<br/>d <i>e</i>") == "a < b > c\nd e"
