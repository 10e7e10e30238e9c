"""The pipeline with stories: a later source of a story is stored, listed, and sent with the first
alert as a follow-up, never as a second alert."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.chat.markdown import render
from bot.core.errors import DeliveryError
from bot.core.ports import AnalysisStore
from tests.ingest.feedserver import FeedServer
from tests.test_commands import USER
from tests.test_pipeline import OFFTOPIC, Harness, harness, rss

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
    # It went with the first alert instead, naming that alert's story.
    followups = [(k, t) for _r, k, t in h.sender.messages if k.startswith("followup:")]
    assert len(followups) == 1
    key, text = followups[0]
    assert "No American soldiers" in text and "Hegseth: no US troops" in text

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

    # The follow-up message carries the first alert's id and every source so far; `why` says so.
    (delivery,) = [d for d in store.deliveries_for_item(later.id) if d.kind == "followup"]
    assert delivery.status == "sent" and key == delivery.dedupe_key
    message = h.app.dispatcher.followup_for(delivery)
    assert message is not None
    (parent,) = [d for d in store.deliveries_for_item(first.id) if d.kind == "alert"]
    assert message.parent_id == parent.external_id
    assert message.story.line.item_id == first.id and message.story.line.also == ("feed1",)
    assert message.line.item_id == later.id
    why = render(await h.app.commands.execute(f"why {later.id}", USER))
    assert "later source of a story already alerted: added to that alert" in why
    await h.app.aclose()


async def first_alert_failing(tmp_path: Path, server: FeedServer, error: DeliveryError) -> Harness:
    """Two primed feeds (wire, paper); the wire's story alerts while the chat API answers
    `error`."""
    wire = server.serve("/wire.xml", rss(OFFTOPIC))
    paper = server.serve("/paper.xml", rss(OFFTOPIC))
    h = await harness(tmp_path, [wire, paper])
    await h.cycle()
    server.serve("/wire.xml", rss(OFFTOPIC, WIRE))
    h.clock.advance(minutes=5)
    h.sender.fail_with = error
    await h.cycle()
    h.sender.fail_with = None
    return h


async def test_a_later_source_is_folded_when_the_first_alert_was_never_posted(
    tmp_path: Path, server: FeedServer
) -> None:
    error = DeliveryError("channel gone", permanent=True)
    h = await first_alert_failing(tmp_path, server, error)  # failed for good
    server.serve("/paper.xml", rss(OFFTOPIC, REWRITE))
    h.clock.advance(minutes=30)
    await h.cycle()
    store = h.app.store
    later = next(i for i in store.recent_items(10) if i.title == REWRITE[2])
    # A failed first alert does not count as alerted: the rewrite alerts on its own.
    kinds = {d.kind: d.status for d in store.deliveries_for_item(later.id)}
    assert kinds == {"alert": "sent"}
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


async def test_a_later_source_of_a_folded_alert_is_folded_too(
    tmp_path: Path, server: FeedServer
) -> None:
    error = DeliveryError("chat API down", retry_after=5.0)
    h = await first_alert_failing(tmp_path, server, error)  # it waits for its retry...
    h.clock.advance(hours=7)
    await h.app.flush()  # ...until it is too old to send: folded into the digest
    server.serve("/paper.xml", rss(OFFTOPIC, REWRITE))
    h.clock.advance(minutes=5)
    await h.cycle()
    store = h.app.store
    by_title = {i.title: i for i in store.recent_items(10)}
    assert [d.status for d in store.deliveries_for_item(by_title[WIRE[2]].id)] == ["folded"]
    # No posted alert to go with: the later source waits for the digest as well.
    later = store.deliveries_for_item(by_title[REWRITE[2]].id)
    assert [(d.kind, d.status) for d in later] == [("followup", "folded")]
    assert h.sender.messages == []
    await h.app.aclose()


async def test_each_follow_up_lists_every_source_stored_so_far(
    tmp_path: Path, server: FeedServer
) -> None:
    # A syndicated copy that arrives last but says it was published first must not drop the
    # sources listed by the follow-up before it (on Discord each follow-up replaces the list).
    copy = (
        "agency-3",
        "https://agency.example/hegseth",
        "Hegseth says no US troops in Ukraine as part of any security guarantee",
        WIRE[3].replace("on Wednesday", "on Wednesday morning"),
    )
    early = rss(OFFTOPIC, copy).replace(b"Mon, 03 Mar 2025 10:00", b"Sat, 01 Mar 2025 08:00")
    urls = [server.serve(f"/{name}.xml", rss(OFFTOPIC)) for name in ("wire", "paper", "agency")]
    h = await harness(tmp_path, urls)
    await h.cycle()
    for path, body in (("/wire.xml", rss(OFFTOPIC, WIRE)), ("/paper.xml", rss(OFFTOPIC, REWRITE))):
        server.serve(path, body)
        h.clock.advance(minutes=5)
        await h.cycle()
    server.serve("/agency.xml", early)
    h.clock.advance(minutes=5)
    await h.cycle()
    store = h.app.store
    by_title = {(i.source, i.title): i for i in store.recent_items(10)}
    last = by_title[("feed2", copy[2])]
    (delivery,) = [d for d in store.deliveries_for_item(last.id) if d.kind == "followup"]
    message = h.app.dispatcher.followup_for(delivery)
    assert message is not None and sorted(message.story.line.also) == ["feed1", "feed2"]
    await h.app.aclose()
