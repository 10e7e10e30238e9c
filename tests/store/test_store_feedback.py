"""Feedback, the audit log and status counts."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.pool import NullPool

from bot.core.errors import CommandError
from bot.core.models import Feedback
from bot.store.schema import audit_log
from bot.store.sql import SqlStore
from tests.store.store_builders import T0, add_feed, alert, at, candidate, poll


def test_feedback_round_trip(store: SqlStore) -> None:
    feed = add_feed(store)
    [item_id] = poll(store, feed, [candidate("g1")])
    given = [
        Feedback(item_id, "good", "U1", "slack:C1", topic="guarantees"),
        Feedback(item_id, "bad", "U2", "discord:9"),
    ]
    for fb in given:
        store.add_feedback(fb, at(1))
    assert store.list_feedback() == given


def test_feedback_on_an_unknown_item_is_a_command_error(store: SqlStore) -> None:
    with pytest.raises(CommandError, match="no item with id 77"):
        store.add_feedback(Feedback(77, "bad", "U1", "slack:C1"), T0)
    assert store.list_feedback() == []


def test_audit_appends_rows(store: SqlStore, db_url: str) -> None:
    store.audit("U1", "feed.add", "https://a.example/rss", T0)
    store.audit("U2", "feed.remove", "3", at(1))
    engine = create_engine(db_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(audit_log).order_by(audit_log.c.id)).mappings().all()
    finally:
        engine.dispose()
    assert [(r["actor"], r["action"], r["detail"], r["created_at"]) for r in rows] == [
        ("U1", "feed.add", "https://a.example/rss", T0),
        ("U2", "feed.remove", "3", at(1)),
    ]


def test_stats_counts(store: SqlStore) -> None:
    empty = store.stats()
    assert (empty.items, empty.feeds, empty.pending_deliveries, empty.last_poll_at) == (
        0,
        0,
        0,
        None,
    )
    a, b = add_feed(store, "a"), add_feed(store, "b")
    poll(store, a, [candidate("1"), candidate("2")], polled_at=at(5), deliveries=[alert()])
    poll(store, b, [candidate("3")], polled_at=at(9))
    stats = store.stats()
    assert (stats.items, stats.feeds, stats.pending_deliveries, stats.failed_deliveries) == (
        3,
        2,
        2,
        0,
    )
    assert stats.last_poll_at == at(9)
