"""Later sources of a story through the real outbox: an edit of the first alert, never a new alert.

The first alert is posted, a later source of the same story is stored with a follow-up delivery
(as the analysis step records it), and the dispatcher sends the FollowUpMessage through the
DiscordSender, which edits the first alert's message on the fake (PATCH) so its embed lists every
source. A deleted first alert makes the follow-up a new message instead.
"""

from __future__ import annotations

from typing import Any

from bot.app import App
from bot.chat.discord.adapter import DiscordAdapter
from bot.chat.discord.sender import DiscordSender, nonce_for
from bot.core.models import Delivery
from bot.store.sql import SqlStore
from tests.chat.discord.conftest import (
    ALERT_CHANNEL,
    HOOK_CHANNEL,
    HOOK_ID,
    HOOK_TOKEN,
    add_items,
    join_story,
)
from tests.chat.discord.fake_discord import CHANNEL_ID, FakeDiscord, forbidden, server_error
from tests.fakes import FakeClock

TITLE = "Allies agree a reassurance force for Ukraine"


def delivery_of(store: SqlStore, item_id: int, kind: str) -> Delivery:
    [delivery] = [d for d in store.deliveries_for_item(item_id) if d.kind == kind]
    return delivery


def also_field(message: dict[str, Any]) -> str:
    [embed] = message["embeds"]
    [value] = [f["value"] for f in embed["fields"] if f["name"] == "Also reported by"]
    return str(value)


async def first_alert(app: App, store: SqlStore, clock: FakeClock, channel: str) -> int:
    """Post the story's first alert; returns its item id."""
    [lead] = add_items(store, clock, [TITLE], alert_to=channel, source="Example Wire")
    join_story(store, lead, [])
    assert (await app.flush()).sent == 1
    return lead


def add_source(store: SqlStore, clock: FakeClock, lead: int, channel: str, source: str) -> int:
    """A later source of `lead`'s story, stored with its follow-up delivery to `channel`."""
    clock.advance(minutes=20)
    [later] = add_items(
        store, clock, [f"{TITLE} ({source})"], alert_to=channel, source=source, kind="followup"
    )
    join_story(store, lead, [later])
    return later


async def test_a_later_source_edits_the_first_alert_in_bot_mode(
    app: App, adapter: DiscordAdapter, fake: FakeDiscord, store: SqlStore, clock: FakeClock
) -> None:
    lead = await first_alert(app, store, clock, ALERT_CHANNEL)
    [first_id] = fake.post_ids

    later = add_source(store, clock, lead, ALERT_CHANNEL, "Daily Paper")
    report = await app.flush()

    assert report.sent == 1 and len(fake.posts) == 1  # no second message
    assert ("PATCH", f"/api/v10/channels/{CHANNEL_ID}/messages/{first_id}") in fake.requests
    [(edited_id, payload)] = fake.edits
    assert edited_id == first_id and payload["allowed_mentions"] == {"parse": []}
    message = fake.messages[int(first_id)]
    assert message["content"].startswith("🔔 **Security guarantees** alert")  # kept
    assert message["embeds"][0]["title"] == TITLE
    assert f"item #{lead}" in message["embeds"][0]["footer"]["text"]  # reactions still count
    assert also_field(message) == "Daily Paper"
    followup = delivery_of(store, later, "followup")
    assert (followup.status, followup.external_id) == ("sent", first_id)

    # A third outlet: the same message now lists both later sources, in order.
    add_source(store, clock, lead, ALERT_CHANNEL, "Evening *Post* @everyone")
    assert (await app.flush()).sent == 1
    assert len(fake.posts) == 1 and len(fake.edits) == 2
    assert also_field(fake.messages[int(first_id)]) == (
        "Daily Paper, Evening \\*Post\\* @\u200beveryone"
    )


async def test_a_later_source_edits_the_first_alert_in_webhook_mode(
    app: App, adapter: DiscordAdapter, fake: FakeDiscord, store: SqlStore, clock: FakeClock
) -> None:
    lead = await first_alert(app, store, clock, HOOK_CHANNEL)
    first_id = delivery_of(store, lead, "alert").external_id
    assert first_id is not None

    later = add_source(store, clock, lead, HOOK_CHANNEL, "Daily Paper")
    assert (await app.flush()).sent == 1

    assert len(fake.webhook_posts) == 1 and fake.posts == []
    path = f"/api/v10/webhooks/{HOOK_ID}/{HOOK_TOKEN}/messages/{first_id}"
    assert ("PATCH", path) in fake.requests
    assert also_field(fake.messages[int(first_id)]) == "Daily Paper"
    assert delivery_of(store, later, "followup").external_id == first_id


async def test_resending_the_same_follow_up_creates_no_message(
    app: App, adapter: DiscordAdapter, fake: FakeDiscord, store: SqlStore, clock: FakeClock
) -> None:
    lead = await first_alert(app, store, clock, ALERT_CHANNEL)
    later = add_source(store, clock, lead, ALERT_CHANNEL, "Daily Paper")
    followup = delivery_of(store, later, "followup")
    message = app.dispatcher.message_for(followup)
    assert message is not None
    await app.flush()
    before = dict(fake.messages[int(fake.post_ids[0])])

    # A new process resends the delivery it had not recorded: the same edit, applied again.
    reborn = DiscordSender(adapter.bot, environ={})
    channel = store.get_channel(ALERT_CHANNEL)
    assert channel is not None
    again = await reborn.send(channel, message, idempotency_key=followup.dedupe_key)

    assert again == fake.post_ids[0] and len(fake.posts) == 1
    assert len(fake.edits) == 2 and fake.edits[0][1] == fake.edits[1][1]
    after = fake.messages[int(fake.post_ids[0])]
    assert after["embeds"] == before["embeds"] and after["content"] == before["content"]


async def test_a_deleted_first_alert_makes_the_follow_up_a_new_message(
    app: App, adapter: DiscordAdapter, fake: FakeDiscord, store: SqlStore, clock: FakeClock
) -> None:
    lead = await first_alert(app, store, clock, ALERT_CHANNEL)
    fake.delete_message(fake.post_ids[0])
    later = add_source(store, clock, lead, ALERT_CHANNEL, "Daily Paper")

    assert (await app.flush()).sent == 1

    assert len(fake.posts) == 2 and fake.edits == []
    posted = fake.posts[1]
    key = f"followup:{ALERT_CHANNEL}:{later}"
    assert posted["nonce"] == nonce_for(key) and posted["allowed_mentions"] == {"parse": []}
    assert posted["content"] == f"↪️ Also reported by **Daily Paper** (item `#{later}`)"
    assert posted["embeds"][0]["title"] == TITLE
    assert also_field(posted) == "Daily Paper"
    assert delivery_of(store, later, "followup").external_id == fake.post_ids[1]

    # Resent after a crash: the edit fails the same way, the post is answered by its nonce.
    message = app.dispatcher.message_for(delivery_of(store, later, "followup"))
    channel = store.get_channel(ALERT_CHANNEL)
    assert message is not None and channel is not None
    again = await DiscordSender(adapter.bot, environ={}).send(channel, message, idempotency_key=key)
    assert again == fake.post_ids[1] and len(fake.posts) == 2


async def test_a_deleted_first_alert_in_webhook_mode_is_posted_anew(
    app: App, adapter: DiscordAdapter, fake: FakeDiscord, store: SqlStore, clock: FakeClock
) -> None:
    lead = await first_alert(app, store, clock, HOOK_CHANNEL)
    first_id = delivery_of(store, lead, "alert").external_id
    assert first_id is not None
    fake.delete_message(first_id)
    later = add_source(store, clock, lead, HOOK_CHANNEL, "Daily Paper")

    assert (await app.flush()).sent == 1

    assert len(fake.webhook_posts) == 2 and "nonce" not in fake.webhook_posts[1]
    assert also_field(fake.webhook_posts[1]) == "Daily Paper"
    assert delivery_of(store, later, "followup").status == "sent"


async def test_edit_failures_are_retried_or_failed_like_posts(
    app: App, adapter: DiscordAdapter, fake: FakeDiscord, store: SqlStore, clock: FakeClock
) -> None:
    lead = await first_alert(app, store, clock, ALERT_CHANNEL)
    later = add_source(store, clock, lead, ALERT_CHANNEL, "Daily Paper")
    fake.fail_next("edit", server_error(503))

    assert (await app.flush()).retried == 1
    followup = delivery_of(store, later, "followup")
    assert followup.status == "pending" and "HTTP 503" in (followup.error or "")
    clock.advance(seconds=6)
    assert (await app.flush()).sent == 1 and len(fake.edits) == 1 and len(fake.posts) == 1

    other = add_source(store, clock, lead, ALERT_CHANNEL, "Weekly Review")
    fake.fail_next("edit", forbidden(50013, "Missing Permissions"))
    assert (await app.flush()).failed == 1
    failed = delivery_of(store, other, "followup")
    assert failed.status == "failed" and "missing permissions (50013)" in (failed.error or "")
    assert len(fake.posts) == 1  # a refused edit is not turned into a new message
