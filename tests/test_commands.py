"""Every /watch command through the console harness: parse → act → reply, on a real store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App
from bot.chat.markdown import render
from bot.core.commands import CommandContext
from bot.core.messages import DigestMessage, ErrorReply, TableReply, TextReply
from tests.harness import console_app

ADMIN = CommandContext("console:desk", "desk", "alice", is_admin=True)
USER = CommandContext("console:desk", "desk", "bob", is_admin=False)


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    async with console_app(tmp_path / "w.db") as app:
        yield app


async def run(app: App, line: str, ctx: CommandContext = ADMIN) -> str:
    reply = await app.commands.execute(line, ctx)
    text = render(reply)
    if isinstance(reply, ErrorReply):
        raise AssertionError(text)
    return text


async def error(app: App, line: str, ctx: CommandContext = ADMIN) -> str:
    reply = await app.commands.execute(line, ctx)
    assert isinstance(reply, ErrorReply), render(reply)
    return reply.text


async def test_help_lists_every_command(app: App) -> None:
    text = await run(app, "help")
    for name in (
        "digest",
        "subscribe",
        "unsubscribe",
        "alerts",
        "feeds",
        "feed add",
        "filter add include|exclude",
        "digest-cap N|default",
        "search",
        "why",
        "status",
        "feedback",
    ):
        assert f"/watch {name}" in text
    assert "/watch feed add URL" in await run(app, "feed help")
    assert "/watch filter add include|exclude" in await run(app, "filter help")


async def test_digest_now_with_topic_and_window(app: App) -> None:
    app.clock.advance(days=3)  # type: ignore[attr-defined]
    quiet = await app.commands.execute("digest troops", ADMIN)
    assert isinstance(quiet, TextReply) and "No matching items" in quiet.text  # last day only
    reply = await app.commands.execute("digest troops 1000w", ADMIN)
    assert isinstance(reply, DigestMessage) and reply.ephemeral
    assert [s.topic for s in reply.sections] == ["troops"]
    public = await app.commands.execute("digest 1000w here", ADMIN)
    assert isinstance(public, DigestMessage) and not public.ephemeral
    assert public.item_count >= 4  # seeds 001–004 are on topic; 000 is borderline
    assert "“soon” is not a window" in await error(app, "digest soon")


async def test_subscribe_schedules_and_errors(app: App) -> None:
    text = await run(app, "subscribe troops weekly mon 08:30 Europe/Kyiv")
    assert "Troop deployment" in text and "30 8 * * mon" in text
    ch = app.store.get_channel("console:desk")
    assert ch is not None and ch.topics == ("troops",) and ch.timezone == "Europe/Kyiv"
    assert "daily needs a time" in await error(app, "subscribe daily 25:00")
    assert "unknown time zone" in await error(app, "subscribe daily 08:00 Mars/Base")
    assert "invalid cron" in await error(app, 'subscribe cron "99 * * * *"')
    assert "unknown schedule" in await error(app, "subscribe hourly")
    assert "check the quotes" in await error(app, 'subscribe cron "0 8 * *')
    await run(app, "subscribe all daily 07:00")
    assert app.store.get_channel("console:desk").topics == ("guarantees", "troops")  # type: ignore[union-attr]


async def test_alerts_and_unsubscribe(app: App) -> None:
    assert "threshold 0.90" in await run(app, "alerts on 0.9")
    assert app.store.get_channel("console:desk").threshold == 0.9  # type: ignore[union-attr]
    assert "between 0 and 1" in await error(app, "alerts on 7")
    assert "on or off" in await error(app, "alerts maybe")
    await run(app, "alerts off")
    assert not app.store.get_channel("console:desk").alerts  # type: ignore[union-attr]
    assert "Unsubscribed" in await run(app, "unsubscribe")
    assert "not subscribed" in await run(app, "unsubscribe")


async def test_feed_add_remove_and_ssrf_refusals(app: App) -> None:
    text = await run(app, "feed add https://feeds.example.org/rss Example feed")
    assert "Added feed" in text
    feeds = await app.commands.execute("feeds", ADMIN)
    assert isinstance(feeds, TableReply) and any("Example feed" in r[1] for r in feeds.rows)
    assert "already" in await error(app, "feed add https://feeds.example.org/rss")
    for url, reason in [
        ("http://127.0.0.1/feed", "loopback"),
        ("http://10.1.2.3/feed", "private"),
        ("http://169.254.169.254/latest/meta-data", "169.254.169.254"),
        ("file:///etc/passwd", "only http"),
        ("gopher://example.org/", "only http"),
        ("http://user:pw@example.org/", "password"),
    ]:
        assert reason in await error(app, f"feed add {url}")
    new_id = max(f.id for f in app.store.list_feeds())
    assert "Removed feed" in await run(app, f"feed remove {new_id}")
    assert f"no feed with id {new_id}" in await error(app, f"feed remove {new_id}")
    assert "must be a number" in await error(app, "feed remove abc")


async def test_non_admins_are_refused_admin_commands(app: App) -> None:
    for line in ("feed add https://x.example/rss", "subscribe", "unsubscribe", "alerts off"):
        assert "limited to admins" in await error(app, line, USER)
    assert app.store.get_channel("console:desk").alerts  # type: ignore[union-attr]
    assert await run(app, "feeds", USER)


async def test_search_why_feedback_status(app: App) -> None:
    found = await app.commands.execute('search "not ruled out"', USER)
    assert isinstance(found, TableReply) and found.rows
    item = found.rows[0][0].lstrip("#")
    why = await run(app, f"why {item}", USER)
    assert "Troop deployment: match" in why and "Macron" in why
    assert "first run" in why  # the seed folder's first poll is digest-only
    assert "recorded “bad”" in await run(app, f"feedback {item} bad troops", USER)
    assert app.store.list_feedback()[0].verdict == "bad"
    assert "no item #99999" in await error(app, "why 99999")
    assert "good|bad" in await error(app, f"feedback {item} meh")
    assert isinstance(
        await app.commands.execute('search "AND ( NEAR/', USER), TableReply | ErrorReply
    )
    status = await run(app, "status", USER)
    assert "Seed corpus" in status and "Model:" in status and "Outbox:" in status


async def test_unknown_command(app: App) -> None:
    assert "unknown command" in await error(app, "launch missiles")
