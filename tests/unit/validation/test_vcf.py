"""VCF/BCF validation: metrics against bcftools stats, the fast and slow paths, containers."""

from __future__ import annotations

import bz2
import hashlib
import re
from pathlib import Path
from typing import Any

import numpy as np
import pysam
import pysam.bcftools
import pytest
from vcf_factory import vcf_text, write_vcf

import genoflow_desktop.core.validation.vcf as vcf_module
from genoflow_desktop.core.domain import Compression, FileFormat, Verdict
from genoflow_desktop.core.errors import Cancelled
from genoflow_desktop.core.progress import CancelToken, Progress
from genoflow_desktop.core.validation.vcf import validate_vcf


def _mixed_vcf(sites: int = 400, samples: int = 12, seed: int = 3, snps_only: bool = False) -> str:
    """Multiallelic sites, indels, haploid calls, missing data and 2-digit alleles."""
    rng = np.random.default_rng(seed)
    lines = [
        "##fileformat=VCFv4.3",
        "##contig=<ID=1,length=249250621>",
        '##INFO=<ID=AF,Number=A,Type=Float,Description="Allele frequency">',
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">',
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t"
        + "\t".join(f"s{i}" for i in range(samples)),
    ]
    bases = "ACGT"
    for i in range(sites):
        ref = bases[i % 4]
        kind = i % 10
        if snps_only and kind in (1, 2):
            kind = 3
        if kind == 0:
            alts = [bases[(i + 1) % 4], bases[(i + 2) % 4]]
        elif kind == 1:
            alts = [ref + "T"]
        elif kind == 2:
            alts = [bases[(i + k) % 4] + "A" * k for k in range(1, 12)]  # 11 ALT alleles
        else:
            alts = [bases[(i + 1) % 4]]
        n = len(alts)
        genotypes = []
        for j in range(samples):
            if rng.random() < 0.08:
                genotypes.append("./.:.")
            elif j == 0 and i % 7 == 0:
                genotypes.append(f"{rng.integers(0, n + 1)}:{rng.integers(1, 60)}")
            else:
                a, b = rng.integers(0, n + 1, size=2)
                sep = "|" if i % 2 else "/"
                genotypes.append(f"{a}{sep}{b}:{rng.integers(1, 60)}")
        af = ",".join(f"{rng.random():.3f}" for _ in alts)
        fmt = "GT:DP"
        lines.append(
            "\t".join(
                [
                    "1",
                    str(10_000 + 50 * i),
                    f"v{i}",
                    ref,
                    ",".join(alts),
                    "50",
                    "PASS",
                    f"AF={af}",
                    fmt,
                    *genotypes,
                ]
            )
        )
    return "\n".join(lines) + "\n"


def _bcftools_stats(path: Path) -> dict[str, Any]:
    text = pysam.bcftools.stats("-s", "-", str(path))
    sn = {
        m.group(1): int(m.group(2))
        for m in re.finditer(r"^SN\t0\tnumber of ([^:]+):\t(\d+)", text, re.M)
    }
    tstv = next(line.split("\t") for line in text.splitlines() if line.startswith("TSTV\t"))
    psc = {}
    for line in text.splitlines():
        if line.startswith("PSC\t"):
            f = line.split("\t")
            # PSC: id, sample, nRefHom, nNonRefHom, nHets, nTs, nTv, nIndels, meanDP,
            # nSingletons, nHapRef, nHapAlt, nMissing
            psc[f[2]] = {
                "hom_ref": int(f[3]),
                "hom_alt": int(f[4]),
                "het": int(f[5]),
                "hap_ref": int(f[11]),
                "hap_alt": int(f[12]),
                "missing": int(f[13]),
            }
    return {"sn": sn, "ts": int(tstv[2]), "tv": int(tstv[3]), "psc": psc}


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    return write_vcf(tmp_path / "mixed.vcf.gz", _mixed_vcf())


def test_site_metrics_match_bcftools_stats(mixed: Path) -> None:
    report = validate_vcf(mixed)
    assert report.verdict is Verdict.VALID, report.errors[:3]
    stats = _bcftools_stats(mixed)
    m = report.metrics
    assert m["records"] == stats["sn"]["records"]
    assert m["multiallelic"] == stats["sn"]["multiallelic sites"]
    assert m["transitions"] == stats["ts"] and m["transversions"] == stats["tv"]
    assert m["ts_tv"] == round(stats["ts"] / stats["tv"], 4)


def test_per_sample_genotype_counts_match_bcftools(tmp_path: Path) -> None:
    # bcftools counts indel genotypes apart (PSC nIndels), so compare on SNP sites.
    snps = write_vcf(tmp_path / "snps.vcf.gz", _mixed_vcf(snps_only=True))
    per_sample = validate_vcf(snps).metrics["genotypes"]["per_sample"]
    for name, theirs in _bcftools_stats(snps)["psc"].items():
        mine = per_sample[name]
        assert mine["het"] == theirs["het"], name
        assert mine["hom_alt"] == theirs["hom_alt"] + theirs["hap_alt"], name
        assert mine["missing_calls"] == theirs["missing"], name
        called = (
            theirs["hom_ref"]
            + theirs["hom_alt"]
            + theirs["het"]
            + theirs["hap_ref"]
            + theirs["hap_alt"]
        )
        assert mine["called"] == called, name


def test_fast_and_slow_paths_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for index, text in enumerate(
        [_mixed_vcf(), vcf_text(samples=40, sites=500, chroms=("1", "2"))]
    ):
        path = write_vcf(tmp_path / f"f{index}.vcf.gz", text)
        fast = validate_vcf(path)
        monkeypatch.setattr(vcf_module, "check_batch", lambda *args: None)
        slow = validate_vcf(path)
        monkeypatch.undo()
        for key in set(fast.metrics) | set(slow.metrics):
            assert fast.metrics.get(key) == slow.metrics.get(key), key
        assert [e.message for e in fast.errors] == [e.message for e in slow.errors]
        assert fast.warning_count == slow.warning_count


def test_bcf_gives_the_same_metrics(mixed: Path, tmp_path: Path) -> None:
    bcf = tmp_path / "mixed.bcf"
    pysam.bcftools.view("-Ob", "-o", str(bcf), str(mixed), catch_stdout=False)
    vcf_report, bcf_report = validate_vcf(mixed), validate_vcf(bcf)
    assert bcf_report.format is FileFormat.BCF and bcf_report.verdict is Verdict.VALID, (
        bcf_report.errors[:2]
    )
    for key in (
        "records",
        "snps",
        "indels",
        "multiallelic",
        "transitions",
        "transversions",
        "genotypes",
    ):
        assert vcf_report.metrics[key] == bcf_report.metrics[key], key


def test_genotype_rules(tmp_path: Path) -> None:
    header = (
        '##fileformat=VCFv4.3\n##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ta\tb\n"
    )
    body = "".join(
        f"1\t{pos}\t.\tA\tC\t.\t.\t.\tGT\t{a}\t{b}\n"
        for pos, a, b in [(10, "0|1", "1|1"), (20, "0/2", "0/0"), (30, "0|x", "0")]
    )
    report = validate_vcf(write_vcf(tmp_path / "g.vcf", header + body, "none"))
    messages = [e.message for e in report.errors]
    assert any("Line 5 (record 2)" in m and "above the 1 ALT" in m for m in messages), messages
    assert any("Line 6 (record 3)" in m and "'0|x'" in m for m in messages), messages
    assert report.errors[0].line == 5 and report.errors[0].offset is not None


def test_large_regular_file_pinpoints_a_bad_genotype(tmp_path: Path) -> None:
    text = vcf_text(samples=50, sites=3000)
    lines = text.split("\n")
    target = next(
        i for i, line in enumerate(lines) if line.startswith("20\t") and "rs2500\t" in line
    )
    fields = lines[target].split("\t")
    fields[20] = "0|7"
    lines[target] = "\t".join(fields)
    report = validate_vcf(write_vcf(tmp_path / "big.vcf.gz", "\n".join(lines)))
    assert report.error_count == 1
    assert report.errors[0].line == target + 1 and report.errors[0].record == 2500


@pytest.mark.parametrize(
    ("compression", "code"),
    [("gzip", "vcf_not_bgzf"), ("none", None), ("bgzf", None)],
)
def test_containers(tmp_path: Path, compression: str, code: str | None) -> None:
    report = validate_vcf(write_vcf(tmp_path / "x.vcf.gz", vcf_text(), compression))
    assert report.error_count == 0
    assert (code in {w.code for w in report.warnings}) if code else not report.warnings
    expected = {"gzip": Compression.GZIP, "none": Compression.NONE, "bgzf": Compression.BGZF}[
        compression
    ]
    assert report.compression is expected


def test_bzip2_is_read_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "x.vcf.bz2"
    path.write_bytes(bz2.compress(vcf_text().encode()))
    report = validate_vcf(path)
    assert report.verdict is Verdict.VALID_WITH_WARNINGS and report.records == 30


def test_missing_eof_and_damage(tmp_path: Path) -> None:
    path = write_vcf(tmp_path / "x.vcf.gz", vcf_text())
    data = path.read_bytes()
    path.write_bytes(data[:-28])
    assert "bgzf_eof_missing" in {e.code for e in validate_vcf(path).errors}
    damaged = bytearray(data)
    damaged[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(damaged))
    codes = {e.code for e in validate_vcf(path).errors}
    assert codes & {"bgzf_crc", "bgzf_corrupt", "bgzf_bad_block"}


def test_checksums_progress_and_index(tmp_path: Path) -> None:
    path = write_vcf(tmp_path / "x.vcf.gz", vcf_text())
    pysam.tabix_index(str(path), preset="vcf", force=True)
    seen: list[Progress] = []
    report = validate_vcf(path, progress=seen.append)
    data = path.read_bytes()
    assert report.md5 == hashlib.md5(data).hexdigest()
    assert report.sha256 == hashlib.sha256(data).hexdigest()
    assert seen and seen[-1].done == len(data) and seen[-1].records == 30
    assert report.metrics["index"]["present"] is True


def test_cancel(tmp_path: Path) -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        validate_vcf(write_vcf(tmp_path / "x.vcf.gz", vcf_text()), cancel=token)


def test_unreadable_path_is_a_finding(tmp_path: Path) -> None:
    report = validate_vcf(tmp_path / "missing.vcf.gz")
    assert report.verdict is Verdict.INVALID and report.errors[0].code == "unreadable"


def test_build_guess_and_chunks(tmp_path: Path) -> None:
    text = vcf_text(chroms=("chr20",)).replace(
        "##contig=<ID=chr20>", "##contig=<ID=chr20,length=64444167>"
    )
    report = validate_vcf(write_vcf(tmp_path / "x.vcf.gz", text))
    guess = report.metrics["build_guess"]
    assert guess["build"] == "hg38" and guess["confidence"] == "high" and guess["naming"] == "chr"
    assert report.metrics["chunks_20mb"] == {"chr20": 1}


def test_missingness_and_heterozygosity_by_hand(tmp_path: Path) -> None:
    header = (
        '##fileformat=VCFv4.2\n##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ta\tb\n"
    )
    body = "".join(
        f"1\t{10 * (i + 1)}\t.\tA\tG\t.\t.\t.\tGT\t{a}\t{b}\n"
        for i, (a, b) in enumerate([("0|1", "./."), ("1|1", "0|0"), ("0|0", "0|1"), ("1|0", "1|1")])
    )
    report = validate_vcf(write_vcf(tmp_path / "x.vcf", header + body, "none"))
    g = report.metrics["genotypes"]
    assert g["per_sample"]["a"] == {
        "called": 4,
        "missing_calls": 0,
        "het": 2,
        "hom_alt": 1,
        "missing": 0.0,
        "heterozygosity": 0.5,
    }
    b = g["per_sample"]["b"]
    assert (b["called"], b["missing_calls"], b["het"], b["hom_alt"], b["missing"]) == (
        3,
        1,
        1,
        1,
        0.25,
    )
    assert b["heterozygosity"] == pytest.approx(1 / 3, abs=1e-6)
    assert g["phasing"] == "mixed" and g["monomorphic_sites"] == 0
    assert report.metrics["transitions"] == 4 and report.metrics["ts_tv"] is None
