"""Alembic revisions of the local store, oldest first."""
