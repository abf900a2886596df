"""Turns the arrays a :class:`MetricsAccumulator` keeps into the JSON of the report.

Pure functions of plain arrays, run once per file: their cost does not matter, their
definitions do (they are documented in ``fastq.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from genoflow_desktop.core.validation.fastq_messages import QUALITY_MAX, QUALITY_MIN

I64 = NDArray[np.int64]
_LEN_EXACT = 1 << 16  # lengths below this are counted one by one, longer ones per kilobase
_DUPLICATION_LEVELS = [(str(k), k, k) for k in range(1, 10)] + [
    (">10", 10, 49),
    (">50", 50, 99),
    (">100", 100, 499),
    (">500", 500, 999),
    (">1k", 1000, 4999),
    (">5k", 5000, 9999),
    (">10k", 10000, 1 << 62),
]


def lengths(
    exact: I64, per_kb: dict[int, int], shortest: int, longest: int, bases: int
) -> dict[str, Any]:
    """Length statistics; N50 is exact unless reads reach 64 kb (then to the kilobase)."""
    values = np.flatnonzero(exact)
    pairs = [(int(v), int(exact[v])) for v in values]
    pairs += [(kb * 1024, c) for kb, c in sorted(per_kb.items())]
    if not pairs:
        return {
            "min_length": 0,
            "max_length": 0,
            "mean_length": 0.0,
            "n50": 0,
            "length_histogram": [],
        }
    sizes = np.array([p[0] for p in pairs], dtype=np.int64)
    counts = np.array([p[1] for p in pairs], dtype=np.int64)
    weight = np.cumsum((sizes * counts)[::-1])
    n50 = int(sizes[::-1][np.searchsorted(weight, weight[-1] / 2)])
    histogram = [
        [int(a), int(a if a < _LEN_EXACT else a + 1023), int(c)]
        for a, c in zip(sizes, counts, strict=True)
    ]
    if len(histogram) > 1000:
        histogram = _coarsen(sizes, counts, 200)
    return {
        "min_length": shortest,
        "max_length": longest,
        "mean_length": round(bases / int(counts.sum()), 3),
        "n50": n50,
        "length_histogram": histogram,
    }


def positions(
    reach: I64,
    qual_sum: I64,
    qual_hist: I64,
    base_hist: I64,
    offset: int,
    qual_range: tuple[int, int],
    sample_every: int,
    sampled: int,
) -> dict[str, Any]:
    """Per-cycle metrics: exact means, sampled histograms, quantiles and base composition."""
    width = int(np.count_nonzero(reach))
    if width == 0:
        return {"positions": 0}
    reads = reach[:width]
    qhist = qual_hist[:width, QUALITY_MIN:]
    bhist = base_hist[:width]
    letters = {ch: bhist[:, ord(ch)] + bhist[:, ord(ch) + 32] for ch in "ACGTN"}
    covered = bhist[:, 1:].sum(axis=1)  # value 0 is the padding
    lo = max(qual_range[0], QUALITY_MIN)
    hi = max(min(qual_range[1], QUALITY_MAX), QUALITY_MIN)
    return {
        "positions": width,
        "reads": reads.tolist(),
        "mean_quality": np.round(qual_sum[:width] / reads - offset, 3).tolist(),
        "sample_every": sample_every,
        "sampled_reads": sampled,
        "quality_histogram": {
            "first_quality": lo - offset,
            "counts": qhist[:, lo - QUALITY_MIN : hi - QUALITY_MIN + 1].tolist(),
        },
        "quantiles": quantiles(qhist, QUALITY_MIN - offset),
        "base_percent": {ch: pct_array(v, covered) for ch, v in letters.items()},
    }


def duplication(rows: list[NDArray[np.uint8]]) -> dict[str, Any]:
    """FastQC-style duplication levels of the sampled sequences (rows of equal width)."""
    if not rows:
        return {"sample_reads": 0, "distinct": 0, "duplicate_percent": 0.0, "levels": {}}
    matrix = np.concatenate(rows)
    keys = matrix.view(np.dtype((np.void, matrix.shape[1])))
    _, counts = np.unique(keys, return_counts=True)
    total = matrix.shape[0]
    levels: dict[str, float] = {}
    for label, lo, hi in _DUPLICATION_LEVELS:
        in_level = counts[(counts >= lo) & (counts <= hi)]
        if in_level.size:
            levels[label] = pct(int(in_level.sum()), total)
    return {
        "sample_reads": total,
        "distinct": int(counts.size),
        "duplicate_percent": pct(total - int(counts.size), total),
        "levels": levels,
    }


def adapters(
    reach: I64, first: dict[str, I64], motifs: dict[str, bytes], sample_every: int, sampled: int
) -> dict[str, Any]:
    """FastQC's adapter plot: % of reads with the adapter starting at or before each cycle."""
    width = int(np.count_nonzero(reach))
    return {
        "adapters": {name: motif.decode() for name, motif in motifs.items()},
        "sample_every": sample_every,
        "cumulative_percent": {
            name: pct_array(np.cumsum(hits[:width]), np.full(width, sampled))
            for name, hits in first.items()
        },
    }


def pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 4) if whole else 0.0


def pct_array(part: NDArray[Any], whole: NDArray[Any]) -> list[float]:
    out = np.divide(100.0 * part, whole, out=np.zeros(part.shape), where=whole > 0)
    return np.round(out, 4).tolist()  # type: ignore[no-any-return]


def nonzero_pairs(hist: I64, shift: int) -> list[list[int]]:
    return [[int(v) + shift, int(hist[v])] for v in np.flatnonzero(hist)]


def quantiles(hist: I64, shift: int) -> dict[str, list[float | None]]:
    """10/25/50/75/90th percentiles per position from per-position histograms."""
    cum = np.cumsum(hist, axis=1)
    totals = cum[:, -1]
    out: dict[str, list[float | None]] = {}
    for label, q in (("p10", 0.10), ("p25", 0.25), ("median", 0.5), ("p75", 0.75), ("p90", 0.9)):
        # The smallest value whose cumulative count reaches q of the total (lower quantile).
        idx = (cum < np.ceil(q * totals)[:, None]).sum(axis=1)
        out[label] = [float(i + shift) if t else None for i, t in zip(idx, totals, strict=True)]
    return out


def _coarsen(sizes: I64, counts: I64, bins: int) -> list[list[int]]:
    edges = np.unique(np.linspace(sizes[0], sizes[-1] + 1, bins + 1).astype(np.int64))
    which = np.searchsorted(edges, sizes, side="right") - 1
    summed = np.bincount(which, weights=counts, minlength=edges.size - 1)
    return [[int(edges[i]), int(edges[i + 1] - 1), int(c)] for i, c in enumerate(summed) if c]
