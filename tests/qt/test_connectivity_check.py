"""Health probes answer fast, and "Check now" (the status bar, the Upload and Settings views)
probes at once. Only a closed port on 127.0.0.1 is ever contacted."""

from __future__ import annotations

import asyncio
import time

import pytest

from genoflow_desktop.core.domain import ServiceKind
from genoflow_desktop.core.services import http
from genoflow_desktop.core.services.backends import ServiceRef, make_backend
from genoflow_desktop.core.services.catalog import add_service, check_health
from genoflow_desktop.core.services.credentials import set_token
from genoflow_desktop.core.store import Store
from genoflow_desktop.core.transfer.profiles import Profile, save_profile
from tests.integration.conftest import _free_port

#: What "fail fast" means for a refused connection (the retries used to take ~7 s).
FAST_S = 1.5


@pytest.mark.parametrize("kind", [ServiceKind.CLOUDGENE, ServiceKind.WES])
def test_health_check_of_a_closed_port_answers_at_once(kind: ServiceKind) -> None:
    backend = make_backend(ServiceRef("Closed", kind, f"http://127.0.0.1:{_free_port()}"), None)

    async def probe() -> tuple[float, object]:
        started = time.monotonic()
        try:
            health = await check_health("Closed", backend)
        finally:
            await backend.aclose()
        return time.monotonic() - started, health

    elapsed, health = asyncio.run(probe())
    assert elapsed < FAST_S
    assert not health.reachable and not health.api_ok  # type: ignore[attr-defined]
    assert "could not be reached" in health.error  # type: ignore[attr-defined]


def test_job_requests_keep_their_retries() -> None:
    """Only requests inside ``probing()`` are tried once; the others still retry."""
    import httpx

    calls: list[str] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        raise httpx.ConnectError("refused", request=request)

    async def run() -> None:
        async def no_sleep(_: float) -> None:
            return None

        client = http.new_client("http://127.0.0.1:9", transport=httpx.MockTransport(refuse))
        for probing in (True, False):
            try:
                if probing:
                    with http.probing():
                        await http.send(client, "GET", "/a", service="S", sleep=no_sleep)
                else:
                    await http.send(client, "GET", "/b", service="S", sleep=no_sleep)
            except http.ServiceUnavailable:
                pass
        await client.aclose()

    asyncio.run(run())
    assert calls == ["/a", "/b", "/b", "/b", "/b"]


def _configure_unreachable(store: Store) -> None:
    with store.session() as session:
        add_service(session, "Lab MIS", "cloudgene", f"http://127.0.0.1:{_free_port()}")
        set_token(session, "Lab MIS", "token")
        save_profile(
            session,
            Profile("lab", "lab-bucket", f"http://127.0.0.1:{_free_port()}", access_key_id="AK"),
            "secret",
        )


def test_check_now_from_the_status_bar_and_the_views(  # type: ignore[no-untyped-def]
    qtbot, loop, genoflow_app, store: Store
) -> None:
    _configure_unreachable(store)
    monitor = genoflow_app.connectivity
    with qtbot.waitSignal(monitor.check_finished, timeout=5000):
        genoflow_app.services_ready()  # starts the monitor: the first round of probes
    try:
        _check_now_everywhere(qtbot, genoflow_app)
    finally:
        monitor.stop()  # its timer must not fire into later tests


def _check_now_everywhere(qtbot, genoflow_app) -> None:  # type: ignore[no-untyped-def]
    monitor = genoflow_app.connectivity
    indicator = genoflow_app.connectivity_label
    upload = genoflow_app.views["upload"]
    assert indicator.text() == "Offline: 2 services unreachable"
    assert "Lab MIS" in indicator.toolTip() and "Click to check" in indicator.toolTip()

    # The status bar: a click probes everything now, whatever the back-off says.
    started = time.monotonic()
    with qtbot.waitSignal(monitor.check_finished, timeout=5000):
        indicator.click()
        assert indicator.text() == "Checking…" and not indicator.isEnabled()
    assert time.monotonic() - started < FAST_S
    assert indicator.isEnabled() and indicator.text() == "Offline: 2 services unreachable"

    # The Upload view: "Check now" next to the offline destination's reason.
    upload.refresh()
    qtbot.waitUntil(lambda: upload.profile.count() == 1)
    assert not upload.upload_button.isEnabled()
    assert upload.check_now_button.isVisibleTo(upload)
    with qtbot.waitSignal(monitor.check_finished, timeout=5000):
        upload.check_now_button.click()

    # Settings: "Check now" next to the offline service's reason.
    settings_view = genoflow_app.views["settings"]
    services = settings_view.services
    qtbot.waitUntil(lambda: services.table.topLevelItemCount() > 0)
    item = next(
        services.table.topLevelItem(i)
        for i in range(services.table.topLevelItemCount())
        if services.table.topLevelItem(i).text(0) == "Lab MIS"
    )
    item.setSelected(True)
    assert services.check_now_button.isVisibleTo(services)
    with qtbot.waitSignal(monitor.check_finished, timeout=5000):
        services.check_now_button.click()
