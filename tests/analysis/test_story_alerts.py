"""The pipeline with stories: a later source of a story is stored and listed, never alerted."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.ports import AnalysisStore
from tests.ingest.feedserver import FeedServer
from tests.test_pipeline import OFFTOPIC, harness, rss

WIRE = (
    "wire-1",
    "https://wire.example/hegseth-brussels",
    "Hegseth: no US troops in Ukraine as part of any security guarantee",
    "US Defense Secretary Pete Hegseth told allies in Brussels on Wednesday that American troops "
    "would not be deployed to Ukraine as part of any security guarantee, and that Europe must "
    "lead a reassurance force.",
)
REWRITE = (
    "paper-7",
    "https://paper.example/world/no-american-soldiers",
    "No American soldiers for Ukraine, Hegseth tells NATO allies in Brussels",
    "Pete Hegseth said in Brussels on Wednesday that no US soldiers would be sent to Ukraine to "
    "guarantee its security, telling allies that Europeans must lead any reassurance force.",
)
OTHER_EVENT = (
    "paper-8",
    "https://paper.example/world/zakharova",
    "Zakharova says Moscow rejects Western peacekeepers",
    "Russian Foreign Ministry spokeswoman Maria Zakharova said Moscow would not accept Western "
    "peacekeepers in Ukraine under any circumstances, calling a reassurance force a provocation.",
)


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as s:
        yield s


def alerts(messages: list[tuple[str, str, str]]) -> list[str]:
    return [text for _ref, _key, text in messages if "Alert" in text]


async def test_second_source_of_a_story_does_not_alert_again(
    tmp_path: Path, server: FeedServer
) -> None:
    wire = server.serve("/wire.xml", rss(OFFTOPIC))
    paper = server.serve("/paper.xml", rss(OFFTOPIC))
    h = await harness(tmp_path, [wire, paper])
    await h.cycle()  # first runs: silent
    server.serve("/wire.xml", rss(OFFTOPIC, WIRE))
    h.clock.advance(minutes=5)
    await h.cycle()
    assert len(alerts(h.sender.messages)) == 1
    # The paper's rewrite of the same event arrives later; a different event arrives with it.
    server.serve("/paper.xml", rss(OFFTOPIC, REWRITE, OTHER_EVENT))
    h.clock.advance(minutes=30)
    await h.cycle()
    sent = alerts(h.sender.messages)
    assert len(sent) == 2 and "Zakharova" in sent[1]  # the rewrite did not alert
    assert all("No American soldiers" not in text for text in sent)

    store = h.app.store
    assert isinstance(store, AnalysisStore)
    by_title = {i.title: i for i in store.recent_items(10)}
    first, later = by_title[WIRE[2]], by_title[REWRITE[2]]
    stories = store.story_of([first.id, later.id, by_title[OTHER_EVENT[2]].id])
    assert stories[first.id] == stories[later.id] == first.id
    assert stories[by_title[OTHER_EVENT[2]].id] != first.id

    # The digest lists the story once, with the later outlet.
    digest = h.app.digests.collect(
        store.list_channels()[0], since=None, until=h.clock.now(), weekly=False
    )
    lines = [line for s in digest.sections for line in s.lines]
    story = [line for line in lines if first.id in (line.item_id, *line.folded)]
    assert len(story) == 1 and story[0].also == ("feed1",) and digest.item_count == len(lines) + 1
    await h.app.aclose()


async def test_one_poll_with_two_sources_alerts_once(tmp_path: Path, server: FeedServer) -> None:
    wire = server.serve("/wire.xml", rss(OFFTOPIC))
    h = await harness(tmp_path, [wire])
    await h.cycle()
    server.serve("/wire.xml", rss(OFFTOPIC, WIRE, REWRITE))
    h.clock.advance(minutes=5)
    await h.cycle()
    assert len(alerts(h.sender.messages)) == 1
    await h.app.aclose()
