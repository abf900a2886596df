"""One sync run: push what changed here, then pull what changed in the lab.

:func:`sync_once` is safe to stop at any point and run again:

* a push is an idempotent upsert on the server, and a row is marked as pushed (its
  ``synced_at`` set to the ``updated_at`` that was sent) only after the server answered, so a
  crash before that just sends the same version again, which the server reports "unchanged";
* each pulled page is applied and its cursor saved in one transaction, so a crash either keeps
  both or neither, and applying a record twice changes nothing (merge is idempotent);
* offline, the run stops with :class:`~genoflow_desktop.core.services.errors.ServiceUnavailable`
  and nothing is lost: local changes stay pending until a run reaches the server.

Store work runs through ``run_db`` in short transactions: the app passes its single-writer
``db`` executor, the command line runs it inline.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, Protocol, TypeVar

from sqlalchemy import select, update

from genoflow_desktop.core.domain.sync import RecordKind, unknown_fields
from genoflow_desktop.core.errors import UserError
from genoflow_desktop.core.store import Store
from genoflow_desktop.core.store.models import Job as JobRow
from genoflow_desktop.core.store.models import SyncAccount, Upload
from genoflow_desktop.core.sync import account
from genoflow_desktop.core.sync.client import MAX_BATCH
from genoflow_desktop.core.sync.records import Owner, apply_record, parse_time, record_of
from genoflow_desktop.core.sync.session import SyncSession

log = logging.getLogger(__name__)

T = TypeVar("T")
MODELS: dict[RecordKind, type[JobRow] | type[Upload]] = {
    RecordKind.JOB: JobRow,
    RecordKind.UPLOAD: Upload,
}
#: Push statuses meaning the server holds the version that was sent (merged with its own).
ACCEPTED = frozenset({"created", "updated", "unchanged"})


class DbRunner(Protocol):
    def __call__(self, fn: Callable[[], T], /) -> Awaitable[T]: ...


async def run_inline(fn: Callable[[], T], /) -> T:
    return fn()


@dataclass(frozen=True, slots=True)
class SyncResult:
    #: Records the server accepted.
    pushed: int
    #: Records pulled and applied (including this machine's own, coming back).
    pulled: int
    #: Records both sides had changed: pulled ones that met local changes not yet pushed
    #: (merged, and the merge pushed next run), plus the pushes the server refused.
    conflicts: int
    #: Pushed records the server refused (someone else's record, and not a lab admin).
    refused: int
    cursor: int

    def to_dict(self) -> dict[str, int]:
        return {
            "pushed": self.pushed,
            "pulled": self.pulled,
            "conflicts": self.conflicts,
            "refused": self.refused,
            "cursor": self.cursor,
        }


# -- store work (each function is one short transaction) --------------------------------------


def pending_batch(store: Store, limit: int, skip: frozenset[str]) -> list[dict[str, Any]]:
    """Up to ``limit`` changed rows as ``{kind, record}``, oldest change first."""
    batch: list[dict[str, Any]] = []
    with store.session() as session:
        for kind, model in MODELS.items():
            rows: list[JobRow | Upload] = list(
                session.scalars(
                    select(model)
                    .where(account.pending_filter(model))
                    .where(model.id.not_in(skip))
                    .order_by(model.updated_at)
                    .limit(limit - len(batch))
                )
            )
            batch += [{"kind": kind.value, "record": record_of(session, row)} for row in rows]
            if len(batch) >= limit:
                break
    return batch


def mark_pushed(store: Store, batch: list[dict[str, Any]], results: list[Any]) -> tuple[int, int]:
    """Mark each row sent as synced at the version sent; returns (accepted, refused).

    A row changed meanwhile keeps its new ``updated_at``, which differs from the version sent,
    so it stays pending. A refused record is also marked, so it is not sent on every run.
    """
    status = {
        (str(r.get("kind")), str(r.get("id"))): str(r.get("status"))
        for r in results
        if isinstance(r, dict)
    }
    accepted = refused = 0
    with store.session() as session:
        for item in batch:
            kind, record = RecordKind(item["kind"]), item["record"]
            outcome = status.get((kind.value, record["id"]))
            if outcome is None:
                continue  # not answered: stays pending
            if outcome in ACCEPTED:
                accepted += 1
            else:
                refused += 1
                log.warning("the lab server refused %s %s: %s", kind, record["id"], outcome)
            model = MODELS[kind]
            sent_at = parse_time(record["updated_at"])
            session.execute(
                update(model)
                .where(model.id == record["id"], model.updated_at == sent_at)
                .values(synced_at=sent_at, updated_at=model.updated_at)
                .execution_options(synchronize_session=False)
            )
    return accepted, refused


def apply_page(store: Store, records: list[Any], cursor: int) -> tuple[int, int]:
    """Apply one pulled page and save its cursor, in one transaction; returns (applied, merged)."""
    applied = merged = 0
    with store.session() as session:
        for item in records:
            if not isinstance(item, dict):
                continue
            try:
                kind = RecordKind(str(item.get("kind")))
            except ValueError:
                log.warning("ignored a pulled record of unknown kind %r", item.get("kind"))
                continue
            record = item.get("record")
            if not isinstance(record, dict) or not record.get("id"):
                continue
            extra = unknown_fields(kind, record)
            if extra:
                log.warning("ignored fields %s of pulled %s %s", extra, kind, record["id"])
                record = {k: v for k, v in record.items() if k not in extra}
            outcome = apply_record(session, kind, record, Owner.of(item.get("owner")))
            applied += 1
            merged += int(outcome.merged_local_changes)
        row = session.get(SyncAccount, account.ACCOUNT_ROW)
        if row is not None:
            row.pull_cursor = max(row.pull_cursor, cursor)
    return applied, merged


# -- the run -----------------------------------------------------------------------------


async def _push(sync: SyncSession, store: Store, run_db: DbRunner, size: int) -> tuple[int, int]:
    pushed = refused = 0
    sent: set[str] = set()
    while True:
        batch = await run_db(partial(pending_batch, store, size, frozenset(sent)))
        if not batch:
            break
        reply = await sync.push(batch)
        accepted, refusals = await run_db(
            partial(mark_pushed, store, batch, list(reply.get("results") or []))
        )
        pushed += accepted
        refused += refusals
        # Each row goes at most once per run, whatever happens to it meanwhile.
        sent.update(item["record"]["id"] for item in batch)
        if len(batch) < size:
            break
    return pushed, refused


async def _pull(
    sync: SyncSession, store: Store, run_db: DbRunner, size: int, since: int
) -> tuple[int, int, int]:
    pulled = merged = 0
    cursor = since
    while True:
        page = await sync.pull(cursor, size)
        records = list(page.get("records") or [])
        new_cursor = int(page.get("cursor") or cursor)
        applied, joined = await run_db(partial(apply_page, store, records, new_cursor))
        pulled += applied
        merged += joined
        more = bool(page.get("more")) and new_cursor > cursor
        cursor = max(cursor, new_cursor)
        if not more:
            return pulled, merged, cursor


async def sync_once(
    store: Store,
    sync: SyncSession,
    *,
    run_db: DbRunner = run_inline,
    batch_size: int = MAX_BATCH,
) -> SyncResult:
    """Push local changes (batches of at most 500), then pull since the cursor until done.

    Raises the client's errors (ServiceUnavailable offline, SessionExpired, ...) after noting
    them as the account's last error; whatever was done before stays done.
    """
    size = max(1, min(batch_size, MAX_BATCH))
    info = await run_db(partial(account.load_account, store))
    if info is None:
        raise UserError(
            "This computer is not signed in to a lab.",
            hint="Sign in first: 'genoflow sync login --server URL --email E'.",
        )
    try:
        pushed = refused = 0
        if info.role != "viewer":  # viewers may read the lab's history, not add to it
            pushed, refused = await _push(sync, store, run_db, size)
        pulled, merged, cursor = await _pull(sync, store, run_db, size, info.pull_cursor)
    except UserError as error:
        await run_db(partial(account.record_outcome, store, error=error.message, synced=False))
        raise
    await run_db(partial(account.record_outcome, store, error=None, synced=True))
    return SyncResult(pushed, pulled, merged + refused, refused, cursor)


@dataclass(frozen=True, slots=True)
class SyncStatus:
    account: account.AccountInfo | None
    #: A remembered sign-in is in the keychain (the command line can sync).
    remembered: bool
    pending: int

    @property
    def last_sync_at(self) -> datetime | None:
        return self.account.last_sync_at if self.account else None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"signed_in": self.remembered, "pending": self.pending}
        data.update(self.account.to_dict() if self.account else {"server": None})
        return data


def sync_status(store: Store) -> SyncStatus:
    info = account.load_account(store)
    remembered = bool(
        info and info.remember and account.load_refresh_token(info.server_url, info.email)
    )
    return SyncStatus(info, remembered, account.pending_count(store))
