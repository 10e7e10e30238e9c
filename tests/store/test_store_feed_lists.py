"""Feeds added as a list (all or nothing), the feeds table's seven days in one query, rhythm and
silence state — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.errors import CommandError
from bot.core.models import FeedSpec
from bot.core.ports import FeedActivity, NewItem
from bot.store.sql import SqlStore
from tests.store.store_builders import T0, add_feed, at, candidate, classification, outcome, poll


def spec(name: str, *tags: str) -> FeedSpec:
    return FeedSpec(url=f"https://{name}.example/rss", name=name, tags=tags)


def test_add_feeds_stores_every_feed_with_its_tags(store: SqlStore) -> None:
    added = store.add_feeds([spec("a", "Europe"), spec("b")], T0, added_by="alice")

    assert [(f.name, f.tags, f.added_by, f.next_poll_at) for f in added] == [
        ("a", ("Europe",), "alice", T0),
        ("b", (), "alice", T0),
    ]
    assert [f.id for f in store.list_feeds()] == [f.id for f in added]


def test_add_feeds_is_all_or_nothing(store: SqlStore) -> None:
    add_feed(store, "b")
    with pytest.raises(CommandError, match="nothing was imported"):
        store.add_feeds([spec("a"), spec("b"), spec("c")], T0)
    assert [f.name for f in store.list_feeds()] == ["b"]


def test_feeds_with_activity_counts_seven_days_in_one_query(
    store: SqlStore, selects: list[str]
) -> None:
    busy, quiet, empty = add_feed(store, "busy"), add_feed(store, "quiet"), add_feed(store, "e")
    on, off = classification(0.9, 0.1), classification(0.1, 0.2)
    poll(store, busy, [candidate(f"on{i}", published_at=at(-60 * i)) for i in range(3)], cls=on)
    poll(store, busy, [candidate("off", published_at=at(-30))], cls=off)
    poll(store, busy, [candidate("old", published_at=T0 - timedelta(days=9))], cls=on)
    poll(store, quiet, [candidate("q", published_at=at(-5))], cls=off)
    selects.clear()

    found = store.feeds_with_activity(T0 - timedelta(days=7))

    assert [(f.id, a) for f, a in found] == [
        (busy, FeedActivity(items_7d=4, on_topic_7d=3)),
        (quiet, FeedActivity(items_7d=1, on_topic_7d=0)),
        (empty, FeedActivity()),
    ]
    assert len(selects) == 1  # however many feeds


def test_publication_times_newest_first(store: SqlStore) -> None:
    feed = add_feed(store)
    poll(store, feed, [candidate(f"g{i}", published_at=at(60 * i)) for i in (2, 0, 1)])
    assert store.publication_times(feed, limit=2) == [at(120), at(60)]


def test_new_items_clear_silence_and_silenced_marks_it(store: SqlStore) -> None:
    feed = add_feed(store)
    store.record_outcome(outcome(feed, at(10), silenced=True))
    marked = store.get_feed(feed)
    assert marked is not None and marked.silent_since == at(10) and marked.last_new_at is None

    new = [NewItem(feed, candidate("g"), classification(), silent=False)]
    store.apply_poll(outcome(feed, at(20), new_items=True), new, [], [[]])

    cleared = store.get_feed(feed)
    assert cleared is not None and cleared.silent_since is None and cleared.last_new_at == at(20)
