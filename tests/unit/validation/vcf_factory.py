"""Small VCF files for tests, written into a test's tmp_path."""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from pathlib import Path

import pysam


def vcf_text(
    *,
    samples: int = 25,
    chroms: Sequence[str] = ("20",),
    sites: int = 30,
    phased: bool = True,
    version: str = "VCFv4.2",
    sample_names: Sequence[str] | None = None,
    unsorted: bool = False,
    ref_equals_alt: bool = False,
    no_gt: bool = False,
    contig_lines: bool = True,
) -> str:
    """A deterministic VCF: biallelic SNPs, diploid genotypes, a few missing calls."""
    names = (
        list(sample_names) if sample_names is not None else [f"S{i:03d}" for i in range(samples)]
    )
    lines = [f"##fileformat={version}"]
    if contig_lines:
        lines += [f"##contig=<ID={c}>" for c in chroms]
    lines.append('##INFO=<ID=AF,Number=A,Type=Float,Description="Allele frequency">')
    if not no_gt:
        lines.append('##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">')
    header = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"
    if names and not no_gt:
        header += "\tFORMAT\t" + "\t".join(names)
    lines.append(header)
    sep = "|" if phased else "/"
    bases = "ACGT"
    for chrom in chroms:
        positions = [1000 + 137 * i for i in range(sites)]
        if unsorted:
            positions[3], positions[7] = positions[7], positions[3]
        for i, pos in enumerate(positions):
            ref = bases[i % 4]
            alt = ref if ref_equals_alt and i == 5 else bases[(i + 1) % 4]
            fields = [chrom, str(pos), f"rs{i + 1}", ref, alt, ".", "PASS", "AF=0.25"]
            if names and not no_gt:
                genotypes = []
                for j in range(len(names)):
                    a, b = (i + j) % 3 == 0, (i * j) % 4 == 1
                    genotypes.append(f".{sep}." if (i + j) % 17 == 0 else f"{int(a)}{sep}{int(b)}")
                fields += ["GT", *genotypes]
            lines.append("\t".join(fields))
    return "\n".join(lines) + "\n"


def write_vcf(path: Path, text: str, compression: str = "bgzf") -> Path:
    """Write ``text`` as plain text, plain gzip or BGZF (``compression``)."""
    if compression == "none":
        path.write_text(text, encoding="utf-8")
    elif compression == "gzip":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        plain = path.with_name(path.name + ".tmp.vcf")
        plain.write_text(text, encoding="utf-8")
        pysam.tabix_compress(str(plain), str(path), force=True)
        plain.unlink()
    return path
