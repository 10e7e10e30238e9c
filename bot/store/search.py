"""Full-text search statements: FTS5 on SQLite, a tsvector GIN index on PostgreSQL.

User input never reaches a query parser unescaped: on SQLite every term becomes a double-quoted
FTS5 string (so AND, NEAR/, parentheses, quotes and stars are plain text), and PostgreSQL's
websearch_to_tsquery accepts any input without raising.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, Select, column, select, table, text

from bot.store.schema import items

# Identical to the expression indexed by migration 0001 (ix_items_fts), so the index is used.
_PG_DOCUMENT = "to_tsvector('simple', items.title || ' ' || items.summary)"

_items_fts = table("items_fts", column("rowid", Integer))


def fts5_query(query: str) -> str | None:
    """An FTS5 MATCH expression requiring every word of `query`; None when there is no word.

    Each whitespace-separated term is quoted (embedded quotes doubled). Terms without any letter or
    digit would be empty phrases after tokenisation, so they are dropped.
    """
    terms = [t for t in query.split() if any(ch.isalnum() for ch in t)]
    if not terms:
        return None
    return " ".join('"' + term.replace('"', '""') + '"' for term in terms)


def has_words(query: str) -> bool:
    """True when `query` holds at least one letter or digit to search for."""
    return any(ch.isalnum() for ch in query)


def search_ids(dialect: str, query: str, limit: int) -> Select[Any] | None:
    """A SELECT of matching item ids, newest first; None when nothing can match."""
    newest_first = (items.c.published_at.desc(), items.c.id.desc())
    if dialect == "sqlite":
        match = fts5_query(query)
        if match is None:
            return None
        return (
            select(items.c.id)
            .join(_items_fts, _items_fts.c.rowid == items.c.id)
            .where(text("items_fts MATCH :q").bindparams(q=match))
            .order_by(*newest_first)
            .limit(limit)
        )
    if not has_words(query):
        return None
    condition = text(f"{_PG_DOCUMENT} @@ websearch_to_tsquery('simple', :q)").bindparams(q=query)
    return select(items.c.id).where(condition).order_by(*newest_first).limit(limit)
