"""The sync engine through the core API against the real server: batches, pages, crash safety."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import func, select

from genoflow_desktop.core.domain import JobState
from genoflow_desktop.core.services.errors import ServiceUnavailable
from genoflow_desktop.core.store import Store, open_store
from genoflow_desktop.core.store.models import ORIGIN_LAB, Job
from genoflow_desktop.core.sync import account
from genoflow_desktop.core.sync.client import SyncClient
from genoflow_desktop.core.sync.engine import apply_page, pending_batch, sync_once, sync_status
from genoflow_desktop.core.sync.session import SyncSession, sign_in
from tests.integration.sync.conftest import PASSWORD, Admin, LabServer

pytestmark = pytest.mark.integration
T = TypeVar("T")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(tmp_path / "desktop" / "genoflow.sqlite3")
    yield store
    store.close()


def add_jobs(store: Store, count: int, prefix: str) -> list[str]:
    with store.session() as session:
        jobs = [
            Job(name=f"{prefix}-{i}", kind="imputation", state=JobState.QUEUED.value)
            for i in range(count)
        ]
        session.add_all(jobs)
        session.flush()
        return [job.id for job in jobs]


async def signed_in(store: Store, server: LabServer, email: str) -> SyncSession:
    return await sign_in(
        store, SyncClient(server.url), email=email, password=PASSWORD, remember=False
    )


def test_batches_pages_and_a_crash_at_any_point(
    store: Store, tmp_path: Path, lab_server: LabServer, admin: Admin
) -> None:
    admin.user("ada@lab.example", "Ada")
    admin.user("bo@lab.example", "Bo")
    lab = admin.lab("Genomics", {"ada@lab.example": "member", "bo@lab.example": "member"})
    mine = add_jobs(store, 5, "ada")

    async def scenario() -> None:
        session = await signed_in(store, lab_server, "ada@lab.example")
        try:
            # A crash right after a push, before the rows were marked: the next run sends the
            # same versions again and the server changes nothing.
            crashed = pending_batch(store, 500, frozenset())
            first = await session.push(crashed)
            assert {r["status"] for r in first["results"]} == {"created"}
            result = await sync_once(store, session, batch_size=2)
            assert (result.pushed, result.pulled, result.conflicts) == (5, 5, 0)
            again = await session.push(crashed)
            assert {r["status"] for r in again["results"]} == {"unchanged"}
            assert [r["seq"] for r in again["results"]] == [r["seq"] for r in first["results"]]
        finally:
            await session.client.aclose()

    asyncio.run(scenario())
    assert account.pending_count(store) == 0
    assert len(admin.pull_all(lab["id"])) == 5

    # Bo's desktop pulls in pages of 2, and crashes while applying the second page.
    other = open_store(tmp_path / "other" / "genoflow.sqlite3")
    calls = {"apply": 0}

    async def failing_db(fn: Callable[[], T], /) -> T:
        inner: Any = fn
        if isinstance(inner, partial) and inner.func is apply_page:
            calls["apply"] += 1
            if calls["apply"] == 2:
                raise OSError("disk went away")
        return fn()

    async def pull_with_a_crash() -> None:
        session = await signed_in(other, lab_server, "bo@lab.example")
        try:
            with pytest.raises(OSError):
                await sync_once(other, session, batch_size=2, run_db=failing_db)
            info = account.load_account(other)
            assert info is not None and info.pull_cursor > 0
            with other.session() as db:
                assert db.scalar(select(func.count()).select_from(Job)) == 2  # page 1 only
            result = await sync_once(other, session, batch_size=2)
            assert result.pulled == 3  # from the saved cursor on
        finally:
            await session.client.aclose()

    try:
        asyncio.run(pull_with_a_crash())
        with other.session() as db:
            rows = list(db.scalars(select(Job)))
            assert sorted(j.id for j in rows) == sorted(mine)
            assert {j.origin for j in rows} == {ORIGIN_LAB} and {j.owner for j in rows} == {"Ada"}
        assert sync_status(other).account is not None
    finally:
        other.close()


def test_offline_keeps_changes_pending_and_says_so(
    store: Store, lab_server: LabServer, admin: Admin
) -> None:
    admin.user("ada@lab.example", "Ada")
    admin.lab("Genomics", {"ada@lab.example": "member"})

    async def scenario() -> None:
        session = await signed_in(store, lab_server, "ada@lab.example")
        try:
            add_jobs(store, 3, "offline")
            lab_server.stop()
            with pytest.raises(ServiceUnavailable) as caught:
                await sync_once(store, session)
            assert "stay on this computer" in caught.value.hint
            assert account.pending_count(store) == 3
            info = account.load_account(store)
            assert info is not None and "could not be reached" in (info.last_error or "")
            lab_server.start()
            result = await sync_once(store, session)
            assert result.pushed == 3
            assert account.pending_count(store) == 0
            info = account.load_account(store)
            assert info is not None and info.last_error is None and info.last_sync_at
        finally:
            await session.client.aclose()

    asyncio.run(scenario())
