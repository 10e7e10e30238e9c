"""Leases on feeds and claims on deliveries: how several replicas share one database.

A replica *leases* the due feeds it is about to poll and *claims* the deliveries it is about to
send. Both are taken with `SELECT ... FOR UPDATE SKIP LOCKED`, so two replicas asking at the same
moment get disjoint rows without waiting for each other, and both expire, so the rows of a replica
that died are taken over once its lease or claim runs out. Recording a feed's poll releases its
lease (`queries.record_outcome`); a delivery's claim ends with its status (sent, failed, folded).

On SQLite `FOR UPDATE` is not rendered: one process writes at a time (`BEGIN IMMEDIATE`), which
gives the same answer with nothing to skip.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, false, or_, select, update

from bot.core.models import Delivery
from bot.core.ports import Store
from bot.store.schema import deliveries, feeds


def _free(expires_col: Any, now: datetime) -> Any:
    """Condition: nobody holds the row, this replica included (its own may be in flight)."""
    return or_(expires_col.is_(None), expires_col <= now)


def lease_due_feeds(
    conn: Connection, owner: str, now: datetime, until: datetime, limit: int
) -> list[int]:
    """Lease up to `limit` due, enabled feeds nobody else holds until `until`; their ids, most
    overdue first."""
    due = (
        select(feeds.c.id)
        .where(
            feeds.c.disabled == false(),
            or_(feeds.c.next_poll_at.is_(None), feeds.c.next_poll_at <= now),
            _free(feeds.c.lease_expires_at, now),
        )
        .order_by(feeds.c.next_poll_at.asc().nulls_first(), feeds.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids: list[int] = list(conn.execute(due).scalars())
    if ids:
        conn.execute(
            update(feeds)
            .where(feeds.c.id.in_(ids))
            .values(lease_owner=owner, lease_expires_at=until)
        )
    return ids


def renew_leases(conn: Connection, owner: str, now: datetime, until: datetime) -> int:
    """Extend `owner`'s live leases to `until` (polls still running); how many it holds."""
    result = conn.execute(
        update(feeds)
        .where(feeds.c.lease_owner == owner, feeds.c.lease_expires_at > now)
        .values(lease_expires_at=until)
    )
    return result.rowcount


def claim_deliveries(
    conn: Connection, owner: str, now: datetime, until: datetime, limit: int
) -> list[RowMapping]:
    """Claim up to `limit` due pending deliveries nobody holds until `until`; their rows, in
    the order they were recorded."""
    due = (
        select(deliveries.c.id)
        .where(
            deliveries.c.status == "pending",
            or_(deliveries.c.next_attempt_at.is_(None), deliveries.c.next_attempt_at <= now),
            _free(deliveries.c.claim_expires_at, now),
        )
        .order_by(deliveries.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids: list[int] = list(conn.execute(due).scalars())
    if not ids:
        return []
    conn.execute(
        update(deliveries)
        .where(deliveries.c.id.in_(ids))
        .values(claimed_by=owner, claim_expires_at=until)
    )
    stmt = select(deliveries).where(deliveries.c.id.in_(ids)).order_by(deliveries.c.id)
    return list(conn.execute(stmt).mappings())


def release_claims(conn: Connection, owner: str, channel_ref: str) -> None:
    """Give back `owner`'s claims on a channel's pending deliveries (it stopped sending there)."""
    conn.execute(
        update(deliveries)
        .where(
            deliveries.c.channel_ref == channel_ref,
            deliveries.c.status == "pending",
            deliveries.c.claimed_by == owner,
        )
        .values(claimed_by=None, claim_expires_at=None)
    )


class ClaimedOutbox:
    """The Store as one replica's Dispatcher sees it: listing due deliveries claims them.

    With every sender claiming, a delivery is sent by one replica (or one flush of the replica)
    never by two. A retry stops the channel's queue for the round, so the channel's other claims
    are given back at once rather than held until they lapse. The rest goes to the store as is.
    """

    def __init__(self, store: Store, owner: str, ttl_s: float) -> None:
        self.store = store
        self.owner = owner
        self.ttl_s = ttl_s
        self._channel_of: dict[int, str] = {}  # the last claimed batch: delivery id → channel

    def due_deliveries(self, now: datetime, limit: int = 100) -> list[Delivery]:
        """Due deliveries, claimed for this replica."""
        claimed = self.store.claim_deliveries(self.owner, now, self.ttl_s, limit)
        self._channel_of = {d.id: d.channel_ref for d in claimed}
        return claimed

    def mark_retry(self, delivery_id: int, error: str, next_attempt_at: datetime) -> None:
        """Schedule the retry, then release this replica's other claims on that channel."""
        self.store.mark_retry(delivery_id, error, next_attempt_at)
        channel_ref = self._channel_of.get(delivery_id)
        if channel_ref is not None:
            self.store.release_claims(self.owner, channel_ref)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)
