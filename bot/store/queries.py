"""Statement builders and multi-row loads behind SqlStore's feed and item methods."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, exists, func, select, true, update

from bot.core.models import Item
from bot.core.ports import FeedOutcome, NewItem
from bot.store import rows
from bot.store.dml import rows_where_in
from bot.store.schema import classifications, deliveries, feeds, items

# The columns a StoredRef is built from.
REF_COLUMNS = (
    items.c.id,
    items.c.guid,
    items.c.url,
    items.c.title,
    items.c.summary,
    items.c.published_at,
    items.c.content_hash,
    items.c.feed_id,
)


def feed_select() -> Select[Any]:
    """SELECT of feeds with an `item_count` column."""
    item_count = select(func.count()).where(items.c.feed_id == feeds.c.id).scalar_subquery()
    return select(feeds, item_count.label("item_count"))


def count_deliveries(status: str) -> Any:
    """Scalar subquery: how many deliveries have `status`."""
    stmt = select(func.count()).select_from(deliveries).where(deliveries.c.status == status)
    return stmt.scalar_subquery()


def item_exists(conn: Connection, item_id: int) -> bool:
    """True when an item with `item_id` is stored."""
    return conn.execute(select(items.c.id).where(items.c.id == item_id)).first() is not None


def record_outcome(conn: Connection, outcome: FeedOutcome) -> bool:
    """Write the polling state; False when the feed no longer exists."""
    values: dict[str, Any] = {
        "last_polled_at": outcome.polled_at,
        "next_poll_at": outcome.next_poll_at,
        "consecutive_failures": outcome.consecutive_failures,
        "disabled": outcome.disabled,
        # The poll is over: whichever replica leased the feed gives it back (bot.store.leases).
        "lease_owner": None,
        "lease_expires_at": None,
    }
    if outcome.primed:  # a feed is primed once and stays so
        values["primed"] = True
    if outcome.new_items:
        values["last_new_at"] = outcome.polled_at
        values["silent_since"] = None
    elif outcome.silenced:
        values["silent_since"] = outcome.polled_at
    if outcome.ok:
        values["last_success_at"] = outcome.polled_at
        values["last_error"] = None
        if outcome.etag is not None:
            values["etag"] = outcome.etag
        if outcome.last_modified is not None:
            values["last_modified"] = outcome.last_modified
        if outcome.note is not None:
            values["last_note"] = outcome.note or None
    else:
        values["last_error"] = outcome.error
    result = conn.execute(update(feeds).where(feeds.c.id == outcome.feed_id).values(values))
    return result.rowcount > 0


def new_item_values(intent: NewItem, now: datetime) -> dict[str, Any]:
    """The `items` row for a new item first seen at `now`."""
    cand = intent.candidate
    return rows.candidate_values(cand) | {
        "feed_id": intent.feed_id,
        "guid": cand.guid,
        "first_seen_at": now,
        "source": cand.source,
        "silent": intent.silent,
    }


def positive_for(topics: list[str]) -> Any:
    """Condition: the item is classified positive for at least one of `topics`."""
    return exists().where(
        classifications.c.item_id == items.c.id,
        classifications.c.topic.in_(topics),
        classifications.c.positive == true(),
    )


# The columns a Classification is rebuilt from (rows.classifications_by_item). Not `created_at`:
# parsing a timestamp nobody reads costs ~0.1 s per 10,000 items on SQLite (a digest loads them all).
CLASSIFICATION_COLUMNS = (
    classifications.c.item_id,
    classifications.c.topic,
    classifications.c.score,
    classifications.c.positive,
    classifications.c.reasons,
    classifications.c.model_version,
)


def load_items(conn: Connection, stmt: Select[Any]) -> list[Item]:
    """Run an `items` SELECT and attach each item's classification (one batched query)."""
    item_rows = list(conn.execute(stmt).mappings())
    class_rows = rows_where_in(
        conn,
        select(*CLASSIFICATION_COLUMNS).order_by(classifications.c.id),
        classifications.c.item_id,
        [r["id"] for r in item_rows],
    )
    by_item = rows.classifications_by_item(class_rows)
    return [rows.item_from_row(r, by_item.get(r["id"])) for r in item_rows]
