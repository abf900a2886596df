"""Imputation pre-flight: the checks an imputation server runs on upload, before uploading.

The rules and messages follow the Michigan Imputation Server 2 pipeline (imputationserver2 and
imputationserver-utils, see specs/cloudgene-api.md section 6): ``tabix -p vcf`` must succeed
(BGZF, sorted), one chromosome per file, valid chromosome names for the build (hg19 ``20``,
hg38 ``chr20``), REF != ALT, unique sample ids, the same samples in every file, the server's
sample-count limits, and phased input when phasing is off. Messages are the server's own
words where the server has them, each with a hint and, where one exists, the id of a fix in
:mod:`~genoflow_desktop.core.validation.fixes`. QC exclusions that do not fail a job
(multiallelic sites, indels, monomorphic sites, SNPs with call rate < 90 %) are warnings with
the counts the server's QC report would show.

The per-file facts come from :func:`~genoflow_desktop.core.validation.vcf.validate_vcf`
reports (pass them in ``reports`` to avoid reading the files again).
"""

from __future__ import annotations

from pathlib import Path

from genoflow_desktop.core.domain import Severity
from genoflow_desktop.core.validation.preflight_file import check_file
from genoflow_desktop.core.validation.preflight_types import (
    BUILDS,
    PHASING_ENGINES,
    VALID_CHROMOSOMES,
    PreflightFinding,
    PreflightResult,
)
from genoflow_desktop.core.validation.report import ValidationReport
from genoflow_desktop.core.validation.vcf import validate_vcf

__all__ = [
    "BUILDS",
    "PHASING_ENGINES",
    "VALID_CHROMOSOMES",
    "PreflightFinding",
    "PreflightResult",
    "imputation_preflight",
]


def imputation_preflight(
    paths: list[str | Path] | list[Path] | list[str],
    *,
    build: str,
    phasing: str = "eagle",
    min_samples: int = 20,
    max_samples: int = 50000,
    reports: dict[str, ValidationReport] | None = None,
) -> PreflightResult:
    """Check VCF files against an imputation server's input rules before uploading them.

    Args:
        paths: The VCF files of one job.
        build: ``hg19`` or ``hg38`` (the server's ``build`` parameter).
        phasing: ``eagle``, ``beagle`` or ``no_phasing`` (the server's ``phasing`` parameter).
        min_samples: The server's minimum sample count (0 for none); take it from the server.
        max_samples: The server's maximum sample count (0 for none).
        reports: Validation reports by path (``str(path)``) to reuse; missing ones are made.

    Returns:
        The findings (errors block the job on the server), a summary, and the reports used.
    """
    result = PreflightResult(build=build, phasing=phasing)
    if phasing not in PHASING_ENGINES:
        result.add(
            Severity.ERROR,
            "phasing_option",
            "For phasing, only options 'eagle', 'beagle' or 'no_phasing' are allowed.",
            "Choose one of the phasing options the server offers.",
        )
    if build not in BUILDS:
        result.add(
            Severity.ERROR,
            "build_option",
            f"The build '{build}' is not supported.",
            "Choose hg19 or hg38.",
        )
    files = sorted(Path(p) for p in paths)  # the server checks files in name order
    if not files:
        result.add(
            Severity.ERROR,
            "no_files",
            "No vcf.gz input files detected.",
            "Add at least one .vcf.gz file.",
        )
        return result
    _check_names(files, result)
    for path in files:
        key = str(path)
        report = (reports or {}).get(key) or validate_vcf(path)
        result.reports[key] = report
        check_file(path, report, result, build, min_samples, max_samples)
    _check_across(files, result, phasing)
    _warn_qc(files, result)
    _summary(files, result)
    return result


# -- per file ------------------------------------------------------------------------------


def _check_names(files: list[Path], result: PreflightResult) -> None:
    if not any(p.name.endswith(".vcf.gz") for p in files):
        result.add(
            Severity.ERROR,
            "no_vcf_gz",
            "No vcf.gz input files detected.",
            "The server only reads files named *.vcf.gz; use the 'bgzip, sort and index' fix.",
            fix="bgzip_sort_index",
        )
    seen: dict[str, Path] = {}
    for path in files:
        if not path.name.endswith(".vcf.gz"):
            result.add(
                Severity.ERROR,
                "not_vcf_gz",
                f"{path.name} will be ignored: the server only reads files named *.vcf.gz.",
                "Compress it with bgzip (the 'bgzip, sort and index' fix writes a .vcf.gz).",
                path=str(path),
                fix="bgzip_sort_index",
            )
        if path.name in seen:
            result.add(
                Severity.ERROR,
                "duplicate_file_name",
                f"{path.name} and {seen[path.name]} have the same name; the server stores "
                "uploads by name, so one would overwrite the other.",
                "Rename one of the files.",
                path=str(path),
            )
        seen[path.name] = path


# -- across files --------------------------------------------------------------------------


def _check_across(files: list[Path], result: PreflightResult, phasing: str) -> None:
    counts: list[tuple[Path, int, str]] = []
    owners: dict[str, Path] = {}
    phased = True
    for path in files:
        m = result.reports[str(path)].metrics
        header = m.get("header")
        if not header:
            continue
        counts.append((path, header.get("samples", 0), header.get("samples_sha256", "")))
        chromosomes = {c.replace("chr", "") for c in m.get("chromosomes", {})}
        for core in chromosomes:
            if core in owners:
                result.add(
                    Severity.ERROR,
                    "chromosome_twice",
                    f"Chromosome {core} is in both {owners[core].name} and {path.name}.",
                    "Upload each chromosome once (merge the files with bcftools concat).",
                    path=str(path),
                )
            owners.setdefault(core, path)
        genotypes = m.get("genotypes") or {}
        is_mt = chromosomes == {"MT"}
        if not is_mt and genotypes.get("unphased_genotypes", 0) > 0:
            phased = False
    if counts:
        first_path, first_n, first_hash = counts[0]
        for path, n, digest in counts[1:]:
            if n != first_n:
                result.add(
                    Severity.ERROR,
                    "sample_count_differs",
                    "Please double check, if all uploaded VCF files include the same amount of "
                    f"samples ({n} vs {first_n})",
                    f"{path.name} and {first_path.name} must list the same samples.",
                    path=str(path),
                )
            elif digest != first_hash:
                result.add(
                    Severity.ERROR,
                    "samples_differ",
                    f"{path.name} and {first_path.name} list different sample IDs (or the same "
                    "IDs in a different order); imputed files could not be combined per sample.",
                    "Use the same samples, in the same order, in every file (bcftools view -s).",
                    path=str(path),
                )
    if not phased and phasing == "no_phasing":
        result.add(
            Severity.ERROR,
            "unphased",
            "Your input data is unphased. Please select an algorithm for phasing.",
            "Choose eagle or beagle as the phasing option, or phase the data before uploading.",
        )
    result.summary["datatype"] = "phased" if phased else "unphased"


def _warn_qc(files: list[Path], result: PreflightResult) -> None:
    """Sites and chunks the server's QC would exclude (they do not fail the job)."""
    totals = {"multiallelic": 0, "indels": 0, "monomorphic": 0, "low_call_rate": 0, "filtered": 0}
    low_samples: list[str] = []
    for path in files:
        m = result.reports[str(path)].metrics
        genotypes = m.get("genotypes") or {}
        totals["multiallelic"] += m.get("multiallelic", 0)
        totals["indels"] += m.get("indels", 0) + m.get("mnps", 0) + m.get("other", 0)
        totals["monomorphic"] += genotypes.get("monomorphic_sites", 0)
        totals["low_call_rate"] += genotypes.get("snps_call_rate_below_90", 0)
        totals["filtered"] += m.get("filtered", 0)
        for name, values in (genotypes.get("per_sample") or {}).items():
            if (
                values.get("missing") is not None
                and values["missing"] > 0.5
                and name not in low_samples
            ):
                low_samples.append(name)
    labels = {
        "multiallelic": (
            "Multiallelic sites",
            "They are excluded; split them with bcftools norm -m- if they matter.",
        ),
        "indels": (
            "NonSNP sites",
            "Indels and other non-SNP sites are excluded by the server's QC.",
        ),
        "monomorphic": (
            "Monomorphic sites",
            "Sites where no sample carries the ALT allele are excluded.",
        ),
        "low_call_rate": (
            "SNPs call rate < 90%",
            "SNPs missing in more than 10 % of samples are excluded.",
        ),
        "filtered": ("Filter flag set", "Sites with a FILTER other than PASS are excluded."),
    }
    for key, count in totals.items():
        if count:
            label, hint = labels[key]
            result.add(Severity.WARNING, f"qc_{key}", f"{label}: {count:,}", hint)
    if low_samples:
        result.add(
            Severity.WARNING,
            "qc_sample_call_rate",
            f"{len(low_samples)} sample(s) have a call rate below 50 % (e.g. {low_samples[0]}); "
            "chunks where any sample has a call rate < 50% are excluded.",
            "Remove samples with mostly missing genotypes before uploading.",
        )


def _summary(files: list[Path], result: PreflightResult) -> None:
    chromosomes: list[str] = []
    snps = chunks = samples = 0
    for path in files:
        m = result.reports[str(path)].metrics
        if "header" not in m:
            continue
        samples = m["header"].get("samples", 0)
        snps += m.get("records", 0)
        chunks += sum(m.get("chunks_20mb", {}).values())
        chromosomes.extend(c.replace("chr", "") for c in m.get("chromosomes", {}))
    result.summary.update(
        {
            "files": len(files),
            "samples": samples,
            "chromosomes": chromosomes,
            "snps": snps,
            "chunks": chunks,
        }
    )
