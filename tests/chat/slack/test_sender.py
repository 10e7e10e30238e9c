"""SlackSender through the core Dispatcher and a real SqlStore, against the fake Slack Web API."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.slack.blocks import SlackPost
from bot.chat.slack.pacing import ChannelPacer
from bot.chat.slack.sender import SlackSender
from bot.core.commands import CommandContext
from bot.core.dispatch import Dispatcher
from bot.core.errors import DeliveryError
from bot.core.messages import AlertMessage, ItemLine, TableReply
from bot.core.models import Channel, Delivery
from tests.chat.slack.conftest import (
    CHANNEL,
    CHANNEL_REF,
    Bot,
    FakeMonotonic,
    fixture_path,
    make_bot,
)
from tests.chat.slack.fake_slack import BOT_TOKEN, FakeSlack
from tests.chat.slack.test_blocks import texts
from tests.chat.slack.test_split import check_valid

ITEM_URL = re.compile(r"<https://example\.org/([a-z0-9]+)\|")


@pytest.fixture
async def bot(tmp_path: Path, fake: FakeSlack) -> AsyncIterator[Bot]:
    """The wired app without a web server: these tests only send."""
    b = await make_bot(tmp_path, fake)
    yield b
    await b.app.aclose()


def fresh_sender(fake: FakeSlack, *, timeout: float = 30) -> SlackSender:
    """A sender as a restarted process has it: nothing remembered."""
    mono = FakeMonotonic()
    client = AsyncWebClient(
        token=BOT_TOKEN,
        base_url=fake.api_url,
        timeout=timeout,  # type: ignore[arg-type]  # aiohttp takes float seconds
        retry_handlers=[],
    )
    return SlackSender(client, pacer=ChannelPacer(clock=mono, sleep=mono.sleep))


def delivery_for(bot: Bot, item_id: int) -> Delivery:
    (d,) = bot.store.deliveries_for_item(item_id)
    return d


def status(bot: Bot, item_id: int) -> tuple[str, int, str | None]:
    """(status, attempts, error) of the item's delivery."""
    d = delivery_for(bot, item_id)
    return d.status, d.attempts, d.error


async def test_alert_posted_with_metadata_and_unfurls_off(bot: Bot) -> None:
    (item_id,) = bot.add_items(1)
    bot.record_alert(item_id)
    report = await bot.app.flush()
    assert report.sent == 1
    (post,) = bot.fake.posts
    assert post["channel"] == CHANNEL
    assert post["unfurl_links"] is False and post["unfurl_media"] is False
    assert post["metadata"] == {
        "event_type": "watchbot_delivery",
        "event_payload": {
            "key": f"alert:{CHANNEL_REF}:{item_id}",
            "kind": "alert",
            "item_id": item_id,
        },
    }
    assert post["text"].startswith("🔔 Alert: Item i0 about guarantees")
    assert status(bot, item_id) == ("sent", 1, None)
    # The first send of a key checks history; a key posted by this process is never re-checked.
    assert bot.fake.methods() == ["auth.test", "conversations.history", "chat.postMessage"]


async def test_429_honours_retry_after_from_the_docs_example(bot: Bot) -> None:
    raw = fixture_path("slack_web_api_429_ratelimited_docs.http").read_text()
    assert raw.startswith("HTTP/1.1 429")
    headers = dict(re.findall(r"^([A-Za-z-]+): (.+)$", raw, re.M))
    bot.fake.fail("chat.postMessage", "429", headers=headers)
    (item_id,) = bot.add_items(1)
    bot.record_alert(item_id)
    report = await bot.app.flush()
    assert report.retried == 1 and not bot.fake.posts
    state, attempts, error = status(bot, item_id)
    assert (state, attempts) == ("pending", 1)
    assert error is not None and "rate-limited" in error and "30 s" in error
    now = bot.clock.now()
    assert bot.store.due_deliveries(now + timedelta(seconds=29)) == []
    assert len(bot.store.due_deliveries(now + timedelta(seconds=31))) == 1
    bot.clock.advance(seconds=31)
    assert (await bot.app.flush()).sent == 1
    assert len(bot.fake.posts) == 1
    # A 429 proves nothing was posted: the retry posts without searching history again.
    assert bot.fake.methods().count("conversations.history") == 1


async def test_500_retries_with_backoff_then_sends_once(bot: Bot) -> None:
    bot.fake.fail("chat.postMessage", "500")
    (item_id,) = bot.add_items(1)
    bot.record_alert(item_id)
    assert (await bot.app.flush()).retried == 1
    state, attempts, error = status(bot, item_id)
    assert (state, attempts) == ("pending", 1) and "HTTP 500" in (error or "")
    assert bot.store.due_deliveries(bot.clock.now()) == []
    bot.clock.advance(seconds=6)  # base backoff 5 s
    assert (await bot.app.flush()).sent == 1
    assert len(bot.fake.posts) == 1
    # After a 5xx the post may have happened: the retry looked in history first.
    assert bot.fake.methods().count("conversations.history") == 2


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("channel_not_found", "check the channel ID"),
        ("not_in_channel", "/invite @Watchbot"),
        ("invalid_auth", "SLACK_BOT_TOKEN"),
        ("is_archived", "archived"),
        ("msg_too_long", "bug"),
    ],
)
async def test_permanent_errors_fail_the_delivery_and_show_in_status(
    bot: Bot, code: str, words: str
) -> None:
    bot.fake.fail("chat.postMessage", "error", error=code)
    (item_id,) = bot.add_items(1)
    bot.record_alert(item_id)
    assert (await bot.app.flush()).failed == 1
    state, _, error = status(bot, item_id)
    assert state == "failed" and code in (error or "") and words in (error or "")
    bot.clock.advance(hours=2)
    assert (await bot.app.flush()).sent == 0 and not bot.fake.posts  # not retried
    reply = await bot.app.commands.execute("status", CommandContext(CHANNEL_REF, "#news", "U1"))
    assert isinstance(reply, TableReply) and code in reply.footer


async def test_timeout_after_slack_posted_is_not_posted_twice(fake: FakeSlack) -> None:
    fake.fail("chat.postMessage", "hang", delay=1.0)
    sender = fresh_sender(fake, timeout=0.3)
    channel = Channel(CHANNEL_REF, "#news")
    when = datetime(2025, 3, 1, tzinfo=UTC)
    message = AlertMessage(
        ItemLine(7, "Title", "https://example.org/7", "Outlet", when, ("troops",), 0.9, "why")
    )
    with pytest.raises(DeliveryError) as err:
        await sender.send(channel, message, idempotency_key="alert:k7")
    assert not err.value.permanent and "in time" in str(err.value)
    assert len(fake.posts) == 1  # Slack did post it
    ts = await sender.send(channel, message, idempotency_key="alert:k7")
    assert ts == fake.posts[0]["ts"] and len(fake.posts) == 1


async def test_crash_between_post_and_mark_sent_resends_nothing(bot: Bot) -> None:
    (item_id,) = bot.add_items(1)
    bot.record_alert(item_id)
    d = delivery_for(bot, item_id)
    message = bot.app.dispatcher.message_for(d)
    channel = bot.store.get_channel(CHANNEL_REF)
    assert channel is not None
    first_ts = await fresh_sender(bot.fake).send(channel, message, idempotency_key=d.dedupe_key)
    # …the process dies here: mark_sent never happened. A new process flushes the outbox:
    restarted = Dispatcher(bot.store, {"slack": fresh_sender(bot.fake)}, bot.clock)
    report = await restarted.flush()
    assert report.sent == 1 and len(bot.fake.posts) == 1
    assert bot.store.deliveries_for_item(item_id)[0].external_id == first_ts


async def test_digest_of_200_items_arrives_whole_and_resumes_after_a_crash(bot: Bot) -> None:
    ids = bot.add_items(
        120,
        topic="guarantees",
        prefix="g",
        title=lambda k: f"Guarantee story g{k} " + "& detail <b> " * (k % 30),
    )
    ids += bot.add_items(80, topic="troops", prefix="t", title=lambda k: f"Troop story t{k}")
    assert len(ids) == 200
    bot.fake.fail("chat.postMessage", "429", after=2)  # the third part is refused
    assert bot.app.digests.record(CHANNEL_REF) is not None
    assert (await bot.app.flush()).retried == 1
    assert len(bot.fake.posts) == 2
    # Restart (memory lost), retry time reached: only the missing parts are posted.
    bot.app.senders["slack"] = fresh_sender(bot.fake)
    bot.clock.advance(seconds=31)
    assert (await bot.app.flush()).sent == 1
    posts = bot.fake.posts
    assert len(posts) >= 3
    keys = [p["metadata"]["event_payload"]["key"] for p in posts]
    base = keys[0].rsplit("#", 1)[0]
    assert keys == [f"{base}#{n}" for n in range(1, len(posts) + 1)]
    seen: Counter[str] = Counter()
    for p in posts:
        check_valid(SlackPost(p["text"], tuple(p["blocks"])))
        seen.update(m for t in texts(p["blocks"]) for m in ITEM_URL.findall(t))
    assert sorted(seen) == sorted([f"g{k}" for k in range(120)] + [f"t{k}" for k in range(80)])
    assert set(seen.values()) == {1}
    (d,) = [x for x in bot.store.deliveries_for_item(ids[0]) if x.kind == "digest"]
    assert d.status == "sent" and d.external_id == posts[0]["ts"]


async def test_one_message_per_second_per_channel(bot: Bot) -> None:
    ids = bot.add_items(3)
    for i in ids:
        bot.record_alert(i)
    other = Channel("slack:C0OTHER", "#other")
    bot.store.save_channel(other)
    assert (await bot.app.flush()).sent == 3
    sender = bot.app.senders["slack"]
    message = bot.app.dispatcher.message_for(delivery_for(bot, ids[0]))
    await sender.send(other, message, idempotency_key="other:1")
    assert bot.mono.sleeps == [
        1.0,
        1.0,
    ]  # the second and third post waited; the other channel did not
    assert [p["channel"] for p in bot.fake.posts] == [CHANNEL] * 3 + ["C0OTHER"]


async def test_pacer_waits_only_the_remainder() -> None:
    mono = FakeMonotonic()
    pacer = ChannelPacer(clock=mono, sleep=mono.sleep)
    async with pacer.slot("C1"):
        pass
    mono.now += 0.4
    async with pacer.slot("C1"):
        pass
    async with pacer.slot("C2"):
        pass
    assert mono.sleeps == [pytest.approx(0.6)]


async def test_unreachable_slack_is_retryable(fake: FakeSlack, channel: Channel) -> None:
    sender = fresh_sender(fake)
    sender.client.base_url = "http://127.0.0.1:9/api/"  # nothing listens on the discard port
    message = AlertMessage(ItemLine(1, "T", "", "O", datetime(2025, 3, 1, tzinfo=UTC), (), 0.0, ""))
    with pytest.raises(DeliveryError) as err:
        await sender.send(channel, message, idempotency_key="k")
    assert not err.value.permanent and "could not reach Slack" in str(err.value)


async def test_history_the_bot_cannot_read_does_not_block_posting(bot: Bot) -> None:
    bot.fake.fail("conversations.history", "error", error="not_in_channel")  # chat:write.public
    (item_id,) = bot.add_items(1)
    bot.record_alert(item_id)
    assert (await bot.app.flush()).sent == 1 and len(bot.fake.posts) == 1


async def test_missing_history_scope_fails_with_what_to_do(bot: Bot) -> None:
    bot.fake.fail("conversations.history", "error", error="missing_scope")
    (item_id,) = bot.add_items(1)
    bot.record_alert(item_id)
    assert (await bot.app.flush()).failed == 1 and not bot.fake.posts
    state, _, error = status(bot, item_id)
    assert (
        state == "failed"
        and "missing_scope" in (error or "")
        and "slack-manifest.yml" in (error or "")
    )
