"""One storage suite, every backend: each test runs on SQLite and on PostgreSQL.

PostgreSQL comes from WATCHBOT_TEST_PG_URL (default: local server, trust auth, database `test`);
each test gets its own schema, dropped afterwards. Set WATCHBOT_TEST_PG=0 to run SQLite only.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from bot.store.sql import SqlStore

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _postgres_url(schema: str) -> str:
    base = make_url(os.environ.get("WATCHBOT_TEST_PG_URL", DEFAULT_PG_URL))
    return base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )


@contextmanager
def postgres_schema(prefix: str) -> Iterator[str]:
    """A URL to an empty PostgreSQL schema of its own, dropped afterwards; the test fails (not
    skips) when the server is unreachable, unless WATCHBOT_TEST_PG=0 says to run SQLite only."""
    if os.environ.get("WATCHBOT_TEST_PG") == "0":
        pytest.skip("PostgreSQL disabled by WATCHBOT_TEST_PG=0")
    base = os.environ.get("WATCHBOT_TEST_PG_URL", DEFAULT_PG_URL)
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
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


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A URL to an empty database of each backend."""
    if request.param == "sqlite":
        # A nested, not yet existing directory: the store must create it.
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'data' / 'watchbot.db'}"
        return
    with postgres_schema("watchbot_test") as url:
        yield url


@pytest.fixture
def store(db_url: str) -> Iterator[SqlStore]:
    """A migrated, empty store on each backend."""
    s = SqlStore(db_url)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def selects() -> Iterator[list[str]]:
    """SELECT statements executed while the test runs (any engine)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)
