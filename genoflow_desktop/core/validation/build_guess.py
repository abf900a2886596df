"""Guess the human genome build (hg19/GRCh37 or hg38/GRCh38) from names, lengths and positions.

Evidence, strongest first: contig lengths in the header (``##contig`` or ``@SQ``) equal to a
build's chromosome lengths; assembly names in header text (``GRCh38``, ``hs37d5``, ...);
positions beyond the end of a chromosome in one build. The chromosome naming style (``chr1``
or ``1``) is reported too, because imputation servers tie it to the build.
"""

from __future__ import annotations

import re
from typing import Any

_HG19 = {
    "1": 249250621,
    "2": 243199373,
    "3": 198022430,
    "4": 191154276,
    "5": 180915260,
    "6": 171115067,
    "7": 159138663,
    "8": 146364022,
    "9": 141213431,
    "10": 135534747,
    "11": 135006516,
    "12": 133851895,
    "13": 115169878,
    "14": 107349540,
    "15": 102531392,
    "16": 90354753,
    "17": 81195210,
    "18": 78077248,
    "19": 59128983,
    "20": 63025520,
    "21": 48129895,
    "22": 51304566,
    "X": 155270560,
    "Y": 59373566,
}
_HG38 = {
    "1": 248956422,
    "2": 242193529,
    "3": 198295559,
    "4": 190214555,
    "5": 181538259,
    "6": 170805979,
    "7": 159345973,
    "8": 145138636,
    "9": 138394717,
    "10": 133797422,
    "11": 135086622,
    "12": 133275309,
    "13": 114364328,
    "14": 107043718,
    "15": 101991189,
    "16": 90338345,
    "17": 83257441,
    "18": 80373285,
    "19": 58617616,
    "20": 64444167,
    "21": 46709983,
    "22": 50818468,
    "X": 156040895,
    "Y": 57227415,
}
#: UCSC hg19's chrM is the Yoruba sequence (16571 bp); GRCh37 MT and hg38 chrM are rCRS.
_HG19_UCSC_CHRM = 16571
_TEXT_HINTS = (
    (re.compile(r"grch37|hg19|\bb37\b|hs37d5|human_g1k_v37|hg37|ncbi37", re.I), "hg19"),
    (re.compile(r"grch38|hg38|\bb38\b|hs38|ncbi38", re.I), "hg38"),
)


def normalise_chrom(name: str) -> str:
    """'chr1' -> '1', 'chrX' -> 'X', 'chrM'/'M'/'chrMT' -> 'MT', '23' -> 'X'; others unchanged."""
    core = name[3:] if name[:3].lower() == "chr" else name
    upper = core.upper()
    if upper in ("M", "MT"):
        return "MT"
    if upper == "23":
        return "X"
    if upper in ("X", "Y"):
        return upper
    return core


def naming_style(names: list[str]) -> str | None:
    """'chr' when primary chromosomes carry the prefix, 'plain' when not, 'mixed' for both."""
    styles = set()
    for name in names:
        core = normalise_chrom(name)
        if core in _HG38 or core == "MT":
            styles.add("chr" if name[:3].lower() == "chr" else "plain")
    if not styles:
        return None
    return styles.pop() if len(styles) == 1 else "mixed"


def guess_build(
    contigs: list[tuple[str, int | None]],
    *,
    max_positions: dict[str, int] | None = None,
    header_text: str = "",
) -> dict[str, Any]:
    """Weigh the evidence for hg19 and hg38.

    Args:
        contigs: (name, length or None) from the header.
        max_positions: Largest position seen per contig name in the records.
        header_text: Free header text to search for assembly names.

    Returns:
        ``{"build": "hg19" | "hg38" | None, "confidence": "high" | "medium" | "low" | None,
        "naming": "chr" | "plain" | "mixed" | None, "evidence": [str, ...]}``
    """
    votes = {"hg19": 0.0, "hg38": 0.0}
    evidence: list[str] = []
    matched_lengths = 0
    for name, length in contigs:
        core = normalise_chrom(name)
        if length is None:
            continue
        if core == "MT" and length == _HG19_UCSC_CHRM:
            votes["hg19"] += 1
            matched_lengths += 1
            evidence.append(f"{name} is {length:,} bp long (UCSC hg19 chrM)")
            continue
        for build, table in (("hg19", _HG19), ("hg38", _HG38)):
            if table.get(core) == length:
                votes[build] += 3
                matched_lengths += 1
                if len([e for e in evidence if "bp long" in e]) < 3:
                    evidence.append(f"{name} is {length:,} bp long, as in {build}")
    text_build = None
    for pattern, build in _TEXT_HINTS:
        match = pattern.search(header_text)
        if match:
            votes[build] += 2
            text_build = build
            evidence.append(f"the header mentions '{match.group(0)}'")
    for name, position in (max_positions or {}).items():
        core = normalise_chrom(name)
        for build, other in (("hg19", "hg38"), ("hg38", "hg19")):
            length = (_HG19 if build == "hg19" else _HG38).get(core)
            if length is not None and position > length:
                votes[other] += 2
                votes[build] -= 5
                evidence.append(f"position {position:,} on {name} is beyond its end in {build}")
    best = max(votes, key=lambda b: votes[b])
    chosen: str | None = None
    confidence: str | None = None
    if votes[best] > 0 and votes["hg19"] != votes["hg38"]:
        chosen = best
        if matched_lengths:
            confidence = "high"
        elif text_build == best:
            confidence = "medium"
        else:
            confidence = "low"
    return {
        "build": chosen,
        "confidence": confidence,
        "naming": naming_style([name for name, _ in contigs] + list(max_positions or {})),
        "evidence": evidence[:6],
    }
