"""Part plans stay within S3's limits; object keys have the documented shape."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from genoflow_desktop.core.errors import UserError
from genoflow_desktop.core.transfer.planner import (
    MAX_OBJECT_SIZE,
    MAX_PART_SIZE,
    MAX_PARTS,
    MIN_PART_SIZE,
    GiB,
    MiB,
    TiB,
    effective_concurrency,
    is_app_key,
    object_key,
    plan_parts,
)

UPLOAD_ID = "0123456789abcdef0123456789abcdef"


@given(size=st.integers(1, MAX_OBJECT_SIZE), preferred=st.integers(0, 8 * GiB))
def test_every_plan_is_within_s3_limits(size: int, preferred: int) -> None:
    plan = plan_parts(size, preferred)
    assert 1 <= plan.part_count <= MAX_PARTS
    assert MIN_PART_SIZE <= plan.part_size <= MAX_PART_SIZE
    assert plan.part_size % MiB == 0 or plan.part_size == min(
        max(preferred, MIN_PART_SIZE), MAX_PART_SIZE
    )
    offset, last = plan.part_range(plan.part_count)
    assert offset + last == size and 0 < last <= plan.part_size
    # The preferred size is kept whenever 10,000 parts of it hold the file.
    wanted = min(max(preferred, MIN_PART_SIZE), MAX_PART_SIZE)
    if wanted * MAX_PARTS >= size:
        assert plan.part_size == wanted


@pytest.mark.parametrize(
    ("size", "preferred", "part_size", "parts"),
    [
        (1, 64 * MiB, 64 * MiB, 1),
        (64 * MiB, 64 * MiB, 64 * MiB, 1),
        (64 * MiB + 1, 64 * MiB, 64 * MiB, 2),
        (100 * GiB, 64 * MiB, 64 * MiB, 1600),
        (100 * GiB, 1 * MiB, 11 * MiB, 9310),  # 5 MiB would need 20,480 parts
        (1 * TiB, 64 * MiB, 105 * MiB, 9987),
        (5 * TiB, 16 * MiB, 525 * MiB, 9987),
        (10 * GiB, 8 * GiB, 5 * GiB, 2),
    ],
)
def test_known_plans(size: int, preferred: int, part_size: int, parts: int) -> None:
    plan = plan_parts(size, preferred)
    assert (plan.part_size, plan.part_count) == (part_size, parts)


def test_part_ranges_tile_the_file() -> None:
    plan = plan_parts(17 * MiB + 3, 5 * MiB)
    ranges = [plan.part_range(n) for n in range(1, plan.part_count + 1)]
    assert ranges == [
        (0, 5 * MiB),
        (5 * MiB, 5 * MiB),
        (10 * MiB, 5 * MiB),
        (15 * MiB, 2 * MiB + 3),
    ]
    with pytest.raises(ValueError):
        plan.part_range(5)


def test_files_s3_cannot_take_are_refused_plainly() -> None:
    with pytest.raises(UserError, match="empty") as empty:
        plan_parts(0, 64 * MiB, name="reads.fq.gz")
    assert "reads.fq.gz" in empty.value.message
    with pytest.raises(UserError, match="at most 5 TiB") as huge:
        plan_parts(MAX_OBJECT_SIZE + 1, 64 * MiB)
    assert "Split" in huge.value.hint


def test_concurrency_shrinks_to_keep_memory_bounded() -> None:
    assert effective_concurrency(4, 64 * MiB) == 4
    assert effective_concurrency(8, 256 * MiB) == 4  # 1 GiB budget
    assert effective_concurrency(4, 5 * GiB) == 1
    assert effective_concurrency(4, 64 * MiB, memory_budget=100 * MiB) == 1


def test_object_keys() -> None:
    assert (
        object_key("genoflow", "PRJ-1", "NA12878", UPLOAD_ID, "x.bam")
        == f"genoflow/PRJ-1/NA12878/{UPLOAD_ID}/x.bam"
    )
    assert (
        object_key("", None, None, UPLOAD_ID, "x.bam") == f"unassigned/unassigned/{UPLOAD_ID}/x.bam"
    )
    assert object_key("/a/b/", "P", "S", UPLOAD_ID, "r 1.fq") == f"a/b/P/S/{UPLOAD_ID}/r 1.fq"
    with pytest.raises(UserError, match="sample id 'S/1'"):
        object_key("p", "P", "S/1", UPLOAD_ID, "x")
    with pytest.raises(UserError, match="prefix"):
        object_key("a//b", "P", "S", UPLOAD_ID, "x")
    with pytest.raises(UserError):
        object_key("a/../b", "P", "S", UPLOAD_ID, "x")


@pytest.mark.parametrize(
    ("key", "prefix", "ours"),
    [
        (f"genoflow/P/S/{UPLOAD_ID}/x.bam", "genoflow", True),
        (f"P/S/{UPLOAD_ID}/x.bam", "", True),
        (f"genoflow/P/S/{UPLOAD_ID}/x.bam", "other", False),
        ("genoflow/P/S/not-an-id/x.bam", "genoflow", False),
        (f"genoflow/P/{UPLOAD_ID}/x.bam", "genoflow", False),
        ("genoflow/backup.tar", "genoflow", False),
        (f"genoflowX/P/S/{UPLOAD_ID}/x.bam", "genoflow", False),
    ],
)
def test_cleanup_recognises_only_keys_of_ours(key: str, prefix: str, ours: bool) -> None:
    assert is_app_key(key, prefix) is ours
