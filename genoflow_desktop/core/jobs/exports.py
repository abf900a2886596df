"""Exports from the Results view: the jobs list as CSV/TSV, a job's results as a folder or .zip.

Plain blocking functions (run them on a worker thread); the result copies take ``progress``
and ``cancel`` because result sets reach tens of gigabytes.
"""

from __future__ import annotations

import csv
import shutil
import zipfile
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from genoflow_desktop.core.errors import UserError
from genoflow_desktop.core.jobs.job_table import COLUMNS, TIME_COLUMNS, JobTuple
from genoflow_desktop.core.progress import CancelToken, Progress, ProgressCallback

CHUNK = 4 << 20
#: Already compressed: deflating them again costs time and saves nothing.
STORED_SUFFIXES = (".gz", ".bgz", ".zip", ".bam", ".cram", ".bcf", ".png", ".jpg")


def write_jobs(rows: Iterable[JobTuple], target: Path) -> int:
    """Write ``rows`` as CSV, or TSV when ``target`` ends in ``.tsv``; returns the row count.

    Times are ISO 8601 in UTC, so a spreadsheet or a script reads them the same everywhere.
    """
    delimiter = "\t" if target.suffix.lower() == ".tsv" else ","
    count = 0
    try:
        with target.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
            writer.writerow(["id", *(key for key, _ in COLUMNS)])
            for row in rows:
                writer.writerow(
                    [
                        row[0],
                        *(
                            _iso(row[c + 1]) if c in TIME_COLUMNS else row[c + 1]
                            for c in range(len(COLUMNS))
                        ),
                    ]
                )
                count += 1
    except OSError as error:
        raise UserError(f"Cannot write {target}: {error.strerror}.") from error
    return count


def _iso(epoch: object) -> str:
    return datetime.fromtimestamp(float(epoch), UTC).isoformat(timespec="seconds")  # type: ignore[arg-type]


def export_results(
    files: Sequence[tuple[str, Path]],
    target: Path,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> Path:
    """Copy result files (name relative to the job folder, path on disk) into the folder
    ``target``, or into one archive when ``target`` ends in ``.zip``. Returns ``target``.

    A zip is written under a temporary name and renamed when complete, so a cancelled or failed
    export never leaves an archive that looks whole.
    """
    missing = [name for name, path in files if not path.is_file()]
    if missing:
        raise UserError(
            f"{len(missing)} result file(s) are not on disk, e.g. {missing[0]}.",
            hint="Download the results again first.",
        )
    total = sum(path.stat().st_size for _, path in files)
    done = 0

    def copy(source: Path, write: Callable[[bytes], object]) -> None:
        nonlocal done
        with source.open("rb") as data:
            while chunk := data.read(CHUNK):
                if cancel is not None:
                    cancel.raise_if_cancelled()
                write(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(Progress(done, total, message=source.name))

    try:
        if target.suffix.lower() == ".zip":
            partial = target.with_name(target.name + ".part")
            try:
                with zipfile.ZipFile(partial, "w", allowZip64=True) as archive:
                    for name, path in files:
                        member = _safe_name(name)
                        method = (
                            zipfile.ZIP_STORED
                            if member.lower().endswith(STORED_SUFFIXES)
                            else zipfile.ZIP_DEFLATED
                        )
                        info = zipfile.ZipInfo.from_file(path, member)
                        info.compress_type = method
                        with archive.open(info, "w", force_zip64=True) as out:
                            copy(path, out.write)
                partial.replace(target)
            finally:
                partial.unlink(missing_ok=True)
        else:
            for name, path in files:
                destination = target / _safe_name(name)
                destination.parent.mkdir(parents=True, exist_ok=True)
                with destination.open("wb") as out:
                    copy(path, out.write)
                shutil.copystat(path, destination)
    except OSError as error:
        raise UserError(f"Cannot export to {target}: {error.strerror}.") from error
    return target


def _safe_name(name: str) -> str:
    """The result's name as a relative path that stays inside the export."""
    parts = [
        p for p in PurePosixPath(name.replace("\\", "/")).parts if p not in ("", ".", "..", "/")
    ]
    if not parts:
        raise UserError(f"A result file has no usable name: {name!r}.")
    return "/".join(parts)
