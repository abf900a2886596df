"""Benchmark: VCF.gz validation (header, records, genotypes, per-sample metrics, MD5+SHA-256)
against ``bcftools stats`` and ``bcftools stats -s -`` (per-sample statistics).

Run as a plain script (it is never collected by pytest)::

    python tests/benchmarks/bench_vcf.py [--samples 200] [--sites 100000] [--dir DIR] [--repeat 3]

On first use it writes a seeded BGZF VCF like genotyping-array input for imputation (one
chromosome, biallelic SNPs, phased diploid GT for every sample, AF in INFO, 1 % missing calls)
into the cache directory (``$GENOFLOW_BENCH_DIR``, default ``<tempdir>/genoflow-bench``).
Each contender runs in its own child process (peak RSS is its own); runs are interleaved.
The target from issue #3: wall time at most 3x ``bcftools stats``. ``bcftools stats`` without
``-s`` does not decode the genotypes; ``-s -`` does the per-sample work GenoFlow also does.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import harness
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
SEED = 20240617


def generate(path: Path, samples: int, sites: int, seed: int = SEED) -> None:
    import pysam

    rng = np.random.default_rng(seed)
    plain = path.with_suffix(".partial.vcf")
    bases = np.array([b"A", b"C", b"G", b"T"])
    codes = np.array([b"0|0", b"0|1", b"1|0", b"1|1", b".|."], dtype="S3")
    with open(plain, "wb") as out:
        out.write(b"##fileformat=VCFv4.2\n##contig=<ID=20,length=63025520>\n")
        out.write(b'##INFO=<ID=AF,Number=A,Type=Float,Description="Allele frequency">\n')
        out.write(b'##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n')
        out.write(
            b"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t"
            + b"\t".join(b"S%05d" % i for i in range(samples))
            + b"\n"
        )
        positions = np.sort(rng.choice(np.arange(60_000, 63_000_000), size=sites, replace=False))
        ref = rng.integers(0, 4, size=sites)
        alt = (ref + rng.integers(1, 4, size=sites)) % 4
        af = rng.beta(0.5, 2, size=sites)
        for start in range(0, sites, 5000):
            end = min(sites, start + 5000)
            p = af[start:end, None, None]
            alleles = (rng.random((end - start, samples, 2)) < p).astype(np.int8)
            index = alleles[:, :, 0] * 2 + alleles[:, :, 1]
            index[rng.random((end - start, samples)) < 0.01] = 4
            genotypes = codes[index]
            out.write(
                b"".join(
                    b"20\t%d\trs%d\t%s\t%s\t.\tPASS\tAF=%.3f\tGT\t"
                    % (positions[i], i + 1, bases[ref[i]], bases[alt[i]], af[i])
                    + b"\t".join(genotypes[i - start].tolist())
                    + b"\n"
                    for i in range(start, end)
                )
            )
    partial = path.with_suffix(".partial.gz")
    pysam.tabix_compress(str(plain), str(partial), force=True)
    plain.unlink()
    partial.replace(path)


def _run_ours(path: str) -> str:
    sys.path.insert(0, str(ROOT))
    from genoflow_desktop.core.validation.vcf import validate_vcf

    report = validate_vcf(path)
    m = report.metrics
    g = m["genotypes"]
    return (
        f"verdict={report.verdict.value} records={report.records:,} snps={m['snps']:,} "
        f"ts/tv={m['ts_tv']} missing={g['missingness']['mean']} het={g['heterozygosity']['mean']} "
        f"md5={report.md5}"
    )


def _run_bcftools(path: str, per_sample: bool) -> str:
    bcftools = shutil.which("bcftools")
    args = ["stats", "-s", "-", path] if per_sample else ["stats", path]
    if bcftools is not None:
        text = subprocess.run([bcftools, *args], check=True, capture_output=True, text=True).stdout
    else:
        import pysam.bcftools

        text = pysam.bcftools.stats(*args)
    records = next(
        line.split("\t")[-1] for line in text.splitlines() if "number of records:" in line
    )
    tstv = next(line.split("\t")[4] for line in text.splitlines() if line.startswith("TSTV"))
    return f"records={int(records):,} ts/tv={tstv}"


def _child(kind: str, path: str) -> None:
    runs = {
        "ours": lambda: _run_ours(path),
        "stats": lambda: _run_bcftools(path, False),
        "stats_s": lambda: _run_bcftools(path, True),
    }
    if kind == "ours":
        # Imports are the app's start-up cost, not a per-file cost: load them untimed.
        sys.path.insert(0, str(ROOT))
        import genoflow_desktop.core.validation.alignment
        import genoflow_desktop.core.validation.vcf  # noqa: F401
    harness.run_in_child(
        runs[kind], external=kind != "ours" and shutil.which("bcftools") is not None
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--sites", type=int, default=100_000)
    harness.add_arguments(parser, repeat=3)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return 0

    path = harness.cached_input(
        args.dir,
        f"bench_{args.samples}x{args.sites}_seed{SEED}.vcf.gz",
        lambda target: generate(target, args.samples, args.sites),
    )
    print(f"input: {path} ({path.stat().st_size / 1e6:,.1f} MB), {os.cpu_count()} cores\n")

    suffix = "" if shutil.which("bcftools") else " (pysam)"
    contenders = [
        (f"bcftools stats{suffix}", "stats"),
        (f"bcftools stats -s -{suffix}", "stats_s"),
        ("genoflow validate", "ours"),
    ]
    results = harness.summarise(harness.run_interleaved(__file__, contenders, path, args.repeat))
    ours = results["genoflow validate"]
    print(
        f"{'contender':28s} {'best s':>7s} {'median s':>9s} {'CPU s':>7s} {'peak RSS MB':>12s} "
        f"{'ours/it wall':>13s} {'ours/it CPU':>12s}  output"
    )
    for name, it in results.items():
        print(
            f"{name:28s} {it.best:7.2f} {it.median:9.2f} {it.cpu:7.2f} {it.rss_mb:12.0f} "
            f"{ours.best / it.best:13.2f} {ours.cpu / it.cpu:12.2f}  {it.summary}"
        )
    print()
    ok = ours.best <= 3.0 * results[contenders[0][0]].best
    print(f"  {'ours <= 3 x bcftools stats':36s} {'met' if ok else 'MISSED'}")
    ok_s = ours.best <= 3.0 * results[contenders[1][0]].best
    print(f"  {'ours <= 3 x bcftools stats -s -':36s} {'met' if ok_s else 'MISSED'}")
    print(f"  {'peak RSS < 400 MB':36s} {'met' if ours.rss_mb < 400 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
