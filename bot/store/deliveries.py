"""Channels and the deliveries (outbox) owed to them."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Text, and_, or_, select, type_coerce, update

from bot.core.errors import StorageError
from bot.core.models import Channel, Delivery, PendingDelivery
from bot.store import rows
from bot.store.base import SqlBase
from bot.store.dml import insert_ignore, upsert
from bot.store.schema import channels, deliveries

# Configuration owns every channel field except last_digest_at, which only digests move.
_CONFIG_FIELDS = tuple(
    k for k in rows.channel_values(Channel("x:y", "x")) if k not in ("ref", "last_digest_at")
)


_LATER_FIELDS = ("filters", "digest_max_stories")


def config_hash(channel: Channel) -> str:
    """Fingerprint of the fields configuration sets on a channel."""
    fields = {k: v for k, v in rows.channel_values(channel).items() if k != "last_digest_at"}
    # Fields added later count only when set, so an unchanged config entry keeps its fingerprint
    # across the upgrade and what chat commands set is not overwritten by it.
    for key in _LATER_FIELDS:
        if not fields[key]:
            del fields[key]
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


class DeliveryStore(SqlBase):
    """Channel and delivery methods of the Store port."""

    # channels

    def sync_channels(self, channels_: Sequence[Channel]) -> None:
        """Upsert configured channels by ref. A channel whose config entry changed since it was
        last applied (or is new) takes every field from it but last_digest_at; one whose entry
        is unchanged keeps what chat commands set since. Channels missing from the list are
        kept."""
        values = [{**rows.channel_values(c), "config_hash": config_hash(c)} for c in channels_]
        with self._write("syncing configured channels") as conn:
            stored = conn.execute(select(channels.c.ref, channels.c.config_hash))
            applied: dict[str, str | None] = {ref: digest for ref, digest in stored}
            changed = [v for v in values if applied.get(v["ref"], "") != v["config_hash"]]
            upsert(conn, channels, changed, "ref", (*_CONFIG_FIELDS, "config_hash"))

    def list_channels(self) -> list[Channel]:
        """Every channel, by ref."""
        with self._read("listing channels") as conn:
            result = conn.execute(select(channels).order_by(channels.c.ref)).mappings()
            return [rows.channel_from_row(r) for r in result]

    def get_channel(self, ref: str) -> Channel | None:
        """The channel `ref`, or None."""
        with self._read(f"reading channel {ref}") as conn:
            row = conn.execute(select(channels).where(channels.c.ref == ref)).mappings().first()
        return rows.channel_from_row(row) if row is not None else None

    def save_channel(self, channel: Channel) -> None:
        """Insert or overwrite one channel, last_digest_at included."""
        values = rows.channel_values(channel)
        with self._write(f"saving channel {channel.ref}") as conn:
            upsert(conn, channels, [values], "ref", (*_CONFIG_FIELDS, "last_digest_at"))

    # deliveries

    def record_deliveries(self, deliveries_: Sequence[PendingDelivery], now: datetime) -> list[int]:
        """Record pending deliveries; one whose dedupe key exists is skipped. Returns new ids."""
        with self._write("recording deliveries") as conn:
            ids = [
                insert_ignore(conn, deliveries, rows.delivery_values(d, now), ("dedupe_key",))
                for d in deliveries_
            ]
        return [i for i in ids if i is not None]

    def record_digest(
        self, delivery: PendingDelivery, channel_ref: str, window_end: datetime, now: datetime
    ) -> int | None:
        """Record a digest and move the channel's last_digest_at to `window_end`, together.

        Returns None (and changes nothing) when the digest's dedupe key was already recorded.
        """
        with self._write(f"recording a digest for {channel_ref}") as conn:
            delivery_id = insert_ignore(
                conn, deliveries, rows.delivery_values(delivery, now), ("dedupe_key",)
            )
            if delivery_id is None:
                return None
            moved = conn.execute(
                update(channels)
                .where(channels.c.ref == channel_ref)
                .values(last_digest_at=window_end)
            )
            if moved.rowcount == 0:
                raise StorageError(
                    f"recording a digest for {channel_ref} failed: no such channel is stored"
                )
            return delivery_id

    def due_deliveries(self, now: datetime, limit: int = 100) -> list[Delivery]:
        """Pending deliveries whose (re)try time has come, in the order they were recorded."""
        stmt = (
            select(deliveries)
            .where(
                deliveries.c.status == "pending",
                or_(deliveries.c.next_attempt_at.is_(None), deliveries.c.next_attempt_at <= now),
            )
            .order_by(deliveries.c.id)
            .limit(limit)
        )
        with self._read("listing due deliveries") as conn:
            return [rows.delivery_from_row(r) for r in conn.execute(stmt).mappings()]

    def waiting_channels(self, now: datetime) -> set[str]:
        """Channels with a pending delivery whose retry time has not come: the dispatcher holds
        their later deliveries back so that none overtakes it."""
        stmt = (
            select(deliveries.c.channel_ref)
            .where(deliveries.c.status == "pending", deliveries.c.next_attempt_at > now)
            .distinct()
        )
        with self._read("listing channels waiting to retry") as conn:
            return set(conn.execute(stmt).scalars())

    def mark_sent(self, delivery_id: int, now: datetime, external_id: str | None = None) -> None:
        """The platform accepted the message."""
        self._mark(
            delivery_id,
            "sent",
            status="sent",
            attempts=deliveries.c.attempts + 1,
            sent_at=now,
            updated_at=now,
            external_id=external_id,
            error=None,
            next_attempt_at=None,
        )

    def mark_retry(self, delivery_id: int, error: str, next_attempt_at: datetime) -> None:
        """A retryable failure: count the attempt and try again at `next_attempt_at`."""
        self._mark(
            delivery_id,
            "retry",
            attempts=deliveries.c.attempts + 1,
            error=error,
            next_attempt_at=next_attempt_at,
        )

    def mark_failed(self, delivery_id: int, error: str, now: datetime) -> None:
        """A permanent failure (or retries exhausted): never try again."""
        self._mark(
            delivery_id,
            "failed",
            status="failed",
            attempts=deliveries.c.attempts + 1,
            error=error,
            updated_at=now,
            next_attempt_at=None,
        )

    def mark_folded(self, delivery_id: int, now: datetime) -> None:
        """The delivery's content went out another way (folded into a digest): drop it."""
        self._mark(delivery_id, "folded", status="folded", updated_at=now, next_attempt_at=None)

    def deliveries_for_item(self, item_id: int) -> list[Delivery]:
        """Every delivery that carries `item_id`, oldest first.

        A delivery of one item (an alert, a follow-up) has it in the indexed `item_id` column;
        only the others (digests, in practice) have their `item_ids` list scanned, and the same
        index finds them (`item_id IS NULL`). Matching every row's list instead made `why` and
        each chat reaction read the whole outbox.
        """
        n = int(item_id)
        # item_ids is compact JSON text ("[1,12]"), so these patterns match whole ids only.
        stored = type_coerce(deliveries.c.item_ids, Text)
        listed = or_(
            stored == f"[{n}]",
            stored.like(f"[{n},%"),
            stored.like(f"%,{n},%"),
            stored.like(f"%,{n}]"),
        )
        stmt = (
            select(deliveries)
            .where(or_(deliveries.c.item_id == n, and_(deliveries.c.item_id.is_(None), listed)))
            .order_by(deliveries.c.id)
        )
        with self._read(f"listing deliveries of item {item_id}") as conn:
            return [rows.delivery_from_row(r) for r in conn.execute(stmt).mappings()]

    def alerts_for_item(self, item_id: int) -> list[Delivery]:
        """The alerts and follow-ups of `item_id`, oldest first: one lookup in the item_id index.

        What `why` and chat reactions need; the same as filtering `deliveries_for_item` by kind,
        since the pipeline writes every alert and follow-up with exactly one item.
        """
        stmt = (
            select(deliveries)
            .where(
                deliveries.c.item_id == int(item_id),
                deliveries.c.kind.in_(("alert", "followup")),
            )
            .order_by(deliveries.c.id)
        )
        with self._read(f"listing alerts of item {item_id}") as conn:
            return [rows.delivery_from_row(r) for r in conn.execute(stmt).mappings()]

    def failed_deliveries(self, limit: int = 20) -> list[Delivery]:
        """Deliveries that failed for good, most recent failure first."""
        stmt = (
            select(deliveries)
            .where(deliveries.c.status == "failed")
            .order_by(deliveries.c.updated_at.desc(), deliveries.c.id.desc())
            .limit(limit)
        )
        with self._read("listing failed deliveries") as conn:
            return [rows.delivery_from_row(r) for r in conn.execute(stmt).mappings()]

    def _mark(self, delivery_id: int, what: str, **values: Any) -> None:
        with self._write(f"marking delivery {delivery_id} {what}") as conn:
            _update_delivery(conn, delivery_id, values)


def _update_delivery(conn: Connection, delivery_id: int, values: dict[str, Any]) -> None:
    result = conn.execute(update(deliveries).where(deliveries.c.id == delivery_id).values(values))
    if result.rowcount == 0:
        raise StorageError(f"no delivery with id {delivery_id}")
