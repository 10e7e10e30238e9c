"""A fixed corpus polled through the real app: stored items, classifications, stories and
deliveries must equal tests/data/golden/expected.json, which main's code produced.

Four outlets served by a local HTTP server are polled twice (the first poll primes them, the
second alerts). Everything is compared by guid, so that row ids and the order in which
concurrent polls were stored do not matter. `WATCHBOT_GOLDEN_WRITE=1` rewrites the expected
file (only when a change of result is intended, and say why in the commit).
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from sqlalchemy import create_engine, select

from bot.app import build_app
from bot.config import Settings
from bot.ingest.fetch import HttpFetcher
from bot.ingest.limits import HttpLimits
from bot.store.schema import classifications, deliveries, items
from bot.store.sql import SqlStore
from tests.fakes import FakeClock, RecordingSender
from tests.ingest.feedserver import FeedServer

GOLDEN = Path(__file__).resolve().parent / "data" / "golden"
CORPUS = json.loads((GOLDEN / "corpus.json").read_text(encoding="utf-8"))


def rss(entries: list[dict[str, str]]) -> bytes:
    """An RSS 2.0 document of the corpus entries."""
    body = "".join(
        f"<item><guid>{e['guid']}</guid><link>https://{e['guid']}.example/</link>"
        f"<title>{escape(e['title'])}</title><description>{escape(e['text'])}</description>"
        f"<pubDate>{format_datetime(datetime.fromisoformat(e['published']))}</pubDate></item>"
        for e in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        f"<link>https://example.org/</link>{body}</channel></rss>"
    ).encode()


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as s:
        yield s


def snapshot(url: str) -> dict[str, Any]:
    """What the poll stored, keyed by guid."""
    engine = create_engine(url)
    with engine.connect() as conn:
        stored = list(conn.execute(select(items).order_by(items.c.guid)).mappings())
        # The feed's relative guids are resolved against the server's URL, whose port varies.
        guid = {r["id"]: r["guid"].rsplit("/", 1)[-1] for r in stored}
        scores = list(conn.execute(select(classifications)).mappings())
        sent = list(conn.execute(select(deliveries)).mappings())
    engine.dispose()
    stories: dict[str, list[str]] = {}
    for r in stored:
        if r["story_id"] is not None:
            stories.setdefault(guid[r["story_id"]], []).append(guid[r["id"]])
    return {
        "items": sorted(
            [guid[r["id"]], r["title"], r["source"], r["published_at"].isoformat(), r["silent"]]
            for r in stored
        ),
        "classifications": sorted(
            [guid[c["item_id"]], c["topic"], round(c["score"], 3), c["positive"]] for c in scores
        ),
        "stories": {lead: sorted(members) for lead, members in sorted(stories.items())},
        "deliveries": sorted(
            [
                d["channel_ref"],
                d["kind"],
                d["status"],
                sorted(guid[i] for i in d["item_ids"]),
            ]
            for d in sent
        ),
    }


async def test_fixed_corpus_stores_the_expected_result(tmp_path: Path, server: FeedServer) -> None:
    outlets = list(CORPUS["cycles"][0])
    urls = [server.serve(f"/{name}.xml", rss(CORPUS["cycles"][0][name])) for name in outlets]
    url = f"sqlite:///{tmp_path / 'w.db'}"
    settings = Settings.model_validate(
        {
            "storage": {"url": url},
            "seeds": {"enabled": False},
            "feeds": [
                {"url": u, "name": n, "interval": "1m"} for u, n in zip(urls, outlets, strict=True)
            ],
            "channels": [{"name": "desk", "platform": "console", "alert_threshold": 0.6}],
        }
    )
    clock = FakeClock()
    sender = RecordingSender()
    app = build_app(
        settings,
        store=SqlStore(url),
        fetcher=HttpFetcher(HttpLimits(total_timeout_s=5, allow_private_networks=True)),
        clock=clock,
        senders={"console": sender},
    )
    app.sync_config()
    for number in range(len(CORPUS["cycles"])):
        if number:
            clock.advance(minutes=30)
            for name in outlets:  # each outlet's document keeps its earlier entries
                seen = [e for c in CORPUS["cycles"][: number + 1] for e in c[name]]
                server.serve(f"/{name}.xml", rss(seen))
        ids = [f.id for f in app.store.list_feeds()]
        await app.poll(feed_ids=ids)
        await app.flush()
    await app.aclose()
    found = snapshot(url)
    expected_file = GOLDEN / "expected.json"
    if os.environ.get("WATCHBOT_GOLDEN_WRITE") == "1":
        expected_file.write_text(json.dumps(found, indent=1, ensure_ascii=False) + "\n")
    expected = json.loads(expected_file.read_text(encoding="utf-8"))
    assert found == expected
