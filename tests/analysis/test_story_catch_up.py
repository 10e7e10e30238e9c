"""The clusterer's index reads what was stored since its last read, on SQLite and PostgreSQL,
including a fingerprint committed after one of a higher id (out of order, as replicas do)."""

from __future__ import annotations

from bot.analysis.stories import MinHashStoryClusterer
from bot.core.ports import ItemAnalysis, StoryDoc, StoryLink
from bot.store.sql import SqlStore
from tests.store.store_builders import T0, add_feed, at, candidate, poll

HEGSETH = (
    "Pete Hegseth told allies in Brussels on Wednesday that American troops would not be "
    "deployed to Ukraine as part of any security guarantee, and that NATO membership was "
    "not part of a settlement."
)
GRAIN = "Grain shipments through the Black Sea corridor rose in February, port data show."
OTHER = "The film festival in Cannes announced forty feature films and a retrospective."


def test_the_index_catches_up_with_late_and_out_of_order_fingerprints(store: SqlStore) -> None:
    feed = add_feed(store)
    first, second = poll(store, feed, [candidate("a"), candidate("b")])
    clusterer = MinHashStoryClusterer(store)
    hegseth = clusterer.fingerprint("Hegseth in Brussels", HEGSETH)
    grain = clusterer.fingerprint("Grain exports rise", GRAIN)
    unrelated = StoryDoc(T0, clusterer.fingerprint("Festival", OTHER))
    assert clusterer.assign([unrelated]) == [None]  # loaded: nothing fingerprinted yet
    # "b" (the higher id) is recorded first, and read; "a" commits only afterwards.
    store.record_analysis(feed, [ItemAnalysis("b", grain, story_lead="b")], at(1))
    assert clusterer.assign([StoryDoc(T0, grain)]) == [StoryLink(second, second)]
    store.record_analysis(feed, [ItemAnalysis("a", hegseth, story_lead="a")], at(2))
    assert clusterer.assign([StoryDoc(T0, hegseth)]) == [StoryLink(first, first)]
    # Items stored after the index was loaded are read too.
    (third,) = poll(store, feed, [candidate("c")], polled_at=at(5))
    store.record_analysis(feed, [ItemAnalysis("c", hegseth, story_id=first)], at(6))
    again = clusterer.assign([StoryDoc(T0, hegseth)])
    assert again == [StoryLink(first, first)]  # the earliest of equal matches; same story
    assert third > second
