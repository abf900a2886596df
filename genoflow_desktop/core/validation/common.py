"""Helpers shared by the HTS validators: the no-exception guard, index lookup, progress."""

from __future__ import annotations

import ctypes
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from genoflow_desktop.core.errors import Cancelled
from genoflow_desktop.core.progress import Progress, ProgressCallback
from genoflow_desktop.core.validation.report import ValidationReport

log = logging.getLogger(__name__)


@contextmanager
def guarded(report: ValidationReport) -> Iterator[None]:
    """Turn any failure while validating into a finding; only cancellation escapes.

    A validator must give a verdict for every input, so an unexpected exception becomes an
    error finding in plain words. It is still a bug in our code or a library, so it is logged
    with its traceback for the crash/diagnostics log rather than swallowed silently.
    """
    started = time.monotonic()
    try:
        yield
    except Cancelled:
        raise
    except MemoryError:
        log.exception("out of memory while validating %s", report.path)
        report.error(
            "out_of_memory",
            "The computer ran out of memory while checking this file.",
            hint="Close other programs and try again.",
        )
    except OSError as exc:
        log.info("cannot read %s: %s", report.path, exc)
        reason = exc.strerror or str(exc) or type(exc).__name__
        report.error(
            "unreadable",
            f"The file could not be read: {reason}.",
            hint="Check that the file exists, is not being written, and that you may read it.",
        )
    except Exception as exc:
        log.exception("unexpected failure while validating %s", report.path)
        report.error(
            "internal",
            f"The check stopped on an unexpected problem ({type(exc).__name__}); the file may be "
            "damaged in a way we did not anticipate.",
            hint="Report this file to the GenoFlow developers; the log has the details.",
        )
    finally:
        report.duration_s = time.monotonic() - started


#: htslib keeps process-wide state (log redirection, the CRAM reference cache, pysam's
#: output redirection for tabix): every direct use of it from the validators holds this lock.
HTSLIB_LOCK = threading.Lock()


@contextmanager
def quiet_htslib() -> Iterator[None]:
    """Silence htslib's own stderr logging (hold :data:`HTSLIB_LOCK`).

    htslib logs when a file has no index (validation does not need one) and when a CRAM
    reference cannot be fetched; the validators turn those failures into findings, so the
    raw log lines would only clutter the terminal of the CLI.
    """
    import pysam  # a heavy import; only the HTS validators need it

    previous = pysam.set_verbosity(0)
    try:
        yield
    finally:
        pysam.set_verbosity(previous)


_ALLOCATOR_TUNED: bool | None = None  # None until tune_allocator() first runs
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def lead_with(report: ValidationReport, code: str) -> None:
    """Move the findings with ``code`` to the front of the errors: damage to the container
    (found only at the end of a file) explains the record errors reported before it."""
    first = [f for f in report.errors if f.code == code]
    if first:
        report.errors[:] = first + [f for f in report.errors if f.code != code]


def tune_allocator() -> bool:
    """Keep freed memory for reuse instead of handing it back to the OS (glibc only; once).

    Streaming validation frees and reallocates megabyte-sized buffers for every chunk. With
    glibc's defaults those buffers are returned to the OS and every reuse costs page faults,
    which measured at a fifth or more of a BAM validation's time. A 128 MiB trim threshold and a
    32 MiB mmap threshold keep the buffers in the heap; peak memory is unchanged. This is a
    process-wide setting, applied the first time a validator runs; elsewhere (macOS, Windows,
    musl) it does nothing. Returns whether the setting is in effect.
    """
    global _ALLOCATOR_TUNED
    if _ALLOCATOR_TUNED is None:
        _ALLOCATOR_TUNED = _set_malloc_thresholds()
    return _ALLOCATOR_TUNED


def _set_malloc_thresholds() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    # 32 MiB is the largest mmap threshold glibc accepts on 64-bit systems.
    return bool(
        mallopt(_M_MMAP_THRESHOLD, 32 << 20) == 1 and mallopt(_M_TRIM_THRESHOLD, 128 << 20) == 1
    )


def index_status(path: Path, suffixes: tuple[str, ...]) -> dict[str, Any]:
    """Whether an index sits next to ``path`` (``path + suffix`` or suffix replacing the last
    extension), and whether it is older than the data (a stale index)."""
    candidates = [path.with_name(path.name + s) for s in suffixes]
    candidates += [path.with_suffix(s) for s in suffixes if path.suffix]
    for candidate in candidates:
        if candidate.is_file():
            stale = candidate.stat().st_mtime + 1 < path.stat().st_mtime
            return {"present": True, "path": str(candidate), "older_than_data": stale}
    return {"present": False}


def progress_reporter(progress: ProgressCallback | None, total: int) -> Callable[[int, int], None]:
    """A function ``(done_bytes, records) -> None`` that forwards to ``progress`` if given."""
    if progress is None:
        return lambda done, records: None

    def report(done: int, records: int) -> None:
        progress(Progress(done=done, total=total, records=records))

    return report
