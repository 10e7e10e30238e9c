"""Story clustering: the seed corpus, the decision rule, fingerprints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.analysis.stories import (
    COPY_WINDOW,
    WINDOW,
    Fingerprint,
    MinHashStoryClusterer,
    assign_among,
    fingerprint_of,
    same_story,
)
from bot.core.ports import StoryDoc
from tests.analysis.seeds import seed_candidates

T0 = datetime(2025, 3, 2, 12, tzinfo=UTC)


def test_seed_corpus_biden_paris_pair_is_one_story_and_the_others_stay_apart() -> None:
    clusterer = MinHashStoryClusterer()
    seeds = seed_candidates()
    order = sorted(seeds, key=lambda k: seeds[k].published_at)
    docs = [
        StoryDoc(seeds[k].published_at, clusterer.fingerprint(seeds[k].title, seeds[k].text))
        for k in order
    ]
    links = assign_among(docs, [])
    joined = {order[i]: order[link] for i, link in enumerate(links) if link is not None}
    assert joined == {"000": "003"}  # Reuters on 10 June joins the 7 June report of the visit


def test_stored_items_are_matched_and_the_best_match_wins() -> None:
    clusterer = MinHashStoryClusterer()
    seeds = seed_candidates()
    known = [
        StoryDoc(c.published_at, clusterer.fingerprint(c.title, c.text), item_id=n, story_id=40 + n)
        for n, c in enumerate(seeds[k] for k in ("002", "003", "004"))
    ]
    new = StoryDoc(
        seeds["000"].published_at, clusterer.fingerprint(seeds["000"].title, seeds["000"].text)
    )
    assert assign_among([new], known) == [1]  # the 003 item
    assert assign_among([new], known[::2]) == [None]  # neither 002 nor 004


def test_decision_rule() -> None:
    assert same_story(0.6, COPY_WINDOW, 0)  # a copy a week later
    assert not same_story(0.6, COPY_WINDOW + timedelta(hours=1), 5)
    assert same_story(0.3, WINDOW, 0)  # a rewrite within three days
    assert not same_story(0.3, WINDOW + timedelta(minutes=1), 5)
    assert same_story(0.12, timedelta(hours=5), 2)  # other wording, same actors
    assert not same_story(0.12, timedelta(hours=5), 1)
    assert not same_story(0.05, timedelta(hours=1), 6)


def test_fingerprint_round_trip_and_bad_input() -> None:
    fp = fingerprint_of("Starmer backs force", "Keir Starmer said Macron and he would lead it.")
    back = Fingerprint.loads(fp.dumps())
    assert back is not None and back.actors == {"Keir Starmer", "Emmanuel Macron"}
    assert (back.values == fp.values).all()
    for bad in ("", "{}", '{"v": 99}', '{"v": 1, "m": "AAAA"}', "not json"):
        assert Fingerprint.loads(bad) is None
    broken = StoryDoc(T0, "garbage", item_id=1, story_id=1)
    assert assign_among([StoryDoc(T0, fp.dumps())], [broken]) == [None]


def test_syndicated_copies_in_one_poll_chain_to_the_first() -> None:
    clusterer = MinHashStoryClusterer()
    text = (
        "Pete Hegseth told allies in Brussels on Wednesday that American troops would not be "
        "deployed to Ukraine as part of any security guarantee, and that NATO membership was "
        "not part of a settlement."
    )
    fps = [clusterer.fingerprint(f"Hegseth in Brussels {n}", text) for n in range(3)]
    docs = [StoryDoc(T0 + timedelta(hours=n), fp) for n, fp in enumerate(fps)]
    assert assign_among(docs, []) == [None, 0, 0]
