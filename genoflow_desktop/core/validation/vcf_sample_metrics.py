"""The per-sample genotype metrics of a VCF report, from :class:`GenotypeStats` counters."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from genoflow_desktop.core.validation.vcf_samples import GenotypeStats


def genotype_metrics(self: GenotypeStats, samples: list[str]) -> dict[str, Any]:
    """Return the ``genotypes`` metrics of a VCF report (JSON-serialisable).

    Keys: ``sites_with_gt``, ``phasing`` ("phased" | "unphased" | "mixed" | None), genotype
    counts by phasing and ploidy, ``monomorphic_sites``, ``snp_sites``,
    ``snps_call_rate_below_90``, ``first_genotype_phased``, ``format_values_checked``
    ("all" | "sampled"), ``missingness`` and ``heterozygosity`` summaries (mean/min/max) and
    either ``per_sample`` (up to 5,000 samples) or ``worst_missingness`` (the 100 worst).

    Args:
        self: The accumulated statistics (a method of :class:`GenotypeStats`).
        samples: Sample names in column order.
    """
    total = self.called + self.missing
    with np.errstate(divide="ignore", invalid="ignore"):
        missingness = np.where(total > 0, self.missing / np.maximum(total, 1), np.nan)
        diploid_called = np.maximum(self.called - self.haploid, 0)
        heterozygosity = np.where(
            diploid_called > 0, self.het / np.maximum(diploid_called, 1), np.nan
        )
    if self.phased and self.unphased:
        phasing = "mixed"
    elif self.phased:
        phasing = "phased"
    elif self.unphased:
        phasing = "unphased"
    else:
        phasing = None
    result: dict[str, Any] = {
        "sites_with_gt": self.sites,
        "phasing": phasing,
        "phased_genotypes": self.phased,
        "unphased_genotypes": self.unphased,
        "haploid_genotypes": int(self.haploid.sum()),
        "polyploid_genotypes": self.polyploid,
        "monomorphic_sites": self.monomorphic,
        "snp_sites": self.snp_sites,
        "snps_call_rate_below_90": self.low_call_rate_snps,
        "first_genotype_phased": self.first_gt_phased,
        "format_values_checked": "all" if self.deep_fields >= self.other_fields else "sampled",
        "missingness": _summary(missingness),
        "heterozygosity": _summary(heterozygosity),
    }
    if self.ns <= 5000:
        result["per_sample"] = {
            name: {
                "called": int(c),
                "missing_calls": int(n),
                "het": int(h_count),
                "hom_alt": int(a),
                "missing": round(float(m), 6) if not np.isnan(m) else None,
                "heterozygosity": round(float(h), 6) if not np.isnan(h) else None,
            }
            for name, c, n, h_count, a, m, h in zip(
                samples,
                self.called,
                self.missing,
                self.het,
                self.hom_alt,
                missingness,
                heterozygosity,
                strict=False,
            )
        }
    else:
        worst = np.argsort(np.nan_to_num(missingness, nan=-1.0))[::-1][:100]
        result["worst_missingness"] = {
            samples[i]: round(float(missingness[i]), 6)
            for i in worst.tolist()
            if not np.isnan(missingness[i])
        }
    return result


def _summary(values: npt.NDArray[np.float64]) -> dict[str, float | None]:
    """Mean, minimum and maximum of the non-NaN values (all None when there are none)."""
    finite = values[~np.isnan(values)]
    if not len(finite):
        return {"mean": None, "min": None, "max": None}
    return {
        "mean": round(float(finite.mean()), 6),
        "min": round(float(finite.min()), 6),
        "max": round(float(finite.max()), 6),
    }
