"""Fixtures of the scale tests: the store suite's backends, and a PostgreSQL schema alone.

The multi-replica tests need PostgreSQL (CI has it on 127.0.0.1:5432); like the store suite they
fail, not skip, when it is unreachable, unless WATCHBOT_TEST_PG=0 says to run SQLite only.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from tests.store.conftest import DEFAULT_PG_URL, _postgres_url, db_url, store

__all__ = ["db_url", "pg_url", "store"]


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A URL to an empty PostgreSQL schema of its own, dropped afterwards."""
    if os.environ.get("WATCHBOT_TEST_PG") == "0":
        pytest.skip("PostgreSQL disabled by WATCHBOT_TEST_PG=0")
    base = os.environ.get("WATCHBOT_TEST_PG_URL", DEFAULT_PG_URL)
    schema = f"watchbot_scale_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, poolclass=NullPool)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        admin.dispose()
        pytest.fail(
            f"PostgreSQL at {make_url(base).render_as_string()} is unreachable ({exc.orig}); "
            "start it, point WATCHBOT_TEST_PG_URL at one, or set WATCHBOT_TEST_PG=0"
        )
    try:
        yield _postgres_url(schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
