"""Store access for the views: opening and every query run on the ``db`` executor.

The store is opened lazily, on the db thread, by the first query (or :meth:`open`). That keeps
SQLAlchemy's import and any schema migration off the GUI thread and out of the time to the
first paint: the window appears at once and fills in when the data is there.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Executor
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from genoflow_desktop.core.store import Store

T = TypeVar("T")


class StoreAccess:
    def __init__(self, opener: Callable[[], Store], executor: Executor) -> None:
        self._opener = opener
        self._executor = executor
        self._store: Store | None = None
        self._lock = threading.Lock()

    def _store_on_db_thread(self) -> Store:
        with self._lock:
            if self._store is None:
                self._store = self._opener()
            return self._store

    @property
    def is_open(self) -> bool:
        return self._store is not None

    @property
    def store(self) -> Store:
        """The open store, for engines that run on threads of their own (the jobs thread)."""
        assert self._store is not None, "open() the store first"
        return self._store

    async def open(self) -> None:
        """Open the store now (raises :class:`IncompatibleStoreError` like ``open_store``)."""
        await asyncio.get_running_loop().run_in_executor(self._executor, self._store_on_db_thread)

    async def run(self, function: Callable[[Session], T]) -> T:
        """Run ``function(session)`` in a transaction on the db thread and return its result.

        The result must be plain data (or objects detached from the session): it is used on the
        GUI thread after the session has closed.
        """

        def work() -> T:
            with self._store_on_db_thread().session() as session:
                return function(session)

        return await asyncio.get_running_loop().run_in_executor(self._executor, work)

    def close(self) -> None:
        """Close the store (call after the db executor has finished its work)."""
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None
