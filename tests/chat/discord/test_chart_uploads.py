"""Weekly digest charts as Discord file uploads (multipart/form-data), bot and webhook mode.

The digest is recorded for a channel subscribed weekly and sent through the real outbox; the
fake parses `payload_json` and `files[n]` as Discord does and keeps the bytes, which are decoded
as a PNG. Rate limits on the upload behave like those on any other send.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.app import App
from bot.chat.discord.adapter import DiscordAdapter
from bot.core.commands import CommandContext
from bot.core.messages import TextReply
from bot.core.models import Delivery
from bot.store.sql import SqlStore
from tests.analysis.png import assert_chart
from tests.chat.discord.conftest import ALERT_CHANNEL, HOOK_CHANNEL, add_items
from tests.chat.discord.fake_discord import FakeDiscord, Upload, rate_limited
from tests.fakes import FakeClock


async def weekly_digest(app: App, store: SqlStore, clock: FakeClock, channel: str) -> Delivery:
    """Make `channel` weekly, store a few items and record its digest (with the chart)."""
    ctx = CommandContext(channel, "#news", "4242", is_admin=True)
    reply = await app.commands.execute("subscribe weekly mon 08:00", ctx)
    assert isinstance(reply, TextReply), reply
    add_items(store, clock, ["Security pact signed", "Brigade to deploy"], alert_to=None)
    clock.advance(hours=1)
    assert app.digests.record(channel) is not None
    [delivery] = store.due_deliveries(clock.now())
    assert delivery.kind == "digest" and delivery.payload["attachments"]
    return delivery


def the_upload(fake: FakeDiscord, where: str) -> Upload:
    """The one file received; it must be a decodable, non-blank chart."""
    [upload] = fake.uploads
    assert upload.where == where and upload.form_field == "files[0]"
    assert upload.filename.startswith("topics-") and upload.filename.endswith(".png")
    assert_chart(upload.data)
    return upload


def shows_inline(message: dict[str, Any], upload: Upload) -> bool:
    """The message's last embed shows the uploaded file (Discord resolved attachment://)."""
    [attachment] = message["attachments"]
    image = message["embeds"][-1].get("image", {}).get("url")
    return bool(attachment["filename"] == upload.filename and image == attachment["url"])


async def test_weekly_digest_uploads_its_chart_once_as_the_bot(
    app: App, adapter: DiscordAdapter, fake: FakeDiscord, store: SqlStore, clock: FakeClock
) -> None:
    await weekly_digest(app, store, clock, ALERT_CHANNEL)

    assert (await app.flush()).sent == 1

    upload = the_upload(fake, "channel")
    [post] = fake.posts
    assert post["nonce"] and post["enforce_nonce"] is True  # in payload_json, kept for uploads
    assert post["attachments"] == [
        {"id": 0, "filename": upload.filename, "description": post["attachments"][0]["description"]}
    ]
    assert post["attachments"][0]["description"].startswith("Items per day by topic")
    assert shows_inline(fake.messages[int(fake.post_ids[0])], upload)


async def test_weekly_digest_uploads_its_chart_once_through_the_webhook(
    app: App, adapter: DiscordAdapter, fake: FakeDiscord, store: SqlStore, clock: FakeClock
) -> None:
    delivery = await weekly_digest(app, store, clock, HOOK_CHANNEL)

    assert (await app.flush()).sent == 1

    upload = the_upload(fake, "webhook")
    [post] = fake.webhook_posts
    assert post["embeds"][-1]["image"] == {"url": f"attachment://{upload.filename}"}
    assert shows_inline(fake.messages[int(upload.message_id)], upload)
    [sent] = [d for d in store.deliveries_for_item(delivery.item_ids[0]) if d.kind == "digest"]
    assert sent.external_id == upload.message_id


@pytest.mark.parametrize("channel", [ALERT_CHANNEL, HOOK_CHANNEL])
async def test_long_429_on_the_upload_is_retried_later_and_uploads_once(
    app: App,
    adapter: DiscordAdapter,
    fake: FakeDiscord,
    store: SqlStore,
    clock: FakeClock,
    channel: str,
) -> None:
    delivery = await weekly_digest(app, store, clock, channel)
    kind = "channel" if channel == ALERT_CHANNEL else "webhook"
    fake.fail_next(kind, rate_limited("discord_429_user_rate_limit_docs.http"))

    first = await app.flush()
    [waiting] = [d for d in store.deliveries_for_item(delivery.item_ids[0]) if d.kind == "digest"]
    assert (first.retried, waiting.status) == (1, "pending")
    assert waiting.next_attempt_at == clock.now() + timedelta(seconds=64.57)
    assert fake.uploads == []

    clock.advance(seconds=65)
    assert (await app.flush()).sent == 1
    the_upload(fake, kind)


async def test_short_429_on_the_upload_is_waited_out_and_the_file_sent_whole(
    app: App, adapter: DiscordAdapter, fake: FakeDiscord, store: SqlStore, clock: FakeClock
) -> None:
    await weekly_digest(app, store, clock, ALERT_CHANNEL)
    fake.fail_next(
        "channel", rate_limited("discord_429_shared_resource_rate_limit_docs.http", 0.05)
    )

    report = await app.flush()

    assert (report.sent, report.retried) == (1, 0)
    posts = [r for r in fake.requests if r[0] == "POST" and r[1].endswith("/messages")]
    assert len(posts) == 2 and len(fake.posts) == 1
    the_upload(fake, "channel")  # discord.py rewound the file for its second try
