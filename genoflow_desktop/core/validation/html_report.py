"""Self-contained HTML validation reports: verdict, findings, checksums, QC tables and plots.

One file per report, no external resources (styles inline, charts as inline SVG), so it can be
opened offline, attached to an e-mail or archived with the data. Written atomically.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from html import escape
from pathlib import Path
from typing import Any

from genoflow_desktop.core.validation import svg_charts
from genoflow_desktop.core.validation.report import Finding, ValidationReport

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1f2328;margin:2rem auto;max-width:980px;padding:0 1rem}
h1{font-size:1.5rem;margin-bottom:.2rem} h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #d5dae0}
.verdict{display:inline-block;padding:.15rem .6rem;border-radius:1rem;font-weight:600;color:#fff}
.valid{background:#2d8a4e}.valid_with_warnings{background:#b7791f}.invalid{background:#c53030}
table{border-collapse:collapse;margin:.5rem 0}td,th{padding:.2rem .8rem .2rem 0;text-align:left;vertical-align:top}
th{color:#57606a;font-weight:500} code{font-size:12px;word-break:break-all}
.finding{margin:.4rem 0;padding:.4rem .6rem;border-left:4px solid #c53030;background:#fdf2f2}
.finding.warning{border-color:#b7791f;background:#fdf8ec} .hint{color:#57606a}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(460px,1fr));gap:1rem}
svg.chart{width:100%;height:auto;background:#fafbfc;border:1px solid #eaeef2;border-radius:6px}
svg .title{font-size:13px;font-weight:600} svg .label,svg .tick,svg .legend{font-size:11px}
svg .axis{stroke:#8c959f;stroke-width:1} .muted{color:#57606a}
"""


def _table(rows: Iterable[tuple[str, Any]]) -> str:
    cells = "".join(
        f"<tr><th>{escape(str(k))}</th><td>{escape(_fmt(v))}</td></tr>" for k, v in rows
    )
    return f"<table>{cells}</table>"


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if value is None:
        return "–"
    return str(value)


def _finding(finding: Finding) -> str:
    where = finding.where()
    hint = f'<div class="hint">{escape(finding.hint)}</div>' if finding.hint else ""
    return (
        f'<div class="finding {finding.severity.value}"><b>{escape(finding.severity.value.title())}'
        f"{' · ' + escape(where) if where else ''}</b> {escape(finding.message)}{hint}</div>"
    )


def _fastq_sections(m: dict[str, Any]) -> tuple[list[tuple[str, Any]], list[str]]:
    rows = [
        (name.replace("_", " ").capitalize(), m.get(name))
        for name in (
            "reads",
            "bases",
            "min_length",
            "max_length",
            "mean_length",
            "n50",
            "gc_percent",
            "n_percent",
            "mean_quality",
            "q20_percent",
            "q30_percent",
            "quality_encoding",
        )
    ]
    charts = []
    per_position = m.get("per_position") or {}
    positions = list(range(1, int(per_position.get("positions") or 0) + 1))  # cycles 1..n
    if positions and per_position.get("mean_quality"):
        quantiles = per_position.get("quantiles") or {}
        bands = []
        if all(k in quantiles for k in ("p10", "p90", "p25", "p75")):
            bands = [(quantiles["p10"], quantiles["p90"]), (quantiles["p25"], quantiles["p75"])]
        series = {"mean": per_position["mean_quality"]}
        if "median" in quantiles:
            series["median"] = quantiles["median"]
        charts.append(
            svg_charts.line_chart(
                "Quality per position",
                positions,
                series,
                "position in read (bp)",
                "Phred quality",
                bands=bands,
            )
        )
    base_percent = per_position.get("base_percent") or {}
    if positions and base_percent:
        charts.append(
            svg_charts.line_chart(
                "Base composition per position",
                positions,
                base_percent,
                "position in read (bp)",
                "% of bases",
                y_range=(0, 100),
            )
        )
    histogram = m.get("length_histogram") or []
    if histogram:
        labels = [str(low) if low == high else f"{low}-{high}" for low, high, _ in histogram]
        charts.append(
            svg_charts.bar_chart(
                "Read lengths", labels, [n for *_, n in histogram], "length (bp)", "reads"
            )
        )
    per_read = m.get("per_read_mean_quality") or []
    if per_read:
        charts.append(
            svg_charts.bar_chart(
                "Mean quality per read",
                [str(q) for q, _ in per_read],
                [n for _, n in per_read],
                "mean Phred quality",
                "reads",
            )
        )
    adapters = (m.get("adapter_content") or {}).get("cumulative_percent") or {}
    if positions and adapters:
        trimmed = {name: values[: len(positions)] for name, values in adapters.items()}
        if all(len(v) == len(positions) for v in trimmed.values()):
            charts.append(
                svg_charts.line_chart(
                    "Adapter content",
                    positions,
                    trimmed,
                    "position in read (bp)",
                    "% of reads",
                    y_range=(0, 100),
                )
            )
    return rows, charts


def _alignment_sections(m: dict[str, Any]) -> tuple[list[tuple[str, Any]], list[str]]:
    header = m.get("header") or {}
    rows: list[tuple[str, Any]] = [
        ("Records", m.get("records")),
        ("References", header.get("references")),
        ("Samples", ", ".join(header.get("samples") or []) or None),
        ("Sort order (claimed)", header.get("sort_order")),
    ]
    for name, (passed, failed) in (m.get("flagstat") or {}).items():
        rows.append((f"flagstat: {name.replace('_', ' ')}", f"{passed:,} + {failed:,}"))
    charts = []
    counts = (m.get("mapq") or {}).get("counts") or {}
    if counts:
        keys = sorted(counts, key=int)
        charts.append(
            svg_charts.bar_chart(
                "Mapping quality", keys, [counts[k] for k in keys], "MAPQ", "reads"
            )
        )
    histogram = (m.get("insert_size") or {}).get("histogram") or {}
    if histogram.get("counts"):
        width = histogram["bin_width"]
        labels = [str(i * width) for i in range(len(histogram["counts"]))]
        charts.append(
            svg_charts.bar_chart(
                "Insert size", labels, histogram["counts"], "insert size (bp)", "pairs"
            )
        )
    return rows, charts


def _variant_sections(m: dict[str, Any]) -> tuple[list[tuple[str, Any]], list[str]]:
    header = m.get("header") or {}
    genotypes = m.get("genotypes") or {}
    build = (m.get("build_guess") or {}).get("build")
    rows = [
        ("VCF version", header.get("version")),
        ("Samples", header.get("samples")),
        ("Records", m.get("records")),
        ("SNPs", m.get("snps")),
        ("Indels", m.get("indels")),
        ("Multiallelic", m.get("multiallelic")),
        ("Ts/Tv", m.get("ts_tv")),
        ("Phasing", genotypes.get("phasing")),
        ("Sorted", m.get("sorted")),
        ("Genome build (guess)", build),
        ("Index", "present" if (m.get("index") or {}).get("present") else "absent"),
    ]
    charts = []
    chromosomes = m.get("chromosomes") or {}
    if chromosomes:
        charts.append(
            svg_charts.bar_chart(
                "Records per chromosome",
                list(chromosomes),
                list(chromosomes.values()),
                "chromosome",
                "records",
            )
        )
    per_sample = genotypes.get("per_sample") or {}
    if per_sample:
        names = list(per_sample)[:200]
        charts.append(
            svg_charts.bar_chart(
                "Missing genotypes per sample",
                names,
                [100 * per_sample[n]["missing"] for n in names],
                "sample",
                "% missing",
            )
        )
    return rows, charts


def render(report: ValidationReport) -> str:
    """The report as one self-contained HTML document."""
    metrics = report.metrics
    fmt = report.format.value
    if fmt == "fastq":
        rows, charts = _fastq_sections(metrics)
    elif fmt in ("sam", "bam", "cram"):
        rows, charts = _alignment_sections(metrics)
    elif fmt in ("vcf", "bcf"):
        rows, charts = _variant_sections(metrics)
    else:
        rows, charts = [], []
    verdict = report.verdict.value
    findings = (
        "".join(_finding(f) for f in [*report.errors, *report.warnings])
        or '<p class="muted">No problems found.</p>'
    )
    more = report.error_count + report.warning_count - len(report.errors) - len(report.warnings)
    if more > 0:
        findings += f'<p class="muted">… and {more:,} more findings of the same kinds.</p>'
    name = Path(report.path).name
    overview = _table(
        [
            ("File", report.path),
            ("Format", f"{fmt.upper()} ({report.compression.value})"),
            ("Size", f"{report.size:,} bytes"),
            ("Records", report.records),
            ("Checked in", f"{report.duration_s:.1f} s"),
            ("MD5", report.md5),
            ("SHA-256", report.sha256),
        ]
    )
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(name)}: '
        f"validation report</title><style>{STYLE}</style></head><body>"
        f'<h1>{escape(name)}</h1><span class="verdict {verdict}">{escape(verdict.replace("_", " "))}</span>'
        f"{overview}<h2>Findings ({report.error_count:,} errors, {report.warning_count:,} warnings)</h2>{findings}"
        + (f"<h2>Metrics</h2>{_table(rows)}" if rows else "")
        + (
            f'<h2>Plots</h2><div class="charts">{"".join(c for c in charts if c)}</div>'
            if any(charts)
            else ""
        )
        + f"<h2>All metrics (JSON)</h2><details><summary>Show</summary><pre><code>"
        f"{escape(json.dumps(metrics, indent=1, default=str))}</code></pre></details></body></html>"
    )


def write(report: ValidationReport, target: Path) -> Path:
    """Write the HTML report to ``target`` atomically (never a half-written file)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.part")
    temporary.write_text(render(report), encoding="utf-8")
    os.replace(temporary, target)
    return target
