"""Paired-end FASTQ: grouping by name, equal read counts and matching read ids."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

import pytest

from genoflow_desktop.core.domain import Verdict
from genoflow_desktop.core.validation import text_stream
from genoflow_desktop.core.validation.fastq import pair_files, validate_fastq_pair


def write_pair(
    folder: Path,
    n: int,
    *,
    r2_names: list[str] | None = None,
    style: str = "casava",
    r2_reads: int | None = None,
    wrap_r2: bool = False,
) -> tuple[Path, Path]:
    rng = random.Random(n)
    r1, r2 = folder / "s_R1_001.fastq.gz", folder / "s_R2_001.fastq.gz"
    names = [f"M00123:7:000-ABC:1:1101:{1000 + i}:{2000 + i}" for i in range(n)]
    mates = r2_names if r2_names is not None else names
    out = []
    for mate, ids, count in ((1, names, n), (2, mates, r2_reads if r2_reads is not None else n)):
        lines = []
        for name in ids[:count]:
            length = rng.randint(30, 151)
            seq = "".join(rng.choice("ACGT") for _ in range(length))
            title = f"{name} {mate}:N:0:ACGT" if style == "casava" else f"{name}/{mate}"
            if wrap_r2 and mate == 2:
                lines.append(f"@{title}\n{seq[:20]}\n{seq[20:]}\n+\n{'I' * length}\n")
            else:
                lines.append(f"@{title}\n{seq}\n+\n{'I' * length}\n")
        out.append("".join(lines).encode())
    r1.write_bytes(gzip.compress(out[0]))
    r2.write_bytes(gzip.compress(out[1]))
    return r1, r2


@pytest.mark.parametrize("style", ["casava", "slash"])
def test_matching_pair_passes(tmp_path: Path, style: str) -> None:
    r1, r2 = write_pair(tmp_path, 500, style=style)
    rep1, rep2 = validate_fastq_pair(r1, r2)
    assert rep1.verdict is Verdict.VALID and rep2.verdict is Verdict.VALID
    assert rep1.records == rep2.records == 500


def test_matching_pair_read_in_small_buffers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(text_stream, "CHUNK_SIZE", 3000)
    monkeypatch.setattr(text_stream, "RAW_BLOCK", 500)
    r1, r2 = write_pair(tmp_path, 800, wrap_r2=True)  # R2 goes through the slow parser
    rep1, rep2 = validate_fastq_pair(r1, r2)
    assert rep1.error_count == rep2.error_count == 0, [f.message for f in rep1.errors]


def test_mismatched_ids_fail_in_both_reports(tmp_path: Path) -> None:
    names = [f"M00123:7:000-ABC:1:1101:{1000 + i}:{2000 + i}" for i in range(300)]
    swapped = list(names)
    swapped[41], swapped[42] = swapped[42], swapped[41]
    r1, r2 = write_pair(tmp_path, 300, r2_names=swapped)
    rep1, rep2 = validate_fastq_pair(r1, r2)
    for rep in (rep1, rep2):
        assert rep.verdict is Verdict.INVALID
        found = [f for f in rep.errors if f.code == "pair.id_mismatch"]
        assert [f.record for f in found] == [42, 43]
        assert "1101:1041:2041" in found[0].message and "1101:1042:2042" in found[0].message
        assert "R1 (s_R1_001.fastq.gz)" in found[0].message


def test_unequal_counts_fail(tmp_path: Path) -> None:
    r1, r2 = write_pair(tmp_path, 400, r2_reads=399)
    rep1, rep2 = validate_fastq_pair(r1, r2)
    for rep in (rep1, rep2):
        codes = [f.code for f in rep.errors]
        assert codes == ["pair.count_mismatch"]
        assert "400" in rep.errors[0].message and "399" in rep.errors[0].message


def test_many_mismatches_are_summarised(tmp_path: Path) -> None:
    r1, r2 = write_pair(tmp_path, 200, r2_names=[f"other{i}" for i in range(200)])
    rep1, _ = validate_fastq_pair(r1, r2)
    codes = [f.code for f in rep1.errors]
    assert codes.count("pair.id_mismatch") == 5
    assert "pair.id_mismatch_total" in codes


def test_pair_files_groups_by_name() -> None:
    given = [
        "run/S1_L001_R2_001.fastq.gz",
        "run/S1_L001_R1_001.fastq.gz",
        "run/SRR1_1.fq",
        "run/SRR1_2.fq",
        "run/lib.1.fastq.bz2",
        "run/lib.2.fastq.bz2",
        "run/alone_R1.fastq",
        "run/notes.txt",
        "other/SRR1_2.fq",
        "run/x_R1.fastq",
        "run/x_2.fastq",
    ]
    p = [Path(x) for x in given]
    assert pair_files(given) == [
        (p[1], p[0]),
        (p[2], p[3]),
        (p[4], p[5]),
        p[6],
        p[7],
        p[8],
        p[9],
        p[10],
    ]


def test_pair_files_needs_same_suffix_and_folder() -> None:
    assert pair_files(["a/s_R1.fastq.gz", "a/s_R2.fastq"]) == [
        Path("a/s_R1.fastq.gz"),
        Path("a/s_R2.fastq"),
    ]
    assert pair_files(["a/s_R1.fq", "b/s_R2.fq"]) == [Path("a/s_R1.fq"), Path("b/s_R2.fq")]
