"""`/watch filter ...`, `/watch digest-cap` and `/watch digest --all|N` on Slack, at the wire.

Commands are posted signed, as Slack posts them, to the bot's HTTP endpoint; replies are read from
what reached the fake Slack's response_url, and the channel's stored settings from the store.
"""

from __future__ import annotations

from typing import Any

from bot.core.filters import FilterRule
from tests.chat.slack.conftest import CHANNEL_REF, Bot
from tests.chat.slack.test_feed_lists import make_admin, run


def text_of(node: Any) -> str:
    """What the reader sees: every text of the blocks, as sent."""
    if isinstance(node, dict):
        own = [node["text"]] if isinstance(node.get("text"), str) else []
        return "\n".join(own + [text_of(v) for k, v in node.items() if k != "text" or not own])
    if isinstance(node, list):
        return "\n".join(text_of(v) for v in node)
    return ""


def stored_filters(bot: Bot) -> tuple[FilterRule, ...]:
    channel = bot.store.get_channel(CHANNEL_REF)
    assert channel is not None
    return channel.filters


async def test_an_admin_adds_a_regex_filter_as_typed_and_anyone_lists_it(bot: Bot) -> None:
    make_admin(bot)

    reply = await run(bot, r"filter add exclude /\bsport(s)?\b/ in:title", "add")

    assert reply["response_type"] == "in_channel"
    assert r"Added filter #1 in #news: `exclude /\bsport(s)?\b/ in:title`" in reply["text"]
    assert stored_filters(bot) == (
        FilterRule("exclude", r"\bsport(s)?\b", regex=True, scope="title"),
    )

    before = sum(m == "users.info" for m, _ in bot.fake.calls)
    listed = await run(bot, "filter list", "list", user="U_MEMBER")
    assert listed["response_type"] == "ephemeral"
    assert r"#1 `exclude /\bsport(s)?\b/ in:title`" in text_of(listed["blocks"])
    # Listing changes nothing: Slack is not asked whether the caller is an admin.
    assert sum(m == "users.info" for m, _ in bot.fake.calls) == before


async def test_words_in_any_script_with_tag_and_feed_restrictions(bot: Bot) -> None:
    make_admin(bot)

    await run(bot, 'filter add include Żołnierze ВІЙСЬКА tag:"Eastern Europe"', "a")
    await run(bot, "filter add exclude opinion feed:https://feed.example/rss", "b")

    assert stored_filters(bot) == (
        FilterRule("include", "Żołnierze ВІЙСЬКА", tag="Eastern Europe"),
        FilterRule("exclude", "opinion", feed="https://feed.example/rss"),
    )
    removed = await run(bot, "filter remove 1", "rm")
    assert 'Removed filter #1 `include Żołnierze ВІЙСЬКА tag:"Eastern Europe"`' in removed["text"]
    assert [r.pattern for r in stored_filters(bot)] == ["opinion"]
    cleared = await run(bot, "filter clear", "clear")
    assert "Removed all 1 filter(s) from #news" in cleared["text"]
    assert stored_filters(bot) == ()


async def test_members_cannot_change_filters(bot: Bot) -> None:
    bot.fake.add_user("U_MEMBER", admin=False)

    reply = await run(bot, "filter add exclude sport", "add", user="U_MEMBER")

    assert reply["response_type"] == "ephemeral"
    assert "`filter add` changes this workspace's setup" in reply["text"]
    assert stored_filters(bot) == ()


async def test_bad_rules_get_a_precise_error_and_change_nothing(bot: Bot) -> None:
    make_admin(bot)

    bad_regex = await run(bot, "filter add include /(troops/", "re")
    bad_scope = await run(bot, "filter add include troops in:body", "scope")
    too_long = await run(bot, "filter add include /" + "a" * 301 + "/", "long")

    assert "/(troops/ is not a usable regular expression: missing )" in bad_regex["text"]
    assert "unknown scope `in:body`; use in:title or in:text" in bad_scope["text"]
    assert "the pattern is 301 characters long; 300 at most" in too_long["text"]
    assert all(r["response_type"] == "ephemeral" for r in (bad_regex, bad_scope, too_long))
    assert stored_filters(bot) == ()


async def test_digest_cap_and_lifting_it_for_one_digest(bot: Bot) -> None:
    make_admin(bot)
    bot.add_items(5, title=lambda k: f"Guarantee story number {k}")

    capped = await run(bot, "digest-cap 2", "cap")
    assert "Digests in #news show at most 2 stories a topic" in capped["text"]
    channel = bot.store.get_channel(CHANNEL_REF)
    assert channel is not None and channel.digest_max_stories == 2

    short = await run(bot, "digest 7d", "short", user="U_MEMBER")
    assert text_of(short["blocks"]).count("Guarantee story number") == 2
    assert "3 more stories not shown" in text_of(short["blocks"])

    full = await run(bot, "digest 7d --all", "full", user="U_MEMBER")
    assert text_of(full["blocks"]).count("Guarantee story number") == 5
    four = await run(bot, "digest 7d 4", "four", user="U_MEMBER")
    assert text_of(four["blocks"]).count("Guarantee story number") == 4

    back = await run(bot, "digest-cap default", "default")
    assert "(the default)" in back["text"]
    channel = bot.store.get_channel(CHANNEL_REF)
    assert channel is not None and channel.digest_max_stories is None
