import hashlib
import os
from pathlib import Path

import pytest

from genoflow_desktop.core.errors import Cancelled
from genoflow_desktop.core.progress import CancelToken
from genoflow_desktop.core.validation.checksums import CHUNK_SIZE, file_digests


@pytest.mark.parametrize("size", [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, 3 * CHUNK_SIZE + 17])
def test_digests_match_hashlib(tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    digests = file_digests(path)
    assert digests.md5 == hashlib.md5(data).hexdigest()
    assert digests.sha256 == hashlib.sha256(data).hexdigest()


def test_cancel_stops_hashing(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(os.urandom(3 * CHUNK_SIZE))
    token = CancelToken()
    reports = []

    def progress(p):  # type: ignore[no-untyped-def]
        reports.append(p)
        token.cancel()

    with pytest.raises(Cancelled):
        file_digests(path, progress=progress, cancel=token)
    assert len(reports) == 1
