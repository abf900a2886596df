"""R2 statistics of imputation info files, checked against values computed here by hand."""

from __future__ import annotations

import math
from pathlib import Path

import pysam
import pytest

from genoflow_desktop.core.errors import UserError
from genoflow_desktop.core.jobs import imputation_qc
from genoflow_desktop.core.jobs.imputation_qc import MAF_EDGES, R2_BINS, read_r2_stats

HEADER = (
    "##fileformat=VCFv4.2\n##contig=<ID=20>\n"
    '##INFO=<ID=AF,Number=1,Type=Float,Description="Alternate Allele Frequency">\n'
    '##INFO=<ID=MAF,Number=1,Type=Float,Description="Minor Allele Frequency">\n'
    '##INFO=<ID=R2,Number=1,Type=Float,Description="Imputation R-square">\n'
    '##INFO=<ID=ER2,Number=1,Type=Float,Description="Empirical R-square">\n'
    '##INFO=<ID=IMPUTED,Number=0,Type=Flag,Description="Imputed">\n'
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
)


def write_info(path: Path, sites: list[tuple[float, float]], er2: bool = False) -> Path:
    lines = [
        f"20\t{100 + i}\t.\tA\tG\t.\tPASS\tAF={af};MAF={min(af, 1 - af)};AVG_CS=0.9;R2={r2}"
        + (";ER2=0.123" if er2 else ";IMPUTED")
        for i, (af, r2) in enumerate(sites)
    ]
    plain = path.with_suffix("")
    plain.write_text(HEADER + "\n".join(lines) + "\n")
    pysam.tabix_compress(str(plain), str(path), force=True)
    return path


def expected(sites: list[tuple[float, float]]) -> dict[str, object]:
    """The statistics by plain Python loops, independent of the numpy code."""
    histogram = [0] * R2_BINS
    bins = len(MAF_EDGES) - 1
    maf_n, maf_sum = [0] * bins, [0.0] * bins
    for af, r2 in sites:
        histogram[min(int(r2 * R2_BINS), R2_BINS - 1)] += 1
        maf = min(af, 1 - af)
        b = next(i for i in range(bins) if maf < MAF_EDGES[i + 1] or i == bins - 1)
        maf_n[b] += 1
        maf_sum[b] += r2
    return {
        "mean": sum(r2 for _, r2 in sites) / len(sites),
        "at_least": {t: sum(r2 >= t for _, r2 in sites) / len(sites) for t in (0.3, 0.8)},
        "histogram": histogram,
        "maf_n": maf_n,
        "maf_mean": [s / n if n else math.nan for s, n in zip(maf_sum, maf_n, strict=True)],
    }


SITES = [
    (0.0002, 0.05),
    (0.9997, 0.12),  # MAF 0.0003: the same rare bin as the first
    (0.003, 0.31),
    (0.02, 0.55),
    (0.5, 0.97),  # MAF 0.5: the last bin
    (0.7, 1.0),  # R2 1.0: the last R2 bin
    (0.15, 0.8),
    (0.04, 0.299),
]


def test_statistics_match_a_hand_computation(tmp_path: Path) -> None:
    stats = read_r2_stats([write_info(tmp_path / "chr20.info.gz", SITES, er2=True)])
    want = expected(SITES)
    assert stats.sites == len(SITES)
    assert stats.mean_r2 == pytest.approx(want["mean"])
    assert stats.at_least == pytest.approx(want["at_least"])
    assert stats.r2_histogram == want["histogram"]
    assert stats.maf_sites == want["maf_n"]
    assert stats.maf_mean_r2 == pytest.approx(want["maf_mean"], nan_ok=True)


def test_several_files_and_chunks_add_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(imputation_qc, "CHUNK", 200)  # records straddle chunk boundaries
    first = write_info(tmp_path / "chr1.info.gz", SITES[:5])
    second = write_info(tmp_path / "chr2.info.gz", SITES[5:] * 40)
    reports = []
    stats = read_r2_stats([first, second], progress=reports.append)
    all_sites = SITES[:5] + SITES[5:] * 40
    assert stats.sites == len(all_sites)
    assert stats.r2_histogram == expected(all_sites)["histogram"]
    assert reports[-1].done == reports[-1].total


def test_missing_values_are_skipped(tmp_path: Path) -> None:
    plain = tmp_path / "chr3.info"
    plain.write_text(
        HEADER + "3\t1\t.\tA\tG\t.\tPASS\tAF=0.2;R2=.\n3\t2\t.\tA\tG\t.\tPASS\tAF=0.2;R2=0.5\n"
    )
    pysam.tabix_compress(str(plain), str(tmp_path / "chr3.info.gz"))
    stats = read_r2_stats([tmp_path / "chr3.info.gz"])
    assert stats.sites == 1 and stats.mean_r2 == 0.5


def test_a_file_that_is_not_an_info_file_is_a_user_error(tmp_path: Path) -> None:
    broken = tmp_path / "chr4.info.gz"
    broken.write_bytes(b"not gzip at all")
    with pytest.raises(UserError, match=r"chr4\.info\.gz"):
        read_r2_stats([broken])
