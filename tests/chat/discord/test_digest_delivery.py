"""A 200-item digest through the real outbox: several valid messages, every item exactly once."""

from __future__ import annotations

import re
from typing import Any

from bot.app import App
from bot.chat.discord.adapter import DiscordAdapter
from bot.chat.discord.sender import DiscordSender
from bot.store.sql import SqlStore
from tests.chat.discord.conftest import ALERT_CHANNEL, add_items
from tests.chat.discord.fake_discord import FakeDiscord, server_error
from tests.fakes import FakeClock

ITEM_TAG = re.compile(r"`#(\d+)`")


def assert_valid_message(payload: dict[str, Any]) -> None:
    """Every limit Discord enforces on a message with embeds."""
    embeds = payload["embeds"]
    assert payload["allowed_mentions"] == {"parse": []}
    assert 1 <= len(embeds) <= 10
    assert len(payload.get("content") or "") <= 2000
    total = 0
    for e in embeds:
        title, desc = e.get("title", ""), e.get("description", "")
        footer = e.get("footer", {}).get("text", "")
        fields = e.get("fields", [])
        assert len(title) <= 256 and len(desc) <= 4096 and len(footer) <= 2048
        assert len(fields) <= 25
        assert all(len(f["name"]) <= 256 and len(f["value"]) <= 1024 for f in fields)
        total += len(title) + len(desc) + len(footer)
        total += sum(len(f["name"]) + len(f["value"]) for f in fields)
    assert total <= 6000


def items_in(posts: list[dict[str, Any]]) -> list[int]:
    return [int(n) for p in posts for e in p["embeds"] for n in ITEM_TAG.findall(e["description"])]


def add_200_items(store: SqlStore, clock: FakeClock) -> list[int]:
    """Long, markdown-heavy titles and reasons, split over both topics."""
    titles = [
        f"Item {n:03d}: " + ("Allies weigh *guarantees* for Kyiv_ [draft] @here " * 8)[: 120 + n]
        for n in range(200)
    ]
    reason = "sentence names a reassurance force **and** a deployment " * 5
    return add_items(store, clock, titles[:100], alert_to=None, reason=reason) + add_items(
        store, clock, titles[100:], alert_to=None, reason=reason, troops=0.95
    )


async def test_200_item_digest_arrives_as_several_valid_messages(
    app: App, adapter: DiscordAdapter, fake: FakeDiscord, store: SqlStore, clock: FakeClock
) -> None:
    ids = add_200_items(store, clock)
    delivery_id = app.digests.record(ALERT_CHANNEL)
    assert delivery_id is not None

    report = await app.flush()

    assert report.sent == 1
    posts = fake.posts
    assert 3 < len(posts) < 40
    for payload in posts:
        assert_valid_message(payload)
    seen = items_in(posts)
    assert sorted(seen) == sorted(ids) and len(seen) == len(set(seen)) == 200
    assert posts[0]["content"].startswith("📰 **Watchbot digest for news** — 200 item(s)")
    assert all("content" not in p or not p["content"] for p in posts[1:])
    footers = [p["embeds"][-1]["footer"]["text"] for p in posts]
    assert [f.split(" · ")[1] for f in footers] == [
        f"part {i}/{len(posts)}" for i in range(1, len(posts) + 1)
    ]
    assert len({p["nonce"] for p in posts}) == len(posts)
    titles = [e["title"] for p in posts for e in p["embeds"]]
    assert titles[0] == "Security guarantees (100)" and "Troop deployment (100)" in titles
    [digest] = [d for d in store.deliveries_for_item(ids[0]) if d.kind == "digest"]
    assert (digest.status, digest.external_id) == ("sent", fake.post_ids[0])


async def test_digest_failing_midway_resumes_without_repeating_parts(
    app: App, adapter: DiscordAdapter, fake: FakeDiscord, store: SqlStore, clock: FakeClock
) -> None:
    ids = add_200_items(store, clock)
    app.digests.record(ALERT_CHANNEL)
    fake.fail_next("channel", None, None, server_error(502))

    assert (await app.flush()).retried == 1
    assert len(fake.posts) == 2

    # The process restarts: nothing remembered, the delivery is sent again from part 1.
    app.senders["discord"] = DiscordSender(adapter.bot, environ={})
    clock.advance(seconds=10)
    assert (await app.flush()).sent == 1

    seen = items_in(fake.posts)
    assert sorted(seen) == sorted(ids) and len(seen) == 200  # parts 1-2 were not posted twice
    attempts = [r for r in fake.requests if r[0] == "POST" and r[1].endswith("/messages")]
    assert len(attempts) == len(fake.posts) + 3  # the 502 and two resends answered by nonce
