"""Multi-row writes of a poll: one statement per table instead of one per item.

A cold poll of a feed writes dozens of items, each with its classification rows and deliveries;
statement by statement that is most of the poll's cost beside parsing. These helpers send each
table's rows as one executemany (SQLAlchemy batches them into multi-row INSERT ... RETURNING).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite

from bot.store.schema import items


def _insert(conn: Connection, table: Table) -> sqlite.Insert | postgresql.Insert:
    return (sqlite.insert if conn.dialect.name == "sqlite" else postgresql.insert)(table)


def insert_items(conn: Connection, values: Sequence[dict[str, Any]]) -> dict[tuple[int, str], int]:
    """Insert item rows, skipping those whose (feed_id, guid) exists; the ids of the inserted
    rows by (feed_id, guid)."""
    if not values:
        return {}
    stmt = (
        _insert(conn, items)
        .on_conflict_do_nothing(index_elements=["feed_id", "guid"])
        .returning(items.c.id, items.c.feed_id, items.c.guid)
    )
    return {(r.feed_id, r.guid): r.id for r in conn.execute(stmt, list(values))}


def insert_ignore_many(
    conn: Connection, table: Table, values: Sequence[dict[str, Any]], conflict: Sequence[str]
) -> None:
    """Insert rows, skipping those whose unique key `conflict` exists."""
    if values:
        stmt = _insert(conn, table).on_conflict_do_nothing(index_elements=list(conflict))
        conn.execute(stmt, list(values))
