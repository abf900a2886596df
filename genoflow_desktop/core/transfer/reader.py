"""The single sequential read of the source file: parts, their checksums, and the file's digests.

One thread reads the file part by part into a fixed pool of ``concurrency`` part-sized buffers,
feeds every byte to :class:`DualHasher` (whole-file MD5 + SHA-256), computes each part's own
SHA-256, and hands the buffer to a sender. A buffer returns to the pool only when its part has
been sent (or skipped), so memory stays within concurrency x part size however slow the network.

Which parts to send is decided per part by the engine (``decide``): parts already acknowledged
are read only for the whole-file digests, and checked against the journal on the way.
"""

from __future__ import annotations

import base64
import ctypes
import hashlib
import os
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from io import FileIO
from pathlib import Path
from typing import cast

from genoflow_desktop.core.transfer.planner import PartPlan
from genoflow_desktop.core.transfer.retry import TransferError
from genoflow_desktop.core.validation.checksums import Digests, DualHasher


class Decision(Enum):
    SEND = "send"
    SKIP = "skip"  # journaled and acknowledged: not sent again
    ADOPT = "adopt"  # on the server but not yet journaled (the run before died): journal it


class SourceChanged(TransferError):
    """The file is not the one the upload began with."""


def source_changed(path: str, detail: str) -> SourceChanged:
    return SourceChanged(
        f"{path} changed since its upload began ({detail}); the parts already sent belong to "
        "the old content.",
        hint="Cancel this upload (genoflow upload --cancel ID) and upload the file again as a "
        "new upload.",
        service=False,
    )


@dataclass(slots=True)
class Slot:
    """One part-sized buffer of the pool."""

    buffer: bytearray


@dataclass(slots=True)
class ReadPart:
    number: int
    slot: Slot
    checksum: str  # base64 SHA-256 of the part, as S3's x-amz-checksum-sha256 wants it

    @property
    def body(self) -> bytearray:
        return self.slot.buffer


# What the reader reports to the orchestrating thread (through one queue, with the senders).
@dataclass(frozen=True, slots=True)
class PartSubmitted:
    number: int


@dataclass(frozen=True, slots=True)
class PartSkipped:
    number: int
    size: int


@dataclass(frozen=True, slots=True)
class PartAdopted:
    number: int
    size: int
    etag: str
    checksum: str


@dataclass(frozen=True, slots=True)
class ReaderFinished:
    digests: Digests | None  # None when it stopped early
    error: BaseException | None = None


def _uninitialised_bytearray(size: int) -> bytearray:
    """A bytearray of ``size`` bytes whose content is left as the allocator gives it.

    ``bytearray(size)`` zero-fills with the GIL held: 50-150 ms for a 64 MiB part, a freeze of
    the window each time an upload starts. CPython's own constructor with no source skips the
    fill, so the pages are first touched by ``readinto``, which runs without the GIL. Every
    byte a part sends is read from the file first (:func:`_read_into`).
    """
    return cast(bytearray, _BYTEARRAY_FROM_STRING_AND_SIZE(None, size))


_BYTEARRAY_FROM_STRING_AND_SIZE = ctypes.pythonapi.PyByteArray_FromStringAndSize
_BYTEARRAY_FROM_STRING_AND_SIZE.restype = ctypes.py_object
_BYTEARRAY_FROM_STRING_AND_SIZE.argtypes = (ctypes.c_char_p, ctypes.c_ssize_t)


class BufferPool:
    """``count`` buffers of ``size`` bytes, allocated on first use."""

    def __init__(self, count: int, size: int) -> None:
        self._free: queue.Queue[Slot] = queue.Queue()
        self._unallocated = count
        self._size = size
        self._lock = threading.Lock()

    def acquire(self, stop: threading.Event) -> Slot | None:
        """A free buffer, or None if ``stop`` is set while waiting."""
        with self._lock:
            if self._unallocated and self._free.empty():
                self._unallocated -= 1
                return Slot(_uninitialised_bytearray(self._size))
        while not stop.is_set():
            try:
                slot = self._free.get(timeout=0.1)
            except queue.Empty:
                continue
            if stop.is_set():  # stopped while waiting: a failed part freed this buffer
                self._free.put(slot)
                return None
            return slot
        return None

    def release(self, slot: Slot) -> None:
        self._free.put(slot)


def _read_into(handle: FileIO, buffer: bytearray, length: int, path: str) -> None:
    with memoryview(buffer) as whole:
        view = whole[:length]
        done = 0
        while done < length:
            got = handle.readinto(view[done:])
            if not got:
                view.release()
                raise source_changed(path, "it is shorter than when the upload began")
            done += got
        view.release()
    if length < len(buffer):
        # The last part: shrink its buffer so botocore (which takes bytes or bytearray, not a
        # memoryview) sends exactly the part's bytes. No other part will use this buffer.
        del buffer[length:]


class PartReader(threading.Thread):
    """Reads every part once; calls ``submit`` for parts to send, reports the rest on ``events``."""

    def __init__(
        self,
        path: str,
        plan: PartPlan,
        pool: BufferPool,
        decide: Callable[[int, int, bytes, bytearray], tuple[Decision, str | None]],
        submit: Callable[[ReadPart], None],
        events: queue.Queue[object],
        stop: threading.Event,
        expected: tuple[int, int],
    ) -> None:
        super().__init__(name="s3-reader", daemon=True)
        self._path = path
        self._plan = plan
        self._pool = pool
        self._decide = decide
        self._submit = submit
        self._events = events
        self._stop = stop
        self._expected = expected  # (size, mtime_ns) recorded when the upload began

    def run(self) -> None:
        try:
            digests = self._read_all()
        except TransferError as exc:
            self._events.put(ReaderFinished(None, exc))
        except OSError as exc:
            self._events.put(
                ReaderFinished(
                    None,
                    TransferError(
                        f"Could not read {self._path}: {exc.strerror or exc}.",
                        hint="Check the disk or network share; the upload resumes from the parts "
                        "already sent once the file can be read again.",
                        service=False,
                    ),
                )
            )
        except BaseException as exc:  # a bug: handed to the orchestrating thread to re-raise
            self._events.put(ReaderFinished(None, exc))
        else:
            self._events.put(ReaderFinished(digests))

    def _check_unchanged(self, handle: FileIO) -> None:
        stat = os.fstat(handle.fileno())
        size, mtime_ns = self._expected
        if stat.st_size != size:
            raise source_changed(
                self._path, f"its size went from {size:,} to {stat.st_size:,} bytes"
            )
        if stat.st_mtime_ns != mtime_ns:
            raise source_changed(self._path, "its modification time is different")

    def _read_all(self) -> Digests | None:
        last_hashed: Slot | None = None
        with open(self._path, "rb", buffering=0) as handle, DualHasher() as hasher:
            self._check_unchanged(handle)
            for number in range(1, self._plan.part_count + 1):
                slot = self._pool.acquire(self._stop)
                if slot is None:
                    return None
                if slot is last_hashed:
                    # Its MD5 may still be running on the hasher's thread: wait before reuse.
                    hasher.digests()
                _offset, length = self._plan.part_range(number)
                _read_into(handle, slot.buffer, length, self._path)
                # hashlib takes any buffer; a bytearray (not a memoryview of it) keeps the buffer
                # resizable for the last part.
                hasher.update(cast(bytes, slot.buffer))
                last_hashed = slot
                digest = hashlib.sha256(slot.buffer).digest()
                decision, etag = self._decide(number, length, digest, slot.buffer)
                checksum = base64.b64encode(digest).decode()
                if decision is Decision.SEND:
                    self._events.put(PartSubmitted(number))
                    self._submit(ReadPart(number, slot, checksum))
                    continue
                self._pool.release(slot)
                if decision is Decision.ADOPT:
                    assert etag is not None
                    self._events.put(PartAdopted(number, length, etag, checksum))
                else:
                    self._events.put(PartSkipped(number, length))
            if handle.read(1):
                raise source_changed(self._path, "it is longer than when the upload began")
            self._check_unchanged(handle)
            return hasher.digests()


def check_source(path: str, size: int, mtime_ns: int) -> None:
    """Raise unless the file is still there with the size and time its upload began with."""
    try:
        identity = file_identity(path)
    except FileNotFoundError:
        raise TransferError(
            f"{path} is no longer there.",
            hint="Put the file back where it was, or cancel this upload.",
            service=False,
        ) from None
    if identity[0] != size:
        raise source_changed(path, f"its size went from {size:,} to {identity[0]:,} bytes")
    if identity[1] != mtime_ns:
        raise source_changed(path, "its modification time is different")


def file_identity(path: str | Path) -> tuple[int, int]:
    """(size, mtime_ns) of the file: what a resumed upload checks before trusting its journal."""
    stat = os.stat(path)
    return stat.st_size, stat.st_mtime_ns
