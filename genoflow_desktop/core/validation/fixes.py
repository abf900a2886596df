"""Fixes for imputation pre-flight findings; each writes new files and never touches its input.

Every fix writes to a temporary name in the destination folder (``.name.partial-XXXX``) and
renames the result into place only when it is complete, so an interrupted fix never leaves a
half-written file that looks whole. Outputs are BGZF-compressed, sorted VCF files with a tabix
index next to them, ready for upload.

The fixes work on the text lines: only what the fix is about changes (no header lines are
added or reformatted, as bcftools would), and files whose header lacks ##contig or ##FORMAT
declarations (common in array exports) are handled too. Sorting is an external merge sort
(runs of at most ~256 MB sorted in memory, spilled to temporary files, merged), so memory
stays bounded; BGZF writing and tabix indexing run in htslib (pysam).

Fix ids (used by :class:`~genoflow_desktop.core.validation.preflight.PreflightFinding.fix`):

``bgzip_sort_index``
    :func:`bgzip_sort_index`: BGZF-compress, sort by position, write a tabix index.
``rename_chromosomes``
    :func:`rename_chromosomes`: add or remove the ``chr`` prefix as the chosen build requires
    (hg19 ``20``, hg38 ``chr20``), then sort and index.
``split_by_chromosome``
    :func:`split_by_chromosome`: one sorted, indexed file per chromosome.
``vcf_version_42``
    :func:`set_vcf_version`: declare the file as VCFv4.2 (for chromosome X on imputation
    servers whose QC fails on VCFv4.3 input).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import groupby
from pathlib import Path
from typing import Any

import pysam
from pysam.libcbgzf import BGZFile

from genoflow_desktop.core.errors import UserError
from genoflow_desktop.core.progress import CancelToken, ProgressCallback
from genoflow_desktop.core.validation.common import HTSLIB_LOCK
from genoflow_desktop.core.validation.vcf_rewrite import data_lines, rewrite, split_plan

_SERVER_CHROMS = {str(n) for n in range(1, 24)} | {"X", "Y", "MT"}
_VCF_SUFFIXES = (".vcf.gz", ".vcf.bgz", ".vcf.bz2", ".vcf", ".bcf", ".gz")


def output_base(path: Path) -> str:
    """The file name without its VCF extensions: 'study.chr20.vcf.gz' -> 'study.chr20'."""
    name = path.name
    for suffix in _VCF_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def bgzip_sort_index(
    src: str | Path,
    dest: str | Path | None = None,
    *,
    overwrite: bool = False,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> Path:
    """Write ``src`` as a BGZF-compressed, position-sorted VCF with a tabix index.

    Args:
        src: A VCF file (plain, gzip, BGZF, bzip2 or xz).
        dest: The output; default ``<name>.sorted.vcf.gz`` next to ``src``.
        overwrite: Replace ``dest`` if it exists.

    Returns:
        The path of the new file (its index is ``<path>.tbi``).

    Raises:
        UserError: The input cannot be read as VCF text, or ``dest`` exists.
    """
    src = Path(src)
    target = Path(dest) if dest is not None else src.with_name(output_base(src) + ".sorted.vcf.gz")
    _check_paths(src, target, overwrite)
    with _atomic(target) as partial:
        rewrite(src, partial, progress=progress, cancel=cancel)
        _index(partial)
    return target


def rename_chromosomes(
    src: str | Path,
    build: str,
    dest: str | Path | None = None,
    *,
    overwrite: bool = False,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> Path:
    """Rename chromosomes to the imputation servers' encoding for ``build``, then sort and index.

    hg19 names have no prefix (``20``, ``X``, ``MT``); hg38 names have it (``chr20``, ``chrX``,
    ``chrMT``), as the servers' input validation expects. Other contigs keep their names; the
    ``##contig`` header lines are renamed with the records.

    Raises:
        UserError: Unknown build, unreadable input, or ``dest`` exists.
    """
    if build not in ("hg19", "hg38"):
        raise UserError(f"Unknown genome build '{build}'.", hint="Choose hg19 or hg38.")
    src = Path(src)
    target = Path(dest) if dest is not None else src.with_name(f"{output_base(src)}.{build}.vcf.gz")
    _check_paths(src, target, overwrite)
    with _atomic(target) as partial:
        rewrite(
            src,
            partial,
            rename=lambda name: server_name(name, build),
            progress=progress,
            cancel=cancel,
        )
        _index(partial)
    return target


def split_by_chromosome(
    src: str | Path,
    out_dir: str | Path | None = None,
    *,
    overwrite: bool = False,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> list[Path]:
    """Write one sorted, indexed ``<name>.<chromosome>.vcf.gz`` per chromosome of ``src``.

    Raises:
        UserError: Unreadable input, or an output file exists.
    """
    src = Path(src)
    folder = Path(out_dir) if out_dir is not None else src.parent
    folder.mkdir(parents=True, exist_ok=True)
    base = output_base(src)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".genoflow-") as work:
        sorted_copy = Path(work) / "sorted.vcf.gz"
        rewrite(src, sorted_copy, progress=progress, cancel=cancel)
        header, chromosomes = split_plan(sorted_copy)
        targets = {c: folder / f"{base}.{_safe(c)}.vcf.gz" for c in chromosomes}
        for target in targets.values():
            _check_paths(src, target, overwrite)
        outputs: list[Path] = []
        lines = data_lines(sorted_copy, cancel)
        for chrom, group in groupby(lines, key=lambda line: line.split(b"\t", 1)[0]):
            target = targets[chrom.decode()]
            with _atomic(target) as partial:
                with BGZFile(str(partial), "wb", None) as writer:
                    writer.write(header)
                    for line in group:
                        writer.write(line)
                _index(partial)
            outputs.append(target)
    return outputs


def set_vcf_version(
    src: str | Path,
    version: str = "VCFv4.2",
    dest: str | Path | None = None,
    *,
    overwrite: bool = False,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> Path:
    """Copy ``src`` with its ``##fileformat`` line set to ``version``, sorted, BGZF and indexed.

    Only the declaration changes; use it when the data does not rely on features newer than
    ``version`` (the usual case for genotype-array data).

    Raises:
        UserError: Not a VCF text file, or ``dest`` exists.
    """
    if not re.fullmatch(r"VCFv\d+\.\d+", version):
        raise UserError(f"'{version}' is not a VCF version.", hint="Use a value like VCFv4.2.")
    src = Path(src)
    label = version[4:].replace(".", "")
    target = (
        Path(dest) if dest is not None else src.with_name(f"{output_base(src)}.v{label}.vcf.gz")
    )
    _check_paths(src, target, overwrite)
    with _atomic(target) as partial:
        rewrite(src, partial, version=version, progress=progress, cancel=cancel)
        _index(partial)
    return target


def server_name(name: str, build: str) -> str:
    """The chromosome name the imputation servers expect for ``build``.

    Their input validation accepts 1-22, 23, X and MT, without a prefix for hg19 and with
    ``chr`` for hg38 (so mitochondria become ``MT``/``chrMT``, not ``chrM``). Other names are
    returned unchanged.
    """
    core = name[3:] if name[:3].lower() == "chr" else name
    upper = core.upper()
    if upper in ("M", "MT"):
        core = "MT"
    elif upper in ("X", "Y"):
        core = upper
    if core not in _SERVER_CHROMS:
        return name
    return core if build == "hg19" else "chr" + core


#: Fix id -> function(path, **options) returning the new file(s).
FIXES: dict[str, Callable[..., Any]] = {
    "bgzip_sort_index": bgzip_sort_index,
    "rename_chromosomes": rename_chromosomes,
    "split_by_chromosome": split_by_chromosome,
    "vcf_version_42": set_vcf_version,
}


def apply_fix(fix: str, path: str | Path, **options: Any) -> list[Path]:
    """Run the fix named ``fix`` on ``path``; returns the files it wrote.

    Options are passed through (``build`` for ``rename_chromosomes``, ``overwrite``,
    ``progress``, ``cancel``).

    Raises:
        UserError: Unknown fix id, or the fix failed.
    """
    function = FIXES.get(fix)
    if function is None:
        raise UserError(
            f"There is no fix called '{fix}'.", hint="Choose one of: " + ", ".join(FIXES)
        )
    result = function(path, **options)
    return list(result) if isinstance(result, list) else [result]


# -- helpers --------------------------------------------------------------------------------


def _check_paths(src: Path, target: Path, overwrite: bool) -> None:
    if not src.is_file():
        raise UserError(f"The file {src} does not exist.", hint="Choose an existing VCF file.")
    if target.resolve() == src.resolve():
        raise UserError(
            f"The fix would overwrite its own input {src.name}.",
            hint="Choose a different output name; fixes never change the original file.",
        )
    if target.exists() and not overwrite:
        raise UserError(
            f"{target.name} already exists.",
            hint="Move or rename it, or allow overwriting.",
        )


@contextmanager
def _atomic(target: Path) -> Iterator[Path]:
    """A temporary path next to ``target``; renamed (with its .tbi) into place on success."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.partial-")
    os.close(handle)
    partial = Path(name)
    index = partial.with_name(partial.name + ".tbi")
    try:
        yield partial
        os.replace(partial, target)
        if index.exists():
            os.replace(index, target.with_name(target.name + ".tbi"))
    finally:
        for leftover in (partial, index):
            if leftover.exists():
                leftover.unlink()


def _index(path: Path) -> None:
    with HTSLIB_LOCK:
        try:
            pysam.tabix_index(str(path), preset="vcf", force=True, index=str(path) + ".tbi")
        except (OSError, ValueError) as exc:
            raise UserError(
                f"The tabix index could not be built: {exc}.",
                hint="The file must be BGZF-compressed and sorted by position.",
            ) from exc


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)
