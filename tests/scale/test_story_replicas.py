"""Two replicas on one PostgreSQL schema link items into the same stories as one process does.

Each replica keeps its own in-memory story index; before linking a poll it reads the fingerprints
stored since its last read, by itself or the other. The golden corpus's outlets are split
between the replicas and polled in turns (so each index must pick up what the other stored after
it was loaded); the stories found must be those of tests/data/golden/expected.json.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import create_engine, select

from bot.app import App, build_app
from bot.config import Settings
from bot.ingest.fetch import HttpFetcher
from bot.ingest.limits import HttpLimits
from bot.store.migrate import migrate
from bot.store.schema import items
from bot.store.sql import SqlStore
from tests.fakes import FakeClock, RecordingSender
from tests.ingest.feedserver import FeedServer
from tests.test_poll_golden import CORPUS, GOLDEN, rss


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as s:
        yield s


def replica(pg_url: str, urls: list[str], names: list[str], clock: FakeClock, me: str) -> App:
    settings = Settings.model_validate(
        {
            "storage": {"url": pg_url},
            "seeds": {"enabled": False},
            "cluster": {"replica_id": me},
            "feeds": [
                {"url": u, "name": n, "interval": "1m"} for u, n in zip(urls, names, strict=True)
            ],
            "channels": [{"name": "desk", "platform": "console", "alert_threshold": 0.6}],
        }
    )
    app = build_app(
        settings,
        store=SqlStore(pg_url),
        fetcher=HttpFetcher(HttpLimits(total_timeout_s=5, allow_private_networks=True)),
        clock=clock,
        senders={"console": RecordingSender()},
    )
    app.sync_config()
    return app


def partition(pg_url: str) -> set[frozenset[str]]:
    """The stored stories, each as the set of its items' guids."""
    engine = create_engine(pg_url)
    with engine.connect() as conn:
        stored = list(conn.execute(select(items.c.id, items.c.guid, items.c.story_id)))
    engine.dispose()
    stories: dict[int, set[str]] = {}
    for row in stored:
        stories.setdefault(row.story_id, set()).add(row.guid.rsplit("/", 1)[-1])
    return {frozenset(members) for members in stories.values()}


async def test_replicas_agree_on_story_membership(pg_url: str, server: FeedServer) -> None:
    migrate(pg_url)
    names = list(CORPUS["cycles"][0])
    urls = [server.serve(f"/{n}.xml", rss(CORPUS["cycles"][0][n])) for n in names]
    clock = FakeClock()
    first, second = (replica(pg_url, urls, names, clock, me) for me in ("r1", "r2"))
    ids = {f.name: f.id for f in first.store.list_feeds()}
    turns = {"r1": ["wire", "daily"], "r2": ["review", "monde"]}
    # Round one: r1 then r2 (whose index loads what r1 stored); round two: r2 then r1 (whose
    # index, loaded in round one, must catch up with all r2 stored since).
    for app, me in ((first, "r1"), (second, "r2")):
        await app.poll(feed_ids=[ids[n] for n in turns[me]])
    clock.advance(minutes=30)
    for name in names:
        seen = [e for c in CORPUS["cycles"] for e in c[name]]
        server.serve(f"/{name}.xml", rss(seen))
    for app, me in ((second, "r2"), (first, "r1")):
        await app.poll(feed_ids=[ids[n] for n in turns[me]])
    for app in (first, second):
        await app.aclose()
    expected = json.loads((GOLDEN / "expected.json").read_text(encoding="utf-8"))
    assert partition(pg_url) == {frozenset(m) for m in expected["stories"].values()}
