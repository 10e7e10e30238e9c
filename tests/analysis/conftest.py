"""The storage suite's fixtures (`db_url`, `store`: SQLite and PostgreSQL) for the analysis store."""

from tests.store.conftest import db_url, store

__all__ = ["db_url", "store"]
