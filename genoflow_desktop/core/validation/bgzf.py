"""One read of a file: raw bytes hashed, compression recognised, decompressed data streamed.

:class:`DecodedStream` is the single pass every HTS validator builds on. The file is read in
4 MiB chunks by a worker thread; each chunk goes to MD5 + SHA-256 on a helper thread and is
decompressed by the worker (ISA-L and hashlib run without the GIL), while the caller checks
the decompressed pieces on its own thread.

BGZF (SAMv1 section 4.1) is walked block by block: every block header is checked, every block is
inflated on its own, its CRC-32 and length are compared with the trailer, and the file must end
with the 28-byte empty EOF block. Other containers are decoded as streams: gzip (one or more
members), bzip2 and xz; anything else is passed through uncompressed.

Damage is reported on the :class:`ValidationReport` as it is found, with the byte offset of the
bad block in the file. After the first damage the stream stops yielding data (what follows cannot
be trusted) but keeps reading so that the checksums still cover the whole file.
"""

from __future__ import annotations

import hashlib
import queue
import threading
import time
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from genoflow_desktop.core.domain import Compression
from genoflow_desktop.core.errors import Cancelled
from genoflow_desktop.core.progress import CancelToken
from genoflow_desktop.core.validation.bgzf_decoders import (
    BGZF_EOF,
    READ_SIZE,
    bgzf_eof_message,
    is_bgzf_header,
    make_decoder,
    sniff_compression,
)
from genoflow_desktop.core.validation.common import tune_allocator
from genoflow_desktop.core.validation.report import ValidationReport

_QUEUE_DEPTH = 3

__all__ = [
    "BGZF_EOF",
    "READ_SIZE",
    "DecodedStream",
    "StreamFacts",
    "bgzf_eof_message",
    "is_bgzf_header",
    "sniff_compression",
    "yield_gil",
]


@dataclass(slots=True)
class StreamFacts:
    """What the pass learnt about the container, for format-specific judgement by the caller."""

    compression: Compression = Compression.NONE
    size: int = 0
    #: BGZF only: number of blocks and whether the file ends with the EOF marker block.
    blocks: int = 0
    eof_marker: bool = False
    #: True once damage was found; the decompressed data ended early.
    damaged: bool = False
    #: Bytes of decompressed data handed to the caller.
    decoded: int = 0
    md5: str | None = None
    sha256: str | None = None


class _BackgroundDigests:
    """MD5 and SHA-256 of the raw bytes, computed on one helper thread.

    hashlib releases the GIL while it hashes, and this thread takes the GIL only twice per
    4 MiB chunk, so the digests run beside the decoding without slowing it down (a thread that
    needed the GIL per 64 KiB block would be starved by a busy Python consumer).
    """

    def __init__(self) -> None:
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._sha256 = hashlib.sha256()
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=_QUEUE_DEPTH)
        self._thread = threading.Thread(target=self._run, name="genoflow-digest", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (chunk := self._queue.get()) is not None:
            self._md5.update(chunk)
            self._sha256.update(chunk)

    def update(self, chunk: bytes) -> None:
        """Queue a chunk of file bytes for hashing on the background thread."""
        self._queue.put(chunk)

    def close(self) -> tuple[str, str]:
        """Finish hashing and return the (MD5, SHA-256) hex digests."""
        self._queue.put(None)
        self._thread.join()
        return self._md5.hexdigest(), self._sha256.hexdigest()


class DecodedStream:
    """Reads ``path`` once; iterate to receive decompressed pieces.

    A worker thread reads the file, hands the raw bytes to MD5 + SHA-256 (on a second helper
    thread) and decompresses them; the caller iterates over the pieces. Consumers doing long
    stretches of Python work call :func:`yield_gil` now and then, so the worker, which needs
    the GIL briefly between blocks, keeps pace instead of waiting a whole switch interval
    (5 ms) per block. Typical use::

        stream = DecodedStream(path, report, cancel=cancel)
        for piece in stream:
            ...
        stream.finish()          # reads the rest for the checksums; always call it

    Args:
        path: The file to read.
        report: Integrity findings are added here as they are found.
        cancel: Polled between chunks; cancelling raises :class:`Cancelled` from the iterator.
        decode: False to only hash the file (no decompression at all).
    """

    def __init__(
        self,
        path: str | Path,
        report: ValidationReport,
        *,
        cancel: CancelToken | None = None,
        decode: bool = True,
    ) -> None:
        tune_allocator()
        self.path = Path(path)
        self.report = report
        self.facts = StreamFacts(size=self.path.stat().st_size)
        self.raw_done = 0
        self._cancel = cancel
        self._decode = decode
        # Open for the reader's whole life and closed by its close(): no with-block fits.
        self._handle: Any = open(self.path, "rb", buffering=0)  # noqa: SIM115
        self._digests: _BackgroundDigests | None = _BackgroundDigests()
        self._decoder = make_decoder(self)
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=_QUEUE_DEPTH)
        self._stop = threading.Event()
        self._worker: threading.Thread | None = None
        self._findings: list[tuple[str, str, str, int | None]] = []
        self._finished = False

    def __iter__(self) -> Iterator[bytes]:
        if self._decoder is None:
            return
        self._worker = threading.Thread(
            target=self._decode_all, name="genoflow-inflate", daemon=True
        )
        self._worker.start()
        while True:
            item = self._queue.get()
            self._apply_findings()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            self.facts.decoded += len(item)
            yield item

    def _decode_all(self) -> None:
        """Worker thread: read, hash and decompress until the end or until told to stop."""
        try:
            decoder = self._decoder
            while decoder is not None and not self.facts.damaged and not self._stop.is_set():
                chunk = self._read()
                if not chunk:
                    decoder.close()
                    break
                decoder.feed(chunk)
        except BaseException as exc:  # handed to the consumer, raised there
            self._put(exc)
        self._put(None)

    def _put(self, item: Any) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return
            except queue.Full:
                continue

    def _apply_findings(self) -> None:
        # Findings from the worker are added on the consumer's thread: ValidationReport is
        # not meant to be written by two threads at once.
        while self._findings:
            code, message, hint, offset = self._findings.pop(0)
            self.report.error(code, message, hint=hint, offset=offset)

    def _read(self) -> bytes:
        if self._cancel is not None and self._cancel.cancelled:
            raise Cancelled("cancelled by the user")
        chunk: bytes = self._handle.read(READ_SIZE)
        if chunk:
            assert self._digests is not None
            self._digests.update(chunk)
            self.raw_done += len(chunk)
        return chunk

    def stop_decoding(self) -> None:
        """The caller needs no more data: the rest of the file is read only for checksums."""
        self._stop.set()
        try:
            while True:
                self._queue.get_nowait()
        except queue.Empty:
            pass

    def finish(self) -> StreamFacts:
        """Read what is left for the checksums; return the facts with MD5 and SHA-256."""
        if self._finished:
            return self.facts
        try:
            self.stop_decoding()
            if self._worker is not None:
                self._worker.join()
            self._apply_findings()
            while self._read():
                pass
        finally:
            self._close()
        return self.facts

    def _close(self) -> None:
        if self._finished:
            return
        self._finished = True
        self._stop.set()
        if self._worker is not None and self._worker is not threading.current_thread():
            self._worker.join()
        self._handle.close()
        if self._digests is not None:
            self.facts.md5, self.facts.sha256 = self._digests.close()
            self._digests = None

    def _emit(self, data: bytes) -> None:
        if data:
            self._put(data)

    def _damage(self, code: str, message: str, hint: str, offset: int | None) -> None:
        self.facts.damaged = True
        self._findings.append((code, message, hint, offset))

    def __del__(self) -> None:
        # A stream dropped without finish() (only after a bug elsewhere) still stops its thread.
        with suppress(Exception):
            self._close()


def yield_gil() -> None:
    """Let a thread waiting for the GIL (the inflate worker) run; costs about a microsecond."""
    time.sleep(0)
