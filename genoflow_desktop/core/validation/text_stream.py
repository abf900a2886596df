"""Reads a file once: hashes its raw bytes and hands out its decompressed content in chunks.

A background thread reads the file in large blocks, feeds them to :class:`DualHasher` (MD5 and
SHA-256 of the bytes on disk) and inflates them (isal for gzip/BGZF, the standard library for
bzip2/xz). Hashing and inflating release the GIL, so they overlap with the parsing done by the
consumer on the calling thread. A bounded queue keeps memory fixed: at most a few chunks are in
flight whatever the file size.

Damage to the compressed container (truncation, CRC mismatch, corrupt deflate data, trailing
garbage, a missing BGZF end-of-file marker; see :mod:`inflate`) never raises: it becomes a
:class:`StreamProblem`, the content decompressed up to that point is still delivered, and the
rest of the file is still read so that the checksums are of the whole file.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from queue import Empty, Full, Queue

from genoflow_desktop.core.domain import Compression, Severity
from genoflow_desktop.core.validation.checksums import Digests, DualHasher
from genoflow_desktop.core.validation.common import tune_allocator
from genoflow_desktop.core.validation.inflate import (
    BGZF_EOF,
    Broken,
    StreamProblem,
    make_inflater,
)

__all__ = ["BGZF_EOF", "DecompressedChunks", "StreamProblem", "tune_allocator"]

#: Bytes read from disk at a time (and handed to the hashers).
RAW_BLOCK = 4 * 1024 * 1024
#: Decompressed bytes per chunk: small enough to stay in the caches, big enough that numpy's
#: per-call costs do not show.
CHUNK_SIZE = 4 * 1024 * 1024


class _Stopped(Exception):
    """Unwinds the reader thread when the consumer has gone away."""


_END = object()
#: Chunks allowed to wait between the reader and the parser: enough to absorb the moments
#: when one side runs slow (a burst of other work on the machine), few enough for memory.
_QUEUE_CHUNKS = 6
_HASH_QUEUE = 4
_HASH_NICENESS = 10
_RING = _HASH_QUEUE + 4


class DecompressedChunks:
    """Streams a file's decompressed content from a background thread.

    Iterate :meth:`chunks` for the content in order, in buffers of roughly ``chunk_size``
    bytes (from half to twice that); afterwards :attr:`problems` and :attr:`digests` are
    final. Always call :meth:`close` (or use the object as a context manager): it stops and
    joins the threads.
    """

    def __init__(
        self,
        path: Path,
        compression: Compression,
        *,
        chunk_size: int = CHUNK_SIZE,
        raw_block: int = RAW_BLOCK,
    ) -> None:
        tune_allocator()  # streaming churns multi-MB buffers; see its docstring
        self.path = path
        self.raw_done = 0
        self.produced = 0
        self.problems: list[StreamProblem] = []
        self.digests: Digests | None = None
        self._inflater = make_inflater(compression, 2 * chunk_size)
        self._chunk_size = chunk_size
        self._raw_block = raw_block
        self._queue: Queue[object] = Queue(maxsize=_QUEUE_CHUNKS)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._produce, name="fastq-inflate", daemon=True)
        self._thread.start()

    def chunks(self) -> Iterator[bytes]:
        while True:
            item = self._queue.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item  # a bug in the reader thread: re-raised here, never swallowed
            assert isinstance(item, bytes)
            yield item

    def close(self) -> None:
        self._stop.set()
        while self._thread.is_alive():
            with contextlib.suppress(Empty):
                self._queue.get(timeout=0.05)
        self._thread.join()

    def __enter__(self) -> DecompressedChunks:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return True
            except Full:
                continue
        return False

    def _produce(self) -> None:
        try:
            self._read_all()
        except OSError as exc:
            self.problems.append(
                StreamProblem(
                    Severity.ERROR,
                    "file.read",
                    f"The file could not be read to the end ({exc.strerror or exc}).",
                    "Check that the disk or network share is still available and try again.",
                    self.produced,
                )
            )
        except BaseException as exc:  # handed to the consumer, who re-raises it
            self._put(exc)
        finally:
            self._put(_END)

    def _read_all(self) -> None:
        inflater = self._inflater
        pending: list[bytes] = []
        size = 0
        broken = False

        def emit(piece: bytes) -> None:
            # Called for every piece of output, so that even data that inflates a thousandfold
            # leaves in chunks of about chunk_size instead of piling up here. A big piece is
            # handed on as it is: copying it into a larger buffer would only cost time.
            nonlocal pending, size
            self.produced = inflater.produced
            if not pending and len(piece) >= self._chunk_size // 2:
                if not self._put(piece):
                    raise _Stopped
                return
            pending.append(piece)
            size += len(piece)
            if size >= self._chunk_size:
                if not self._put(b"".join(pending)):
                    raise _Stopped
                pending, size = [], 0

        # Hashing gets a thread of its own (SHA-256 there, MD5 on DualHasher's helper), so the
        # reading thread only reads and inflates: inflating is the longest chain of work, and
        # nothing else should wait in line behind it.
        hashing = _HashWorker()
        # Raw blocks are read into a ring of reused buffers instead of fresh bytes objects,
        # which the kernel would map and zero page by page every time. A buffer comes round
        # again only after _RING - 1 further reads; by then the hashers, which hold at most
        # _HASH_QUEUE queued blocks plus two in progress, are done with it (the inflater copies
        # whatever it keeps).
        ring = [bytearray(self._raw_block) for _ in range(_RING)]
        try:
            with open(self.path, "rb", buffering=0) as handle:
                for turn in itertools.count():
                    if self._stop.is_set():
                        break
                    block = ring[turn % _RING]
                    got = handle.readinto(block)
                    if not got:
                        break
                    raw = memoryview(block)[:got]
                    hashing.update(raw)
                    self.raw_done += got
                    if broken:
                        continue  # keep reading: the checksums must cover the whole file
                    try:
                        inflater.feed(raw, emit)
                    except Broken as exc:
                        self.problems.append(exc.problem)
                        broken = True
        except _Stopped:
            return
        finally:
            digests = hashing.finish()
        if self._stop.is_set():
            return
        if not broken:
            self.problems.extend(inflater.finish())
        self.digests = digests
        if pending:
            self._put(b"".join(pending))


class _HashWorker:
    """Feeds raw blocks to a :class:`DualHasher` on a thread of its own."""

    def __init__(self) -> None:
        self._queue: Queue[memoryview | None] = Queue(maxsize=_HASH_QUEUE)
        self._digests: Digests | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="fastq-hash", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        _yield_priority()
        try:
            with DualHasher() as hasher:
                while (block := self._queue.get()) is not None:
                    hasher.update(block)
                self._digests = hasher.digests()
        except BaseException as exc:  # re-raised by finish() on the reader thread
            self._error = exc
            while self._queue.get() is not None:  # keep the reader from blocking on put()
                pass

    def update(self, block: memoryview) -> None:
        self._queue.put(block)

    def finish(self) -> Digests | None:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._digests


def _yield_priority() -> None:
    """Lowers the calling thread's CPU priority (Linux, where niceness is per thread).

    Hashing has no deadline until the end of the file, while inflating is the longest chain of
    work: when the cores are busy, the inflating and parsing threads should go first and the
    hashers fill the gaps. Threads started from here (DualHasher's MD5 helper) inherit it.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), _HASH_NICENESS)
