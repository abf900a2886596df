"""A Cloudgene job's JSON (``GET /api/v2/jobs/{id}/status``) as a :class:`RemoteStatus`.

Spec section 4.4: integer states, steps with HTML log messages, and downloadable outputs.
Messages are rendered HTML fragments meant for the web page; the app shows plain text, so tags
and entities are removed here. The one message that carries the result password (which may
itself contain ``<`` and ``>``, spec 4.4.1) shows a placeholder instead: the password travels
in :attr:`RemoteStatus.result_password`, which is never stored or printed.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from genoflow_desktop.core.domain import JobState
from genoflow_desktop.core.jobs.backend import MessageLevel, RemoteOutput, RemoteStatus, StepMessage
from genoflow_desktop.core.log import register_secret
from genoflow_desktop.core.services.cloudgene.models import parse_time

#: Cloudgene job state -> (our state, the server's word for it) [spec 4.4].
STATES: dict[int, tuple[JobState, str]] = {
    1: (JobState.QUEUED, "waiting"),
    2: (JobState.RUNNING, "running"),
    3: (JobState.RUNNING, "exporting"),
    4: (JobState.COMPLETED, "success"),
    5: (JobState.FAILED, "failed"),
    6: (JobState.CANCELED, "canceled"),
    7: (JobState.FAILED, "retired"),
    8: (JobState.COMPLETED, "success (deletion notice sent)"),
    9: (JobState.FAILED, "failed (deletion notice sent)"),
    -1: (JobState.FAILED, "dead"),
}
MESSAGE_LEVELS: dict[int, MessageLevel] = {0: "ok", 1: "error", 2: "warning", 3: "running"}
#: How long servers keep results when the job JSON does not say (MIS documents 7 days).
DEFAULT_RETENTION = timedelta(days=7)

RETIRED_ERROR = (
    "The results were deleted by the server (retention): imputation servers keep results only "
    "for about a week after the job ends."
)
DEAD_ERROR = (
    "The job died on the server (state 'dead'), for example when the server restarted. The "
    "server's administrators can restart it; otherwise submit it again."
)

_PASSWORD_MESSAGE = re.compile(r"^(?P<before>.*?password:\s*)<b>(?P<password>.*)</b>", re.DOTALL)
_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<!--.*?-->", re.DOTALL)
_BREAK = re.compile(r"<br\s*/?>|</(?:p|div|li|tr|h\d)>", re.IGNORECASE)
_PROGRESS = re.compile(r"\((\d+)\s*/\s*(\d+)\)")


def plain_text(fragment: str) -> str:
    """``fragment`` without HTML: line breaks kept, tags dropped, entities decoded.

    Only things that look like tags go (``<b>``, ``</div>``), so a message such as
    "call rate < 90 %" keeps its ``<``.
    """
    text = _BREAK.sub("\n", fragment)
    text = _TAG.sub("", text)
    text = html.unescape(text)
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def summary_password(message: str) -> str | None:
    """The result password in the Summary message "...with the following password: <b>PW</b>".

    The password is not escaped and may contain ``<``, ``>`` and even "</b>" itself, so it runs
    to the *last* ``</b>`` of the message.
    """
    match = _PASSWORD_MESSAGE.match(message)
    return match.group("password") if match else None


#: What the app shows instead of the result password: the password itself is a secret.
PASSWORD_PLACEHOLDER = "(hidden; GenoFlow decrypts the results with it)"


def message_text(message: str) -> str:
    """Plain text of one log message, with the result password replaced by a placeholder."""
    password = summary_password(message)
    if password is None:
        return plain_text(message)
    register_secret(password)
    before = _PASSWORD_MESSAGE.match(message)
    assert before is not None
    return f"{plain_text(before.group('before'))} {PASSWORD_PLACEHOLDER}"


def _progress(fragment: str) -> float | None:
    match = _PROGRESS.search(plain_text(fragment))
    if match is None or int(match.group(2)) == 0:
        return None
    return min(1.0, int(match.group(1)) / int(match.group(2)))


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _outputs(job: Mapping[str, Any], base_url: str) -> tuple[RemoteOutput, ...]:
    outputs: list[RemoteOutput] = []
    for param in job.get("outputParams") or []:
        for item in param.get("files") or []:
            name, file_hash = str(item.get("name") or ""), str(item.get("hash") or "")
            if not name or not file_hash:
                continue
            count = item.get("count")
            outputs.append(
                RemoteOutput(
                    name=name,
                    # The name may contain "/": it stays a path separator, as in the server's
                    # own download script (spec 4.7).
                    url=f"{base_url}/share/results/{quote(file_hash, safe='')}/{quote(name)}",
                    size_text=str(item.get("size") or ""),
                    downloads_left=count if isinstance(count, int) else None,
                )
            )
    return tuple(outputs)


def _failure(state: int, messages: tuple[StepMessage, ...]) -> str | None:
    if state == 7:
        return RETIRED_ERROR
    if state == -1:
        return DEAD_ERROR
    if state not in (5, 9):
        return None
    errors = [m.text for m in messages if m.level == "error"]
    if errors:
        return "\n".join(errors)
    return (
        "The job failed on the server without a message (an unknown reference panel fails "
        "this way). Read the job's log for details."
    )


def parse_status(job: Mapping[str, Any], base_url: str) -> RemoteStatus:
    """Map one job's JSON onto a :class:`RemoteStatus` (``base_url`` builds download links)."""
    state = _int(job.get("state"), default=0)
    local, word = STATES.get(state, (JobState.RUNNING, f"unknown state {state}"))
    messages: list[StepMessage] = []
    progress: float | None = None
    password: str | None = None
    for step in job.get("steps") or []:
        step_name = str(step.get("name") or "")
        for message in step.get("logMessages") or []:
            raw = str(message.get("message") or "")
            level = MESSAGE_LEVELS.get(_int(message.get("type"), default=0), "ok")
            password = summary_password(raw) or password
            text = message_text(raw)
            if not text:
                continue
            if level == "running":
                # The running process's bar, e.g. "Imputation (5/22)": the best measure of
                # progress the server offers (steps have no weights).
                bar = _progress(raw)
                progress = bar if bar is not None else progress
            messages.append(
                StepMessage(
                    step=step_name, level=level, text=text, at=parse_time(message.get("time"))
                )
            )
    queue_position = _int(job.get("positionInQueue"), default=-1)
    end = parse_time(job.get("endTime"))
    expires = parse_time(job.get("deletedOn"))
    if expires is None and end is not None:
        expires = end + DEFAULT_RETENTION
    return RemoteStatus(
        state=local,
        remote_state=word,
        queue_position=queue_position if state == 1 and queue_position >= 0 else None,
        progress=progress if local is JobState.RUNNING else None,
        messages=tuple(messages),
        error=_failure(state, tuple(messages)),
        outputs=_outputs(job, base_url),
        results_expire_at=expires,
        started_at=parse_time(job.get("startTime")),
        finished_at=end,
        result_password=password,
    )
