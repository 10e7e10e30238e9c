"""Digests with stories, and weekly digests: "who moved" and the chart, kept across a resend."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import App
from bot.core.digest import StoryView, build_digest, digest_from_payload, is_weekly
from bot.core.messages import DigestMessage
from bot.core.models import Classification, Item
from tests.analysis.png import assert_chart
from tests.harness import console_app

NOW = datetime(2025, 3, 1, 9, tzinfo=UTC)


def item(n: int, source: str, score: float, hours: int = 0) -> Item:
    c = Classification(
        {"troops": score, "guarantees": 0.0}, {"troops": True, "guarantees": False}, {}, "m"
    )
    when = NOW - timedelta(hours=hours)
    return Item(
        n, 1, f"g{n}", f"https://x.example/{n}", f"Title {n}", "", when, when, source, "h", c
    )


def test_build_digest_lists_a_story_once_with_its_outlets() -> None:
    items = [item(1, "Wire", 0.9, 5), item(2, "Paper", 0.95, 2), item(3, "Blog", 0.7)]
    view = StoryView(story_of={1: 1, 2: 1, 3: 3}, sources={1: ["Wire", "Paper", "Agency"]})
    digest = build_digest(items, topics=["troops"], window_start=None, window_end=NOW, stories=view)
    lines = digest.sections[0].lines
    assert [(ln.item_id, ln.folded, ln.also) for ln in lines] == [
        (2, (1,), ("Wire", "Agency")),  # the best-scored member leads
        (3, (), ()),
    ]
    assert digest.item_count == 3 and digest.story_count == 2


@pytest.mark.parametrize(
    ("cron", "weekly"),
    [
        ("0 8 * * mon", True),
        ("30 7 * * 1", True),
        ("0 8 * * *", False),
        ("0 8 * * 1-5", False),
        ("0 8 1 * mon", False),
        ("0 8,12 * * mon", False),
        (None, False),
        ("", False),
    ],
)
def test_is_weekly(cron: str | None, weekly: bool) -> None:
    assert is_weekly(cron) is weekly


def on_disk(path: str, folder: Path) -> bool:
    return Path(path).parent == folder and Path(path).is_file()


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    channels = [
        {"name": "weekly", "platform": "console", "digest": {"cron": "0 8 * * mon"}},
        {"name": "daily", "platform": "console", "digest": {"cron": "0 8 * * *"}},
    ]
    async with console_app(tmp_path / "data" / "w.db", {"channels": channels}, now=NOW) as app:
        yield app


async def test_weekly_digest_has_who_moved_and_a_chart_and_resends_the_same(
    app: App, tmp_path: Path
) -> None:
    since = datetime(2000, 1, 1, tzinfo=UTC)
    assert app.digests.record("console:weekly", since=since) is not None
    assert app.digests.record("console:daily", since=since) is not None
    (delivery, daily) = app.store.due_deliveries(NOW)
    message = app.dispatcher.message_for(delivery)
    assert isinstance(message, DigestMessage)
    moves = {(m.speaker, m.topic): (m.previous, m.stance) for m in message.moves}
    assert moves[("Emmanuel Macron", "troops")] == ("keeps_open", "supports")
    (chart,) = message.attachments
    assert_chart(chart.data)
    assert on_disk(chart.path, tmp_path / "data" / "charts")
    # The 10 June Reuters seed and the 7 June report are one story.
    story = [ln for s in message.sections for ln in s.lines if "Reuters (republished)" in ln.also]
    assert len(story) == 1
    # Rebuilt from the recorded payload (what a retry sends), it is the same message.
    again = digest_from_payload(app.store, delivery.payload, delivery.item_ids)
    assert again == message
    daily_message = app.dispatcher.message_for(daily)
    assert isinstance(daily_message, DigestMessage)
    assert daily_message.moves == () and daily_message.attachments == ()

    await app.flush()
    texts = [text for _ref, _key, text in app.senders["console"].messages]  # type: ignore[attr-defined]
    weekly_text = next(t for t in texts if "weekly" in t)
    assert "## Who moved" in weekly_text and "keeps_open" in weekly_text
    assert "📈 Items per day by topic" in weekly_text and f"`{chart.path}`" in weekly_text
    assert "Also reported by: Reuters (republished)" in weekly_text
    assert "## Who moved" not in next(t for t in texts if "daily" in t)


async def test_status_chart_attaches_the_png(app: App) -> None:
    from bot.core.commands import CommandContext
    from bot.core.messages import TableReply

    ctx = CommandContext("console:weekly", "weekly", "ann")
    plain = await app.commands.execute("status", ctx)
    assert isinstance(plain, TableReply) and plain.attachments == ()
    reply = await app.commands.execute("status chart", ctx)
    assert isinstance(reply, TableReply)
    (chart,) = reply.attachments
    assert_chart(chart.data)
    wrong = await app.commands.execute("status pie", ctx)
    assert "status takes no arguments or `chart`" in getattr(wrong, "text", "")
