"""A digest is read, not searched: past `delivery.digest_max_stories` a topic it shows the best
stories and counts the rest, in the recorded digest and in what each platform renders."""

from __future__ import annotations

from pathlib import Path

from bot.chat.discord.embeds import render as render_discord
from bot.chat.markdown import render as render_markdown
from bot.chat.slack.blocks import render as render_slack
from bot.core.digest import DigestService, digest_from_payload
from bot.core.models import Channel
from bot.store.sql import SqlStore
from tests.fakes import FakeClock
from tests.store.store_builders import add_feed, at, candidate, classification, poll


def test_a_digest_shows_the_best_stories_of_each_topic_and_counts_the_rest(
    tmp_path: Path,
) -> None:
    store = SqlStore(f"sqlite:///{tmp_path / 'w.db'}")
    feed = add_feed(store)
    # Twelve on "guarantees", scores 0.60 … 0.93, all distinct stories; two on "troops".
    for n in range(12):
        poll(store, feed, [candidate(f"g{n}")], cls=classification(0.6 + n * 0.03, 0.1))
    for n in range(2):
        poll(store, feed, [candidate(f"t{n}")], cls=classification(0.1, 0.9))
    store.sync_channels([Channel("console:desk", "desk")])
    clock = FakeClock(at(60))
    digests = DigestService(store, clock, max_per_topic=5)

    digest = digests.collect(store.list_channels()[0], since=None, until=clock.now())
    by_topic = {s.topic: s.lines for s in digest.sections}
    assert [line.title for line in by_topic["guarantees"]] == [
        f"Title g{n}" for n in (11, 10, 9, 8, 7)
    ]
    assert len(by_topic["troops"]) == 2 and digest.left_out == 7

    # The recorded digest keeps the cut: a resend shows the same lines and the same count.
    assert digests.record("console:desk") is not None
    (delivery,) = store.due_deliveries(clock.now())
    assert len(delivery.item_ids) == 7
    rebuilt = digest_from_payload(store, delivery.payload, delivery.item_ids)
    assert rebuilt.sections == digest.sections and rebuilt.left_out == 7

    note = "7 more stories not shown: search finds them"
    assert note in render_markdown(rebuilt)
    assert note in str(render_slack(rebuilt)[-1].blocks[-1])
    assert note in (render_discord(rebuilt)[-1].embeds[-1].footer.text or "")
    store.close()
