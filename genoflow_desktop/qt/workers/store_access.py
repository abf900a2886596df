"""Store access for the views: every query runs on the ``db`` executor, never on the GUI thread."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor
from typing import TypeVar

from sqlalchemy.orm import Session

from genoflow_desktop.core.store import Store

T = TypeVar("T")


class StoreAccess:
    def __init__(self, store: Store, executor: Executor) -> None:
        self.store = store
        self._executor = executor

    async def run(self, function: Callable[[Session], T]) -> T:
        """Run ``function(session)`` in a transaction on the db thread and return its result.

        The result must be plain data (or objects detached from the session): it is used on the
        GUI thread after the session has closed.
        """

        def work() -> T:
            with self.store.session() as session:
                return function(session)

        return await asyncio.get_running_loop().run_in_executor(self._executor, work)
