"""`/watch filter ...`, `/watch digest-cap` and `/watch digest all|limit` over the Discord gateway.

Interactions arrive as INTERACTION_CREATE events shaped as Discord sends them; what the adapter
answers lands on the fake Discord API, and what it changed is read from the store.
"""

from __future__ import annotations

from bot.chat.discord.adapter import DiscordAdapter
from bot.core.filters import FilterRule
from bot.store.sql import SqlStore
from tests.chat.discord.conftest import (
    ADMIN_PERMISSIONS,
    ALERT_CHANNEL,
    add_items,
    group,
    interaction,
    option,
    sub,
)
from tests.chat.discord.fake_discord import FakeDiscord
from tests.chat.discord.test_commands import connected, reply_of, send, text_of
from tests.fakes import FakeClock

__all__ = ["connected"]  # the fixture, shared with the other command tests


def filters_of(store: SqlStore) -> tuple[FilterRule, ...]:
    channel = store.get_channel(ALERT_CHANNEL)
    return channel.filters if channel is not None else ()


def add(action: str, pattern: str, *more: dict[str, object]) -> dict[str, object]:
    return group(
        "filter", sub("add", option(3, "action", action), option(3, "pattern", pattern), *more)
    )


async def test_filter_options_become_one_rule_with_the_regex_as_typed(
    connected: DiscordAdapter, fake: FakeDiscord, store: SqlStore
) -> None:
    command = add(
        "exclude",
        r"/\bop-ed\b|'opinion'/",
        option(3, "in", "title"),
        option(3, "tag", "Eastern Europe"),
    )

    reply, ephemeral, deferred = reply_of(
        await send(fake, interaction(command, permissions=ADMIN_PERMISSIONS))
    )

    assert (ephemeral, deferred) == (False, True)
    rule = FilterRule(
        "exclude", r"\bop-ed\b|'opinion'", regex=True, scope="title", tag="Eastern Europe"
    )
    assert filters_of(store) == (rule,)
    assert f"Added filter #1 in #news: `{rule.describe()}`" in text_of(reply)

    listed, ephemeral, _ = reply_of(await send(fake, interaction(group("filter", sub("list")))))
    assert ephemeral and f"#1 `{rule.describe()}`" in text_of(listed)


async def test_members_may_list_but_not_add_remove_or_clear(
    connected: DiscordAdapter, fake: FakeDiscord, store: SqlStore
) -> None:
    for command in (
        add("include", "troops"),
        group("filter", sub("remove", option(4, "number", 1))),
        group("filter", sub("clear")),
    ):
        reply, ephemeral, deferred = reply_of(await send(fake, interaction(command)))
        assert (ephemeral, deferred) == (True, False)
        assert "limited to admins" in text_of(reply)
    assert filters_of(store) == ()


async def test_a_bad_regex_is_explained_only_to_the_caller(
    connected: DiscordAdapter, fake: FakeDiscord, store: SqlStore
) -> None:
    command = add("include", "/(?<=NATO) troops/")
    reply, ephemeral, _ = reply_of(
        await send(fake, interaction(command, permissions=ADMIN_PERMISSIONS))
    )
    assert ephemeral
    assert "is not a usable regular expression" in text_of(reply)
    assert "no look-around" in text_of(reply)
    assert filters_of(store) == ()


async def test_a_filter_holds_an_item_back_from_the_digest_and_why_says_which(
    connected: DiscordAdapter, fake: FakeDiscord, store: SqlStore, clock: FakeClock
) -> None:
    [kept, held] = add_items(
        store, clock, ["Reassurance force named", "Opinion: reassurance force"], alert_to=None
    )
    await send(
        fake,
        interaction(
            add("exclude", "opinion", option(3, "in", "title")), permissions=ADMIN_PERMISSIONS
        ),
    )

    digest = sub("digest", option(3, "since", "7d"))
    reply, _, _ = reply_of(await send(fake, interaction(digest)))
    assert "Reassurance force named" in text_of(reply)
    assert "Opinion: reassurance force" not in text_of(reply)

    why = sub("why", option(4, "item", held))
    reply, _, _ = reply_of(await send(fake, interaction(why)))
    assert "held back by filter #1 `exclude opinion in:title`" in text_of(reply)
    why = sub("why", option(4, "item", kept))
    reply, _, _ = reply_of(await send(fake, interaction(why)))
    assert "no filter here held it back" in text_of(reply)


async def test_digest_cap_and_all_lift_it(
    connected: DiscordAdapter, fake: FakeDiscord, store: SqlStore, clock: FakeClock
) -> None:
    add_items(store, clock, [f"Guarantee story {n}" for n in range(4)], alert_to=None)
    cap = sub("digest-cap", option(4, "stories", 1))
    reply, ephemeral, _ = reply_of(
        await send(fake, interaction(cap, permissions=ADMIN_PERMISSIONS))
    )
    assert not ephemeral and "at most 1 stories a topic" in text_of(reply)

    capped = sub("digest", option(3, "since", "7d"))
    reply, _, _ = reply_of(await send(fake, interaction(capped)))
    assert text_of(reply).count("Guarantee story") == 1

    everything = sub("digest", option(3, "since", "7d"), option(5, "all", True))
    reply, _, _ = reply_of(await send(fake, interaction(everything)))
    assert text_of(reply).count("Guarantee story") == 4

    three = sub("digest", option(3, "since", "7d"), option(4, "limit", 3))
    reply, _, _ = reply_of(await send(fake, interaction(three)))
    assert text_of(reply).count("Guarantee story") == 3
