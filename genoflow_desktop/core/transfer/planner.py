"""Part sizes and object keys: what an upload will look like before a byte is sent.

S3 multipart limits (https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html): parts
of 5 MiB to 5 GiB (only the last may be smaller), at most 10,000 parts, objects up to 5 TiB.
The user's preferred part size is kept when the file allows it; a file too large for 10,000
parts of that size gets the smallest part size that fits, rounded up to whole MiB.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from genoflow_desktop.core.errors import UserError

MiB = 1024 * 1024
GiB = 1024 * MiB
TiB = 1024 * GiB

MIN_PART_SIZE = 5 * MiB
MAX_PART_SIZE = 5 * GiB
MAX_PARTS = 10_000
MAX_OBJECT_SIZE = 5 * TiB

#: Default cap on part buffers held at once (concurrency x part size): enough for 4 x 256 MiB.
DEFAULT_MEMORY_BUDGET = 1 * GiB

#: Where no project or sample is given: keys keep a fixed depth, so clean-up can recognise them.
UNASSIGNED = "unassigned"

_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True, slots=True)
class PartPlan:
    size: int
    part_size: int
    part_count: int

    def part_range(self, number: int) -> tuple[int, int]:
        """(offset, length) of part ``number`` (1-based, as S3 numbers them)."""
        if not 1 <= number <= self.part_count:
            raise ValueError(f"part {number} is outside 1..{self.part_count}")
        offset = (number - 1) * self.part_size
        return offset, min(self.part_size, self.size - offset)


def _round_up(value: int, unit: int) -> int:
    return -(-value // unit) * unit


def plan_parts(size: int, preferred_part_size: int, *, name: str = "the file") -> PartPlan:
    """Choose the part size for a file of ``size`` bytes.

    Raises:
        UserError: the file is empty or larger than S3 allows for one object.
    """
    if size <= 0:
        raise UserError(
            f"{name} is empty (0 bytes): there is nothing to upload.",
            hint="Check that the file was copied or written completely.",
        )
    if size > MAX_OBJECT_SIZE:
        raise UserError(
            f"{name} is {size / TiB:.2f} TiB; S3 stores objects of at most 5 TiB.",
            hint="Split the file (for example per chromosome or per lane) and upload the pieces.",
        )
    part_size = min(max(preferred_part_size, MIN_PART_SIZE), MAX_PART_SIZE)
    smallest_that_fits = _round_up(-(-size // MAX_PARTS), MiB)
    part_size = max(part_size, smallest_that_fits)
    return PartPlan(size=size, part_size=part_size, part_count=-(-size // part_size))


def plan_from_journal(size: int, part_size: int) -> PartPlan:
    """The plan of an upload already begun: its part size is fixed by the parts already sent."""
    return PartPlan(size=size, part_size=part_size, part_count=-(-size // part_size))


def effective_concurrency(
    requested: int, part_size: int, memory_budget: int = DEFAULT_MEMORY_BUDGET
) -> int:
    """Parts in flight at once, so that ``concurrency x part size`` stays within ``memory_budget``.

    Every part in flight holds its bytes in memory (they are resent from there on a retry), so
    large parts (forced by very large files) lower the concurrency rather than raise the memory.
    """
    return max(1, min(requested, memory_budget // part_size))


def check_segment(value: str, what: str) -> str:
    """A project or sample id as it may appear in an object key and in object metadata."""
    if not _SEGMENT.match(value):
        raise UserError(
            f"The {what} '{value}' cannot be used in an S3 key.",
            hint=f"Use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit "
            f"(for example {what.split()[0].upper()}-001).",
        )
    return value


def clean_prefix(prefix: str) -> str:
    """A key prefix without leading/trailing slashes; '' for none."""
    cleaned = prefix.strip().strip("/")
    if "//" in cleaned or any(part in (".", "..") for part in cleaned.split("/") if cleaned):
        raise UserError(
            f"The key prefix '{prefix}' has an empty, '.' or '..' folder in it.",
            hint="Use something like 'genoflow' or 'lab/sequencing'.",
        )
    return cleaned


def object_key(
    prefix: str, project: str | None, sample: str | None, upload_id: str, filename: str
) -> str:
    """``{prefix}/{project}/{sample}/{upload_id}/{filename}`` (no leading slash when no prefix).

    The upload id in the key makes every upload its own object: a second upload of the same
    file never overwrites the first, and a resumed upload always targets the key it began with.
    """
    segments = [
        clean_prefix(prefix),
        check_segment(project, "project id") if project else UNASSIGNED,
        check_segment(sample, "sample id") if sample else UNASSIGNED,
        upload_id,
        filename,
    ]
    return "/".join(s for s in segments if s)


def is_app_key(key: str, prefix: str) -> bool:
    """Whether ``key`` has the shape of a key made by :func:`object_key` under ``prefix``.

    Clean-up aborts only uploads whose keys look like ours, so a bucket shared with other tools
    keeps their incomplete uploads even when our prefix is empty.
    """
    prefix = clean_prefix(prefix)
    if prefix:
        if not key.startswith(prefix + "/"):
            return False
        key = key[len(prefix) + 1 :]
    parts = key.split("/")
    return len(parts) == 4 and bool(_UPLOAD_ID.match(parts[2])) and all(parts)
