"""SqlStore: the Store port on SQLAlchemy Core, for SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Connection,
    RowMapping,
    delete,
    false,
    func,
    insert,
    or_,
    select,
    update,
)

from bot.core.errors import CommandError
from bot.core.models import (
    Candidate,
    Classification,
    Delivery,
    Feed,
    Feedback,
    FeedSpec,
    Item,
    PendingDelivery,
    StoredRef,
)
from bot.core.normalise import url_key, url_variants
from bot.core.ports import FeedOutcome, NewItem, StoreStats, UpdateItem
from bot.store import bulk, leases, rows
from bot.store import queries as q
from bot.store.analysis_store import AnalysisStoreMixin
from bot.store.deliveries import DeliveryStore
from bot.store.dml import insert_ignore, rows_where_in, upsert
from bot.store.feed_lists import FeedListsMixin
from bot.store.schema import audit_log, classifications, deliveries, feedback, feeds, items
from bot.store.search import search_ids

if TYPE_CHECKING:
    from bot.core.ports import Store


class SqlStore(AnalysisStoreMixin, FeedListsMixin, DeliveryStore):
    """Store backed by SQLite or PostgreSQL; every public method is one transaction.

    `SqlStore(url, migrate=True, clock=None)`: the schema is migrated on construction unless told
    not to; `clock` only timestamps `reclassify`, whose port method carries no `now`. Database
    failures surface as StorageError naming the operation, bad user input (unknown feed id, URL
    already watched) as CommandError.
    """

    # feeds

    def sync_feeds(self, specs: Sequence[FeedSpec], now: datetime) -> list[Feed]:
        """Upsert configured feeds by URL (config owns name, kind, interval, fulltext, tags).

        New feeds are due at once. Nothing is deleted: feeds added by commands, and feeds since
        dropped from the configuration, stay until removed with a command.
        """
        new = {"next_poll_at": now, "created_at": now}
        values = [rows.feed_spec_values(s) | new for s in specs]
        with self._write("syncing configured feeds") as conn:
            upsert(
                conn, feeds, values, "url", ("name", "kind", "poll_interval_s", "fulltext", "tags")
            )
            return self._feeds(conn)

    def add_feed(self, spec: FeedSpec, now: datetime, added_by: str | None = None) -> Feed:
        """Store a new feed, due at once; CommandError if its URL is already watched.

        Re-adding a disabled feed re-enables it (settings from `spec`, failures cleared, due at
        once), which is what the "feed disabled" notice tells people to do.
        """
        values = rows.feed_spec_values(spec) | {
            "next_poll_at": now,
            "created_at": now,
            "added_by": added_by,
        }
        with self._write(f"adding feed {spec.url}") as conn:
            feed_id = insert_ignore(conn, feeds, values, ("url",))
            if feed_id is not None:
                return self._feed(conn, feed_id)
            existing = conn.execute(
                select(feeds.c.id, feeds.c.name, feeds.c.disabled).where(feeds.c.url == spec.url)
            ).one()
            if not existing.disabled:
                raise CommandError(
                    f"{spec.url} is already watched as feed {existing.id} ({existing.name}); "
                    "`/watch feeds` lists them"
                )
            revived = rows.feed_spec_values(spec) | {
                "disabled": False,
                "consecutive_failures": 0,
                "last_error": None,
                "next_poll_at": now,
                "added_by": added_by,
            }
            conn.execute(update(feeds).where(feeds.c.id == existing.id).values(revived))
            return self._feed(conn, existing.id)

    def remove_feed(self, feed_id: int) -> Feed:
        """Delete a feed and return it; its items stay (with no feed)."""
        with self._write(f"removing feed {feed_id}") as conn:
            feed = self._feed_or_none(conn, feed_id)
            if feed is None:
                raise CommandError(f"no feed with id {feed_id}; `/watch feeds` lists them")
            conn.execute(delete(feeds).where(feeds.c.id == feed_id))
            return feed

    def get_feed(self, feed_id: int) -> Feed | None:
        """The feed with `feed_id`, or None."""
        with self._read(f"reading feed {feed_id}") as conn:
            return self._feed_or_none(conn, feed_id)

    def list_feeds(self) -> list[Feed]:
        """Every feed, by id."""
        with self._read("listing feeds") as conn:
            return self._feeds(conn)

    def due_feeds(self, now: datetime, limit: int = 1000) -> list[Feed]:
        """Enabled feeds whose next_poll_at has come (or was never set), most overdue first."""
        stmt = (
            q.feed_select()
            .where(
                feeds.c.disabled == false(),
                or_(feeds.c.next_poll_at.is_(None), feeds.c.next_poll_at <= now),
            )
            .order_by(feeds.c.next_poll_at.asc().nulls_first(), feeds.c.id)
            .limit(limit)
        )
        with self._read("listing due feeds") as conn:
            return [rows.feed_from_row(r) for r in conn.execute(stmt).mappings()]

    def record_outcome(self, outcome: FeedOutcome) -> None:
        """Write a poll's outcome; a feed removed while it was being polled is ignored."""
        with self._write(f"recording the poll of feed {outcome.feed_id}") as conn:
            q.record_outcome(conn, outcome)

    def record_outcomes(self, outcomes: Sequence[FeedOutcome]) -> None:
        """Write many polls' outcomes (304s, mostly) in one transaction."""
        if not outcomes:
            return
        with self._write(f"recording the polls of {len(outcomes)} feeds") as conn:
            for outcome in outcomes:
                q.record_outcome(conn, outcome)

    # several replicas (bot.store.leases)

    def lease_due_feeds(
        self, owner: str, now: datetime, ttl_s: float, limit: int = 100
    ) -> list[Feed]:
        """Lease up to `limit` due feeds for replica `owner` for `ttl_s` seconds, most overdue
        first; feeds under a lease (its own included) are skipped. Recording a poll releases
        its lease."""
        until = now + timedelta(seconds=ttl_s)
        with self._write(f"leasing due feeds for {owner}") as conn:
            ids = leases.lease_due_feeds(conn, owner, now, until, limit)
            if not ids:
                return []
            found = {
                r["id"]: rows.feed_from_row(r)
                for r in conn.execute(q.feed_select().where(feeds.c.id.in_(ids))).mappings()
            }
        return [found[i] for i in ids if i in found]

    def renew_leases(self, owner: str, now: datetime, ttl_s: float) -> int:
        """Keep `owner`'s feeds leased for another `ttl_s` seconds while their polls run."""
        with self._write(f"renewing the leases of {owner}") as conn:
            return leases.renew_leases(conn, owner, now, now + timedelta(seconds=ttl_s))

    def claim_deliveries(
        self, owner: str, now: datetime, ttl_s: float, limit: int = 100
    ) -> list[Delivery]:
        """Like `due_deliveries`, but claimed for replica `owner` for `ttl_s` seconds: whoever
        asks meanwhile (another replica, another flush) gets other deliveries, or none."""
        until = now + timedelta(seconds=ttl_s)
        with self._write(f"claiming deliveries for {owner}") as conn:
            found = leases.claim_deliveries(conn, owner, now, until, limit)
        return [rows.delivery_from_row(r) for r in found]

    def release_claims(self, owner: str, channel_ref: str) -> None:
        """Give back `owner`'s claims on the channel's pending deliveries."""
        with self._write(f"releasing claims on {channel_ref}") as conn:
            leases.release_claims(conn, owner, channel_ref)

    def _feeds(self, conn: Connection) -> list[Feed]:
        stmt = q.feed_select().order_by(feeds.c.id)
        return [rows.feed_from_row(r) for r in conn.execute(stmt).mappings()]

    def _feed_or_none(self, conn: Connection, feed_id: int) -> Feed | None:
        row = conn.execute(q.feed_select().where(feeds.c.id == feed_id)).mappings().first()
        return rows.feed_from_row(row) if row is not None else None

    def _feed(self, conn: Connection, feed_id: int) -> Feed:
        row = conn.execute(q.feed_select().where(feeds.c.id == feed_id)).mappings().one()
        return rows.feed_from_row(row)

    # items

    def find_matches(self, feed_id: int, candidates: Sequence[Candidate]) -> list[StoredRef | None]:
        """For each candidate, the stored item it is: same feed and guid, else same URL (any
        feed), else same content hash (any feed), else None. Three batched queries at most."""
        found: list[StoredRef | None] = [None] * len(candidates)
        refs = select(*q.REF_COLUMNS)
        with self._read(f"matching entries of feed {feed_id}") as conn:
            by_guid = {
                r["guid"]: r
                for r in rows_where_in(
                    conn,
                    refs.where(items.c.feed_id == feed_id),
                    items.c.guid,
                    [c.guid for c in candidates],
                )
            }
            for i, cand in enumerate(candidates):
                if cand.guid in by_guid:
                    found[i] = rows.stored_ref_from_row(by_guid[cand.guid])
            # URLs match whatever their scheme or "www." (an http→https move is the same item).
            for attr, column in (("url", items.c.url), ("content_hash", items.c.content_hash)):
                open_ = [i for i, ref in enumerate(found) if ref is None]
                norm = url_key if attr == "url" else _same
                wanted = {norm(getattr(candidates[i], attr)) for i in open_} - {""}
                if not wanted:
                    continue
                keys = (
                    sorted({v for k in wanted for v in url_variants("https://" + k)})
                    if (attr == "url")
                    else sorted(wanted)
                )
                best: dict[str, RowMapping] = {}
                # Prefer an item of the same feed, then the oldest: the original, not a copy.
                for r in sorted(
                    rows_where_in(conn, refs, column, keys),
                    key=lambda r: (r["feed_id"] != feed_id, r["id"]),
                ):
                    best.setdefault(norm(r[attr]), r)
                for i in open_:
                    row = best.get(norm(getattr(candidates[i], attr)))
                    if row is not None:
                        found[i] = rows.stored_ref_from_row(row)
        return found

    def apply_poll(
        self,
        outcome: FeedOutcome,
        new: Sequence[NewItem],
        updates: Sequence[UpdateItem],
        deliveries_for: Sequence[Sequence[PendingDelivery]],
    ) -> list[int]:
        """Write a poll in one transaction: feed state, new items with their classifications and
        deliveries, in-place updates. Returns the new item ids; a new item whose (feed, guid)
        already exists is skipped, as is a delivery whose dedupe key exists. A feed removed
        while it was being polled gets nothing written."""
        if len(deliveries_for) != len(new):
            raise ValueError(f"{len(new)} new items but {len(deliveries_for)} delivery lists")
        now = outcome.polled_at
        new_ids: list[int] = []
        class_rows: list[dict[str, Any]] = []
        delivery_rows: list[dict[str, Any]] = []
        with self._write(f"storing the poll of feed {outcome.feed_id}") as conn:
            if not q.record_outcome(conn, outcome):
                return []
            # One statement per table, not per item: this is most of a cold poll's cost.
            inserted = bulk.insert_items(conn, [q.new_item_values(i, now) for i in new])
            for intent, pending in zip(new, deliveries_for, strict=True):
                # The first intent of a (feed, guid) got the row; a repeat is skipped like a clash.
                item_id = inserted.pop((intent.feed_id, intent.candidate.guid), None)
                if item_id is None:
                    continue
                new_ids.append(item_id)
                class_rows += rows.classification_rows(item_id, intent.classification, now)
                for delivery in pending:
                    values = rows.delivery_values(delivery, now, item_ids=[item_id])
                    values["dedupe_key"] = delivery.dedupe_key.format(item_id=item_id)
                    delivery_rows.append(values)
            if class_rows:
                conn.execute(insert(classifications), class_rows)
            bulk.insert_ignore_many(conn, deliveries, delivery_rows, ("dedupe_key",))
            for change in updates:
                conn.execute(
                    update(items)
                    .where(items.c.id == change.item_id)
                    .values(rows.candidate_values(change.candidate) | {"updated_at": now})
                )
        return new_ids

    def get_item(self, item_id: int) -> Item | None:
        """The item with `item_id` and its classification, or None."""
        with self._read(f"reading item {item_id}") as conn:
            found = q.load_items(conn, select(items).where(items.c.id == item_id))
        return found[0] if found else None

    def items_between(
        self, start: datetime | None, end: datetime, topics: Sequence[str] | None = None
    ) -> list[Item]:
        """Items first seen in (start, end], oldest first; with `topics`, only items positive
        for at least one of them."""
        stmt = select(items).where(items.c.first_seen_at <= end)
        if start is not None:
            stmt = stmt.where(items.c.first_seen_at > start)
        if topics is not None:
            stmt = stmt.where(q.positive_for(list(topics)))
        stmt = stmt.order_by(items.c.first_seen_at, items.c.id)
        with self._read("listing items for a window") as conn:
            return q.load_items(conn, stmt)

    def recent_items(self, limit: int = 50, topic: str | None = None) -> list[Item]:
        """The newest items by publication date, optionally only those positive for `topic`."""
        stmt = select(items)
        if topic is not None:
            stmt = stmt.where(q.positive_for([topic]))
        stmt = stmt.order_by(items.c.published_at.desc(), items.c.id.desc()).limit(limit)
        with self._read("listing recent items") as conn:
            return q.load_items(conn, stmt)

    def search(self, query: str, limit: int = 20) -> list[Item]:
        """Items whose title or summary hold every word of `query`, newest first.

        Any input is safe: search syntax in it is treated as text, never as an error.
        """
        stmt = search_ids(self.dialect, query, limit)
        if stmt is None:
            return []
        with self._read("searching items") as conn:
            ids: list[int] = list(conn.execute(stmt).scalars())
            found = {i.id: i for i in q.load_items(conn, select(items).where(items.c.id.in_(ids)))}
        return [found[i] for i in ids if i in found]

    def reclassify(self, item_id: int, classification: Classification) -> None:
        """Replace an item's classification; CommandError if there is no such item."""
        now = self._clock.now()
        with self._write(f"reclassifying item {item_id}") as conn:
            if not q.item_exists(conn, item_id):
                raise CommandError(f"no item with id {item_id}")
            conn.execute(delete(classifications).where(classifications.c.item_id == item_id))
            class_rows = rows.classification_rows(item_id, classification, now)
            if class_rows:
                conn.execute(insert(classifications), class_rows)

    # feedback, audit, stats

    def add_feedback(self, feedback_: Feedback, now: datetime) -> None:
        """Record a verdict; CommandError if the item does not exist."""
        with self._write(f"recording feedback on item {feedback_.item_id}") as conn:
            if not q.item_exists(conn, feedback_.item_id):
                raise CommandError(f"no item with id {feedback_.item_id}")
            conn.execute(
                insert(feedback).values(
                    item_id=feedback_.item_id,
                    topic=feedback_.topic,
                    verdict=feedback_.verdict,
                    user=feedback_.user,
                    channel_ref=feedback_.channel_ref,
                    created_at=now,
                )
            )

    def list_feedback(self) -> list[Feedback]:
        """All feedback, oldest first."""
        with self._read("listing feedback") as conn:
            result = conn.execute(select(feedback).order_by(feedback.c.id)).mappings()
            return [rows.feedback_from_row(r) for r in result]

    def audit(self, actor: str, action: str, detail: str, now: datetime) -> None:
        """Append to the audit log."""
        with self._write(f"auditing {action}") as conn:
            conn.execute(
                insert(audit_log).values(actor=actor, action=action, detail=detail, created_at=now)
            )

    def stats(self) -> StoreStats:
        """Counts for `status`."""
        stmt = select(
            select(func.count()).select_from(items).scalar_subquery(),
            select(func.count()).select_from(feeds).scalar_subquery(),
            q.count_deliveries("pending"),
            q.count_deliveries("failed"),
            select(func.max(feeds.c.last_polled_at)).scalar_subquery(),
        )
        with self._read("reading stats") as conn:
            n_items, n_feeds, pending, failed, last_poll = conn.execute(stmt).one()
        return StoreStats(n_items, n_feeds, pending, failed, last_poll)


if TYPE_CHECKING:

    def _conforms(store: SqlStore) -> Store:
        return store


def _same(value: str) -> str:
    """Identity key: content hashes are compared as they are."""
    return value
