"""Per-file rules of the imputation pre-flight, in the imputation server's words.

See :mod:`~genoflow_desktop.core.validation.preflight` for the sources of the rules.
"""

from __future__ import annotations

from pathlib import Path

from genoflow_desktop.core.domain import Compression, Severity
from genoflow_desktop.core.validation.preflight_types import (
    HANDLED_CODES,
    INTEGRITY_CODES,
    VALID_CHROMOSOMES,
    PreflightResult,
)
from genoflow_desktop.core.validation.report import ValidationReport


def check_file(
    path: Path,
    report: ValidationReport,
    result: PreflightResult,
    build: str,
    min_samples: int,
    max_samples: int,
) -> None:
    """Apply the per-file server rules (cloudgene-api.md section 6) to one validated VCF.

    Args:
        path: The VCF file.
        report: Its validation report (metrics and findings from ``validate_vcf``).
        result: Where the server-style findings are added.
        build: ``hg19`` or ``hg38``.
        min_samples: Smallest sample count the chosen server accepts.
        max_samples: Largest sample count the chosen server accepts.
    """
    key, m = str(path), report.metrics
    fatal = [e for e in report.errors if e.code in INTEGRITY_CODES]
    if fatal or "header" not in m:
        first = fatal[0].message if fatal else (report.errors[0].message if report.errors else "")
        result.add(
            Severity.ERROR,
            "malformed",
            "The provided VCF file is malformed.\nError: " + first,
            "Copy the file again, or regenerate it with bcftools.",
            path=key,
        )
        return
    other = [e for e in report.errors if e.code not in HANDLED_CODES]
    if other:
        result.add(
            Severity.WARNING,
            "not_conformant",
            f"{path.name} does not follow the VCF specification in {len(other):,} "
            f"place(s) the server does not check itself; tools may reject it. First: "
            f"{other[0].message}",
            other[0].hint,
            path=key,
        )
    if report.compression is not Compression.BGZF:
        result.add(
            Severity.ERROR,
            "not_bgzf",
            "The provided VCF file is malformed.\nError: [tabix] the compression of "
            f"'{path.name}' is not BGZF",
            "Compress it with bgzip instead of gzip; the 'bgzip, sort and index' fix does this.",
            path=key,
            fix="bgzip_sort_index",
        )
    if not m.get("sorted", True) or not m.get("contiguous", True):
        detail = m.get("first_unsorted")
        tabix = (
            f"[E::hts_idx_push] Unsorted positions on sequence #{detail['sequence']}: "
            f"{detail['previous']} followed by {detail['pos']}"
            if detail
            else "[E::hts_idx_push] Chromosome blocks not continuous"
        )
        result.add(
            Severity.ERROR,
            "unsorted",
            f"The provided VCF file is malformed.\nError: {tabix}\ntbx_index_build failed: "
            f"{path.name}",
            "Sort the file by position; the 'bgzip, sort and index' fix does this.",
            path=key,
            fix="bgzip_sort_index",
        )
    chromosomes = list(m.get("chromosomes", {}))
    cores = {c.replace("chr", "") for c in chromosomes}
    if len(cores) > 1:
        result.add(
            Severity.ERROR,
            "multiple_chromosomes",
            "The provided VCF file contains more than one chromosome. Please split your "
            "input VCF file by chromosome",
            "Use the 'split by chromosome' fix to write one file per chromosome.",
            path=key,
            fix="split_by_chromosome",
        )
    ref_alt = m.get("first_ref_equals_alt")
    if ref_alt and ref_alt.get("exact"):
        result.add(
            Severity.ERROR,
            "ref_equals_alt",
            f"The provided VCF file is malformed at variation {ref_alt['id']}: reference allele "
            f"({ref_alt['ref']}) and alternate allele  ({ref_alt['alt']}) are the same.",
            "Remove these records, e.g. bcftools view -e 'REF==ALT'.",
            path=key,
        )
    samples = m["header"].get("samples", 0)
    duplicates = [e for e in report.errors if e.code == "vcf_duplicate_samples"]
    if duplicates:
        name = duplicates[0].message.split("repeated: ", 1)[-1].split(",")[0].rstrip(".")
        result.add(
            Severity.ERROR,
            "duplicate_samples",
            f"Two individuals or more have the following ID: {name}",
            "Give every sample a unique ID (bcftools reheader -s).",
            path=key,
        )
    if samples == 0 or m.get("records_with_gt", 0) == 0:
        result.add(
            Severity.ERROR,
            "no_genotypes",
            "The provided VCF file has no genotypes: imputation needs the GT field of every "
            "sample.",
            "Export the genotypes (FORMAT GT) together with the sites.",
            path=key,
        )
    elif m.get("records_without_gt", 0):
        result.add(
            Severity.ERROR,
            "missing_gt",
            f"{m['records_without_gt']:,} record(s) have no GT field; imputation needs genotypes "
            "on every record.",
            "Remove sites without genotypes, or export GT for them.",
            path=key,
        )
    if min_samples and 0 < samples < min_samples:
        result.add(
            Severity.ERROR,
            "too_few_samples",
            f"At least {min_samples} samples must be uploaded.",
            f"This file has {samples} sample(s); the server needs at least {min_samples}.",
            path=key,
        )
    if max_samples and samples > max_samples:
        result.add(
            Severity.ERROR,
            "too_many_samples",
            f"The maximum number of samples is {max_samples}. Please contact the server's "
            "administrators to discuss this large imputation.",
            f"This file has {samples:,} samples; split the samples into several jobs.",
            path=key,
        )
    for chrom in chromosomes:
        core = chrom.replace("chr", "")
        if core not in VALID_CHROMOSOMES:
            fix = "rename_chromosomes" if core in ("M",) else None
            hint = (
                "Name mitochondrial data MT (hg19) or chrMT (hg38); the 'rename chromosomes' fix "
                "does this."
                if fix
                else "Only chromosomes 1-22, X and MT can be imputed; remove the others."
            )
            result.add(
                Severity.ERROR,
                "invalid_chromosome",
                f"Invalid chromosome found: {core}",
                hint,
                path=key,
                fix=fix,
            )
            break
    if chromosomes and build in ("hg19", "hg38"):
        prefixed = any(c.startswith("chr") for c in chromosomes)
        raw = next(
            (c for c in chromosomes if c.startswith("chr") == (build == "hg19")), chromosomes[0]
        )
        core = raw.replace("chr", "")
        if build == "hg19" and prefixed:
            result.add(
                Severity.ERROR,
                "build_encoding",
                f"Your upload data contains chromosome '{raw}'. This is not a valid hg19 encoding. "
                "Please ensure that your input data is build hg19 and chromosome is encoded as "
                f"'{core}'.",
                "Rename the chromosomes for hg19 (the 'rename chromosomes' fix), or choose hg38 "
                "if the data is GRCh38.",
                path=key,
                fix="rename_chromosomes",
            )
        elif build == "hg38" and not prefixed:
            result.add(
                Severity.ERROR,
                "build_encoding",
                f"Your upload data contains chromosome '{raw}'. This is not a valid hg38 encoding. "
                "Please ensure that your input data is build hg38 and chromosome is encoded as "
                f"'chr{core}'.",
                "Rename the chromosomes for hg38 (the 'rename chromosomes' fix), or choose hg19 "
                "if the data is GRCh37.",
                path=key,
                fix="rename_chromosomes",
            )
        guess = m.get("build_guess", {})
        if (
            guess.get("build")
            and guess["build"] != build
            and guess.get("confidence") in ("high", "medium")
        ):
            result.add(
                Severity.WARNING,
                "build_mismatch",
                f"The data looks like {guess['build']}, not {build} "
                f"({'; '.join(guess.get('evidence', [])[:2])}).",
                "Check the build; choosing the wrong one makes the server report allele "
                "mismatches.",
                path=key,
            )
    version = m["header"].get("version") or ""
    if version == "VCFv4.3" and any(c.replace("chr", "") in ("X", "23") for c in chromosomes):
        result.add(
            Severity.WARNING,
            "vcf43_chrx",
            "Chromosome X in a VCFv4.3 file has made the server's QC fail with "
            "'Calculating QC Statistics failed.' (genepi/imputationserver issue #103).",
            "Declare the file as VCFv4.2 (the 'VCF 4.2 header' fix); genotype data is unaffected.",
            path=key,
            fix="vcf_version_42",
        )
