"""Submission: exact form fields as the server receives them, limits, local validation."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pytest

from genoflow_desktop.core.errors import UserError
from genoflow_desktop.core.services import credentials
from genoflow_desktop.core.services.cloudgene import CloudgeneBackend
from genoflow_desktop.core.services.errors import JobLimitReached, RequestRejected
from genoflow_desktop.core.services.http import send
from tests.integration.cloudgene.conftest import FakeCloudgene, Runner, job_spec

pytestmark = pytest.mark.integration


def submit(run: Runner, spec: object) -> str:
    async def action(backend: CloudgeneBackend) -> str:
        await backend.validate(spec)  # type: ignore[arg-type]
        return await backend.submit(spec)  # type: ignore[arg-type]

    return run(action)


def test_fields_files_and_password_as_received(
    run: Runner, cloudgene: FakeCloudgene, vcf: Path
) -> None:
    spec = job_spec(
        vcf, population="EUR", build="hg19", phasing="beagle", r2_filter=0.3, mode="imputation"
    )
    job_id = submit(run, spec)
    [received] = cloudgene.control("submissions")
    assert received["app"] == "imputationserver2"
    fields = dict(received["fields"])
    assert [name for name, _ in received["fields"]] == [
        "refpanel",
        "build",
        "phasing",
        "mode",
        "r2Filter",
        "population",
        "password",
        "job-name",
    ]
    assert fields["refpanel"] == "apps@hapmap-2@2.0.0"
    assert (fields["build"], fields["phasing"], fields["mode"]) == ("hg19", "beagle", "imputation")
    assert (fields["r2Filter"], fields["population"]) == ("0.3", "eur")
    assert fields["job-name"] == "study local-1"
    # AES and meta are off: their fields must be absent (present with any value = on).
    assert "aesEncryption" not in fields and "meta" not in fields
    assert received["files"] == [
        {
            "field": "files",
            "filename": "chr20.vcf.gz",
            "size": vcf.stat().st_size,
            "sha256": hashlib.sha256(vcf.read_bytes()).hexdigest(),
        }
    ]
    password = credentials.get_job_password("local-1")
    assert password is not None and fields["password"] == password
    server_side = cloudgene.job(job_id)
    assert server_side["password"] == password  # survived Cloudgene's HTML escaping unchanged
    assert server_side["params"]["aesEncryption"] != "true"
    assert server_side["name"] == "study local-1"


def test_aes_and_meta_are_sent_only_when_on(
    run: Runner, cloudgene: FakeCloudgene, vcf: Path
) -> None:
    job_id = submit(run, job_spec(vcf, aes=True, meta=True))
    fields = dict(cloudgene.control("submissions")[0]["fields"])
    assert fields["aesEncryption"] == "true" and fields["meta"] == "true"
    assert cloudgene.job(job_id)["params"]["aesEncryption"] == "true"


def test_resubmitting_the_same_job_reuses_its_password(
    run: Runner, cloudgene: FakeCloudgene, vcf: Path
) -> None:
    submit(run, job_spec(vcf))
    submit(run, job_spec(vcf))
    first, second = cloudgene.control("submissions")
    assert dict(first["fields"])["password"] == dict(second["fields"])["password"]


def test_job_limit(run: Runner, cloudgene: FakeCloudgene, vcf: Path) -> None:
    first = submit(run, job_spec(vcf, job_id="a"))
    submit(run, job_spec(vcf, job_id="b"))
    with pytest.raises(JobLimitReached) as caught:
        submit(run, job_spec(vcf, job_id="c"))
    assert caught.value.limit == 2
    cloudgene.set_state(first, 4)  # one finished: a slot is free again
    submit(run, job_spec(vcf, job_id="c"))
    assert len(cloudgene.control("submissions")) == 3


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"refpanel": "hrc-r1.1"}, "not a reference panel"),
        ({"population": "amr"}, "not a population of hapmap-2"),
        ({"build": "hg18"}, "not a build"),
        ({"phasing": "shapeit"}, "not a phasing"),
        ({"r2_filter": "0.5"}, "not a r2 filter"),
    ],
)
def test_invalid_settings_are_refused_before_any_upload(
    run: Runner, cloudgene: FakeCloudgene, vcf: Path, params: dict[str, str], message: str
) -> None:
    with pytest.raises(UserError, match=message):
        submit(run, job_spec(vcf, **params))
    assert not any("submit" in path for path in cloudgene.requests())


def test_inputs_are_checked_before_any_upload(
    run: Runner, cloudgene: FakeCloudgene, tmp_path: Path
) -> None:
    plain_gzip = tmp_path / "chr1.vcf.gz"
    plain_gzip.write_bytes(gzip.compress(b"##fileformat=VCFv4.2\n"))
    with pytest.raises(UserError, match="plain gzip") as caught:
        submit(run, job_spec(plain_gzip))
    assert "bgzip" in caught.value.hint
    uncompressed = tmp_path / "x.vcf"
    uncompressed.write_text("##fileformat=VCFv4.2\n")
    with pytest.raises(UserError, match=r"does not end with \.vcf\.gz"):
        submit(run, job_spec(uncompressed))
    assert not any("submit" in path for path in cloudgene.requests())


def test_server_rejects_unknown_fields_and_non_multipart(
    run: Runner, cloudgene: FakeCloudgene
) -> None:
    """The fake enforces what the client relies on: any extra field would fail a real submit."""

    async def unknown(backend: CloudgeneBackend) -> str:
        return await backend.client.submit("imputationserver2", [("files-source", "upload")], [])

    with pytest.raises(RequestRejected, match=r"Parameter 'files-source' not found\."):
        run(unknown)

    async def urlencoded(backend: CloudgeneBackend) -> object:
        return await send(
            backend.client.http,
            "POST",
            "/api/v2/jobs/submit/imputationserver2",
            service="MIS",
            data={"refpanel": "hapmap-2"},
        )

    with pytest.raises(RequestRejected, match="HTTP 415") as caught:
        run(urlencoded)
    assert "multipart/form-data" in caught.value.message
