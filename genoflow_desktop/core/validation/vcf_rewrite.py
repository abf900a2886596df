"""Streaming rewrites of VCF text for the fixes: sort, rename contigs, change the version.

Lines are read from any container the validator reads (plain, gzip, BGZF, bzip2, xz) and
written BGZF-compressed. Sorting is an external merge sort: runs of at most ~256 MB are sorted
in memory and spilled to temporary files next to the output, then merged, so memory stays
bounded whatever the file size. Lines are copied byte for byte except for what the rewrite is
about.
"""

from __future__ import annotations

import heapq
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from pysam.libcbgzf import BGZFile

from genoflow_desktop.core.errors import UserError
from genoflow_desktop.core.progress import CancelToken, Progress, ProgressCallback
from genoflow_desktop.core.validation.bgzf import DecodedStream
from genoflow_desktop.core.validation.report import ValidationReport

_RUN_BYTES = 256 * 1024 * 1024


def text_chunks(path: Path, cancel: CancelToken | None) -> Iterator[bytes]:
    """Decompressed text of ``path`` in whole lines (any compression the validator reads)."""
    report = ValidationReport(path=str(path))
    stream = DecodedStream(path, report, cancel=cancel)
    carry = b""
    try:
        for piece in stream:
            data = carry + piece if carry else piece
            cut = data.rfind(b"\n") + 1
            carry = data[cut:]
            if cut:
                yield data[:cut]
        if carry:
            yield carry + b"\n"
    finally:
        stream.stop_decoding()
        stream.finish()
    if report.errors:
        raise UserError(
            f"The file cannot be read to the end: {report.errors[0].message}",
            hint=report.errors[0].hint,
        )


def lines(path: Path, cancel: CancelToken | None) -> Iterator[bytes]:
    """Lines with their newline, bytes unchanged (CR+LF stays as it was)."""
    for chunk in text_chunks(path, cancel):
        lines = chunk.split(b"\n")
        lines.pop()  # chunks end with a newline
        for line in lines:
            yield line + b"\n"


def data_lines(path: Path, cancel: CancelToken | None) -> Iterator[bytes]:
    """Yield the data lines (no header) of a VCF, decompressing as needed."""
    for line in lines(path, cancel):
        if not line.startswith(b"#"):
            yield line


def split_plan(path: Path) -> tuple[bytes, list[str]]:
    """Return the header bytes and the chromosomes in order of first appearance."""
    header: list[bytes] = []
    chromosomes: list[str] = []
    seen: set[bytes] = set()
    for line in lines(path, None):
        if line.startswith(b"#"):
            header.append(line)
            continue
        chrom = line.split(b"\t", 1)[0]
        if chrom not in seen:
            seen.add(chrom)
            chromosomes.append(chrom.decode())
    return b"".join(header), chromosomes


def rewrite(
    src: Path,
    dest: Path,
    *,
    rename: Callable[[str], str] | None = None,
    version: str | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> None:
    """Copy the VCF text of ``src`` to BGZF ``dest``, sorted by (contig, position).

    Contigs sort in the order of the ##contig lines, then in order of first appearance; records
    at the same position keep their order. ``rename`` maps contig names (header and records);
    ``version`` replaces the ##fileformat value.
    """
    header: list[bytes] = []
    ranks: dict[bytes, int] = {}
    names: dict[bytes, bytes] = {}
    runs: list[Path] = []
    buffer: list[tuple[int, int, int, bytes]] = []
    size = sequence = 0
    total = max(1, src.stat().st_size)
    work = Path(tempfile.mkdtemp(dir=dest.parent, prefix=".genoflow-sort-"))
    try:
        in_header = True
        for line in lines(src, cancel):
            if in_header and line.startswith(b"#"):
                header.append(_header_line(line, rename, version, ranks, names))
                continue
            if in_header:
                in_header = False
                if not header or not header[-1].startswith(b"#CHROM"):
                    raise UserError(
                        "The file has no #CHROM header line.",
                        hint="Only VCF files can be fixed this way.",
                    )
            if line.startswith(b"#"):
                raise UserError(
                    "A header line appears after the records began.",
                    hint="Fix the file with the validator's findings first.",
                )
            chrom, pos = _chrom_pos(line)
            new = names.get(chrom)
            if new is None:
                new = rename(chrom.decode()).encode() if rename else chrom
                names[chrom] = new
            if new != chrom:
                line = new + line[len(chrom) :]
            rank = ranks.setdefault(new, len(ranks))
            buffer.append((rank, pos, sequence, line))
            sequence += 1
            size += len(line) + 64
            if size >= _RUN_BYTES:
                runs.append(_spill(buffer, work, len(runs)))
                buffer, size = [], 0
                if progress is not None:
                    progress(Progress(done=0, total=total, message="Sorting"))
        if in_header and (not header or not header[-1].startswith(b"#CHROM")):
            raise UserError(
                "The file has no #CHROM header line.", hint="Only VCF files can be fixed this way."
            )
        buffer.sort()
        with BGZFile(str(dest), "wb", None) as writer:
            writer.write(b"".join(header))
            if not runs:
                for _, _, _, line in buffer:
                    writer.write(line)
            else:
                runs.append(_spill(buffer, work, len(runs)))
                for line in heapq.merge(*(_read_run(run) for run in runs), key=_run_key(ranks)):
                    writer.write(line)
    except OSError as exc:
        raise UserError(
            f"The fixed file could not be written: {exc.strerror or exc}.",
            hint="Check the free disk space and the folder's permissions.",
        ) from exc
    finally:
        for run in work.glob("*"):
            run.unlink()
        work.rmdir()


def _header_line(
    line: bytes,
    rename: Callable[[str], str] | None,
    version: str | None,
    ranks: dict[bytes, int],
    names: dict[bytes, bytes],
) -> bytes:
    if version is not None and line.startswith(b"##fileformat="):
        return b"##fileformat=" + version.encode() + b"\n"
    if line.startswith(b"##contig=<"):
        match = _CONTIG_ID.search(line)
        if match:
            old = match.group(1)
            new = rename(old.decode()).encode() if rename else old
            names[old] = new
            ranks.setdefault(new, len(ranks))
            if new != old:
                line = line[: match.start(1)] + new + line[match.end(1) :]
    return line


def _chrom_pos(line: bytes) -> tuple[bytes, int]:
    parts = line.split(b"\t", 2)
    if len(parts) < 3 or not parts[1].isdigit():
        raise UserError(
            f"A record has no valid position: '{line[:60].decode('utf-8', 'replace')}'.",
            hint="Fix the file with the validator's findings first.",
        )
    return parts[0], int(parts[1])


def _spill(buffer: list[tuple[int, int, int, bytes]], work: Path, index: int) -> Path:
    buffer.sort()
    path = work / f"run{index:05d}.txt"
    with open(path, "wb") as handle:
        handle.writelines(line for _, _, _, line in buffer)
    return path


def _read_run(path: Path) -> Iterable[bytes]:
    with open(path, "rb") as handle:
        yield from handle


def _run_key(ranks: dict[bytes, int]) -> Callable[[bytes], tuple[int, int]]:
    def key(line: bytes) -> tuple[int, int]:
        chrom, pos = _chrom_pos(line)
        return ranks[chrom], pos

    return key


_CONTIG_ID = re.compile(rb"[<,]ID=([^,>]+)")
