"""Channel filters end to end: config → poll of a local feed → alerts and digests → `why`, and the
same set by `/watch filter` through the console harness; the digest cap on the command line."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.__main__ import cli
from bot.app import App, build_app
from bot.chat.markdown import render
from bot.config import Settings
from bot.core.commands import CommandContext
from bot.ingest.fetch import HttpFetcher
from bot.ingest.limits import HttpLimits
from bot.store.sql import SqlStore
from tests.fakes import REPO, FakeClock, RecordingSender
from tests.ingest.feedserver import FeedServer
from tests.test_pipeline import GUARANTEES, OFFTOPIC, TROOPS, rss

ADMIN = CommandContext("console:desk", "desk", "alice", is_admin=True)
LATER = (
    "t2",
    "https://news.example/troops-2",
    "Opinion: British troops in Ukraine would deter Russia",
    "A column on the reassurance force and UK soldiers deploying to Ukraine.",
)


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as s:
        yield s


async def started(tmp_path: Path, url: str, filters: list[str]) -> tuple[App, RecordingSender]:
    """The app on a local feed with the desk channel's filters from the config, after the
    feed's first (silent) poll."""
    settings = Settings.model_validate(
        {
            "storage": {"url": f"sqlite:///{tmp_path / 'w.db'}"},
            "seeds": {"enabled": False},
            "feeds": [{"url": url, "name": "Local wire", "interval": "1m", "tags": ["Europe"]}],
            "channels": [
                {
                    "name": "desk",
                    "platform": "console",
                    "alert_threshold": 0.6,
                    "filters": filters,
                }
            ],
        }
    )
    sender = RecordingSender()
    app = build_app(
        settings,
        store=SqlStore(settings.storage.url),
        fetcher=HttpFetcher(HttpLimits(total_timeout_s=2, allow_private_networks=True)),
        clock=FakeClock(),
        senders={"console": sender},
    )
    app.sync_config()
    await cycle(app)
    return app, sender


async def cycle(app: App) -> None:
    app.clock.advance(minutes=5)  # type: ignore[attr-defined]
    await app.poll(feed_ids=[f.id for f in app.store.list_feeds()])
    await app.flush()


def item_id(app: App, title: str) -> int:
    [found] = [i for i in app.store.search(title.split(":")[-1], limit=20) if i.title == title]
    return found.id


async def say(app: App, line: str) -> str:
    return render(await app.commands.execute(line, ADMIN))


async def test_a_config_filter_holds_an_alert_back_and_why_says_which(
    tmp_path: Path, server: FeedServer
) -> None:
    url = server.serve("/a.xml", rss(OFFTOPIC))
    app, sender = await started(tmp_path, url, [r"exclude /\bbritish\b/ in:title tag:europe"])
    server.serve("/a.xml", rss(OFFTOPIC, TROOPS, GUARANTEES))

    await cycle(app)

    alerted = [m[2] for m in sender.messages]
    assert any(GUARANTEES[2] in m for m in alerted)
    assert not any("British troops" in m for m in alerted)
    held = await say(app, f"why {item_id(app, TROOPS[2])}")
    assert (
        r"desk filters: held back by filter #1 `exclude /\bbritish\b/ in:title tag:europe`" in held
    )
    assert "not alerted and left out of digests" in held
    passed = await say(app, f"why {item_id(app, GUARANTEES[2])}")
    assert "desk filters: no filter here held it back" in passed and "desk: alerted" in passed
    digest = await say(app, "digest 7d")
    assert GUARANTEES[2] in digest and TROOPS[2] not in digest
    await app.aclose()


async def test_filters_set_by_command_decide_the_next_poll(
    tmp_path: Path, server: FeedServer
) -> None:
    url = server.serve("/a.xml", rss(OFFTOPIC))
    app, sender = await started(tmp_path, url, [])
    assert "Added filter #1" in await say(app, "filter add include troops deploy")
    assert "Added filter #2" in await say(app, "filter add exclude opinion in:title")
    server.serve("/a.xml", rss(OFFTOPIC, TROOPS, GUARANTEES, LATER))

    await cycle(app)

    alerted = [m[2] for m in sender.messages]
    assert [m for m in alerted if "British troops" in m] and len(alerted) == 1
    let = await say(app, f"why {item_id(app, TROOPS[2])}")
    assert "let through by filter #1 `include troops deploy`" in let
    opinion = await say(app, f"why {item_id(app, LATER[2])}")
    assert "held back by filter #2 `exclude opinion in:title`" in opinion
    guarantees = await say(app, f"why {item_id(app, GUARANTEES[2])}")
    assert "held back: no include filter (#1) matched" in guarantees

    # Cleared, the same kind of item alerts again.
    assert "Removed all 2 filter(s)" in await say(app, "filter clear")
    server.serve(
        "/a.xml",
        rss(
            OFFTOPIC,
            TROOPS,
            GUARANTEES,
            LATER,
            ("g9", "", "Security guarantees for Ukraine, again", "Security guarantees."),
        ),
    )
    await cycle(app)
    assert any("again" in m[2] for m in sender.messages)
    await app.aclose()


def test_cli_digest_cap_from_config_all_and_limit(tmp_path: Path) -> None:
    config = tmp_path / "watchbot.toml"
    config.write_text(
        f'[storage]\nurl = "sqlite:///{tmp_path / "w.db"}"\n'
        f'[seeds]\npath = "{REPO / "seeds"}"\n'
        '[[channels]]\nname = "desk"\nplatform = "console"\ndigest_max_stories = 1\n'
        'filters = ["exclude trump in:title"]\n',
        encoding="utf-8",
    )
    runner = CliRunner()
    assert runner.invoke(cli, ["poll", "-c", str(config)]).exit_code == 0

    def stories(*extra: str) -> tuple[int, str]:
        args = ["digest", "-c", str(config), "--dry-run", "--since", "all", *extra]
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, result.output
        shown = [ln for ln in result.stdout.splitlines() if ln[:1].isdigit() and ". **" in ln]
        return len(shown), result.stdout

    capped, text = stories()
    assert capped == 2 and "1 more story not shown" in text  # one a topic, two topics
    everything, text = stories("--all")
    assert everything == 3 and "not shown" not in text and "Trump" not in text
    assert stories("--limit", "2")[0] == 3
    both = runner.invoke(cli, ["digest", "-c", str(config), "--all", "--limit", "2"])
    assert both.exit_code == 2 and "--all and --limit exclude each other" in both.output
