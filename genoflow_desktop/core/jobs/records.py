"""Finding jobs by what users type, and describing them the same way everywhere (CLI, JSON)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from genoflow_desktop.core.errors import UserError
from genoflow_desktop.core.store.models import Job, Service, utcnow


def find_job(session: Session, reference: str) -> Job:
    """The job whose id, unique id prefix (at least 4 characters) or server id is ``reference``."""
    reference = reference.strip()
    job = session.get(Job, reference)
    if job is not None:
        return job
    conditions = [Job.remote_id == reference]
    if len(reference) >= 4:
        conditions.append(Job.id.startswith(reference, autoescape=True))
    matches = list(session.scalars(select(Job).where(or_(*conditions)).limit(2)))
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise UserError(
            f"'{reference}' matches more than one job.", hint="Give more characters of the id."
        )
    raise UserError(f"There is no job '{reference}'.", hint="See 'genoflow jobs' for the list.")


def expires_in_hours(job: Job, now: datetime | None = None) -> float | None:
    if job.results_expire_at is None:
        return None
    return round((job.results_expire_at - (now or utcnow())).total_seconds() / 3600, 1)


def job_to_dict(session: Session, job: Job, *, history: bool = True) -> dict[str, Any]:
    """Everything we know about a job, for ``--json`` and reports. Never a token or password."""
    service = session.get(Service, job.service_id) if job.service_id else None
    data: dict[str, Any] = {
        "id": job.id,
        "name": job.name,
        "service": service.name if service else None,
        "kind": job.kind,
        "pipeline": job.pipeline,
        "state": job.state,
        "remote_id": job.remote_id,
        "remote_state": job.remote_state,
        "queue_position": job.queue_position,
        "progress": job.progress,
        "attention": job.attention,
        "error": job.error,
        "params": job.params,
        "inputs": job.inputs,
        "output_dir": job.output_dir,
        "results": job.results,
        "messages": job.messages,
        "created_at": job.created_at,
        "submitted_at": job.submitted_at,
        "updated_at": job.updated_at,
        "finished_at": job.finished_at,
        "results_expire_at": job.results_expire_at,
        "results_expire_in_hours": expires_in_hours(job),
    }
    if history:
        data["history"] = [
            {"state": event.state, "message": event.message, "at": event.at}
            for event in job.history
        ]
    return data
