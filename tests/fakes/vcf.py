"""Small bgzipped VCFs shaped like minimac4's imputation output (spec section 7)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pysam

SAMPLES = ("S1", "S2", "S3")
#: (position, ref, alt, typed): a few sites on chromosome 20.
SITES = (
    (61795, "G", "T", True),
    (63231, "T", "G", False),
    (63244, "A", "C", False),
    (65900, "G", "A", True),
)

_INFO_HEADER = (
    '##INFO=<ID=AF,Number=1,Type=Float,Description="Estimated Alternate Allele Frequency">\n'
    '##INFO=<ID=MAF,Number=1,Type=Float,Description="Estimated Minor Allele Frequency">\n'
    '##INFO=<ID=AVG_CS,Number=1,Type=Float,Description="Average Call Score">\n'
    '##INFO=<ID=R2,Number=1,Type=Float,Description="Estimated Imputation Accuracy (R-square)">\n'
    '##INFO=<ID=ER2,Number=1,Type=Float,Description="Empirical (Leave-One-Out) R-square (available only for genotyped variants)">\n'
    '##INFO=<ID=IMPUTED,Number=0,Type=Flag,Description="Marker was imputed">\n'
    '##INFO=<ID=TYPED,Number=0,Type=Flag,Description="Marker was genotyped">\n'
)


def _bgzip(text: str) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        plain, packed = Path(folder) / "x.vcf", Path(folder) / "x.vcf.gz"
        plain.write_text(text)
        pysam.tabix_compress(str(plain), str(packed), force=True)
        return packed.read_bytes()


def _info(typed: bool) -> str:
    return "AF=0.33333;MAF=0.33333;AVG_CS=0.99;R2=0.9;" + ("ER2=0.95;TYPED" if typed else "IMPUTED")


def bgzipped_dose_vcf(contig: str, job: Any) -> bytes:
    header = (
        "##fileformat=VCFv4.2\n##filedate=2024.1.1\n##source=Minimac v4.1.6\n##phasing=full\n"
        f"##contig=<ID={contig}>\n"
        + _INFO_HEADER
        + '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
        '##FORMAT=<ID=DS,Number=A,Type=Float,Description="Estimated Alternate Allele Dosage : [P(0/1)+2*P(1/1)]">\n'
        '##FORMAT=<ID=HDS,Number=.,Type=Float,Description="Estimated Haploid Alternate Allele Dosage ">\n'
        '##FORMAT=<ID=GP,Number=G,Type=Float,Description="Estimated Posterior Probabilities for Genotypes 0/0, 0/1 and 1/1 ">\n'
        f"##mis_pipeline=imputationserver2 2.0.12\n##mis_phasing={job.params.get('phasing', 'eagle')}\n"
        f"##mis_panel={job.panel.id if job.panel else '?'}\n"
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t" + "\t".join(SAMPLES) + "\n"
    )
    rows = [
        f"{contig}\t{pos}\t{contig}:{pos}:{ref}:{alt}\t{ref}\t{alt}\t.\tPASS\t{_info(typed)}\tGT:DS:HDS:GP\t"
        + "\t".join(["0|1:1:0,1:0,1,0", "0|0:0:0,0:1,0,0", "1|0:1:1,0:0,1,0"])
        for pos, ref, alt, typed in SITES
    ]
    return _bgzip(header + "\n".join(rows) + "\n")


def bgzipped_info(contig: str) -> bytes:
    header = (
        f"##fileformat=VCFv4.2\n##source=Minimac v4.1.6\n##contig=<ID={contig}>\n"
        + _INFO_HEADER
        + "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
    )
    rows = [
        f"{contig}\t{pos}\t{contig}:{pos}:{ref}:{alt}\t{ref}\t{alt}\t.\tPASS\t{_info(typed)}"
        for pos, ref, alt, typed in SITES
    ]
    return _bgzip(header + "\n".join(rows) + "\n")


def write_input_vcf(path: Path, contig: str = "20") -> Path:
    """A small bgzipped genotype VCF, as a user would upload it."""
    header = (
        f"##fileformat=VCFv4.2\n##contig=<ID={contig}>\n"
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t" + "\t".join(SAMPLES) + "\n"
    )
    rows = [
        f"{contig}\t{pos}\t.\t{ref}\t{alt}\t.\tPASS\t.\tGT\t0/1\t0/0\t1/1"
        for pos, ref, alt, typed in SITES
        if typed
    ]
    path.write_bytes(_bgzip(header + "\n".join(rows) + "\n"))
    return path
