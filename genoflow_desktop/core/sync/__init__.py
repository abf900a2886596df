"""Offline-first lab sync: this machine's jobs and uploads shared through the lab sync server.

The local store stays the truth and everything works offline; a sync run pushes what changed
here and pulls what changed in the lab (docs/sync-server.md). Qt-free: the app runs
:func:`~genoflow_desktop.core.sync.engine.sync_once` on its event loop with its ``db`` executor,
the command line with ``asyncio.run``.

* :mod:`.records`: local rows ⇄ shared records, and applying a pulled record;
* :mod:`.client`: the HTTP API and its errors;
* :mod:`.account`, :mod:`.session`: the signed-in account, its tokens and the keychain;
* :mod:`.engine`: one sync run, the pending count and the status.
"""
