"""Statement helpers that read the same on SQLite and PostgreSQL (both speak ON CONFLICT)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, RowMapping, Select, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError, StatementError

# Stay well below SQLite's bound-parameter limit and keep PostgreSQL plans small.
IN_CHUNK = 500


def _insert(conn: Connection, table: Table) -> sqlite.Insert | postgresql.Insert:
    if conn.dialect.name == "sqlite":
        return sqlite.insert(table)
    return postgresql.insert(table)


def insert_ignore(
    conn: Connection, table: Table, values: dict[str, Any], conflict: Sequence[str]
) -> int | None:
    """Insert one row and return its id, or None when the unique key `conflict` already exists.

    Only a conflict on that key is ignored; any other constraint violation still raises.
    """
    stmt = (
        _insert(conn, table)
        .values(values)
        .on_conflict_do_nothing(index_elements=list(conflict))
        .returning(table.c.id)
    )
    result: int | None = conn.execute(stmt).scalar_one_or_none()
    return result


def upsert(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    key: str,
    update: Sequence[str],
) -> None:
    """Insert `rows`; where `key` already exists, overwrite only the `update` columns."""
    if not rows:
        return
    ins = _insert(conn, table)
    stmt = ins.on_conflict_do_update(
        index_elements=[key], set_={name: ins.excluded[name] for name in update}
    )
    conn.execute(stmt, list(rows))


def chunks(values: Sequence[Any], size: int = IN_CHUNK) -> Iterator[Sequence[Any]]:
    """`values` in slices of at most `size`."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def rows_where_in(
    conn: Connection,
    stmt: Select[Any],
    column: ColumnElement[Any],
    values: Sequence[Any],
) -> list[RowMapping]:
    """Rows of `stmt` whose `column` is one of `values`, fetched with chunked IN queries."""
    found: list[RowMapping] = []
    for chunk in chunks(list(dict.fromkeys(values))):
        found.extend(conn.execute(stmt.where(column.in_(chunk))).mappings())
    return found


def describe(exc: SQLAlchemyError) -> str:
    """The database's own message for `exc`, without the statement, parameters or row data."""
    orig = exc.orig if isinstance(exc, StatementError) else None
    # First line only: PostgreSQL's DETAIL line repeats the whole failing row.
    message = (str(orig) if orig is not None else str(exc)).strip().split("\n", 1)[0]
    return message[:300] or type(exc).__name__
