"""The whole pipeline against a local feed server: fetch → parse → classify → store → deliver."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.chat.markdown import render
from bot.config import Settings
from bot.core.commands import CommandContext
from bot.core.errors import DeliveryError
from bot.ingest.fetch import HttpFetcher
from bot.ingest.limits import HttpLimits
from bot.store.sql import SqlStore
from tests.fakes import FakeClock, RecordingSender
from tests.ingest.feedserver import FeedServer


def rss(*items: tuple[str, str, str, str]) -> bytes:
    """RSS 2.0 with (guid, link, title, description) items."""
    body = "".join(
        f"<item><guid>{g}</guid><link>{link}</link><title>{t}</title>"
        f"<description>{d}</description><pubDate>Mon, 03 Mar 2025 10:00:00 GMT</pubDate></item>"
        for g, link, t, d in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        f"<link>https://example.org/</link>{body}</channel></rss>"
    ).encode()


TROOPS = (
    "t1",
    "https://news.example/troops?utm_source=rss",
    "Starmer says British troops could deploy to Ukraine",
    "The prime minister said UK soldiers would join a European reassurance force in Ukraine after a ceasefire.",
)
GUARANTEES = (
    "g1",
    "https://news.example/guarantees",
    "Europe offers Ukraine security guarantees with US backstop",
    "Leaders discussed Article 5-style security guarantees for Ukraine.",
)
OFFTOPIC = (
    "o1",
    "https://news.example/grain",
    "Grain exports from Odesa rise",
    "Shipments through the Black Sea corridor increased in February.",
)


class Harness:
    def __init__(self, app: App, sender: RecordingSender, clock: FakeClock) -> None:
        self.app, self.sender, self.clock = app, sender, clock

    async def cycle(self) -> None:
        ids = [f.id for f in self.app.store.list_feeds() if not f.disabled]
        await self.app.poll(feed_ids=ids)
        await self.app.flush()


def make_settings(
    tmp_path: Path, feeds: list[str], *, seeds: bool = False, fulltext: bool = False
) -> Settings:
    return Settings.model_validate(
        {
            "storage": {"url": f"sqlite:///{tmp_path / 'w.db'}"},
            "seeds": {"enabled": seeds, "path": str(Path(__file__).resolve().parents[1] / "seeds")},
            "feeds": [
                {"url": u, "name": f"feed{i}", "interval": "1m", "fulltext": fulltext}
                for i, u in enumerate(feeds)
            ],
            "channels": [
                {
                    "name": "desk",
                    "platform": "console",
                    "alert_threshold": 0.6,
                    "digest": {"cron": "0 8 * * *"},
                }
            ],
        }
    )


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as s:
        yield s


async def harness(tmp_path: Path, feeds: list[str], **kw: bool) -> Harness:
    settings = make_settings(tmp_path, feeds, **kw)
    clock = FakeClock()
    sender = RecordingSender()
    fetcher = HttpFetcher(HttpLimits(total_timeout_s=2, allow_private_networks=True))
    app = build_app(
        settings,
        store=SqlStore(settings.storage.url),
        fetcher=fetcher,
        clock=clock,
        senders={"console": sender},
    )
    app.sync_config()
    return Harness(app, sender, clock)


async def test_first_run_silent_then_alerts_once(tmp_path: Path, server: FeedServer) -> None:
    url = server.serve("/a.xml", rss(OFFTOPIC))
    h = await harness(tmp_path, [url])
    await h.cycle()
    assert h.sender.messages == []  # the first run only fills the digest
    server.serve("/a.xml", rss(OFFTOPIC, TROOPS, GUARANTEES))
    h.clock.advance(minutes=5)
    await h.cycle()
    await h.cycle()  # nothing new the second time
    alerts = [m for m in h.sender.messages if "Alert" in m[2]]
    assert len(alerts) == 2
    assert any("British troops" in m[2] for m in alerts)
    assert all("Grain" not in m[2] for m in alerts)
    await h.app.aclose()


async def test_conditional_get_and_restart_dedupe(tmp_path: Path, server: FeedServer) -> None:
    url = server.serve("/a.xml", rss(TROOPS), etag='"v1"')
    h = await harness(tmp_path, [url])
    await h.cycle()
    await h.cycle()
    assert server.requests[-1].headers.get("If-None-Match") == '"v1"'
    await h.app.aclose()
    # Restart on the same database: nothing is stored or delivered twice.
    h2 = await harness(tmp_path, [url])
    await h2.cycle()
    assert h2.app.store.stats().items == 1
    assert h2.sender.messages == []
    await h2.app.aclose()


async def test_dedupe_across_feeds_and_upstream_edits(tmp_path: Path, server: FeedServer) -> None:
    a = server.serve("/a.xml", rss(OFFTOPIC))
    b = server.serve("/b.xml", rss(OFFTOPIC))
    h = await harness(tmp_path, [a, b])
    await h.cycle()
    # Feed A gains the troops item; feed B carries the same article with other tracking params.
    server.serve("/a.xml", rss(OFFTOPIC, TROOPS))
    syndicated = ("other-guid", "http://news.example/troops?utm_campaign=x", TROOPS[2], TROOPS[3])
    server.serve("/b.xml", rss(OFFTOPIC, syndicated))
    h.clock.advance(minutes=5)
    await h.cycle()
    assert h.app.store.stats().items == 2
    assert len([m for m in h.sender.messages if "Alert" in m[2]]) == 1
    # An upstream edit of the title updates in place and never alerts again.
    edited = (TROOPS[0], TROOPS[1], TROOPS[2] + " (updated)", TROOPS[3])
    server.serve("/a.xml", rss(OFFTOPIC, edited))
    h.clock.advance(minutes=5)
    await h.cycle()
    assert h.app.store.stats().items == 2
    assert len([m for m in h.sender.messages if "Alert" in m[2]]) == 1
    assert any(i.title.endswith("(updated)") for i in h.app.store.recent_items(10))
    await h.app.aclose()


async def test_broken_feeds_are_recorded_and_others_unaffected(
    tmp_path: Path, server: FeedServer
) -> None:
    good = server.serve("/good.xml", rss(OFFTOPIC))
    html = server.serve("/html", b"<html><body>Not a feed</body></html>", content_type="text/html")
    garbage = server.serve(
        "/garbage", b"\x00\x01\x02 garbage \xff\xfe", content_type="application/xml"
    )
    missing = server.serve("/gone", b"nope", status=404, content_type="text/plain")
    h = await harness(tmp_path, [good, html, garbage, missing])
    await h.cycle()
    feeds = {f.url: f for f in h.app.store.list_feeds()}
    assert feeds[good].last_error is None and feeds[good].last_success_at is not None
    assert "HTML" in (feeds[html].last_error or "")
    assert feeds[garbage].last_error
    assert "404" in (feeds[missing].last_error or "")
    for url in (html, garbage, missing):
        assert feeds[url].consecutive_failures == 1
        assert feeds[url].next_poll_at is not None and feeds[url].next_poll_at > h.clock.now()
    assert h.app.store.stats().items == 1
    await h.app.aclose()


async def test_a_recovered_feed_keeps_a_visible_note_until_it_reads_clean(
    tmp_path: Path, server: FeedServer
) -> None:
    broken = rss(OFFTOPIC).replace(b"</channel>", b"<item><title>Unclosed</title></channel>")
    url = server.serve("/broken.xml", broken, etag='"v1"')
    h = await harness(tmp_path, [url])
    await h.cycle()
    (feed,) = h.app.store.list_feeds()
    assert feed.last_error is None and feed.last_note and h.app.store.stats().items >= 1
    viewer = CommandContext("console:desk", "desk", "ann", is_admin=False)
    listing = render(await h.app.commands.execute("feeds", viewer))
    assert f"note: {feed.last_note}"[:60] in listing
    h.clock.advance(minutes=2)
    await h.cycle()  # 304: the same document, the same note
    (feed,) = h.app.store.list_feeds()
    assert feed.last_note
    server.serve("/broken.xml", rss(OFFTOPIC), etag='"v2"')
    h.clock.advance(minutes=2)
    await h.cycle()
    (feed,) = h.app.store.list_feeds()
    assert feed.last_note is None
    await h.app.aclose()


async def test_feed_disabled_after_repeated_failures_is_announced_once(
    tmp_path: Path, server: FeedServer
) -> None:
    bad = server.serve("/bad", b"down", status=500, content_type="text/plain")
    h = await harness(tmp_path, [bad])
    h.app.poller.policy = type(h.app.poller.policy)(disable_after=3, jitter_fraction=0)
    for _ in range(5):
        await h.cycle()
        h.clock.advance(hours=7)
    notices = [m for m in h.sender.messages if "disabled" in m[2]]
    assert len(notices) == 1
    assert h.app.store.list_feeds()[0].disabled
    await h.app.aclose()


async def test_outage_delays_but_loses_nothing(tmp_path: Path, server: FeedServer) -> None:
    url = server.serve("/a.xml", rss(OFFTOPIC))
    h = await harness(tmp_path, [url])
    await h.cycle()
    server.serve("/a.xml", rss(OFFTOPIC, TROOPS, GUARANTEES))
    h.sender.fail_with = DeliveryError("HTTP 500 from chat", permanent=False)
    await h.cycle()
    assert h.sender.messages == [] and h.app.store.stats().pending_deliveries == 2
    h.sender.fail_with = None
    h.clock.advance(minutes=10)
    await h.app.flush()
    assert len(h.sender.messages) == 2
    keys = [m[1] for m in h.sender.messages]
    assert keys == sorted(keys, key=lambda k: int(k.rsplit(":", 1)[1]))  # in order
    await h.app.flush()
    assert len(h.sender.messages) == 2  # never twice
    await h.app.aclose()


async def test_seed_corpus_digest(tmp_path: Path) -> None:
    h = await harness(tmp_path, [], seeds=True)
    await h.cycle()
    assert h.app.store.stats().items == 5
    assert h.sender.messages == []  # first run of the seed folder is silent
    assert h.app.digests.record("console:desk") is not None
    await h.app.flush()
    ((_ref, key, text),) = h.sender.messages
    assert key.startswith("digest:console:desk:")
    assert "## Troop deployment" in text and "## Security guarantees" in text
    assert "not ruled out" in text and "backstop" in text
    assert "Why:" in text and "_Window:" in text
    # The same slot again records nothing; a later one has no new items.
    assert h.app.digests.record("console:desk", h.clock.now()) is None
    await h.app.aclose()


ARTICLE = b"""<html><head><title>Paris talks</title></head><body>
<nav>Home | World | Sport</nav>
<article><h1>Leaders meet in Paris</h1>
<p>European leaders met in Paris on Thursday to discuss the war.</p>
<p>The French president said a European reassurance force of several thousand soldiers could
deploy to Ukraine after a ceasefire, with British troops taking part.</p>
<p>Officials said details of the mission were still being negotiated with Washington.</p>
</article><footer>Copyright</footer></body></html>"""


async def test_full_text_feeds_classify_the_article(tmp_path: Path, server: FeedServer) -> None:
    teaser = ("p1", server.url("/article"), "Leaders meet in Paris", "Talks continue.")
    url = server.serve("/a.xml", rss(OFFTOPIC))
    server.serve("/article", ARTICLE, content_type="text/html; charset=utf-8")
    h = await harness(tmp_path, [url], fulltext=True)
    app, clock = h.app, h.clock
    await h.cycle()
    server.serve("/a.xml", rss(OFFTOPIC, teaser))
    clock.advance(minutes=5)
    await h.cycle()
    item = next(i for i in app.store.recent_items(10) if i.title == "Leaders meet in Paris")
    assert item.classification is not None and item.classification.labels["troops"]
    assert "reassurance force" in item.classification.reason("troops")
    assert any("/article" in r.path for r in server.requests)
    await app.aclose()
