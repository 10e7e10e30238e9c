"""Feed methods beyond the basics, mixed into SqlStore: many feeds added at once (an imported
feed list), the feeds table with each feed's last seven days, and a feed's publication rhythm."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, true

from bot.core.errors import CommandError
from bot.core.models import Feed, FeedSpec
from bot.core.ports import FeedActivity
from bot.store import queries as q
from bot.store import rows
from bot.store.base import SqlBase
from bot.store.dml import insert_ignore
from bot.store.schema import classifications, feeds, items


class FeedListsMixin(SqlBase):
    """`add_feeds`, `feeds_with_activity`, `publication_times` of the Store port."""

    def add_feeds(
        self, specs: Sequence[FeedSpec], now: datetime, added_by: str | None = None
    ) -> list[Feed]:
        """Store new feeds in ONE transaction, each due at once; CommandError, and nothing
        stored, when any URL is already watched (another admin added it meanwhile)."""
        extra = {"next_poll_at": now, "created_at": now, "added_by": added_by}
        added: list[Feed] = []
        with self._write(f"adding {len(specs)} feeds") as conn:
            for spec in specs:
                feed_id = insert_ignore(conn, feeds, rows.feed_spec_values(spec) | extra, ("url",))
                if feed_id is None:
                    # Raising rolls the whole transaction back: all or nothing.
                    raise CommandError(
                        f"{spec.url} was added while the import ran; nothing was imported, "
                        "run it again"
                    )
                row = conn.execute(q.feed_select().where(feeds.c.id == feed_id)).mappings().one()
                added.append(rows.feed_from_row(row))
        return added

    def feeds_with_activity(self, since: datetime) -> list[tuple[Feed, FeedActivity]]:
        """Every feed (by id) with the items it published since `since` and how many of them
        matched a topic — one statement, whatever the number of feeds."""
        recent = (items.c.feed_id == feeds.c.id) & (items.c.published_at >= since)
        on_topic = (
            select(classifications.c.item_id)
            .where(classifications.c.item_id == items.c.id, classifications.c.positive == true())
            .exists()
        )
        n_recent = select(func.count()).where(recent).scalar_subquery()
        n_on_topic = select(func.count()).where(recent, on_topic).scalar_subquery()
        stmt = (
            q.feed_select()
            .add_columns(n_recent.label("items_7d"), n_on_topic.label("on_topic_7d"))
            .order_by(feeds.c.id)
        )
        with self._read("listing feeds with their activity") as conn:
            return [
                (
                    rows.feed_from_row(r),
                    FeedActivity(int(r["items_7d"] or 0), int(r["on_topic_7d"] or 0)),
                )
                for r in conn.execute(stmt).mappings()
            ]

    def publication_times(self, feed_id: int, limit: int = 20) -> list[datetime]:
        """When the feed's latest `limit` items were published, newest first."""
        stmt = (
            select(items.c.published_at)
            .where(items.c.feed_id == feed_id, items.c.published_known == true())
            .order_by(items.c.published_at.desc())
            .limit(limit)
        )
        with self._read(f"reading the rhythm of feed {feed_id}") as conn:
            return list(conn.execute(stmt).scalars())
