"""Engine ownership and transactions shared by the parts of SqlStore."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from alembic.util import CommandError as AlembicError
from sqlalchemy import Connection
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.core.errors import StorageError
from bot.core.ports import Clock
from bot.store.dml import describe
from bot.store.engine import WRITE_OPTION, make_engine
from bot.store.migrate import upgrade


class SystemClock:
    """The wall clock, for callers that inject none."""

    def now(self) -> datetime:
        """The current time, aware UTC."""
        return datetime.now(UTC)


class SqlBase:
    """Owns the engine; runs the migrations; turns database errors into StorageError."""

    def __init__(self, url: str, *, migrate: bool = True, clock: Clock | None = None) -> None:
        self._url = make_url(url).render_as_string(hide_password=True)
        self._clock: Clock = clock or SystemClock()
        self._engine = make_engine(url)
        if self._engine.dialect.name not in ("sqlite", "postgresql"):
            self._engine.dispose()
            raise StorageError(f"unsupported database {self._url}: use sqlite:// or postgresql://")
        self._writer = self._engine.execution_options(**{WRITE_OPTION: True})
        if migrate:
            try:
                upgrade(self._engine)
            except (SQLAlchemyError, AlembicError) as exc:
                self._engine.dispose()
                detail = describe(exc) if isinstance(exc, SQLAlchemyError) else str(exc)
                raise StorageError(f"migrating {self._url} failed: {detail}") from exc

    @property
    def dialect(self) -> str:
        """ "sqlite" or "postgresql"."""
        return self._engine.dialect.name

    @contextmanager
    def _write(self, what: str) -> Iterator[Connection]:
        """A write transaction; on SQLite it takes the write lock at BEGIN."""
        try:
            with self._writer.begin() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StorageError(f"{what} failed: {describe(exc)}") from exc

    @contextmanager
    def _read(self, what: str) -> Iterator[Connection]:
        """A transaction for reading; several queries of one method see committed data only."""
        try:
            with self._engine.begin() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StorageError(f"{what} failed: {describe(exc)}") from exc

    def close(self) -> None:
        """Close every pooled connection."""
        self._engine.dispose()
