"""`/watch` over the gateway: login, command sync, and every handler with real interaction payloads.

The adapter starts for real against the fake: it logs in over REST, syncs the commands to the
configured guild, connects to the fake gateway and receives INTERACTION_CREATE events shaped as
Discord sends them; its responses (type 4, or 5 plus follow-ups) land on the fake API.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from bot.app import App
from bot.chat.discord.adapter import DiscordAdapter
from bot.core.models import Channel
from bot.core.ports import ItemAnalysis, Statement
from bot.store.sql import SqlStore
from tests.analysis.png import assert_chart
from tests.chat.discord.conftest import (
    ADMIN_PERMISSIONS,
    ALERT_CHANNEL,
    add_items,
    eventually,
    group,
    interaction,
    option,
    reaction,
    sub,
)
from tests.chat.discord.fake_discord import APP_ID, GUILD_ID, FakeDiscord
from tests.fakes import FakeClock

EPHEMERAL = 64


@pytest.fixture
async def connected(adapter: DiscordAdapter, fake: FakeDiscord) -> AsyncIterator[DiscordAdapter]:
    """The adapter started: logged in, commands synced, gateway identified."""
    await adapter.start()
    await fake.wait_for(lambda: fake.identify is not None)
    yield adapter


async def send(fake: FakeDiscord, payload: dict[str, Any], *, followups: int = 0) -> list[Any]:
    """Dispatch an interaction; wait for its response (and `followups` follow-up messages)."""
    token = payload["token"]
    fake.dispatch("INTERACTION_CREATE", payload)

    def answered() -> bool:
        traffic = fake.interactions.get(token, [])
        if not traffic:
            return False
        if traffic[0][1]["type"] == 5:
            return sum(kind == "followup" for kind, _ in traffic) >= max(followups, 1)
        return True

    await fake.wait_for(answered)
    return fake.interactions[token]


def reply_of(traffic: list[Any]) -> tuple[dict[str, Any], bool, bool]:
    """(the visible reply, ephemeral?, deferred?) from an interaction's traffic."""
    first_kind, first = traffic[0]
    assert first_kind == "callback"
    if first["type"] == 4:
        data = first["data"]
        return data, bool(data.get("flags", 0) & EPHEMERAL), False
    assert first["type"] == 5
    deleted = any(kind == "delete" for kind, _ in traffic)
    followup = next(p for kind, p in traffic if kind == "followup")
    deferred_ephemeral = bool((first.get("data") or {}).get("flags", 0) & EPHEMERAL)
    if deleted:  # the placeholder was replaced by a fresh follow-up with its own visibility
        return followup, bool(followup.get("flags", 0) & EPHEMERAL), True
    return followup, deferred_ephemeral, True


def text_of(message: dict[str, Any]) -> str:
    parts = [message.get("content") or ""]
    for e in message.get("embeds", []):
        parts += [e.get("title", ""), e.get("description", "")]
    return "\n".join(parts)


async def test_start_logs_in_syncs_to_the_guild_and_identifies_with_minimal_intents(
    connected: DiscordAdapter, fake: FakeDiscord
) -> None:
    assert ("GET", "/api/v10/users/@me") in fake.requests
    assert ("GET", "/api/v10/gateway/bot") in fake.requests
    [(path, commands)] = fake.synced
    assert path == f"/api/v10/applications/{APP_ID}/guilds/{GUILD_ID}/commands"
    [watch] = commands
    assert watch["name"] == "watch" and watch["type"] == 1
    subs = {o["name"]: o for o in watch["options"]}
    assert set(subs) == {
        "help",
        "digest",
        "subscribe",
        "unsubscribe",
        "alerts",
        "feeds",
        "feed",
        "filter",
        "digest-cap",
        "search",
        "why",
        "status",
        "feedback",
        "timeline",
    }
    assert subs["feed"]["type"] == 2
    assert {o["name"] for o in subs["filter"]["options"]} == {"add", "list", "remove", "clear"}
    assert {o["name"] for o in subs["feed"]["options"]} == {"add", "remove", "import", "export"}
    digest_opts = {o["name"]: o for o in subs["digest"]["options"]}
    assert [c["value"] for c in digest_opts["topic"]["choices"]] == ["guarantees", "troops", "all"]
    assert digest_opts["here"]["type"] == 5
    assert (digest_opts["all"]["type"], digest_opts["limit"]["type"]) == (5, 4)
    [item] = subs["why"]["options"]
    assert (item["type"], item["autocomplete"]) == (4, True)
    [feed_id] = subs["feed"]["options"][1]["options"]
    assert (feed_id["name"], feed_id["autocomplete"]) == ("id", True)
    actor, topic = subs["timeline"]["options"]
    assert (actor["name"], actor["type"], actor.get("required", False)) == ("actor", 3, False)
    assert (topic["name"], topic["type"], topic.get("required", False)) == ("topic", 3, False)
    assert [c["value"] for c in topic["choices"]] == ["guarantees", "troops"]
    assert fake.identify is not None
    assert fake.identify["intents"] == (1 << 0) | (1 << 10)  # guilds, guild message reactions


async def test_help_answers_at_once_and_only_to_the_caller(
    connected: DiscordAdapter, fake: FakeDiscord
) -> None:
    traffic = await send(fake, interaction(sub("help")))
    reply, ephemeral, deferred = reply_of(traffic)
    assert (ephemeral, deferred) == (True, False)
    assert reply["allowed_mentions"] == {"parse": []}
    assert "/watch digest" in text_of(reply)

    traffic = await send(fake, interaction(sub("help", option(3, "command", "feed"))))
    assert "feed add URL" in text_of(reply_of(traffic)[0])


async def test_digest_defers_then_follows_up_publicly_or_privately(
    connected: DiscordAdapter, fake: FakeDiscord, store: SqlStore, clock: FakeClock
) -> None:
    add_items(store, clock, ["Coalition of the willing meets"], alert_to=None, troops=0.95)
    command = sub(
        "digest", option(3, "topic", "troops"), option(3, "since", "7d"), option(5, "here", True)
    )

    traffic = await send(fake, interaction(command))

    reply, ephemeral, deferred = reply_of(traffic)
    assert (ephemeral, deferred) == (False, True)
    assert reply["allowed_mentions"] == {"parse": []}
    assert "Coalition of the willing meets" in text_of(reply)
    assert reply["embeds"][0]["title"] == "Troop deployment (1)"

    traffic = await send(fake, interaction(sub("digest", option(3, "since", "24h"))))
    reply, ephemeral, deferred = reply_of(traffic)
    assert (ephemeral, deferred) == (True, True)


async def test_non_admin_cannot_add_a_feed(
    connected: DiscordAdapter, fake: FakeDiscord, store: SqlStore
) -> None:
    command = group("feed", sub("add", option(3, "url", "http://127.0.0.1:9/rss")))

    traffic = await send(fake, interaction(command))

    reply, ephemeral, deferred = reply_of(traffic)
    assert (ephemeral, deferred) == (True, False)
    assert "limited to admins" in text_of(reply)
    assert store.list_feeds() == []


async def test_admin_adds_and_removes_a_feed(
    connected: DiscordAdapter, fake: FakeDiscord, store: SqlStore
) -> None:
    add = group(
        "feed",
        sub("add", option(3, "url", "http://127.0.0.1:9/rss"), option(3, "name", "Local wire")),
    )

    traffic = await send(fake, interaction(add, permissions=ADMIN_PERMISSIONS))

    reply, ephemeral, deferred = reply_of(traffic)
    assert (ephemeral, deferred) == (False, True)
    [feed] = store.list_feeds()
    assert (feed.name, feed.url, feed.added_by) == (
        "Local wire",
        "http://127.0.0.1:9/rss",
        "53908232506183680",
    )
    assert f"Added feed #{feed.id}" in text_of(reply)

    remove = group("feed", sub("remove", option(4, "id", feed.id)))
    traffic = await send(fake, interaction(remove, permissions=ADMIN_PERMISSIONS))
    assert f"Removed feed #{feed.id}" in text_of(reply_of(traffic)[0])
    assert store.list_feeds() == []


async def test_configured_admin_without_manage_server_is_an_admin(
    connected: DiscordAdapter, fake: FakeDiscord, store: SqlStore
) -> None:
    command = group("feed", sub("add", option(3, "url", "http://127.0.0.1:9/a.xml")))
    traffic = await send(fake, interaction(command, user_id=4242))  # listed in discord.admins
    assert "Added feed" in text_of(reply_of(traffic)[0])


async def test_subscribe_alerts_and_unsubscribe(
    connected: DiscordAdapter, fake: FakeDiscord, store: SqlStore
) -> None:
    subscribe = sub(
        "subscribe",
        option(3, "topics", "troops"),
        option(3, "schedule", "weekly"),
        option(3, "day", "mon"),
        option(3, "time", "08:30"),
        option(3, "timezone", "Europe/Kyiv"),
    )
    traffic = await send(fake, interaction(subscribe, permissions=ADMIN_PERMISSIONS))
    reply, ephemeral, _ = reply_of(traffic)
    assert not ephemeral and "Subscribed #news to Troop deployment" in text_of(reply)
    channel = store.get_channel(ALERT_CHANNEL)
    assert channel is not None
    assert (channel.topics, channel.digest_cron, channel.timezone) == (
        ("troops",),
        "30 8 * * mon",
        "Europe/Kyiv",
    )

    alerts = sub("alerts", option(3, "state", "on"), option(10, "threshold", 0.6))
    traffic = await send(fake, interaction(alerts, permissions=ADMIN_PERMISSIONS))
    assert "Alerts on in #news (threshold 0.60)" in text_of(reply_of(traffic)[0])
    channel = store.get_channel(ALERT_CHANNEL)
    assert channel is not None and (channel.alerts, channel.threshold) == (True, 0.6)

    traffic = await send(fake, interaction(sub("unsubscribe"), permissions=ADMIN_PERMISSIONS))
    assert "Unsubscribed #news" in text_of(reply_of(traffic)[0])
    channel = store.get_channel(ALERT_CHANNEL)
    assert channel is not None and not channel.subscribed


async def test_non_admin_cannot_subscribe_and_a_bad_option_mix_is_refused(
    connected: DiscordAdapter, fake: FakeDiscord, store: SqlStore
) -> None:
    before = store.get_channel(ALERT_CHANNEL)
    traffic = await send(fake, interaction(sub("subscribe", option(3, "schedule", "daily"))))
    reply, ephemeral, deferred = reply_of(traffic)
    assert (ephemeral, deferred) == (True, False) and "limited to admins" in text_of(reply)
    assert store.get_channel(ALERT_CHANNEL) == before

    lonely_zone = sub("subscribe", option(3, "timezone", "Europe/Kyiv"))
    traffic = await send(fake, interaction(lonely_zone, permissions=ADMIN_PERMISSIONS))
    reply, ephemeral, _ = reply_of(traffic)
    assert ephemeral and "Choose a `schedule`" in text_of(reply)


async def test_an_error_after_a_public_defer_is_shown_only_to_the_caller(
    connected: DiscordAdapter, fake: FakeDiscord, store: SqlStore
) -> None:
    store.save_channel(Channel(ALERT_CHANNEL, "news", subscribed=False))
    traffic = await send(
        fake, interaction(sub("alerts", option(3, "state", "on")), permissions=ADMIN_PERMISSIONS)
    )

    kinds = [kind for kind, _ in traffic]
    assert kinds == ["callback", "delete", "followup"]
    reply, ephemeral, deferred = reply_of(traffic)
    assert (ephemeral, deferred) == (True, True)
    assert "is not subscribed; run `subscribe` first" in text_of(reply)


async def test_feeds_search_why_status_and_feedback(
    connected: DiscordAdapter, fake: FakeDiscord, store: SqlStore, clock: FakeClock, app: App
) -> None:
    [item_id] = add_items(store, clock, ["Reassurance force headquarters named"], alert_to=None)

    reply, ephemeral, _ = reply_of(await send(fake, interaction(sub("feeds"))))
    assert ephemeral and reply["embeds"][0]["title"] == "Feeds" and "```" in text_of(reply)

    search = sub("search", option(3, "query", "reassurance force"))
    reply, ephemeral, _ = reply_of(await send(fake, interaction(search)))
    assert ephemeral and f"#{item_id}" in text_of(reply)

    why = sub("why", option(4, "item", item_id))
    reply, _, _ = reply_of(await send(fake, interaction(why)))
    assert f"Why #{item_id}" in text_of(reply) and "Security guarantees: match" in text_of(reply)

    reply, ephemeral, _ = reply_of(await send(fake, interaction(sub("status"))))
    assert ephemeral and reply["embeds"][0]["title"] == "Watchbot status"
    assert "Model: fake-1" in text_of(reply)

    feedback = sub("feedback", option(4, "item", item_id), option(3, "verdict", "bad"))
    reply, _, _ = reply_of(await send(fake, interaction(feedback)))
    assert "recorded “bad”" in text_of(reply)
    [recorded] = store.list_feedback()
    assert (recorded.item_id, recorded.verdict, recorded.user, recorded.channel_ref) == (
        item_id,
        "bad",
        "53908232506183680",
        ALERT_CHANNEL,
    )


def add_statements(store: SqlStore, clock: FakeClock, *said: tuple[str, str, str, str]) -> None:
    """One item per (speaker, country, stance, topic), a day apart, each with that statement
    recorded as the analysis step records it."""
    for n, (speaker, country, stance, topic) in enumerate(said):
        [item_id] = add_items(store, clock, [f"{speaker} on {topic}"], alert_to=None)
        item = store.get_item(item_id)
        assert item is not None
        statement = Statement(
            speaker=speaker,
            stance=stance,  # type: ignore[arg-type]
            topic=topic,
            sentence=f"{speaker} spoke about {topic}.",
            said_at=clock.now() + timedelta(days=n),
            item_id=item_id,
            country=country,
        )
        record = ItemAnalysis(item.guid, f"fp-{item.guid}", statements=(statement,))
        store.record_analysis(item.feed_id, [record], item.first_seen_at)


async def test_timeline_answers_with_a_dated_list_for_an_actor_and_topic(
    connected: DiscordAdapter, fake: FakeDiscord, store: SqlStore, clock: FakeClock
) -> None:
    add_statements(
        store,
        clock,
        ("Emmanuel Macron", "France", "keeps_open", "troops"),
        ("Keir Starmer", "United Kingdom", "conditional", "guarantees"),
        ("Emmanuel Macron", "France", "supports", "guarantees"),
    )
    day = clock.now().date()

    command = sub("timeline", option(3, "actor", "Macron"), option(3, "topic", "troops"))
    reply, ephemeral, deferred = reply_of(await send(fake, interaction(command)))
    assert (ephemeral, deferred) == (True, True)
    assert reply["allowed_mentions"] == {"parse": []}
    [embed] = reply["embeds"]
    assert embed["title"] == "Timeline: Macron · Troop deployment (1 statement(s))"
    assert f"{day:%Y-%m-%d}  Emmanuel Macron  keeps_open  troops" in embed["description"]
    assert "Starmer" not in embed["description"] and "supports" not in embed["description"]

    # An actor of several words goes to the core as one; no options: everyone, both topics.
    two_words = sub("timeline", option(3, "actor", "Keir Starmer"))
    reply, _, _ = reply_of(await send(fake, interaction(two_words)))
    assert reply["embeds"][0]["title"] == "Timeline: Keir Starmer (1 statement(s))"

    reply, _, _ = reply_of(await send(fake, interaction(sub("timeline"))))
    assert reply["embeds"][0]["title"] == "Timeline: everyone (3 statement(s))"
    rows = [r for r in reply["embeds"][0]["description"].splitlines() if r[:4].isdigit()]
    assert [r.split()[:2] for r in rows] == [  # a dated list, oldest first
        [f"{day + timedelta(days=n):%Y-%m-%d}", name]
        for n, name in enumerate(["Emmanuel", "Keir", "Emmanuel"])
    ]

    unknown = sub("timeline", option(3, "actor", "Atlantis"))
    reply, ephemeral, _ = reply_of(await send(fake, interaction(unknown)))
    assert ephemeral and "names no actor or country" in text_of(reply)


async def test_status_chart_follow_up_carries_the_png(
    connected: DiscordAdapter, fake: FakeDiscord, store: SqlStore, clock: FakeClock
) -> None:
    add_items(store, clock, ["Reassurance force headquarters named"], alert_to=None)
    [(_path, [watch])] = fake.synced
    [status] = [o for o in watch["options"] if o["name"] == "status"]
    assert [(o["name"], o["type"]) for o in status["options"]] == [("chart", 5)]

    traffic = await send(fake, interaction(sub("status", option(5, "chart", True))))

    reply, ephemeral, deferred = reply_of(traffic)
    assert (ephemeral, deferred) == (True, True)
    assert reply["embeds"][0]["title"] == "Watchbot status"
    [upload] = fake.uploads
    assert (upload.where, upload.form_field) == ("followup", "files[0]")
    assert_chart(upload.data)
    assert reply["attachments"][0]["filename"] == upload.filename
    assert reply["embeds"][0]["image"] == {"url": f"attachment://{upload.filename}"}
    assert fake.messages[int(upload.message_id)]["attachments"][0]["size"] == len(upload.data)

    plain = await send(fake, interaction(sub("status")))
    assert "image" not in reply_of(plain)[0]["embeds"][0] and len(fake.uploads) == 1


async def test_autocomplete_offers_feed_and_item_ids(
    connected: DiscordAdapter, fake: FakeDiscord, store: SqlStore, clock: FakeClock
) -> None:
    ids = add_items(store, clock, ["Kyiv talks", "Paris summit"], alert_to=None)
    [feed] = store.list_feeds()

    why = sub("why", option(4, "item", "", focused=True))
    [(kind, response)] = await send(fake, interaction(why, kind=4))
    assert kind == "callback" and response["type"] == 8
    assert sorted(c["value"] for c in response["data"]["choices"]) == sorted(ids)

    words = sub("feedback", option(4, "item", "paris", focused=True))
    [(_, response)] = await send(fake, interaction(words, kind=4))
    assert [c["value"] for c in response["data"]["choices"]] == [ids[1]]

    remove = group("feed", sub("remove", option(4, "id", "", focused=True)))
    [(_, response)] = await send(fake, interaction(remove, kind=4))
    assert response["data"]["choices"] == [{"name": f"#{feed.id} {feed.name}", "value": feed.id}]


async def test_thumbs_on_an_alert_become_feedback(
    connected: DiscordAdapter, fake: FakeDiscord, store: SqlStore, clock: FakeClock, app: App
) -> None:
    [item_id] = add_items(store, clock, ["Troops to the border"])
    assert (await app.flush()).sent == 1
    message_id = fake.post_ids[0]

    fake.dispatch("MESSAGE_REACTION_ADD", reaction(message_id, "👎", user_id=77))
    fake.dispatch("MESSAGE_REACTION_ADD", reaction(message_id, "🔥", user_id=78))
    fake.dispatch("MESSAGE_REACTION_ADD", reaction("123456789012345678", "👍", user_id=79))
    await fake.wait_for(
        lambda: len([r for r in fake.requests if r[0] == "GET" and "/messages/" in r[1]]) >= 2
    )
    await eventually(lambda: len(store.list_feedback()) >= 1)

    [recorded] = store.list_feedback()
    assert (recorded.item_id, recorded.verdict, recorded.user) == (item_id, "bad", "77")
    assert recorded.channel_ref == ALERT_CHANNEL
