"""Feed health at a glance (`feeds`, `watchbot status`) and silent feeds announced once, through
the real poll path against a local feed server, with a fake clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.chat.markdown import render
from bot.config import Settings
from bot.core.commands import CommandContext
from bot.core.messages import TableReply
from bot.core.silence import SILENCE_FLOOR, rhythm, silence_threshold
from bot.ingest.fetch import HttpFetcher
from bot.ingest.limits import HttpLimits
from bot.store.sql import SqlStore
from tests.fakes import FakeClock, RecordingSender
from tests.ingest.feedserver import FeedServer

ADMIN = CommandContext("console:desk", "desk", "alice", is_admin=True)


def rss(items: list[tuple[str, str, datetime]]) -> bytes:
    """RSS 2.0 with (guid, title, published) items."""
    body = "".join(
        f"<item><guid>{g}</guid><link>https://news.example/{g}</link><title>{t}</title>"
        f"<description>{t}.</description><pubDate>{format_datetime(p)}</pubDate></item>"
        for g, t, p in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        f"<link>https://news.example/</link>{body}</channel></rss>"
    ).encode()


TROOPS = "British troops could deploy to Ukraine as part of a reassurance force"
GRAIN = "Grain exports from Odesa rise"


class Harness:
    def __init__(self, app: App, sender: RecordingSender, clock: FakeClock) -> None:
        self.app, self.sender, self.clock = app, sender, clock

    async def cycle(self, *, days: float = 0) -> None:
        self.clock.advance(days=days)
        await self.app.poll(feed_ids=[f.id for f in self.app.store.list_feeds()])
        await self.app.flush()

    def notices(self) -> list[str]:
        return [m[2] for m in self.sender.messages if "published nothing new" in m[2]]

    async def feeds(self) -> TableReply:
        reply = await self.app.commands.execute("feeds", ADMIN)
        assert isinstance(reply, TableReply)
        return reply


async def harness(tmp_path: Path, url: str, clock: FakeClock) -> Harness:
    settings = Settings.model_validate(
        {
            "storage": {"url": f"sqlite:///{tmp_path / 'w.db'}"},
            "seeds": {"enabled": False},
            "classifier": {"model": "rules"},
            "feeds": [{"url": url, "name": "Kyiv Desk", "interval": "1h"}],
            "channels": [{"name": "desk", "platform": "console"}],
        }
    )
    sender = RecordingSender()
    app = build_app(
        settings,
        store=SqlStore(settings.storage.url),
        fetcher=HttpFetcher(HttpLimits(total_timeout_s=5, allow_private_networks=True)),
        clock=clock,
        senders={"console": sender},
    )
    app.sync_config()
    return Harness(app, sender, clock)


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as s:
        yield s


def every_six_hours(clock: FakeClock, n: int = 10) -> list[tuple[str, str, datetime]]:
    now = clock.now()
    return [
        (f"g{i}", f"{TROOPS if i % 2 else GRAIN}, day {i}", now - timedelta(hours=6 * i))
        for i in range(n)
    ]


def test_rhythm_is_the_median_gap_with_a_floor() -> None:
    t = datetime(2025, 3, 1)
    hourly = [t + timedelta(hours=h) for h in (0, 1, 2, 3, 4, 30)]  # one long gap: the median
    assert rhythm(hourly) == timedelta(hours=1)
    assert silence_threshold(timedelta(hours=1)) == SILENCE_FLOOR  # never less than two days
    assert silence_threshold(timedelta(days=3)) == timedelta(days=15)
    assert rhythm(hourly[:4]) is None  # too little history
    assert rhythm([t] * 10) is None  # a backfill published at one instant has no rhythm


async def test_a_silent_feed_is_announced_once_until_it_publishes_again(
    tmp_path: Path, server: FeedServer
) -> None:
    clock = FakeClock()
    items = every_six_hours(clock)
    url = server.serve("/kyiv.xml", rss(items), etag='"v1"')
    h = await harness(tmp_path, url, clock)

    await h.cycle()  # first poll: stored silently, the feed's rhythm is six hours
    await h.cycle(days=1.5)  # quiet, but within two days (the floor)
    assert h.notices() == []

    await h.cycle(days=1)  # 2.5 days without news; the feed answers 304
    assert server.requests[-1].headers.get("If-None-Match") == '"v1"'
    [notice] = h.notices()
    assert "Feed #1 “Kyiv Desk” still answers but has published nothing new for" in notice
    assert "it usually publishes every 6 hours" in notice
    table = await h.feeds()
    assert table.rows[0][2] == "silent (news 2d ago)"

    await h.cycle(days=1)
    await h.app.aclose()
    h = await harness(tmp_path, url, clock)  # a restart does not announce it again
    await h.cycle(days=1)
    assert h.notices() == []

    items.insert(0, ("new", TROOPS, clock.now()))
    server.serve("/kyiv.xml", rss(items), etag='"v2"')
    await h.cycle(days=0.1)  # it publishes again: no longer silent
    assert (await h.feeds()).rows[0][2] == "ok"
    await h.cycle(days=3)  # and a new silence is a new notice
    assert len(h.notices()) == 1
    await h.app.aclose()


async def test_feeds_shows_seven_days_and_share_on_topic_and_errors_in_words(
    tmp_path: Path, server: FeedServer
) -> None:
    clock = FakeClock()
    url = server.serve("/kyiv.xml", rss(every_six_hours(clock, 40)))  # 10 days of items
    h = await harness(tmp_path, url, clock)
    await h.cycle()

    table = await h.feeds()
    assert table.headers == (
        "id",
        "name",
        "health",
        "last success",
        "next poll",
        "items 7d",
        "on topic",
        "last error",
    )
    [row] = table.rows
    assert row[:3] == ("1", "Kyiv Desk", "ok")
    assert row[3] == "0s ago" and row[4].startswith("in ")
    # Four a day for seven days, and the one exactly seven days old; every other one on troops.
    assert row[5:7] == ("29", "48%")

    server.error("/kyiv.xml", 404)
    await h.cycle(days=0.1)
    [row] = (await h.feeds()).rows
    assert row[2] == "failing (1×)" and "404" in row[7]

    status = render(await h.app.commands.execute("status", ADMIN))
    assert "items 7d" in status and "on topic" in status and "failing (1×)" in status
    await h.app.aclose()
