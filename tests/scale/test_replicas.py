"""Three `watchbot run` replicas on one PostgreSQL schema, 300 local feeds, one killed midway.

The feeds are primed (first run: stored, silent), then one feed in five gains a story, twice;
half of those stories are on topic and alert the console channel. Between the two rounds the leader (the replica that
sends) is killed with SIGKILL. Afterwards:

- every feed was polled on schedule, and never twice for one due time (each poll of a feed is at
  least half an interval after the one before, and none waits much longer than an interval,
  bar the dead replica's feeds, which wait for their lease to lapse);
- every story is stored once;
- every alert was sent once: all deliveries are sent, and each alert appears once across the
  replicas' console outputs.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import signal
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from bot.store.migrate import migrate
from tests.ingest.feedserver import FeedServer, Recorded
from tests.test_run_daemon import free_port

FEEDS = 300
INTERVAL_S = 3.0
TICK_S = 0.5
LEASE_TTL_S = 10.0
GROWING_EVERY = 5  # feeds that gain a story each round
ON_TOPIC_EVERY = 10  # feeds whose new stories are on topic
ROUNDS = 2
pytestmark = [
    pytest.mark.timeout(240),  # ~60 s alone; more on a machine busy with other suites
    pytest.mark.serial,  # it times the gaps between polls: it runs after the parallel part
]


class TimedRequests(list[tuple[float, Recorded]]):
    """The feed server's request log, each request with the time it arrived."""

    def append(self, item: object) -> None:  # type: ignore[override]
        super().append((time.monotonic(), item))  # type: ignore[arg-type]


def story(feed: int, n: int) -> tuple[str, str, str]:
    """(guid, title, description) of story `n` of a feed; unique words keep stories apart."""
    token = f"f{feed}s{n}"
    guid = f"urn:scale:{token}"
    if n >= 1 and feed % ON_TOPIC_EVERY == 0:
        return (
            guid,
            f"Starmer says British troops could deploy to Ukraine ({token})",
            "The prime minister said UK soldiers would join a European reassurance force in "
            f"Ukraine after a ceasefire. Reference {token}.",
        )
    return (
        guid,
        f"Grain exports from Odesa rise, report {token}",
        f"Shipments through the Black Sea corridor increased, port data {token} show.",
    )


def stories_after(feed: int, rounds: int) -> list[int]:
    """The stories a feed shows after `rounds` rounds: its first, plus one a round if it grows."""
    return [0, *(range(1, rounds + 1) if feed % GROWING_EVERY == 0 else ())]


def document(feed: int, rounds: int) -> bytes:
    """RSS with the feed's stories after `rounds` rounds.

    Publication dates of on-topic stories lie more than a week apart, so that story clustering
    does not take them for one event reported by several outlets (which would alert once).
    """
    base = datetime(2025, 3, 1, tzinfo=UTC)
    items = []
    for n in stories_after(feed, rounds):
        guid, title, description = story(feed, n)
        slug = guid.rsplit(":", 1)[1]
        when = base - timedelta(days=8 * (feed // ON_TOPIC_EVERY + 40 * n))
        items.append(
            f"<item><guid>{guid}</guid><link>https://outlet{feed}.example/{slug}</link>"
            f"<title>{title}</title><description>{description}</description>"
            f"<pubDate>{format_datetime(when)}</pubDate></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Outlet {feed}</title><link>https://outlet{feed}.example/</link>"
        f"{''.join(items)}</channel></rss>"
    ).encode()


def publish(server: FeedServer, rounds: int) -> None:
    for i in range(FEEDS):
        server.serve(f"/f/{i}.xml", document(i, rounds), etag=f'"v{rounds}"')


def stored_after(rounds: int) -> int:
    return sum(len(stories_after(i, rounds)) for i in range(FEEDS))


def write_config(folder: Path, db_url: str, server: FeedServer) -> Path:
    feeds = "".join(
        f'[[feeds]]\nname = "outlet {i}"\nurl = "{server.url(f"/f/{i}.xml")}"\n'
        f'interval = "{INTERVAL_S:g}s"\n'
        for i in range(FEEDS)
    )
    path = folder / "watchbot.toml"
    path.write_text(
        f"""
[storage]
url = "{db_url}"
[http]
allow_private_networks = true
timeout = "5s"
[polling]
min_interval = "1s"
tick = "{TICK_S:g}s"
[cluster]
lease_ttl = "{LEASE_TTL_S:g}s"
leader_check = "1s"
[classifier]
model = "rules"
[seeds]
enabled = false
[delivery]
flush_interval = "1s"
{feeds}
[[channels]]
name = "desk"
platform = "console"
alert_threshold = 0.6
digest = {{ cron = "0 3 1 1 *" }}
""",
        encoding="utf-8",
    )
    return path


class Replica:
    """One `watchbot run` process with its own id, port and output files."""

    def __init__(self, folder: Path, config: Path, n: int) -> None:
        self.name = f"replica-{n}"
        self.out = folder / f"{self.name}.out"
        self.err = folder / f"{self.name}.err"
        self.config = config
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "DISCORD_TOKEN")
        }
        env |= {"WATCHBOT_REPLICA_ID": self.name, "WATCHBOT_HTTP_PORT": str(free_port())}
        with self.out.open("wb") as out, self.err.open("wb") as err:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", "-c", str(self.config),
                stdout=out, stderr=err, env=env, cwd=self.config.parent,
            )  # fmt: skip

    def leads(self) -> bool:
        return "leader.elected" in self.err.read_text()

    async def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.send_signal(sig)
        return await asyncio.wait_for(self.proc.wait(), 30)


class Database:
    """Read-only looks at the shared database, off the event loop (the feed server runs on it)."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url, poolclass=NullPool)

    def _scalar(self, sql: str) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(text(sql)).scalar() or 0)

    async def count(self, sql: str) -> int:
        return await asyncio.to_thread(self._scalar, sql)

    async def rows(self, sql: str) -> list[tuple[object, ...]]:
        def run() -> list[tuple[object, ...]]:
            with self.engine.connect() as conn:
                return [tuple(r) for r in conn.execute(text(sql))]

        return await asyncio.to_thread(run)


async def until(
    what: str,
    check: Callable[[], object],
    within: float,
    replicas: list[Replica],
    state: dict[str, str] | None = None,
) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await check():  # type: ignore[misc]
            return
        await asyncio.sleep(0.25)
    logs = "\n".join(f"--- {r.name}\n{r.err.read_text()[-2000:]}" for r in replicas)
    seen = (state or {}).get("last", "")
    raise AssertionError(f"timed out waiting for {what} ({seen})\n{logs}")


async def test_three_replicas_share_feeds_and_send_each_alert_once(
    tmp_path: Path, pg_url: str
) -> None:
    migrate(pg_url)  # before the replicas, so that the checks below have tables to read
    db = Database(pg_url)
    async with FeedServer() as server:
        server.requests = TimedRequests()  # type: ignore[assignment]
        publish(server, 0)
        config = write_config(tmp_path, pg_url, server)
        replicas = [Replica(tmp_path, config, n) for n in range(3)]
        try:
            for r in replicas:
                await r.start()

            state: dict[str, str] = {}

            async def settled(items: int) -> bool:
                stored = await db.count("SELECT count(*) FROM items")
                pending = await db.count("SELECT count(*) FROM deliveries WHERE status <> 'sent'")
                state["last"] = f"{stored} items stored, {pending} deliveries unsent"
                return stored == items and pending == 0

            started = time.monotonic()
            await until("priming", lambda: settled(stored_after(0)), 120, replicas, state)
            primed_at = time.monotonic()
            print(f"priming: {primed_at - started:.1f} s")
            publish(server, 1)
            await until("round one", lambda: settled(stored_after(1)), 60, replicas, state)
            await until("a leader", lambda: _true(any(r.leads() for r in replicas)), 10, replicas)
            leader = next(r for r in replicas if r.leads())
            assert await leader.stop(signal.SIGKILL) == -signal.SIGKILL
            killed_at = time.monotonic()
            publish(server, 2)
            await until("round two", lambda: settled(stored_after(2)), 60, replicas, state)
            await asyncio.sleep(LEASE_TTL_S + INTERVAL_S)  # the dead one's feeds: polled again
            for r in replicas:
                if r is not leader:
                    assert await r.stop() == 0, r.err.read_text()[-3000:]
        finally:
            for r in replicas:
                if r.proc is not None and r.proc.returncode is None:
                    r.proc.kill()
                    await r.proc.wait()
        requests: list[tuple[float, Recorded]] = list(server.requests)  # type: ignore[arg-type]

    # Every story stored once (the unique key would refuse a second copy: count them all).
    guids = await db.rows("SELECT guid FROM items")
    assert sorted(g for (g,) in guids) == sorted(
        story(i, n)[0] for i in range(FEEDS) for n in stories_after(i, ROUNDS)
    )
    # Every alert recorded once and sent, and printed once across the replicas.
    on_topic = [
        story(i, n)[0].rsplit(":", 1)[1]
        for i in range(0, FEEDS, ON_TOPIC_EVERY)
        for n in range(1, ROUNDS + 1)
    ]
    alerts = await db.rows("SELECT status, item_ids FROM deliveries WHERE kind = 'alert'")
    alerted = {int(str(ids).strip("[]")) for _, ids in alerts}
    unalerted = [
        (guid, silent)
        for item_id, guid, silent in await db.rows("SELECT id, guid, silent FROM items")
        if str(guid).rsplit(":", 1)[1] in on_topic and item_id not in alerted
    ]
    assert unalerted == []  # (guid, stored silently): a poll that thought the feed unprimed
    assert [status for status, _ in alerts] == ["sent"] * len(on_topic)
    printed = Counter(
        m.group(1)
        for r in replicas
        for m in re.finditer(r"🔔 Alert.*\n\[Starmer says .*\((f\d+s\d+)\)\]", r.out.read_text())
    )
    assert printed == Counter(on_topic)
    # Every feed polled on schedule, by one replica at a time.
    times: dict[str, list[float]] = defaultdict(list)
    for at, rec in requests:
        times[rec.path].append(at)
    assert len(times) == FEEDS
    # Jitter, the tick, and slack for a busy machine: a round's new stories keep a replica's
    # event loop busy for seconds. A lapsed lease would show as a gap of the lease's time more.
    late = INTERVAL_S * 1.1 + TICK_S + 6.0
    assert late < INTERVAL_S + LEASE_TTL_S
    steady: list[float] = []
    for path, seen in times.items():
        gaps = [(b - a, a) for a, b in itertools.pairwise(seen)]
        # Polls keep their cadence (a late one is followed by an on-time one), never sooner
        # than half an interval apart: two replicas never poll a feed for one due time.
        assert all(gap > INTERVAL_S * 0.5 for gap, _ in gaps), (path, gaps)
        for gap, start in gaps:
            if start < primed_at:
                continue  # the cold start is as slow as first polls are; schedules start after
            allowed = late + (LEASE_TTL_S if start <= killed_at <= start + gap else 0)
            assert gap < allowed, (path, gap, allowed)
            steady.append(gap)
    print(
        f"{len(requests)} polls; after priming, gaps between polls of a feed: "
        f"median {sorted(steady)[len(steady) // 2]:.2f} s, longest {max(steady):.2f} s"
    )
    db.engine.dispose()


async def _true(value: bool) -> bool:
    return value
