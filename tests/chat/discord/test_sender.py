"""DiscordSender against the fake API: bot posts, webhooks, rate limits, 5xx, 404, nonces."""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta

import pytest

from bot.app import App
from bot.chat.discord.adapter import DiscordAdapter
from bot.chat.discord.sender import DiscordSender, nonce_for
from bot.core.commands import CommandContext
from bot.core.errors import DeliveryError
from bot.core.messages import AlertMessage, ItemLine, TableReply
from bot.core.models import Channel, Delivery
from bot.store.sql import SqlStore
from tests.chat.discord.conftest import (
    ALERT_CHANNEL,
    HOOK_CHANNEL,
    HOOK_ENV,
    HOOK_ID,
    HOOK_TOKEN,
    add_items,
    hook_url,
)
from tests.chat.discord.fake_discord import (
    CHANNEL_ID,
    TOKEN,
    FakeDiscord,
    forbidden,
    not_found,
    rate_limited,
    server_error,
)
from tests.fakes import FakeClock

RATE_LIMIT_FIXTURES = (
    "discord_429_user_rate_limit_docs.http",
    "discord_429_shared_resource_rate_limit_docs.http",
    "discord_429_global_rate_limit_docs.http",
)


def alert(title: str = "Allies agree a reassurance force", item_id: int = 7) -> AlertMessage:
    from tests.store.store_builders import T0

    line = ItemLine(
        item_id, title, "https://example.org/a", "Example Wire", T0, ("guarantees",), 0.91, "why"
    )
    return AlertMessage(line)


def the_delivery(store: SqlStore, item_id: int) -> Delivery:
    [delivery] = [d for d in store.deliveries_for_item(item_id) if d.kind == "alert"]
    return delivery


async def test_alert_is_posted_as_the_bot_with_embed_nonce_and_no_mentions(
    app: App, adapter: DiscordAdapter, fake: FakeDiscord, store: SqlStore, clock: FakeClock
) -> None:
    [item_id] = add_items(store, clock, ["Allies agree a reassurance force"])

    report = await app.flush()

    assert report.sent == 1
    [payload] = fake.posts
    assert payload["allowed_mentions"] == {"parse": []}
    assert payload["enforce_nonce"] is True and 0 < len(payload["nonce"]) <= 25
    [embed] = payload["embeds"]
    assert embed["title"] == "Allies agree a reassurance force"
    assert embed["url"].startswith("https://example.org/")
    assert embed["color"] == 0x3B82F6
    assert embed["description"] == "**Why:** names a reassurance force"
    assert [f["name"] for f in embed["fields"]] == ["Outlet", "Topics", "Published"]
    assert embed["fields"][0]["value"] == "Example Wire"
    assert f"item #{item_id}" in embed["footer"]["text"]
    assert embed["timestamp"].startswith("2025-03-01T09:00:00")
    assert ("POST", f"/api/v10/channels/{CHANNEL_ID}/messages") in fake.requests
    assert f"Bot {TOKEN}" in fake.auth_headers
    delivery = the_delivery(store, item_id)
    assert delivery.status == "sent"
    assert delivery.external_id == fake.post_ids[0]


async def test_webhook_channel_executes_the_webhook_and_never_logs_its_token(
    app: App,
    adapter: DiscordAdapter,
    fake: FakeDiscord,
    store: SqlStore,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    [item_id] = add_items(store, clock, ["Troops to Ukraine?"], alert_to=HOOK_CHANNEL)

    report = await app.flush()

    assert report.sent == 1 and fake.posts == []
    [payload] = fake.webhook_posts
    assert payload["allowed_mentions"] == {"parse": []}
    assert payload["embeds"][0]["title"] == "Troops to Ukraine?"
    assert ("POST", f"/api/v10/webhooks/{HOOK_ID}/{HOOK_TOKEN}") in fake.requests
    assert the_delivery(store, item_id).status == "sent"
    assert HOOK_TOKEN not in caplog.text
    assert HOOK_TOKEN not in json.dumps([vars(r) for r in caplog.records], default=str)


async def test_official_webhook_host_is_accepted_and_sent_to_the_configured_api(
    app: App, fake: FakeDiscord
) -> None:
    environ = {HOOK_ENV: hook_url(fake, host="discord.com")}
    sender = DiscordAdapter(
        app.chat_ports(), app.settings.discord, token=None, api_url=fake.url, environ=environ
    ).discord_sender
    channel = Channel(HOOK_CHANNEL, "hook", webhook_env=HOOK_ENV)
    try:
        message_id = await sender.send(channel, alert(), idempotency_key="k1")
    finally:
        await sender.aclose()
    assert message_id is not None and len(fake.webhook_posts) == 1


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://evil.example/api/webhooks/1/tok", "not at Discord"),
        ("http://discord.com/api/webhooks/1/tok", "not at Discord"),
        ("https://discord.com/api/channels/1/messages", "not a webhook URL"),
        ("https://user:pw@discord.com/api/webhooks/1/tok", "extra URL parts"),
        ("", "not set"),
    ],
)
async def test_unusable_webhook_urls_fail_permanently_without_revealing_them(
    app: App, fake: FakeDiscord, url: str, problem: str
) -> None:
    sender = DiscordAdapter(
        app.chat_ports(), app.settings.discord, token=None, api_url=None, environ={HOOK_ENV: url}
    ).sender
    channel = Channel(HOOK_CHANNEL, "hook", webhook_env=HOOK_ENV)
    with pytest.raises(DeliveryError) as err:
        await sender.send(channel, alert(), idempotency_key="k")
    assert err.value.permanent and problem in str(err.value) and HOOK_ENV in str(err.value)
    assert "tok" not in str(err.value).replace("token", "")
    assert fake.webhook_posts == []


async def test_bot_channel_without_a_token_or_with_a_name_as_target_fails_permanently(
    app: App, fake: FakeDiscord
) -> None:
    sender = DiscordAdapter(
        app.chat_ports(), app.settings.discord, token=None, api_url=fake.url, environ={}
    ).sender
    with pytest.raises(DeliveryError, match="DISCORD_TOKEN is not set") as err:
        await sender.send(Channel(ALERT_CHANNEL, "news"), alert(), idempotency_key="k")
    assert err.value.permanent
    with pytest.raises(DeliveryError, match="channel ID") as err:
        await sender.send(Channel("discord:news", "news"), alert(), idempotency_key="k")
    assert err.value.permanent


@pytest.mark.parametrize("fixture", RATE_LIMIT_FIXTURES)
async def test_long_429_becomes_a_scheduled_retry_then_success(
    app: App,
    adapter: DiscordAdapter,
    fake: FakeDiscord,
    store: SqlStore,
    clock: FakeClock,
    fixture: str,
) -> None:
    [item_id] = add_items(store, clock, ["Rate limited"])
    fake.fail_next("channel", rate_limited(fixture))
    retry_after = rate_limited(fixture).body["retry_after"]  # type: ignore[index]

    first = await app.flush()
    delivery = the_delivery(store, item_id)
    assert (first.retried, delivery.status, delivery.attempts) == (1, "pending", 1)
    assert delivery.next_attempt_at == clock.now() + timedelta(seconds=retry_after)
    assert "rate limit" in (delivery.error or "")

    assert (await app.flush()).sent == 0  # not due yet
    clock.advance(seconds=retry_after + 1)
    second = await app.flush()

    assert second.sent == 1 and the_delivery(store, item_id).status == "sent"
    assert len(fake.posts) == 1


async def test_short_429_is_waited_out_by_discord_py(
    app: App, adapter: DiscordAdapter, fake: FakeDiscord, store: SqlStore, clock: FakeClock
) -> None:
    [item_id] = add_items(store, clock, ["Briefly limited"])
    fake.fail_next(
        "channel", rate_limited("discord_429_shared_resource_rate_limit_docs.http", 0.05)
    )

    report = await app.flush()

    delivery = the_delivery(store, item_id)
    assert (report.sent, report.retried, delivery.attempts, delivery.error) == (1, 0, 1, None)
    posts = [r for r in fake.requests if r[0] == "POST" and "/messages" in r[1]]
    assert len(posts) == 2 and len(fake.posts) == 1


async def test_long_429_on_a_webhook_is_not_slept_on(
    app: App, adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    fake.fail_next("webhook", rate_limited("discord_429_user_rate_limit_docs.http"))
    channel = Channel(HOOK_CHANNEL, "hook", webhook_env=HOOK_ENV)
    with pytest.raises(DeliveryError) as err:
        await adapter.sender.send(channel, alert(), idempotency_key="k")
    assert err.value.retry_after == 64.57 and not err.value.permanent


async def test_500_is_retried_by_the_dispatcher_with_the_attempt_recorded(
    app: App, adapter: DiscordAdapter, fake: FakeDiscord, store: SqlStore, clock: FakeClock
) -> None:
    [item_id] = add_items(store, clock, ["Server trouble"])
    fake.fail_next("channel", server_error(500))

    first = await app.flush()
    delivery = the_delivery(store, item_id)
    assert (first.retried, delivery.status, delivery.attempts) == (1, "pending", 1)
    assert delivery.error == f"Discord answered HTTP 500 for channel {CHANNEL_ID}; will retry"
    assert len([r for r in fake.requests if "/messages" in r[1]]) == 1  # no hidden retries

    clock.advance(seconds=6)  # the dispatcher's first backoff is 5 s
    second = await app.flush()

    delivery = the_delivery(store, item_id)
    assert (second.sent, delivery.status, delivery.attempts) == (1, "sent", 2)
    assert delivery.external_id is not None


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (not_found(10003, "Unknown Channel"), "unknown channel (10003)"),
        (forbidden(50001, "Missing Access"), "missing access (50001)"),
        (forbidden(50013, "Missing Permissions"), "missing permissions (50013)"),
    ],
)
async def test_permanent_channel_errors_fail_and_show_in_status(
    app: App,
    adapter: DiscordAdapter,
    fake: FakeDiscord,
    store: SqlStore,
    clock: FakeClock,
    failure: object,
    expected: str,
) -> None:
    [item_id] = add_items(store, clock, ["Nowhere to go"])
    fake.fail_next("channel", failure)  # type: ignore[arg-type]

    report = await app.flush()

    delivery = the_delivery(store, item_id)
    assert (report.failed, delivery.status) == (1, "failed")
    assert expected in (delivery.error or "")
    status = await app.commands.execute("status", CommandContext(ALERT_CHANNEL, "#news", "u1"))
    assert isinstance(status, TableReply)
    assert f"failed alert to {ALERT_CHANNEL}: Discord refused channel {CHANNEL_ID}" in status.footer
    assert expected in status.footer
    clock.advance(hours=1)
    assert (await app.flush()).sent == 0  # never retried


async def test_unknown_webhook_fails_permanently(
    app: App, adapter: DiscordAdapter, fake: FakeDiscord, store: SqlStore, clock: FakeClock
) -> None:
    [item_id] = add_items(store, clock, ["Deleted hook"], alert_to=HOOK_CHANNEL)
    fake.fail_next("webhook", not_found(10015, "Unknown Webhook"))

    report = await app.flush()

    delivery = the_delivery(store, item_id)
    assert (report.failed, delivery.status) == (1, "failed")
    assert "unknown webhook (10015)" in (delivery.error or "")
    assert HOOK_ENV in (delivery.error or "") and HOOK_TOKEN not in (delivery.error or "")


async def test_hostile_title_cannot_ping_or_format(
    app: App, adapter: DiscordAdapter, fake: FakeDiscord, store: SqlStore, clock: FakeClock
) -> None:
    hostile = "@everyone <@&123> **x** @here <@&123456789012345678> <@98765432109876543> [a](https://evil.example)"
    add_items(store, clock, [hostile])

    assert (await app.flush()).sent == 1

    [payload] = fake.posts
    assert payload["allowed_mentions"] == {"parse": []}
    title = payload["embeds"][0]["title"]
    assert title.startswith("@\u200beveryone \\<@&123> \\*\\*x\\*\\* @\u200bhere")
    text = json.dumps(payload, ensure_ascii=False)
    for raw in ("@everyone", "@here", "**x**", "[a](https"):
        assert raw not in text
    assert re.findall(r"(?<!\\)<", title) == []  # every `<` escaped: no mention tags


async def test_resend_with_the_same_key_after_a_crash_creates_no_second_message(
    app: App, adapter: DiscordAdapter, fake: FakeDiscord
) -> None:
    channel = Channel(ALERT_CHANNEL, "news")
    first = await adapter.sender.send(channel, alert(), idempotency_key="alert:x:1")
    # A new process (fresh sender, nothing remembered) resends the same delivery.
    reborn = DiscordSender(adapter.bot, environ={})
    second = await reborn.send(channel, alert(), idempotency_key="alert:x:1")

    assert first == second and len(fake.posts) == 1
    posted = [r for r in fake.requests if r[0] == "POST" and "/messages" in r[1]]
    assert len(posted) == 2  # the resend reached Discord, which answered with the first message
    assert fake.posts[0]["nonce"] == nonce_for("alert:x:1")
