"""Result downloads against the fake: once per file, decrypted, safe, and kept across runs."""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path

import pysam
import pytest

from genoflow_desktop.core.errors import UserError
from genoflow_desktop.core.jobs.backend import DownloadedFile, JobSpec, RemoteStatus
from genoflow_desktop.core.services import credentials
from genoflow_desktop.core.services.cloudgene import CloudgeneBackend
from tests.integration.cloudgene.conftest import FakeCloudgene, Runner, job_spec

pytestmark = pytest.mark.integration

ALL_FILES = [
    "chr20.dose.vcf.gz",
    "chr20.info.gz",
    "chr_20.zip",
    "qc_report.txt",
    "quality-control.html",
    "statistics/snps-excluded.txt",
]


def finished_job(
    run: Runner, cloudgene: FakeCloudgene, spec: JobSpec, final_state: int = 4, **archive: object
) -> str:
    async def action(backend: CloudgeneBackend) -> str:
        return await backend.submit(spec)

    job_id = run(action)
    if archive:
        cloudgene.control(f"jobs/{job_id}/archive", dict(archive))
    cloudgene.set_state(job_id, 2)
    cloudgene.set_state(job_id, final_state, failure="qc")
    return job_id


def download(
    run: Runner, spec: JobSpec, job_id: str, destination: Path
) -> tuple[RemoteStatus, Sequence[DownloadedFile]]:
    async def action(backend: CloudgeneBackend) -> tuple[RemoteStatus, Sequence[DownloadedFile]]:
        status = await backend.status(job_id)
        return status, await backend.download(spec, status, destination)

    return run(action)


def read_dose(path: Path) -> list[tuple[str, int]]:
    with pysam.VariantFile(str(path)) as vcf:
        assert list(vcf.header.samples) == ["S1", "S2", "S3"]
        return [(record.contig, record.pos) for record in vcf]


def test_every_file_once_decrypted_and_skipped_next_time(
    run: Runner, cloudgene: FakeCloudgene, vcf: Path, tmp_path: Path
) -> None:
    spec = job_spec(vcf)
    job_id = finished_job(run, cloudgene, spec)
    out = tmp_path / "results"
    _, files = download(run, spec, job_id, out)
    assert sorted(f.name for f in files) == ALL_FILES
    assert {f.name: f.extracted_from for f in files}["chr20.dose.vcf.gz"] == "chr_20.zip"
    # The default archive is ZipCrypto (method deflate, not AES's 99).
    with zipfile.ZipFile(out / "chr_20.zip") as archive:
        assert {info.compress_type for info in archive.infolist()} == {zipfile.ZIP_DEFLATED}
        assert all(info.flag_bits & 1 for info in archive.infolist())
    assert read_dose(out / "chr20.dose.vcf.gz") == [
        ("20", 61795),
        ("20", 63231),
        ("20", 63244),
        ("20", 65900),
    ]
    counts = cloudgene.job(job_id)["downloads"]
    assert counts == {name: 9 for name in counts} and len(counts) == 4
    shares = {path: n for path, n in cloudgene.requests().items() if "/share/results/" in path}
    assert len(shares) == 4 and set(shares.values()) == {1}
    # The files went without the token.
    assert not any(entry["token_sent"] for entry in cloudgene.control("downloads"))

    _, again = download(run, spec, job_id, out)
    assert sorted(f.name for f in again) == ALL_FILES
    assert cloudgene.job(job_id)["downloads"] == counts  # nothing fetched twice


def test_aes_archives_and_hg38_panels(
    run: Runner, cloudgene: FakeCloudgene, vcf: Path, tmp_path: Path
) -> None:
    spec = job_spec(vcf, refpanel="1000g-phase3-deep", population="afr", build="hg38", aes=True)
    job_id = finished_job(run, cloudgene, spec)
    out = tmp_path / "results"
    download(run, spec, job_id, out)
    with zipfile.ZipFile(out / "chr_20.zip") as archive:
        assert {info.compress_type for info in archive.infolist()} == {99}  # WinZip AES
    assert read_dose(out / "chr20.dose.vcf.gz")[0] == ("chr20", 61795)


def test_redirected_downloads_labelled_json_still_arrive(
    run: Runner, cloudgene: FakeCloudgene, vcf: Path, tmp_path: Path
) -> None:
    cloudgene.control(
        "config", {"redirect_downloads": True, "download_content_type": "application/json"}
    )
    spec = job_spec(vcf)
    job_id = finished_job(run, cloudgene, spec)
    _, files = download(run, spec, job_id, tmp_path / "results")
    assert sorted(f.name for f in files) == ALL_FILES
    log = cloudgene.control("downloads")
    assert len([e for e in log if e["path"].startswith("/_storage/")]) == 4
    assert not any(entry["token_sent"] for entry in log)


@pytest.mark.parametrize("member", ["../x", "/tmp/genoflow-cloudgene-abs-x"])
def test_malicious_members_are_refused_and_nothing_escapes(
    run: Runner, cloudgene: FakeCloudgene, vcf: Path, tmp_path: Path, member: str
) -> None:
    spec = job_spec(vcf)
    job_id = finished_job(run, cloudgene, spec, extra_members=[member])
    out = tmp_path / "results"
    with pytest.raises(UserError, match="nothing was extracted"):
        download(run, spec, job_id, out)
    assert (out / "chr_20.zip").is_file()  # kept as downloaded
    assert not (out / "chr20.dose.vcf.gz").exists()
    assert not (tmp_path / "x").exists() and not Path("/tmp/genoflow-cloudgene-abs-x").exists()


def test_failed_job_keeps_its_qc_report(
    run: Runner, cloudgene: FakeCloudgene, vcf: Path, tmp_path: Path
) -> None:
    spec = job_spec(vcf)
    job_id = finished_job(run, cloudgene, spec, final_state=5)
    status, files = download(run, spec, job_id, tmp_path / "results")
    assert status.error is not None and "strand flips" in status.error
    assert sorted(f.name for f in files) == [
        "qc_report.txt",
        "quality-control.html",
        "statistics/snps-excluded.txt",
    ]
    assert (tmp_path / "results" / "qc_report.txt").read_text().startswith("::group type=message::")


def test_password_from_the_summary_when_the_keychain_lost_it(
    run: Runner, cloudgene: FakeCloudgene, vcf: Path, tmp_path: Path
) -> None:
    spec = job_spec(vcf)
    job_id = finished_job(run, cloudgene, spec)
    credentials.delete_job_password(spec.job_id)
    _, files = download(run, spec, job_id, tmp_path / "results")
    assert "chr20.dose.vcf.gz" in {f.name for f in files}


def test_summary_password_wins_when_ours_does_not_fit(
    run: Runner, cloudgene: FakeCloudgene, vcf: Path, tmp_path: Path
) -> None:
    spec = job_spec(vcf)
    job_id = finished_job(run, cloudgene, spec)
    credentials.set_job_password(spec.job_id, "not-the-servers-password")
    _, files = download(run, spec, job_id, tmp_path / "results")
    assert "chr20.dose.vcf.gz" in {f.name for f in files}


def test_no_password_anywhere_keeps_the_archive(
    run: Runner, cloudgene: FakeCloudgene, vcf: Path, tmp_path: Path
) -> None:
    cloudgene.control("config", {"send_mail": True})
    spec = job_spec(vcf)
    job_id = finished_job(run, cloudgene, spec)
    credentials.delete_job_password(spec.job_id)
    with pytest.raises(UserError, match="password is not known"):
        download(run, spec, job_id, tmp_path / "results")
    assert (tmp_path / "results" / "chr_20.zip").is_file()


def test_exhausted_counters_and_retired_jobs(
    run: Runner, cloudgene: FakeCloudgene, vcf: Path, tmp_path: Path
) -> None:
    spec = job_spec(vcf)
    job_id = finished_job(run, cloudgene, spec)
    cloudgene.control(f"jobs/{job_id}/downloads", {"count": 0})
    with pytest.raises(UserError, match="limited number of times") as caught:
        download(run, spec, job_id, tmp_path / "a")
    assert "4 of 4" in caught.value.message and not caught.value.retryable

    other = finished_job(run, cloudgene, job_spec(vcf, job_id="local-2"))
    cloudgene.set_state(other, 7)
    with pytest.raises(UserError, match="no longer has"):
        download(run, job_spec(vcf, job_id="local-2"), other, tmp_path / "b")
