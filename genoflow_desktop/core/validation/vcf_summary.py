"""Turn the record checker's counters into the ``report.metrics`` of a VCF (documented in
:mod:`~genoflow_desktop.core.validation.vcf`) plus the file-level findings they imply."""

from __future__ import annotations

import hashlib
from pathlib import Path

from genoflow_desktop.core.validation.build_guess import guess_build
from genoflow_desktop.core.validation.common import index_status
from genoflow_desktop.core.validation.report import ValidationReport
from genoflow_desktop.core.validation.vcf_header import VcfHeader
from genoflow_desktop.core.validation.vcf_records import VcfRecordChecker
from genoflow_desktop.core.validation.vcf_samples import GenotypeStats


def summarise(
    report: ValidationReport,
    path: Path,
    header: VcfHeader,
    checker: VcfRecordChecker,
    genotypes: GenotypeStats | None,
) -> None:
    """Fill ``report.metrics`` from a finished pass over the records.

    Args:
        report: The report being built.
        path: The VCF file (to look for its index).
        header: The parsed header.
        checker: The record checker after the last record.
        genotypes: Genotype statistics, or None when the file has no sample columns.
    """
    names = "\t".join(header.samples).encode()
    report.metrics["header"] = {
        "version": header.version_text,
        "samples": len(header.samples),
        "sample_names": header.samples[:100],
        "samples_sha256": hashlib.sha256(names).hexdigest(),
        "contigs": len(header.contigs),
        "info_keys": len(header.infos),
        "format_keys": len(header.formats),
        "filters": len(header.filters),
    }
    counts = dict(checker.counts)
    report.metrics.update({k: v for k, v in counts.items() if k not in ("with_gt", "without_gt")})
    report.metrics["records_with_gt"] = counts["with_gt"]
    report.metrics["records_without_gt"] = counts["without_gt"]
    report.metrics["ts_tv"] = (
        round(counts["transitions"] / counts["transversions"], 4)
        if counts["transversions"]
        else None
    )
    if counts["ref_equals_alt"]:
        report.warning(
            "vcf_ref_equals_alt",
            f"{counts['ref_equals_alt']:,} record(s) have an ALT allele equal to REF (first at "
            f"{checker.first_ref_eq_alt}).",
            hint="Remove or fix these records; imputation servers reject them.",
        )
    chroms = [c.decode("utf-8", "replace") for c in checker.chrom_counts]
    report.metrics["chromosomes"] = {
        c.decode("utf-8", "replace"): n for c, n in list(checker.chrom_counts.items())[:1000]
    }
    report.metrics["max_positions"] = {
        c.decode("utf-8", "replace"): n for c, n in list(checker.max_pos.items())[:1000]
    }
    report.metrics["chunks_20mb"] = {
        c.decode("utf-8", "replace"): len(v) for c, v in list(checker.chunks.items())[:1000]
    }
    report.metrics["first_ref_equals_alt"] = checker.first_ref_eq_alt_record
    report.metrics["first_unsorted"] = checker.first_unsorted
    report.metrics["sorted"] = checker.unsorted == 0
    report.metrics["contiguous"] = checker.non_contiguous == 0
    report.metrics["unsorted_records"] = checker.unsorted
    if genotypes is not None:
        report.metrics["genotypes"] = genotypes.to_dict(header.samples)
    report.metrics["build_guess"] = guess_build(
        list(header.contigs.items()) or [(c, None) for c in chroms],
        max_positions=report.metrics["max_positions"],
        header_text=header.text_for_build,
    )
    report.metrics["index"] = index_status(path, (".tbi", ".csi"))
