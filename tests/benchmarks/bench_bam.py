"""Benchmark: BAM validation (integrity, records, flagstat, MAPQ, insert sizes, MD5+SHA-256)
against ``samtools flagstat -@2``.

Run as a plain script (it is never collected by pytest)::

    python tests/benchmarks/bench_bam.py [--reads 2000000] [--dir /some/cache] [--repeat 3]

On first use it writes a realistic, seeded coordinate-sorted BAM (paired 150 bp reads with
random bases and Illumina-like qualities, NM/MD/AS/XS/RG tags, 2 % unmapped mates, 5 %
duplicates) into the cache directory (``$GENOFLOW_BENCH_DIR``, default
``<tempdir>/genoflow-bench``) and reuses it later. Each contender runs in its own child process
so that its peak resident memory is its own; runs are interleaved so that a noisy neighbour
slows all of them alike. The target from issue #3: wall time at most 2x samtools flagstat -@2.
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
SEED = 20240611
READ_LENGTH = 150
CHROMS = (("chr1", 248_956_422), ("chr2", 242_193_529), ("chr3", 198_295_559))


def generate(path: Path, reads: int, seed: int = SEED) -> None:
    """Write ``reads`` paired reads as a sorted BAM (SAM text sorted by samtools in-process)."""
    import pysam

    rng = np.random.default_rng(seed)
    sam = path.with_suffix(".partial.sam")
    qvals = np.frombuffer(b"#+-27<?FJ", dtype=np.uint8)
    qp = np.array([0.02, 0.02, 0.03, 0.05, 0.08, 0.1, 0.15, 0.25, 0.30])
    bases = np.frombuffer(b"ACGT", dtype=np.uint8)
    with open(sam, "w", encoding="ascii") as out:
        out.write("@HD\tVN:1.6\tSO:unsorted\n")
        out.writelines(f"@SQ\tSN:{name}\tLN:{length}\n" for name, length in CHROMS)
        out.write("@RG\tID:rg1\tSM:NA12878\tLB:lib1\tPL:ILLUMINA\n@PG\tID:bwa\tPN:bwa\tVN:0.7.17\n")
        pairs = reads // 2
        batch = 50_000
        for first in range(0, pairs, batch):
            n = min(batch, pairs - first)
            chrom = rng.integers(0, len(CHROMS), size=n)
            pos1 = rng.integers(1, 190_000_000, size=n)
            insert = rng.normal(400, 60, size=n).astype(np.int64).clip(READ_LENGTH + 10, 1200)
            pos2 = pos1 + insert - READ_LENGTH
            mapq = rng.choice([0, 3, 20, 40, 60], p=[0.05, 0.05, 0.1, 0.2, 0.6], size=n)
            unmapped = rng.random(n) < 0.02
            dup = np.where(rng.random(n) < 0.05, 1024, 0)
            seqs = bases[rng.integers(0, 4, size=(2 * n, READ_LENGTH))]
            quals = qvals[rng.choice(9, p=qp, size=(2 * n, READ_LENGTH))]
            nm = rng.integers(0, 5, size=2 * n)
            lines = []
            for i in range(n):
                q = f"A00123:45:HXXXXXXX:1:{1101 + i % 50}:{(i * 7) % 30000}:{first + i}"
                c = CHROMS[chrom[i]][0]
                s1, s2 = seqs[2 * i].tobytes().decode(), seqs[2 * i + 1].tobytes().decode()
                q1, q2 = quals[2 * i].tobytes().decode(), quals[2 * i + 1].tobytes().decode()
                p1, p2, t = int(pos1[i]), int(pos2[i]), int(insert[i])
                mq, d, length = int(mapq[i]), int(dup[i]), READ_LENGTH
                aux1 = _aux(nm[2 * i])
                aux2 = _aux(nm[2 * i + 1])
                if unmapped[i]:
                    lines.append(
                        f"{q}\t{1 | 8 | 32 | 64 | d}\t{c}\t{p1}\t{mq}\t{length}M\t=\t{p1}\t0"
                        f"\t{s1}\t{q1}\t{aux1}"
                    )
                    lines.append(
                        f"{q}\t{1 | 4 | 16 | 128 | d}\t{c}\t{p1}\t0\t*\t=\t{p1}\t0\t{s2}\t{q2}"
                        "\tRG:Z:rg1"
                    )
                else:
                    lines.append(
                        f"{q}\t{1 | 2 | 32 | 64 | d}\t{c}\t{p1}\t{mq}\t{length}M\t=\t{p2}\t{t}"
                        f"\t{s1}\t{q1}\t{aux1}"
                    )
                    lines.append(
                        f"{q}\t{1 | 2 | 16 | 128 | d}\t{c}\t{p2}\t{mq}\t{length}M\t=\t{p1}\t{-t}"
                        f"\t{s2}\t{q2}\t{aux2}"
                    )
            out.write("\n".join(lines) + "\n")
    partial = path.with_suffix(".partial.bam")
    pysam.samtools.sort("-@2", "-m", "512M", "-o", str(partial), str(sam), catch_stdout=False)
    sam.unlink()
    partial.replace(path)


def _aux(nm: int) -> str:
    return f"NM:i:{nm}\tMD:Z:{READ_LENGTH}\tAS:i:{READ_LENGTH - 5 * nm}\tXS:i:0\tRG:Z:rg1"


# --- contenders, each run in a child process ------------------------------------------


def _run_ours(path: str) -> str:
    sys.path.insert(0, str(ROOT))
    from genoflow_desktop.core.domain import FileFormat
    from genoflow_desktop.core.validation.alignment import validate_alignment

    report = validate_alignment(path, fmt=FileFormat.BAM)
    m = report.metrics
    return (
        f"verdict={report.verdict.value} records={report.records:,} "
        f"mapped={m['flagstat']['mapped'][0]:,} proper={m['flagstat']['properly_paired'][0]:,} "
        f"insert_median={m['insert_size'].get('median')} md5={report.md5}"
    )


def _run_samtools(path: str) -> str:
    samtools = shutil.which("samtools")
    if samtools is not None:
        proc = subprocess.run(
            [samtools, "flagstat", "-@2", path], check=True, capture_output=True, text=True
        )
        text = proc.stdout
    else:  # the same C code, in-process through pysam
        import pysam

        text = pysam.samtools.flagstat("-@2", path)
    lines = text.splitlines()
    return f"{lines[0].split(' in total')[0]} total; {lines[6].split(' (')[0]}"


def _run_isal(path: str) -> str:
    from isal import igzip

    total = 0
    with igzip.open(path, "rb") as handle:
        while chunk := handle.read(8 * 1024 * 1024):
            total += len(chunk)
    return f"inflated {total:,} bytes"


def _child(kind: str, path: str) -> None:
    run = {"ours": _run_ours, "samtools": _run_samtools, "isal": _run_isal}[kind]
    if kind == "ours":
        # Imports are the app's start-up cost, not a per-file cost: load them untimed.
        sys.path.insert(0, str(ROOT))
        import genoflow_desktop.core.validation.alignment
        import genoflow_desktop.core.validation.vcf  # noqa: F401
    harness.run_in_child(
        lambda: run(path), external=kind == "samtools" and shutil.which("samtools") is not None
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=2_000_000)
    harness.add_arguments(parser, repeat=3)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return 0

    path = harness.cached_input(
        args.dir,
        f"bench_{args.reads}x{READ_LENGTH}_seed{SEED}.bam",
        lambda target: generate(target, args.reads),
    )
    print(f"input: {path} ({path.stat().st_size / 1e6:,.0f} MB), {os.cpu_count()} cores\n")

    samtools_name = "samtools flagstat -@2" + ("" if shutil.which("samtools") else " (pysam)")
    contenders = [
        ("isal inflate only", "isal"),
        (samtools_name, "samtools"),
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
    samtools = results[samtools_name]
    ok = ours.best <= 2.0 * samtools.best
    print(f"  {'ours <= 2 x samtools flagstat -@2 (wall)':42s} {'met' if ok else 'MISSED'}")
    ok_cpu = ours.cpu <= 2.0 * samtools.cpu
    print(f"  {'ours <= 2 x samtools flagstat -@2 (CPU)':42s} {'met' if ok_cpu else 'MISSED'}")
    print(f"  {'peak RSS < 400 MB':42s} {'met' if ours.rss_mb < 400 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
