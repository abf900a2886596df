"""FASTQ metrics against an independent, plain-Python computation (via Biopython's parser)."""

from __future__ import annotations

import gzip
import math
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from Bio.SeqIO.QualityIO import FastqGeneralIterator

from genoflow_desktop.core.validation import fastq, text_stream
from genoflow_desktop.core.validation.fastq import validate_fastq

CORPUS = Path(__file__).resolve().parents[2] / "data" / "corpus"
ADAPTERS = {
    "illumina_universal": "AGATCGGAAGAG",
    "nextera": "CTGTCTCTTATA",
    "illumina_small_rna_3p": "TGGAATTCTCGG",
}


def reference(path: Path, offset: int | None = None) -> dict[str, Any]:
    """Everything recomputed read by read in plain Python, the slow and obvious way."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", newline=None) as handle:  # type: ignore[operator]
        records = list(FastqGeneralIterator(handle))
    seqs = [s for _, s, _ in records]
    quals = [q for _, _, q in records]
    all_q = [ord(c) for q in quals for c in q]
    if offset is None:
        offset = 64 if all_q and min(all_q) >= 64 and max(all_q) > ord("K") else 33
    bases = sum(map(len, seqs))
    counts = Counter(c.upper() for s in seqs for c in s)
    acgt = counts["A"] + counts["C"] + counts["G"] + counts["T"] + counts["U"]
    lengths = Counter(map(len, seqs))
    width = min(max(lengths), 1000)
    per_pos: list[list[int]] = [[] for _ in range(width)]
    per_base: list[Counter[str]] = [Counter() for _ in range(width)]
    for s, q in zip(seqs, quals, strict=True):
        for i, (b, c) in enumerate(zip(s[:width], q[:width], strict=True)):
            per_pos[i].append(ord(c) - offset)
            per_base[i][b.upper()] += 1
    read_means = Counter(sum(ord(c) - offset for c in q) // len(q) for q in quals if q)
    dup_keys = Counter(s[:50] if len(s) > 75 else s for s in seqs[:100_000])
    adapter = {}
    for name, motif in ADAPTERS.items():
        first = Counter(s[:width].find(motif) for s in seqs)
        cum, row = 0, []
        for pos in range(width):
            cum += first.get(pos, 0)
            row.append(round(100 * cum / len(seqs), 4))
        adapter[name] = row
    ordered = sorted(lengths.elements(), reverse=True)
    half, run, n50 = bases / 2, 0, 0
    for length in ordered:
        run += length
        if run >= half:
            n50 = length
            break

    def quantile(values: list[int], q: float) -> float:
        values = sorted(values)
        return float(values[math.ceil(q * len(values)) - 1])

    return {
        "reads": len(seqs),
        "bases": bases,
        "min_length": min(lengths),
        "max_length": max(lengths),
        "n50": n50,
        "length_histogram": [[k, k, v] for k, v in sorted(lengths.items())],
        "gc_percent": round(100 * (counts["G"] + counts["C"]) / acgt, 4),
        "n_percent": round(100 * counts["N"] / bases, 4),
        "mean_quality": round(sum(all_q) / bases - offset, 3),
        "q20_percent": round(100 * sum(q - offset >= 20 for q in all_q) / bases, 4),
        "q30_percent": round(100 * sum(q - offset >= 30 for q in all_q) / bases, 4),
        "per_read_mean_quality": [[k, v] for k, v in sorted(read_means.items())],
        "pos_reads": [len(v) for v in per_pos],
        "pos_mean": [round(sum(v) / len(v), 3) for v in per_pos],
        "pos_median": [quantile(v, 0.5) for v in per_pos],
        "pos_p10": [quantile(v, 0.1) for v in per_pos],
        "pos_p90": [quantile(v, 0.9) for v in per_pos],
        "pos_g": [round(100 * c["G"] / sum(c.values()), 4) for c in per_base],
        "pos_n": [round(100 * c["N"] / sum(c.values()), 4) for c in per_base],
        "dup_distinct": len(dup_keys),
        "adapters": adapter,
    }


def check(path: Path, ref: dict[str, Any]) -> dict[str, Any]:
    report = validate_fastq(path)
    assert report.error_count == 0, [f.message for f in report.errors]
    m = report.metrics
    assert report.records == m["reads"] == ref["reads"]
    for key in (
        "bases",
        "min_length",
        "max_length",
        "n50",
        "length_histogram",
        "per_read_mean_quality",
    ):
        assert m[key] == ref[key], key
    for key in ("gc_percent", "n_percent", "mean_quality", "q20_percent", "q30_percent"):
        assert m[key] == pytest.approx(ref[key], abs=1e-3), key
    pos = m["per_position"]
    assert pos["sample_every"] == 1
    assert pos["reads"] == ref["pos_reads"]
    assert pos["mean_quality"] == pytest.approx(ref["pos_mean"], abs=1e-3)
    assert pos["quantiles"]["median"] == ref["pos_median"]
    assert pos["quantiles"]["p10"] == ref["pos_p10"]
    assert pos["quantiles"]["p90"] == ref["pos_p90"]
    assert pos["base_percent"]["G"] == pytest.approx(ref["pos_g"], abs=1e-3)
    assert pos["base_percent"]["N"] == pytest.approx(ref["pos_n"], abs=1e-3)
    assert m["duplication"]["distinct"] == ref["dup_distinct"]
    for name, row in ref["adapters"].items():
        assert m["adapter_content"]["cumulative_percent"][name] == pytest.approx(row, abs=1e-3)
    return m


def write_reads(
    path: Path,
    rng: random.Random,
    n: int,
    lengths: tuple[int, int],
    *,
    alphabet: str = "ACGT",
    wrap: int = 0,
    newline: str = "\n",
    plus_name: bool = False,
) -> None:
    out = []
    motifs = list(ADAPTERS.values())
    for i in range(n):
        length = rng.randint(*lengths)
        seq = [rng.choice(alphabet) if rng.random() > 0.01 else "N" for _ in range(length)]
        if length > 30 and rng.random() < 0.2:
            at = rng.randint(0, length - 12)
            seq[at : at + 12] = rng.choice(motifs)
        if i % 7 == 3 and out:  # some duplicates
            seq = list(out[-1][1])
            length = len(seq)
        qual = "".join(chr(33 + max(2, min(41, int(rng.gauss(30, 8))))) for _ in range(length))
        out.append((f"read{i} 1:N:0:ACGT", "".join(seq), qual))
    lines = []
    for name, seq, qual in out:
        chunks = [seq[k : k + wrap] for k in range(0, len(seq), wrap)] if wrap else [seq]
        qchunks = [qual[k : k + wrap] for k in range(0, len(qual), wrap)] if wrap else [qual]
        lines += [
            f"@{name}",
            *(chunks or [""]),
            "+" + (name if plus_name else ""),
            *(qchunks or [""]),
        ]
    text = newline.join(lines) + newline
    data = text.encode()
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)


@pytest.mark.parametrize(
    "name",
    [
        "biopython__example.fastq",
        "biopython__longreads_original_sanger.fastq",
        "biopython__misc_dna_original_sanger.fastq",
        "biopython__tricky.fastq",
        "htslib__interleaved_casava.fq",
        "htslib__multiline.fq",
        "generated__multimember.fastq.gz",
    ],
)
def test_corpus_metrics(name: str) -> None:
    path = CORPUS / "fastq" / name
    check(path, reference(path))


def test_fixed_length_reads(tmp_path: Path) -> None:
    path = tmp_path / "fixed.fastq.gz"
    write_reads(path, random.Random(1), 3000, (150, 150))
    m = check(path, reference(path))
    assert m["length_histogram"] == [[150, 150, 3000]]
    assert m["adapter_content"]["cumulative_percent"]["illumina_universal"][-1] > 3


def test_variable_lengths_lowercase_and_iupac(tmp_path: Path) -> None:
    path = tmp_path / "mixed.fq"
    write_reads(path, random.Random(2), 2000, (0, 220), alphabet="ACGTacgtRYKMSWn", plus_name=True)
    check(path, reference(path))


def test_long_reads_beyond_the_tracked_positions(tmp_path: Path) -> None:
    path = tmp_path / "long.fastq"
    write_reads(path, random.Random(3), 150, (500, 4000))
    m = check(path, reference(path))
    assert m["per_position"]["positions"] == 1000


def test_wrapped_crlf_file(tmp_path: Path) -> None:
    path = tmp_path / "wrapped.fastq"
    write_reads(path, random.Random(4), 400, (1, 300), wrap=60, newline="\r\n")
    check(path, reference(path))


def test_small_buffers_give_identical_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Records split across every possible buffer boundary change nothing."""
    files = []
    for index, (kind, wrap) in enumerate([("fq.gz", 0), ("fastq", 70), ("fastq", 0)]):
        path = tmp_path / f"reads{index}.{kind}"
        write_reads(path, random.Random(10 + index), 700, (0, 1500), wrap=wrap)
        files.append(path)
    expected = [validate_fastq(path) for path in files]
    for chunk, raw in ((997, 331), (4096, 1000), (65_537, 7_001)):
        monkeypatch.setattr(text_stream, "CHUNK_SIZE", chunk)
        monkeypatch.setattr(text_stream, "RAW_BLOCK", raw)
        for path, want in zip(files, expected, strict=True):
            got = validate_fastq(path)
            assert got.metrics == want.metrics
            assert (got.records, got.md5, got.sha256) == (want.records, want.md5, want.sha256)
            assert got.errors == want.errors and got.warnings == want.warnings


def test_errors_do_not_depend_on_buffer_boundaries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "broken.fastq"
    good = b"@r%d\nACGTACGTAC\n+\nIIIIIIIIII\n"
    body = b"".join(good % i for i in range(300))
    body += b"@bad1\nACGT ACGTA\n+\nIIIIIIIIII\n@bad2\nACGTACGTAC\n+\nIIII\tIIIII\n"
    body += b"".join(good % i for i in range(300, 600))
    body += b"@cut\nACGTACGTAC\n+\nIII"
    path.write_bytes(body)
    want = validate_fastq(path)
    assert [f.code for f in want.errors] == [
        "fastq.sequence_character",
        "fastq.quality_character",
        "fastq.truncated",
    ]
    assert [f.record for f in want.errors] == [301, 302, 603]
    assert want.errors[0].offset == body.index(b"ACGT ACGTA") + 4
    for chunk in (50, 333, 4096):
        monkeypatch.setattr(text_stream, "CHUNK_SIZE", chunk)
        monkeypatch.setattr(text_stream, "RAW_BLOCK", 77)
        assert validate_fastq(path).errors == want.errors


def test_duplication_levels(tmp_path: Path) -> None:
    path = tmp_path / "dups.fastq"
    rows = [b"ACGTACGTAA", b"ACGTACGTAA", b"ACGTACGTAA", b"TTTTTTTTTT", b"GGGGGGGGGG"]
    path.write_bytes(b"".join(b"@r\n%s\n+\n%s\n" % (s, b"I" * len(s)) for s in rows))
    dup = validate_fastq(path).metrics["duplication"]
    assert (dup["sample_reads"], dup["distinct"]) == (5, 3)
    assert dup["duplicate_percent"] == 40.0
    assert dup["levels"] == {"1": 40.0, "3": 60.0}


def test_large_files_sample_every_16th_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "sampled.fastq"
    write_reads(path, random.Random(5), 1000, (140, 150))
    exact = validate_fastq(path).metrics
    monkeypatch.setattr(fastq, "SAMPLE_ALL_BELOW", 0)
    sampled = validate_fastq(path).metrics
    pos = sampled["per_position"]
    assert (pos["sample_every"], pos["sampled_reads"]) == (16, 63)  # reads 1, 17, ..., 993
    assert sum(count for _, count in sampled["per_read_mean_quality"]) == 63
    for key in (
        "reads",
        "bases",
        "gc_percent",
        "n_percent",
        "mean_quality",
        "q20_percent",
        "q30_percent",
        "length_histogram",
        "duplication",
    ):
        assert sampled[key] == exact[key], key
    assert pos["mean_quality"] == exact["per_position"]["mean_quality"]


def test_very_long_reads_keep_exact_extremes(tmp_path: Path) -> None:
    path = tmp_path / "ultra.fastq"
    rng = random.Random(6)
    records = []
    for length in (100, 70_000, 70_500):
        seq = "".join(rng.choice("ACGT") for _ in range(length))
        records.append(f"@u{length}\n{seq}\n+\n{'5' * length}\n")
    path.write_text("".join(records))
    m = validate_fastq(path).metrics
    assert (m["min_length"], m["max_length"], m["reads"]) == (100, 70_500, 3)
    assert m["length_histogram"] == [[100, 100, 1], [69_632, 70_655, 2]]
    assert m["mean_quality"] == 20.0
    assert m["per_position"]["positions"] == 1000
