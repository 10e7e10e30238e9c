"""Fixtures of the scale tests: the store suite's backends, and a PostgreSQL schema alone.

The multi-replica tests need PostgreSQL (CI has it on 127.0.0.1:5432); like the store suite they
fail, not skip, when it is unreachable, unless WATCHBOT_TEST_PG=0 says to run SQLite only.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.store.conftest import db_url, postgres_schema, store

__all__ = ["db_url", "pg_url", "store"]


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A URL to an empty PostgreSQL schema of its own, dropped afterwards."""
    with postgres_schema("watchbot_scale") as url:
        yield url
