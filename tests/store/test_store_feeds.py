"""Feeds: configuration sync, commands, due selection, polling state."""

from __future__ import annotations

from datetime import timedelta
from typing import get_args

import pytest

from bot.core.errors import CommandError
from bot.core.models import FeedKind, FeedSpec
from bot.store.rows import NO_FEED
from bot.store.sql import SqlStore
from tests.store.store_builders import T0, add_feed, at, candidate, outcome, poll


def test_sync_feeds_inserts_updates_and_keeps_command_feeds(store: SqlStore) -> None:
    added = store.add_feed(FeedSpec(url="https://cmd.example/rss", name="cmd"), T0, "U1")
    first = store.sync_feeds(
        [
            FeedSpec(url="https://a.example/rss", name="A", poll_interval_s=600),
            FeedSpec(url="file:///srv/seeds", name="Seeds", kind="local"),
        ],
        at(1),
    )
    assert [(f.name, f.next_poll_at) for f in first] == [
        ("cmd", T0),
        ("A", at(1)),
        ("Seeds", at(1)),
    ]
    a = next(f for f in first if f.name == "A")
    store.record_outcome(outcome(a.id, at(2), next_poll_at=at(30)))

    second = store.sync_feeds(
        [FeedSpec(url="https://a.example/rss", name="A renamed", poll_interval_s=1200)], at(5)
    )
    by_url = {f.url: f for f in second}
    assert set(by_url) == {"https://cmd.example/rss", "https://a.example/rss", "file:///srv/seeds"}
    renamed = by_url["https://a.example/rss"]
    assert (renamed.id, renamed.name, renamed.poll_interval_s) == (a.id, "A renamed", 1200)
    assert renamed.next_poll_at == at(30)  # polling state survives a sync
    assert renamed.last_polled_at == at(2)
    assert by_url["https://cmd.example/rss"].added_by == "U1"
    assert by_url["file:///srv/seeds"].kind == "local"
    assert added.id == by_url["https://cmd.example/rss"].id


def test_configured_tags_are_stored_and_follow_the_config(store: SqlStore) -> None:
    [feed] = store.sync_feeds(
        [FeedSpec(url="https://a.example/rss", name="A", tags=("Europe", "think tanks"))], T0
    )
    assert feed.tags == ("Europe", "think tanks")
    [feed] = store.sync_feeds([FeedSpec(url="https://a.example/rss", name="A")], at(1))
    assert feed.tags == ()
    added = store.add_feed(FeedSpec(url="https://b.example/rss", name="B", tags=("x",)), at(2))
    assert store.get_feed(added.id).tags == ("x",)


def test_add_feed_refuses_a_watched_url(store: SqlStore) -> None:
    feed = store.add_feed(FeedSpec(url="https://a.example/rss", name="A"), T0, "U1")
    assert (feed.name, feed.added_by, feed.next_poll_at, feed.item_count) == ("A", "U1", T0, 0)
    with pytest.raises(CommandError, match=r"https://a\.example/rss is already watched"):
        store.add_feed(FeedSpec(url="https://a.example/rss", name="again"), at(1))
    assert len(store.list_feeds()) == 1


def test_re_adding_a_disabled_feed_enables_it_again(store: SqlStore) -> None:
    feed_id = add_feed(store, "flaky")
    store.record_outcome(
        outcome(feed_id, at(1), ok=False, error="HTTP 500", consecutive_failures=20, disabled=True)
    )
    spec = FeedSpec(url="https://flaky.example/rss", name="Flaky again", poll_interval_s=1800)

    feed = store.add_feed(spec, at(10), "U2")

    assert (feed.id, feed.name, feed.poll_interval_s, feed.added_by) == (
        feed_id,
        "Flaky again",
        1800,
        "U2",
    )
    assert (feed.disabled, feed.consecutive_failures, feed.last_error) == (False, 0, None)
    assert [f.id for f in store.due_feeds(at(10))] == [feed_id]


@pytest.mark.parametrize("kind", get_args(FeedKind))
def test_every_feed_kind_can_be_stored(store: SqlStore, kind: FeedKind) -> None:
    feed = store.add_feed(FeedSpec(url=f"{kind}://x", name=kind, kind=kind), T0)
    assert store.get_feed(feed.id).kind == kind  # type: ignore[union-attr]


def test_remove_feed_keeps_its_items(store: SqlStore) -> None:
    feed_id = add_feed(store)
    [item_id] = poll(store, feed_id, [candidate("g1", title="Troops arrive")])
    assert store.get_feed(feed_id).item_count == 1  # type: ignore[union-attr]

    removed = store.remove_feed(feed_id)

    assert removed.id == feed_id
    assert store.get_feed(feed_id) is None
    item = store.get_item(item_id)
    assert item is not None and item.feed_id == NO_FEED
    assert item.classification is not None
    assert [i.id for i in store.search("troops")] == [item_id]


def test_remove_unknown_feed_says_how_to_list_feeds(store: SqlStore) -> None:
    with pytest.raises(CommandError) as info:
        store.remove_feed(42)
    assert str(info.value) == "no feed with id 42; `/watch feeds` lists them"


def test_due_feeds_skips_disabled_and_future_and_orders_by_due_time(store: SqlStore) -> None:
    late, early, future, disabled = (add_feed(store, n) for n in ("late", "early", "fut", "dis"))
    store.record_outcome(outcome(late, next_poll_at=at(10)))
    store.record_outcome(outcome(early, next_poll_at=at(5)))
    store.record_outcome(outcome(future, next_poll_at=at(60)))
    store.record_outcome(outcome(disabled, ok=False, error="gone", disabled=True))

    assert [f.id for f in store.due_feeds(at(30))] == [early, late]
    assert [f.id for f in store.due_feeds(at(30), limit=1)] == [early]
    assert [f.id for f in store.due_feeds(at(10))] == [early, late]  # "<= now" is due
    assert store.due_feeds(at(4)) == []


def test_record_outcome_success_304_and_failure(store: SqlStore) -> None:
    feed_id = add_feed(store)
    store.record_outcome(
        outcome(feed_id, T0, etag='"v1"', last_modified="Sat, 01 Jun 2024", primed=True)
    )
    feed = store.get_feed(feed_id)
    assert feed is not None
    assert (feed.etag, feed.last_modified, feed.last_success_at) == ('"v1"', "Sat, 01 Jun 2024", T0)
    assert feed.primed and feed.last_error is None

    # 304: nothing new, validators not given -> kept
    store.record_outcome(outcome(feed_id, at(60)))
    feed = store.get_feed(feed_id)
    assert feed is not None
    assert (feed.etag, feed.last_success_at, feed.last_polled_at) == ('"v1"', at(60), at(60))

    failure = outcome(
        feed_id,
        at(120),
        ok=False,
        error="HTTP 503",
        consecutive_failures=3,
        next_poll_at=at(120) + timedelta(hours=4),
    )
    store.record_outcome(failure)
    feed = store.get_feed(feed_id)
    assert feed is not None
    assert (feed.last_error, feed.consecutive_failures, feed.disabled) == ("HTTP 503", 3, False)
    assert feed.last_success_at == at(60)  # unchanged by a failure
    assert feed.primed  # never un-primed
    assert feed.next_poll_at == at(360)

    store.record_outcome(outcome(feed_id, at(400), ok=False, error="410 Gone", disabled=True))
    assert store.get_feed(feed_id).disabled  # type: ignore[union-attr]

    store.record_outcome(outcome(feed_id, at(500)))
    feed = store.get_feed(feed_id)
    assert feed is not None
    assert (feed.last_error, feed.consecutive_failures, feed.disabled) == (None, 0, False)


def test_record_outcome_for_a_removed_feed_is_ignored(store: SqlStore) -> None:
    store.record_outcome(outcome(999))
    assert store.list_feeds() == []
