"""Finding the imputation app, its panels and options, and checking tokens, on the fake server."""

from __future__ import annotations

import pytest

from genoflow_desktop.core.errors import UserError
from genoflow_desktop.core.services.cloudgene import CloudgeneBackend
from genoflow_desktop.core.services.errors import AccessDenied, AuthenticationFailed
from tests.integration.cloudgene.conftest import FakeCloudgene, Runner

pytestmark = pytest.mark.integration


def test_probe_describes_server_and_app(run: Runner) -> None:
    async def action(backend: CloudgeneBackend) -> str:
        return await backend.probe()

    assert run(action) == "Michigan Imputation Server (Cloudgene), imputationserver2 2.0.12"


def test_discovery_finds_the_app_panels_and_populations(
    run: Runner, cloudgene: FakeCloudgene
) -> None:
    async def action(backend: CloudgeneBackend) -> object:
        return await backend.imputation_app()

    app = run(action)
    assert app.id == "imputationserver2" and app.version == "2.0.12"  # type: ignore[attr-defined]
    panels = {p.id: p for p in app.panels}  # type: ignore[attr-defined]
    assert set(panels) == {"hapmap-2", "1000g-phase3-deep"}
    assert panels["hapmap-2"].key == "apps@hapmap-2@2.0.0"
    assert panels["hapmap-2"].name == "HapMap 2 (GRCh37/hg19)"
    assert {"eur", "off"} <= {c.value for c in panels["hapmap-2"].populations}
    assert [c.value for c in app.builds] == ["hg19", "hg38"]  # type: ignore[attr-defined]
    assert app.has_aes and app.has_meta  # type: ignore[attr-defined]
    # The HLA app is listed first; the client asked for the details of the right one.
    assert cloudgene.requests().get("GET /api/v2/server/apps/imputationserver2@2.0.12") == 1


def test_valid_token_reports_user_and_expiry(run: Runner) -> None:
    async def action(backend: CloudgeneBackend) -> object:
        return await backend.check_credentials()

    check = run(action)
    assert check.valid and check.username == "alice"  # type: ignore[attr-defined]
    assert check.expires_at is not None and "29 days left" in check.message  # type: ignore[attr-defined]


@pytest.mark.parametrize("state", ["expired", "revoked", "unknown"])
def test_bad_tokens_are_reported_invalid(run: Runner, cloudgene: FakeCloudgene, state: str) -> None:
    if state != "unknown":
        cloudgene.control("tokens", {"token": "bad-token", "state": state})

    async def action(backend: CloudgeneBackend) -> object:
        return await backend.check_credentials()

    check = run(action, token="bad-token")
    assert not check.valid and "Invalid API Token." in check.message  # type: ignore[attr-defined]


def test_unaccepted_token_explains_missing_apps(run: Runner) -> None:
    async def action(backend: CloudgeneBackend) -> object:
        return await backend.imputation_app()

    with pytest.raises(UserError, match="no applications for this token"):
        run(action, token="not-a-token")


def test_expired_token_is_401_and_revoked_token_403(run: Runner, cloudgene: FakeCloudgene) -> None:
    cloudgene.control("tokens", {"token": "old", "state": "expired"})
    cloudgene.control("tokens", {"token": "revoked", "state": "revoked"})

    async def jobs(backend: CloudgeneBackend) -> object:
        return await backend.client.jobs()

    with pytest.raises(AuthenticationFailed):
        run(jobs, token="old")
    with pytest.raises(AccessDenied):
        run(jobs, token="revoked")

    async def probe(backend: CloudgeneBackend) -> str:
        return await backend.probe()

    # The server itself is fine: probing falls back to what an anonymous visitor sees.
    assert run(probe, token="revoked") == "Michigan Imputation Server (Cloudgene)"
