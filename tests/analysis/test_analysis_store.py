"""AnalysisStore on SQLite and PostgreSQL: fingerprints, stories, statements, daily counts."""

from __future__ import annotations

from datetime import date, timedelta

from bot.core.ports import ItemAnalysis, Statement
from bot.store.sql import SqlStore
from tests.store.store_builders import T0, add_feed, at, candidate, classification, poll


def said(speaker: str, stance: str, topic: str = "troops", days: int = 0, **kw: str) -> Statement:
    return Statement(speaker, stance, topic, f"{speaker} said…", T0 + timedelta(days=days), **kw)  # type: ignore[arg-type]


def test_record_analysis_resolves_stories_and_is_idempotent(store: SqlStore) -> None:
    feed = add_feed(store)
    lead, copy, other = poll(store, feed, [candidate("a"), candidate("b"), candidate("c")])
    records = [
        ItemAnalysis("a", "fp-a", story_lead="a", statements=(said("Keir Starmer", "supports"),)),
        ItemAnalysis("b", "fp-b", story_lead="a"),  # joins the story "a" leads in this poll
        ItemAnalysis("c", "fp-c", story_id=None, story_lead="c"),
        ItemAnalysis("missing", "fp-x", story_lead="missing"),  # not stored: ignored
    ]
    store.record_analysis(feed, records, at(1))
    store.record_analysis(feed, records, at(2))  # a retry writes nothing twice
    assert store.story_of([lead, copy, other]) == {lead: lead, copy: lead, other: other}
    docs = store.story_docs(T0 - timedelta(days=1), T0 + timedelta(days=1))
    assert {(d.item_id, d.story_id, d.fingerprint) for d in docs} == {
        (lead, lead, "fp-a"),
        (copy, lead, "fp-b"),
        (other, other, "fp-c"),
    }
    assert store.story_docs(T0 + timedelta(days=1), T0 + timedelta(days=2)) == []
    members = store.story_members([lead, other])
    assert [m.item_id for m in members[lead]] == [lead, copy] and len(members[other]) == 1
    assert len(store.statements()) == 1

    # A later poll's item joins the stored story by id; the story of an item never changes.
    (later,) = poll(store, feed, [candidate("d")], polled_at=at(60))
    store.record_analysis(feed, [ItemAnalysis("d", "fp-d", story_id=lead)], at(61))
    store.record_analysis(feed, [ItemAnalysis("a", "fp-a", story_id=other)], at(62))
    assert store.story_of([later, lead]) == {later: lead, lead: lead}


def test_statement_filters(store: SqlStore) -> None:
    feed = add_feed(store)
    first, second = poll(store, feed, [candidate("a"), candidate("b")])
    (late,) = poll(store, feed, [candidate("c")], polled_at=at(600))
    kirby = said(
        "John Kirby", "rules_out", days=1, country="United States", on_behalf_of="Joe Biden"
    )
    store.record_analysis(
        feed,
        [
            ItemAnalysis(
                "a",
                "f",
                story_lead="a",
                statements=(said("Emmanuel Macron", "keeps_open", country="France"),),
            ),
            ItemAnalysis("b", "f", story_lead="b", statements=(kirby,), extractor_version="x-1"),
            ItemAnalysis(
                "c",
                "f",
                story_lead="c",
                statements=(
                    said("Emmanuel Macron", "supports", "guarantees", days=2, country="France"),
                ),
            ),
        ],
        at(601),
    )
    everything = store.statements()
    assert [s.stance for s in everything] == ["keeps_open", "rules_out", "supports"]  # oldest first
    assert [s.item_id for s in everything] == [first, second, late]
    assert [s.speaker for s in store.statements(speakers=["Joe Biden"])] == ["John Kirby"]
    assert [s.stance for s in store.statements(countries=["France"], topic="troops")] == [
        "keeps_open"
    ]
    assert store.statements(speakers=[], countries=[]) == []
    assert [s.item_id for s in store.statements(seen_after=at(1))] == [late]
    assert [s.item_id for s in store.statements(seen_until=at(1))] == [first, second]
    assert [s.stance for s in store.statements(limit=2)] == ["rules_out", "supports"]  # newest two


def test_daily_topic_counts_and_removed_feeds(store: SqlStore) -> None:
    feed = add_feed(store)
    day = timedelta(days=1)
    ids = poll(
        store,
        feed,
        [
            candidate("a"),
            candidate("b", published_at=T0 + day),
            candidate("c", published_at=T0 + day),
        ],
        cls=classification(guarantees=0.9, troops=0.8),
    )
    poll(store, feed, [candidate("off", published_at=T0 + day)], cls=classification(0.1, 0.1))
    counts = store.daily_topic_counts(T0 - day, T0 + 2 * day)
    assert counts == {
        "guarantees": {date(2024, 6, 1): 1, date(2024, 6, 2): 2},
        "troops": {date(2024, 6, 1): 1, date(2024, 6, 2): 2},
    }
    assert store.daily_topic_counts(T0 + 3 * day, T0 + 4 * day) == {}
    store.record_analysis(
        feed,
        [ItemAnalysis("a", "f", story_lead="a", statements=(said("Keir Starmer", "supports"),))],
        at(1),
    )
    store.remove_feed(feed)  # items stay with their story and statements
    assert store.story_of(ids) == {ids[0]: ids[0]} and len(store.statements()) == 1
