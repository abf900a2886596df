"""`genoflow upload` killed with SIGKILL mid-upload; a second run resumes, sending nothing twice."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from genoflow_desktop.core.transfer.planner import MiB
from tests.integration.conftest import ACCESS_KEY_ID, SECRET_KEY, cli_env, make_file, s3_client
from tests.integration.s3_proxy import FaultProxy

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX"),
]


def genoflow(
    *args: str, env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "genoflow_desktop", *args],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_killed_upload_resumes_without_resending_acknowledged_parts(
    tmp_path: Path, proxy: FaultProxy, moto_endpoint: str, bucket: str
) -> None:
    env = cli_env(tmp_path)
    base = str(tmp_path / "base")
    added = genoflow(
        "s3",
        "add-profile",
        "lab",
        "--endpoint-url",
        proxy.endpoint,
        "--bucket",
        bucket,
        "--prefix",
        "runs",
        "--access-key-id",
        ACCESS_KEY_ID,
        "--basedir",
        base,
        env=env,
        stdin=SECRET_KEY + "\n",
    )
    assert added.returncode == 0, added.stderr
    source = tmp_path / "HG002.R1.fastq.gz"
    data = make_file(source, 60 * MiB + 5)  # 13 parts of 5 MiB
    proxy.part_delay = 0.25  # slow enough to be caught in the middle

    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "genoflow_desktop",
            "upload",
            str(source),
            "--profile",
            "lab",
            "--project",
            "GIAB",
            "--sample",
            "HG002",
            "--part-size-mib",
            "5",
            "--concurrency",
            "2",
            "--json",
            "--basedir",
            base,
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 90
    while len(proxy.acks) < 4:
        assert process.poll() is None, "the upload ended before it could be killed"
        assert time.monotonic() < deadline, "no progress within 90 s"
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(30)
    proxy.wait_idle()  # a part the dead process had sent may still be on its way to S3

    listed = genoflow("uploads", "--json", "--basedir", base, env=env)
    assert listed.returncode == 0, listed.stderr
    [interrupted] = json.loads(listed.stdout)
    assert interrupted["status"] == "uploading"  # as the killed process left it
    assert 0 < interrupted["bytes_done"] < len(data)
    upload_id = interrupted["upload_id"]
    acks_at_kill = len(proxy.acks)

    proxy.part_delay = 0
    resumed = genoflow("upload", "--resume", upload_id[:10], "--json", "--basedir", base, env=env)
    assert resumed.returncode == 0, resumed.stderr
    [done] = json.loads(resumed.stdout)
    assert {"upload_id", "bucket", "key", "size", "md5", "sha256", "parts", "status"} <= done.keys()
    assert done["status"] == "completed" and done["upload_id"] == upload_id
    assert (done["bucket"], done["size"], done["parts"]) == (bucket, len(data), 13)
    assert done["key"] == f"runs/GIAB/HG002/{upload_id}/HG002.R1.fastq.gz"
    assert done["md5"] == hashlib.md5(data).hexdigest()
    assert done["sha256"] == hashlib.sha256(data).hexdigest()

    client = s3_client(moto_endpoint)
    assert client.get_object(Bucket=bucket, Key=done["key"])["Body"].read() == data
    assert not client.list_multipart_uploads(Bucket=bucket).get("Uploads")
    # Counted at the server side of the proxy: each part acknowledged exactly once in total,
    # and the second run sent only the parts the first one had not got acknowledged.
    counts = proxy.ack_counts()
    assert sorted(number for _upload, number in counts) == list(range(1, 14))
    assert set(counts.values()) == {1}
    assert len(proxy.acks) - acks_at_kill == 13 - acks_at_kill

    # The secret key is in the keychain only: not in the database, the logs or any output.
    database = (tmp_path / "base" / "data" / "genoflow.sqlite3").read_bytes()
    logs = b"".join(p.read_bytes() for p in (tmp_path / "base" / "logs").glob("*.log*"))
    for text in (database, logs, resumed.stdout.encode(), listed.stdout.encode()):
        assert SECRET_KEY.encode() not in text
    assert ACCESS_KEY_ID.encode() in database  # the (non-secret) key id is kept
