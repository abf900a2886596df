"""Creating an upload as the desktop app does: with its project and sample recorded in the
store, and linked to the file's validation (the DataFile row the validation made).

Blocking; run it on the ``db`` executor (one SQLite writer).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from genoflow_desktop.core.samplesheet import SampleMetadata
from genoflow_desktop.core.store import Store
from genoflow_desktop.core.store.models import DataFile, Project, Sample
from genoflow_desktop.core.transfer.engine import create_upload
from genoflow_desktop.core.transfer.journal import UploadRecord


def validated_file_id(session: Session, path: str | Path) -> str | None:
    """The DataFile row of ``path``'s validation, if the file has not changed since."""
    source = Path(path).resolve()
    stat = source.stat()
    return session.scalar(
        select(DataFile.id)
        .where(
            DataFile.path == str(source),
            DataFile.size == stat.st_size,
            DataFile.mtime_ns == stat.st_mtime_ns,
        )
        .order_by(DataFile.created_at.desc())
        .limit(1)
    )


def record_metadata(session: Session, metadata: SampleMetadata) -> Sample | None:
    """Create or update the project and sample ``metadata`` names; None if it names no sample."""
    if metadata.project and session.get(Project, metadata.project) is None:
        session.add(Project(id=metadata.project, name=metadata.project))
        session.flush()  # the sample's foreign key needs the project row first
    if not metadata.sample_id:
        return None
    project_id = metadata.project or None
    sample = session.scalar(
        select(Sample).where(
            Sample.sample_id == metadata.sample_id,
            Sample.project_id.is_(None) if project_id is None else Sample.project_id == project_id,
        )
    )
    if sample is None:
        sample = Sample(sample_id=metadata.sample_id, project_id=project_id)
        session.add(sample)
    # Only what was given overwrites: one file's form may leave out what another one set.
    for name in ("sequencing_type", "platform", "library_prep", "sequencing_date"):
        value = getattr(metadata, name)
        if value:
            setattr(sample, name, value)
    session.flush()
    return sample


def prepare_upload(
    store: Store, profile: str, path: str | Path, metadata: SampleMetadata, part_size: int
) -> UploadRecord:
    """Record the file's project and sample, then journal its upload linked to its validation.

    Raises:
        UserError: an id that cannot be part of an S3 key, an unknown profile, a missing file.
    """
    with store.session() as session:
        file_id = validated_file_id(session, path)
        sample = record_metadata(session, metadata)
        if file_id is not None and sample is not None:
            data_file = session.get(DataFile, file_id)
            assert data_file is not None  # just found, in this transaction
            data_file.sample_pk = sample.id
    return create_upload(
        store,
        profile,
        path,
        project=metadata.project or None,
        sample=metadata.sample_id or None,
        part_size=part_size,
        file_id=file_id,
    )
