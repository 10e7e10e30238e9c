"""Charts through Slack's external file upload: weekly digests and `/watch status chart`.

Real slack_sdk (`files_upload_v2`) against the fake Slack, which hands out an upload URL on
127.0.0.1, keeps the bytes POSTed to it and shares the file on files.completeUploadExternal as
a message in the channel or thread. The bytes are decoded as a PNG. The digest is recorded for
a channel subscribed weekly and sent through the real outbox.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest

from bot.core.commands import CommandContext
from bot.core.errors import DeliveryError
from bot.core.messages import DigestMessage, TextReply
from bot.core.models import Channel, Delivery
from tests.analysis.png import assert_chart
from tests.chat.slack.conftest import CHANNEL, CHANNEL_REF, Bot, command_body, signed_headers
from tests.chat.slack.fake_slack import FakeSlack, SharedFile
from tests.chat.slack.test_sender import fresh_sender

FORM = "application/x-www-form-urlencoded"
UPLOAD_CALLS = ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]


async def weekly_digest(bot: Bot) -> Delivery:
    """Make the channel weekly, store a few items and record its digest (with the chart)."""
    ctx = CommandContext(CHANNEL_REF, "#news", "U_ADMIN", is_admin=True)
    reply = await bot.app.commands.execute("subscribe weekly mon 08:00", ctx)
    assert isinstance(reply, TextReply), reply
    bot.add_items(3)
    bot.clock.advance(hours=1)
    assert bot.app.digests.record(CHANNEL_REF) is not None
    [delivery] = bot.store.due_deliveries(bot.clock.now())
    assert delivery.kind == "digest" and delivery.payload["attachments"]
    return delivery


def the_file(fake: FakeSlack) -> SharedFile:
    """The one file shared; it must be the bytes uploaded, and a decodable, non-blank chart."""
    [shared] = fake.files
    assert shared.filename.endswith(".png") and shared.title.startswith("Items per day by topic")
    assert fake.uploads == {shared.id: shared.data}
    assert_chart(shared.data)
    return shared


def channel_of(bot: Bot) -> Channel:
    channel = bot.store.get_channel(CHANNEL_REF)
    assert channel is not None
    return channel


async def test_weekly_digest_chart_is_uploaded_once_in_the_digest_thread(bot: Bot) -> None:
    delivery = await weekly_digest(bot)

    assert (await bot.app.flush()).sent == 1

    shared = the_file(bot.fake)
    [attachment] = delivery.payload["attachments"]
    assert shared.data == base64.b64decode(attachment["data"])  # the recorded chart, byte for byte
    assert shared.filename == attachment["filename"] and shared.title == attachment["title"]
    assert shared.alt_txt == shared.title  # read out by screen readers
    [post] = bot.fake.posts
    assert shared.channel == CHANNEL and shared.thread_ts == post["ts"]
    [message] = bot.fake.thread(CHANNEL, post["ts"])
    assert [f["id"] for f in message["files"]] == [shared.id]
    assert [m["ts"] for m in bot.fake.top_level(CHANNEL)] == [post["ts"]]
    assert "chart posted with this digest" in post["blocks"][-2]["elements"][0]["text"]
    # The upload's key was unknown: the thread was checked for the file first.
    assert bot.fake.methods()[-4:] == ["conversations.replies", *UPLOAD_CALLS]
    assert bot.store.deliveries_for_item(delivery.item_ids[0])[-1].external_id == post["ts"]


async def test_resend_after_a_crash_uploads_nothing_twice(bot: Bot) -> None:
    delivery = await weekly_digest(bot)
    message = bot.app.dispatcher.message_for(delivery)
    assert isinstance(message, DigestMessage) and message.attachments
    await fresh_sender(bot.fake).send(channel_of(bot), message, idempotency_key=delivery.dedupe_key)
    # …the process dies before the outbox marks the digest sent. The next one flushes it:
    bot.app.senders["slack"] = fresh_sender(bot.fake)
    before = len(bot.fake.calls)

    assert (await bot.app.flush()).sent == 1

    assert len(bot.fake.posts) == 1
    assert the_file(bot.fake).thread_ts == bot.fake.posts[0]["ts"]
    assert bot.fake.methods()[before:] == [
        "auth.test",
        "conversations.history",  # the digest's post: found by its metadata
        "conversations.replies",  # its chart: found by name and title in the thread
    ]


async def test_answer_lost_after_slack_shared_the_file_is_not_shared_again(
    bot: Bot,
) -> None:
    delivery = await weekly_digest(bot)
    message = bot.app.dispatcher.message_for(delivery)
    bot.fake.fail("files.completeUploadExternal", "hang", delay=1.0)
    sender = fresh_sender(bot.fake, timeout=0.3)
    with pytest.raises(DeliveryError) as err:
        await sender.send(channel_of(bot), message, idempotency_key=delivery.dedupe_key)
    assert not err.value.permanent and "in time" in str(err.value)
    assert len(bot.fake.files) == 1  # Slack did share it

    await sender.send(channel_of(bot), message, idempotency_key=delivery.dedupe_key)

    the_file(bot.fake)
    assert len(bot.fake.posts) == 1 and bot.fake.methods().count("upload") == 1


async def test_429_on_the_upload_waits_for_retry_after_and_keeps_the_digest(bot: Bot) -> None:
    delivery = await weekly_digest(bot)
    bot.fake.fail("files.getUploadURLExternal", "429", headers={"Retry-After": "42"})

    assert (await bot.app.flush()).retried == 1

    [d] = [x for x in bot.store.deliveries_for_item(delivery.item_ids[0]) if x.kind == "digest"]
    assert d.status == "pending" and "rate-limited files.getUploadURLExternal" in (d.error or "")
    assert "42 s" in (d.error or "") and len(bot.fake.posts) == 1 and not bot.fake.files
    bot.clock.advance(seconds=43)
    assert (await bot.app.flush()).sent == 1
    assert len(bot.fake.posts) == 1  # the digest is not posted again, only the chart follows
    the_file(bot.fake)
    # A 429 proves nothing was shared: the retry uploads without searching the thread again.
    assert bot.fake.methods().count("conversations.replies") == 1


async def test_429_on_the_upload_is_a_retryable_delivery_error(bot: Bot) -> None:
    delivery = await weekly_digest(bot)
    message = bot.app.dispatcher.message_for(delivery)
    bot.fake.fail("files.completeUploadExternal", "429")
    with pytest.raises(DeliveryError) as err:
        await fresh_sender(bot.fake).send(
            channel_of(bot), message, idempotency_key=delivery.dedupe_key
        )
    assert not err.value.permanent and err.value.retry_after == 30
    assert "files.completeUploadExternal" in str(err.value)


async def test_chart_where_the_bot_is_not_a_member_fails_with_what_to_do(bot: Bot) -> None:
    delivery = await weekly_digest(bot)
    bot.fake.outside.add(CHANNEL)  # it posts there through chat:write.public; files need more

    assert (await bot.app.flush()).failed == 1

    [d] = [x for x in bot.store.deliveries_for_item(delivery.item_ids[0]) if x.kind == "digest"]
    assert d.status == "failed" and "not_in_channel" in (d.error or "")
    assert "/invite @Watchbot" in (d.error or "")
    assert len(bot.fake.posts) == 1 and not bot.fake.files


async def run_status_chart(bot: Bot) -> list[dict[str, Any]]:
    body = command_body("status chart", bot.fake.response_url("status"))
    status, _, took = await bot.post(body, signed_headers(body, FORM))
    assert status == 200 and took < 3.0
    await bot.fake.wait_for(lambda: bool(bot.fake.responses))
    return [reply for name, reply in bot.fake.responses if name == "status"]


async def test_status_chart_is_uploaded_to_the_command_channel(bot: Bot) -> None:
    replies = await run_status_chart(bot)
    await bot.fake.wait_for(lambda: bool(bot.fake.files))

    [table] = replies
    assert table["response_type"] == "ephemeral" and table["text"].startswith("Watchbot status")
    shared = the_file(bot.fake)
    assert shared.channel == CHANNEL and shared.thread_ts is None
    [message] = bot.fake.top_level(CHANNEL)
    assert [f["id"] for f in message["files"]] == [shared.id]
    assert "(status)" in shared.title


async def test_status_chart_where_the_bot_is_not_a_member_says_so(bot: Bot) -> None:
    bot.fake.outside.add(CHANNEL)
    await run_status_chart(bot)
    await bot.fake.wait_for(lambda: len(bot.fake.responses) == 2)

    [_table, error] = [reply for _name, reply in bot.fake.responses]
    assert error["response_type"] == "ephemeral"
    assert "not a member" in error["text"] and "/invite @Watchbot" in error["text"]
    assert "#news" in error["text"]
    assert not bot.fake.files and bot.fake.methods().count("files.completeUploadExternal") == 1
