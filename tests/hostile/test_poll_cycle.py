"""Every hostile document and network attack through the product in one poll cycle: the real
fetcher, parser, normaliser, classifier and SQLite store, against a local server.

Each feed ends with a recorded error that `status` shows, or with cleaned items; the good feed in
the same cycle is unaffected; alerts and digests rendered for the console, Slack and Discord carry
no unsafe link and no ping.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from bot.app import build_app
from bot.chat.markdown import render
from bot.config import Settings
from bot.core.commands import CommandContext
from bot.core.messages import AlertMessage, ItemLine
from bot.core.normalise import MAX_TITLE_CHARS
from bot.ingest.fetch import HttpFetcher
from bot.store.sql import SqlStore
from tests.fakes import FakeClock, RecordingSender
from tests.hostile import links
from tests.hostile.conftest import Canary
from tests.hostile.corpus import BAD_SCHEMES, CANARY, CONTROL_CHARS, documents, item, rss
from tests.hostile.network import LIMITS, SLOW_LIMITS, install, install_slow
from tests.hostile.runner import FIGURES
from tests.ingest.feedserver import FeedServer

PRIMER = rss("").encode()  # a valid, empty feed: the first poll of a feed is silent
# Its own story (the hostile documents all tell one), so it alerts whatever they did.
GOOD = (
    rss(
        item(
            "good-1",
            title="Finland and Sweden pledge peacekeepers for Ukraine after ceasefire talks",
            description="Nordic defence ministers said their soldiers could join a multinational "
            "peacekeeping mission in Ukraine.",
        )
    )
    .encode()
    .replace(b"@DOC@", b"good")
)
_CONTROL = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{CONTROL_CHARS}]")


def settings_for(tmp_path: Path, urls: dict[str, str]) -> Settings:
    return Settings.model_validate(
        {
            "storage": {"url": f"sqlite:///{tmp_path / 'w.db'}"},
            "seeds": {"enabled": False},
            "feeds": [{"url": u, "name": n, "interval": "1m"} for n, u in urls.items()],
            "channels": [
                {
                    "name": "desk",
                    "platform": "console",
                    "alert_threshold": 0.5,
                    "digest": {"cron": "0 8 * * *"},
                }
            ],
        }
    )


async def test_every_attack_ends_as_a_feed_error_or_cleaned_items(
    tmp_path: Path, canary: Canary
) -> None:
    docs = documents(canary.url, str(canary.path))
    async with FeedServer() as server:
        attacks = install(server)
        urls = {d.name: server.serve(f"/doc/{d.name}", PRIMER) for d in docs}
        urls |= {a.name: a.url for a in attacks}
        urls["good"] = server.serve("/good.xml", PRIMER)
        clock = FakeClock()
        sender = RecordingSender()
        settings = settings_for(tmp_path, urls)
        app = build_app(
            settings,
            store=SqlStore(settings.storage.url),
            fetcher=HttpFetcher(LIMITS),
            clock=clock,
            senders={"console": sender},
        )
        try:
            app.sync_config()
            await app.poll()  # primes the document feeds (the attacks fail already)
            for doc in docs:
                server.serve(f"/doc/{doc.name}", doc.body, content_type=doc.content_type)
            server.serve("/good.xml", GOOD)
            clock.advance(hours=2)
            every = [f.id for f in app.store.list_feeds()]
            report = await app.poll(feed_ids=every)
            while (await app.flush()).sent:  # a flush sends at most 100
                pass

            feeds = {f.name: f for f in app.store.list_feeds()}
            stored: dict[int, list[str]] = {}
            for stored_item in app.store.recent_items(10_000):
                stored.setdefault(stored_item.feed_id or 0, []).append(stored_item.title)
            # The good feed in the same cycle is untouched by its neighbours.
            good = feeds["good"]
            assert good.last_error is None and len(stored[good.id]) == 1
            assert any("Finland and Sweden" in m[2] and "Alert" in m[2] for m in sender.messages)
            for doc in docs:
                feed = feeds[doc.name]
                FIGURES.tried("documents (poll cycle)", doc.name)
                if doc.refused is not None:
                    assert feed.last_error is not None and doc.refused in feed.last_error, (
                        doc.name,
                        feed.last_error,
                    )
                    assert feed.consecutive_failures == 1 and not feed.disabled
                    assert feed.id not in stored, doc.name
                else:
                    assert feed.last_error is None, (doc.name, feed.last_error)
                    assert len(stored.get(feed.id, [])) == doc.items, doc.name
            for attack in attacks:
                FIGURES.tried("network attacks (poll cycle)", attack.name)
                feed = feeds[attack.name]
                assert feed.last_error is not None and attack.refused in feed.last_error, (
                    attack.name,
                    feed.last_error,
                )
                assert feed.id not in stored
            assert len(report.failures) == sum(1 for d in docs if d.refused) + len(attacks)
            # A server's Retry-After is honoured: the rate-limited feed waits an hour.
            limited = feeds["rate-limited"]
            assert limited.next_poll_at is not None
            assert (limited.next_poll_at - clock.now()).total_seconds() >= 3600

            # Cleaned items: no control characters, bounded titles, links only http(s).
            items = app.store.recent_items(10_000)
            for stored_item in items:
                assert not _CONTROL.search(stored_item.title + stored_item.summary), stored_item
                assert len(stored_item.title) <= MAX_TITLE_CHARS + 1
                assert stored_item.url == "" or stored_item.url.startswith("https://")
                assert not stored_item.url.lower().startswith(BAD_SCHEMES)
                assert CANARY not in stored_item.title and "root:" not in stored_item.summary
            assert canary.hits == []

            # Every stored item rendered as an alert, on every platform, and what was sent.
            for stored_item in items:
                links.check_all(AlertMessage(line=ItemLine.from_item(stored_item)))
            for _ref, _key, text in sender.messages:
                assert links.markdown_problems(text) == [], text
            sent = "\n".join(m[2] for m in sender.messages)
            assert "](javascript" not in sent.lower() and "](data:" not in sent.lower()
            scheme_titles = [t for t in stored[feeds["javascript-and-data-links"].id]]
            assert len(scheme_titles) == 8
            # The digest of it all, on every platform.
            channel = app.store.list_channels()[0]
            digest = app.digests.collect(channel, since=None, until=clock.now())
            assert digest.item_count > 0
            links.check_all(digest)

            # `status` shows each failing feed and its error.
            ctx = CommandContext("console:desk", "desk", "ops", is_admin=True)
            status = render(await app.commands.execute("status", ctx))
            for attack in attacks:
                assert re.search(rf"{re.escape(attack.name)}\s+failing \(2×\)", status), status
            for doc in docs:
                if doc.refused:
                    assert re.search(rf"{re.escape(doc.name)}\s+failing \(1×\)", status), status
        finally:
            await app.aclose()


async def test_slow_servers_hit_the_total_deadline_and_others_are_unaffected(
    tmp_path: Path,
) -> None:
    async with FeedServer() as server:
        attacks = install_slow(server)
        urls = {a.name: a.url for a in attacks} | {"good": server.serve("/good.xml", GOOD)}
        settings = settings_for(tmp_path, urls)
        app = build_app(
            settings,
            store=SqlStore(settings.storage.url),
            fetcher=HttpFetcher(SLOW_LIMITS),
            clock=FakeClock(),
            senders={"console": RecordingSender()},
        )
        try:
            app.sync_config()
            started = time.monotonic()
            await app.poll()
            assert time.monotonic() - started < 5  # the deadline covers the whole body
            feeds = {f.name: f for f in app.store.list_feeds()}
            for attack in attacks:
                FIGURES.tried("network attacks (poll cycle)", attack.name)
                assert attack.refused in (feeds[attack.name].last_error or ""), attack.name
            assert feeds["good"].last_error is None
            assert app.store.stats().items == 1
        finally:
            await app.aclose()
