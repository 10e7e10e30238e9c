"""Items: matching, the poll transaction, windows, classification round trip, time zones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.core.errors import CommandError, StorageError
from bot.core.models import PendingDelivery
from bot.core.ports import NewItem, UpdateItem
from bot.store.sql import SqlStore
from tests.store.store_builders import (
    T0,
    add_feed,
    alert,
    at,
    candidate,
    classification,
    outcome,
    poll,
)


def test_find_matches_precedence_guid_then_url_then_hash(store: SqlStore) -> None:
    a, b = add_feed(store, "a"), add_feed(store, "b")
    [a1] = poll(store, a, [candidate("g1", url="https://u/1", content_hash="h1")])
    [b1, b_blank] = poll(
        store,
        b,
        [
            candidate("g2", url="https://u/2", content_hash="h2"),
            candidate("g3", url="", content_hash="h3"),
        ],
    )

    found = store.find_matches(
        a,
        [
            candidate("g1", url="https://new/1", content_hash="new1"),  # guid
            candidate("g1", url="https://u/2", content_hash="h2"),  # guid beats url and hash
            candidate("g2", url="https://u/2", content_hash="x"),  # g2 is b's guid: url
            candidate("n1", url="https://u/1", content_hash="h2"),  # url beats hash
            candidate("n2", url="", content_hash="h2"),  # hash, any feed
            candidate("n3", url="", content_hash="n3"),  # an empty url matches nothing
            candidate("n4", url="https://new/4", content_hash="n4"),  # nothing
        ],
    )

    assert [r.id if r else None for r in found] == [a1, a1, b1, a1, b1, None, None]
    assert b_blank not in [r.id for r in found if r]
    ref = found[0]
    assert ref is not None
    assert (ref.guid, ref.url, ref.content_hash, ref.feed_id) == ("g1", "https://u/1", "h1", a)
    assert ref.published_at == T0 and ref.title == "Title g1"


def test_find_matches_prefers_the_same_feed_then_the_oldest(store: SqlStore) -> None:
    a, b = add_feed(store, "a"), add_feed(store, "b")
    [b_old] = poll(store, b, [candidate("b1", url="https://same", content_hash="h")])
    [a_item] = poll(store, a, [candidate("a1", url="https://same", content_hash="h")])
    [b_new] = poll(store, b, [candidate("b2", url="https://same", content_hash="h")])

    [for_a] = store.find_matches(a, [candidate("x", url="https://same")])
    [for_b] = store.find_matches(b, [candidate("y", url="", content_hash="h")])

    assert for_a is not None and for_a.id == a_item
    assert for_b is not None and for_b.id == b_old != b_new


def test_find_matches_batches_its_queries(store: SqlStore, selects: list[str]) -> None:
    feed = add_feed(store)
    stored = poll(store, feed, [candidate(f"g{i}") for i in range(30)])
    cands = (
        [candidate(f"g{i}") for i in range(30)]  # by guid
        + [candidate(f"x{i}", url=f"https://example.org/g{i}") for i in range(10)]  # by url
        + [candidate(f"y{i}", url="", content_hash=f"hash-g{i}") for i in range(10)]  # by hash
        + [candidate(f"z{i}") for i in range(10)]  # new
    )
    selects.clear()

    found = store.find_matches(feed, cands)

    assert [r.id if r else None for r in found] == (
        stored + stored[:10] + stored[:10] + [None] * 10
    )
    assert len(selects) <= 3


def test_apply_poll_writes_items_classifications_deliveries_and_state(store: SqlStore) -> None:
    feed = add_feed(store)
    cls = classification(guarantees=0.91, troops=0.2, version="m7")
    ids = poll(
        store,
        feed,
        [candidate("g1"), candidate("g2")],
        polled_at=at(5),
        cls=cls,
        deliveries=[alert("slack:C1"), alert("discord:9")],
    )

    assert len(ids) == 2 and ids[0] < ids[1]
    item = store.get_item(ids[0])
    assert item is not None
    assert (item.guid, item.feed_id, item.first_seen_at, item.source) == (
        "g1",
        feed,
        at(5),
        "Example",
    )
    assert item.classification == cls
    assert cls.reason("guarantees") == "guarantees because 0.91"
    deliveries = store.deliveries_for_item(ids[1])
    assert [(d.channel_ref, d.dedupe_key, d.item_ids, d.status) for d in deliveries] == [
        ("slack:C1", f"alert:slack:C1:{ids[1]}", [ids[1]], "pending"),
        ("discord:9", f"alert:discord:9:{ids[1]}", [ids[1]], "pending"),
    ]
    assert deliveries[0].payload == {"why": "test"}
    fed = store.get_feed(feed)
    assert fed is not None and fed.last_polled_at == at(5) and fed.item_count == 2


def test_apply_poll_skips_guid_collisions_and_existing_delivery_keys(store: SqlStore) -> None:
    feed = add_feed(store)
    [old] = poll(store, feed, [candidate("g1")])
    notice = PendingDelivery("slack:C1", "notice", "notice:once")
    assert store.record_deliveries([notice], T0) != []

    ids = poll(
        store,
        feed,
        [candidate("g1"), candidate("g2"), candidate("g2", url="https://dup")],
        polled_at=at(1),
        deliveries=[alert(), notice],
    )

    assert len(ids) == 1 and ids[0] != old
    assert [d.dedupe_key for d in store.deliveries_for_item(ids[0])] == [f"alert:slack:C1:{ids[0]}"]
    assert store.deliveries_for_item(old) == []  # the collided copy caused nothing
    assert store.stats().items == 2


def test_apply_poll_is_all_or_nothing(store: SqlStore) -> None:
    feed = add_feed(store)
    good = NewItem(feed, candidate("g1"), classification(), silent=False)
    bad = NewItem(feed, candidate("g2"), classification(), silent=False)
    with pytest.raises(StorageError, match="storing the poll of feed") as info:
        store.apply_poll(
            outcome(feed, at(1), etag='"e"', primed=True),
            [good, bad],
            [],
            [[alert()], [alert(kind="carrier-pigeon")]],  # violates ck_deliveries_kind
        )
    assert "ck_deliveries_kind" in str(info.value)

    fed = store.get_feed(feed)
    assert fed is not None
    assert (fed.last_polled_at, fed.etag, fed.primed, fed.item_count) == (None, None, False, 0)
    assert store.recent_items() == []
    assert store.find_matches(feed, [candidate("g1")]) == [None]
    assert store.due_deliveries(at(10)) == []
    stats = store.stats()
    assert (stats.items, stats.pending_deliveries, stats.last_poll_at) == (0, 0, None)


def test_apply_poll_updates_items_in_place_without_new_deliveries(store: SqlStore) -> None:
    feed = add_feed(store)
    [item_id] = poll(store, feed, [candidate("g1", title="Old headline")], deliveries=[alert()])
    edited = candidate(
        "g1",
        url="https://example.org/g1-v2",
        title="Edited headline",
        summary="new text",
        content_hash="hash-v2",
        published_at=at(-30),
    )
    ids = store.apply_poll(outcome(feed, at(10)), [], [UpdateItem(item_id, edited)], [])

    assert ids == []
    item = store.get_item(item_id)
    assert item is not None
    assert (item.title, item.summary, item.url, item.content_hash) == (
        "Edited headline",
        "new text",
        "https://example.org/g1-v2",
        "hash-v2",
    )
    assert (item.published_at, item.first_seen_at) == (at(-30), T0)
    assert len(store.deliveries_for_item(item_id)) == 1
    assert [i.id for i in store.search("edited")] == [item_id]
    assert store.search("old") == []  # the search index followed the update


def test_apply_poll_for_a_removed_feed_writes_nothing(store: SqlStore) -> None:
    feed = add_feed(store)
    store.remove_feed(feed)
    assert poll(store, feed, [candidate("g1")], deliveries=[alert()]) == []
    assert store.stats().items == 0 and store.due_deliveries(at(1)) == []


def test_apply_poll_needs_one_delivery_list_per_new_item(store: SqlStore) -> None:
    feed = add_feed(store)
    new = [NewItem(feed, candidate("g1"), classification(), silent=True)]
    with pytest.raises(ValueError, match="1 new items but 0 delivery lists"):
        store.apply_poll(outcome(feed), new, [], [])


def test_items_between_window_and_topic_filter(store: SqlStore) -> None:
    feed = add_feed(store)
    [g] = poll(store, feed, [candidate("g")], polled_at=at(10), cls=classification(0.9, 0.1))
    [t] = poll(store, feed, [candidate("t")], polled_at=at(20), cls=classification(0.1, 0.9))
    [n] = poll(store, feed, [candidate("n")], polled_at=at(30), cls=classification(0.1, 0.1))

    def ids(start: datetime | None, end: datetime, topics: list[str] | None = None) -> list[int]:
        return [i.id for i in store.items_between(start, end, topics)]

    assert ids(None, at(30)) == [g, t, n]
    assert ids(at(10), at(30)) == [t, n]  # start excluded, end included
    assert ids(at(10), at(29)) == [t]
    assert ids(None, at(30), ["guarantees"]) == [g]
    assert ids(None, at(30), ["troops", "guarantees"]) == [g, t]
    assert ids(None, at(30), []) == []
    assert all(i.classification is not None for i in store.items_between(None, at(30)))


def test_recent_items_newest_published_first_with_topic(store: SqlStore) -> None:
    feed = add_feed(store)
    ids = poll(
        store,
        feed,
        [candidate(f"g{i}", published_at=at(-i)) for i in range(5)],
        cls=classification(0.9, 0.1),
    )
    [troops] = poll(store, feed, [candidate("t", published_at=at(-100))], cls=classification(0, 1))

    assert [i.id for i in store.recent_items(limit=3)] == ids[:3]
    assert [i.id for i in store.recent_items(topic="troops")] == [troops]
    assert len(store.recent_items(topic="guarantees")) == 5


def test_silent_items_and_reclassify(store: SqlStore) -> None:
    feed = add_feed(store)
    new = [NewItem(feed, candidate("g1"), classification(0.2, 0.2), silent=True)]
    [item_id] = store.apply_poll(outcome(feed, primed=True), new, [], [[]])
    item = store.get_item(item_id)
    assert item is not None and item.silent
    assert item.classification is not None and item.classification.matched() == []

    better = classification(0.95, 0.7, version="m2")
    store.reclassify(item_id, better)

    item = store.get_item(item_id)
    assert item is not None and item.classification == better
    assert better.matched() == ["guarantees", "troops"]
    with pytest.raises(CommandError, match="no item with id 999"):
        store.reclassify(999, better)


def test_datetimes_come_back_aware_utc(store: SqlStore) -> None:
    kyiv_summer = timezone(timedelta(hours=3))
    polled = datetime(2024, 6, 1, 11, 0, 0, 123456, tzinfo=kyiv_summer)
    published = datetime(2024, 5, 31, 23, 30, tzinfo=timezone(timedelta(hours=-7)))
    feed = add_feed(store, now=polled)
    [item_id] = poll(store, feed, [candidate("g", published_at=published)], polled_at=polled)

    item = store.get_item(item_id)
    fed = store.get_feed(feed)
    assert item is not None and fed is not None
    for value, expected in (
        (item.first_seen_at, polled),
        (item.published_at, published),
        (fed.next_poll_at, polled + timedelta(hours=1)),
        (fed.last_polled_at, polled),
    ):
        assert value == expected
        assert value is not None and value.tzinfo is UTC
    assert item.first_seen_at == datetime(2024, 6, 1, 8, 0, 0, 123456, tzinfo=UTC)
    # Comparisons happen in UTC too: the window (07:59 UTC, 08:00:01 UTC] holds the item.
    window = store.items_between(at(-1), datetime(2024, 6, 1, 11, 0, 1, tzinfo=kyiv_summer))
    assert [i.id for i in window] == [item_id]


def test_naive_datetimes_are_refused(store: SqlStore) -> None:
    feed = add_feed(store)
    with pytest.raises(StorageError, match="naive datetime"):
        store.record_outcome(outcome(feed, datetime(2024, 6, 1, 8, 0)))
