"""The local store: one SQLite database (WAL) with everything the app keeps, browsable offline."""

from genoflow_desktop.core.store.database import Store, open_store

__all__ = ["Store", "open_store"]
