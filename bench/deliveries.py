"""Delivery lookup benchmark: `why ITEM` and a Discord 👍 on an alert, over 100,000 deliveries.

    python bench/deliveries.py [--deliveries 100000] [--calls 200] [--database-url URL]

Builds a scratch database (a temporary SQLite file, or a schema of its own in the PostgreSQL
database of `--database-url`, dropped afterwards) holding an outbox the size of a few years of
three channels (Slack, Discord, console): `--deliveries` rows, 85% alerts and 12% follow-ups (one
item each, written with their items the way polls write them), 3% digests, each listing the ~70
items of its window (half of them never alerted: below the alert threshold). Every alert and
follow-up is sent. Item ids run into the tens of thousands, so short ids are prefixes and
substrings of longer ones.

The bot's process is in the database's on SQLite, so CPU time is the lookup's own cost whatever
else the machine runs; wall time is printed too (and is what counts on PostgreSQL, which works
in its own process).

Then, over `--calls` different items, the median of:

* lookup    `Store.deliveries_for_item`, which both paths below go through;
* why       what `watchbot why ITEM` runs: the channels, then `explain_item` (bot/__main__.py);
* reaction  what the Discord adapter runs when a 👍 arrives on an alert (bot/chat/discord/
            reactions.py), once it has read the item from the message: the core's
            `FeedbackDesk.record_on_alert`, which checks the alert and stores the verdict.

Prints the figures, then one JSON line. `found` (deliveries found over all calls) and
`checksum` must not change between versions of the lookup: the same data gives the same answer.
Nothing is asserted; the figures live in docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import json
import logging
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from _support import machine, median, scratch_database
from sqlalchemy import Text, cast, literal, text, update

from bot.app import build_app
from bot.chat.console import ConsoleSender
from bot.classify.loader import load_classifier
from bot.config import Settings
from bot.core.explain import explain_item
from bot.core.feedback import FeedbackDesk
from bot.core.models import Candidate, Classification, Feedback, FeedSpec, PendingDelivery
from bot.core.normalise import content_hash
from bot.core.ports import FeedOutcome, NewItem
from bot.store.engine import make_engine
from bot.store.schema import deliveries

Kind = Literal["alert", "followup"]
CHANNELS = ("slack:C0BENCH", "discord:4242", "console:desk")
DISCORD = "discord:4242"
ALERTS, FOLLOWUPS = 0.85, 0.12  # the rest are digests
FEEDS = 12
BATCH = 500  # items per stored poll
DAYS = 1_000
TOPICS: dict[str, object] = {"topics": ["guarantees"]}


def settings_for(url: str) -> Settings:
    return Settings.model_validate(
        {
            "storage": {"url": url},
            "classifier": {"model": "rules"},
            "seeds": {"enabled": False},
            "channels": [
                {"name": "slack-desk", "platform": "slack", "target": "C0BENCH"},
                {"name": "discord-desk", "platform": "discord", "target": "4242"},
                {"name": "desk", "platform": "console"},
            ],
        }
    )


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.moment = now

    def now(self) -> datetime:
        return self.moment


def classification(rng: random.Random) -> Classification:
    g, t = round(rng.uniform(0.5, 1.0), 2), round(rng.uniform(0.0, 1.0), 2)
    return Classification(
        scores={"guarantees": g, "troops": t},
        labels={"guarantees": True, "troops": t >= 0.5},
        why={"guarantees": ["names a security guarantee"], "troops": ["mentions troops"]},
        model_version="bench",
    )


def plan(count: int, rng: random.Random) -> tuple[int, list[list[tuple[str, Kind]]], int]:
    """How many items, each item's single-item deliveries [(channel, kind)], how many digests.

    As many items again as are alerted go only to digests (below the alert threshold). Alerts
    and follow-ups take (item, channel) pairs of the others at random, at most one per pair, as
    the pipeline routes them: about 2.4 per alerted item over the three channels."""
    alerts = round(count * ALERTS)
    followups = round(count * FOLLOWUPS)
    digests = count - alerts - followups
    alerted = -(-(alerts + followups) * 10 // (len(CHANNELS) * 9))  # 90% of the pairs used
    items = 2 * alerted
    chosen = sorted(rng.sample(range(items), alerted))
    pairs = [(i, c) for i in chosen for c in CHANNELS]
    rng.shuffle(pairs)
    per_item: list[list[tuple[str, Kind]]] = [[] for _ in range(items)]
    for n, (i, c) in enumerate(pairs[: alerts + followups]):
        per_item[i].append((c, "alert" if n < alerts else "followup"))
    return items, per_item, digests


def store_items(
    app: Any, per_item: list[list[tuple[str, Kind]]], feed_ids: list[int], start: datetime
) -> list[int]:
    """Write the items with their alerts and follow-ups as polls do (BATCH per poll); returns
    the item ids in order."""
    rng = random.Random(11)
    ids: list[int] = []
    step = timedelta(days=DAYS) / max(1, len(per_item))
    for first in range(0, len(per_item), BATCH):
        feed = feed_ids[(first // BATCH) % len(feed_ids)]
        batch = range(first, min(first + BATCH, len(per_item)))
        polled = start + step * batch[-1] + timedelta(minutes=5)
        new, pending = [], []
        for n in batch:
            guid = f"https://outlet{feed}.example/news/{n}"
            title = f"Security guarantees for Ukraine, report {n}"
            summary = f"Ministers discussed reassurance forces and guarantees ({n})."
            new.append(
                NewItem(
                    feed,
                    Candidate(
                        guid=guid,
                        url=guid,
                        title=title,
                        summary=summary,
                        published_at=start + step * n,
                        published_known=True,
                        content_hash=content_hash(title, summary),
                        source=f"Outlet {feed}",
                    ),
                    classification(rng),
                    False,
                )
            )
            pending.append(
                [
                    PendingDelivery(c, kind, f"{kind}:{c}:{{item_id}}", payload=TOPICS)
                    for c, kind in per_item[n]
                ]
            )
        outcome = FeedOutcome(feed, polled, polled + timedelta(minutes=15), ok=True, primed=True)
        ids += app.store.apply_poll(outcome, new, [], pending)
    return ids


def store_digests(app: Any, ids: list[int], count: int, start: datetime) -> None:
    """`count` digests over the channels in turn; each channel's digests split the items into
    consecutive windows (about 70 items each at 100,000 deliveries), every item in one of them."""
    per_channel = -(-count // len(CHANNELS))
    pending = []
    for n in range(count):
        channel, k = CHANNELS[n % len(CHANNELS)], n // len(CHANNELS)
        listed = ids[k * len(ids) // per_channel : (k + 1) * len(ids) // per_channel]
        day = start + timedelta(days=DAYS) * (k + 1) / per_channel
        pending.append(
            PendingDelivery(
                channel,
                "digest",
                f"digest:{channel}:{day:%Y-%m-%dT%H:%M:%S}",
                item_ids=tuple(listed),
                payload={"window_end": day.isoformat(), "title": "Daily digest"},
            )
        )
    for at in range(0, len(pending), 1_000):
        app.store.record_deliveries(pending[at : at + 1_000], start + timedelta(days=DAYS))


def mark_sent(app: Any, url: str, now: datetime, wanted: set[int]) -> dict[int, str]:
    """Mark every alert and follow-up sent with a message id, in one statement (the outbox would
    take one transaction each); returns the Discord alert's message id of each item in `wanted`."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                update(deliveries)
                .where(deliveries.c.kind.in_(("alert", "followup")))
                .values(
                    status="sent",
                    attempts=1,
                    sent_at=now,
                    updated_at=now,
                    # A snowflake-like message id, unique per delivery.
                    external_id=literal("1200000").concat(cast(deliveries.c.id, Text)),
                )
            )
            # PostgreSQL's autovacuum analyses a table after such a load; the bot never runs
            # ANALYZE on SQLite, so neither does this.
            if engine.dialect.name == "postgresql":
                conn.execute(text("ANALYZE deliveries"))
    finally:
        engine.dispose()
    messages: dict[int, str] = {}
    for item_id in wanted:
        for d in app.store.deliveries_for_item(item_id):
            if d.kind == "alert" and d.channel_ref == DISCORD:
                messages[item_id] = str(d.external_id)
    return messages


def clocked(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deliveries", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=200, help="items looked up (median over)")
    parser.add_argument(
        "--database-url", default=None, help="a postgresql:// URL (default: a SQLite temp file)"
    )
    args = parser.parse_args()
    logging.disable(logging.INFO)
    load_before = machine()
    rng = random.Random(7)
    items, per_item, digests = plan(args.deliveries, rng)
    now = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    start = now - timedelta(days=DAYS)
    with scratch_database(args.database_url) as url:
        clock = FixedClock(now)
        app = build_app(
            settings_for(url),
            clock=clock,
            classifier=load_classifier("rules", {}),  # unused: nothing is polled
            senders={"console": ConsoleSender(io.StringIO())},
        )
        try:
            t0 = time.perf_counter()
            app.sync_config()
            specs = [
                FeedSpec(url=f"https://outlet{i}.example/feed", name=f"Outlet {i}")
                for i in range(FEEDS)
            ]
            feed_ids = [f.id for f in app.store.sync_feeds(specs, start)]
            ids = store_items(app, per_item, feed_ids, start)
            store_digests(app, ids, digests, start)
            # Items with a Discord alert, spread over the whole range of ids (short and long).
            with_alert = [ids[i] for i, ds in enumerate(per_item) if (DISCORD, "alert") in ds]
            sample = sorted(random.Random(5).sample(with_alert, min(args.calls, len(with_alert))))
            messages = mark_sent(app, url, now, set(sample))
            setup_s = time.perf_counter() - t0
            desk = FeedbackDesk(app.store, app.clock)
            figures: dict[str, dict[str, list[float]]] = {
                k: {"wall": [], "cpu": []} for k in ("lookup", "why", "reaction")
            }
            found = 0
            digest = hashlib.sha256()
            accepted = 0

            def note(stage: str, fn: Callable[[], Any]) -> Any:
                result, wall, cpu = clocked(fn)
                figures[stage]["wall"].append(wall)
                figures[stage]["cpu"].append(cpu)
                return result

            for item_id in sample:
                got = note("lookup", lambda i=item_id: app.store.deliveries_for_item(i))
                found += len(got)
                digest.update(f"{item_id}:{[d.id for d in got]};".encode())
                note(
                    "why",
                    lambda i=item_id: explain_item(app.store, i, app.store.list_channels()),
                )
                feedback = Feedback(item_id, "good", "4242", DISCORD)
                accepted += note(
                    "reaction", lambda f=feedback, i=item_id: desk.record_on_alert(f, messages[i])
                )
            if accepted != len(sample):
                raise SystemExit(f"only {accepted} of {len(sample)} reactions were accepted")
        finally:
            asyncio.run(app.aclose())
    backend = "postgresql" if args.database_url else "sqlite"
    medians = {
        k: {"ms": round(median(v["wall"]) * 1e3, 3), "cpu_ms": round(median(v["cpu"]) * 1e3, 3)}
        for k, v in figures.items()
    }
    print(
        f"{args.deliveries} deliveries "
        f"({backend}: {round(args.deliveries * ALERTS)} alerts, "
        f"{round(args.deliveries * FOLLOWUPS)} follow-ups, {digests} digests) over {items} items; "
        f"setup {setup_s:.1f} s, load {load_before['load_1m']}"
    )
    print(f"median of {len(sample)} items, ms:   wall      CPU")
    for k, v in medians.items():
        print(f"  {k:9}                {v['ms']:8.3f} {v['cpu_ms']:8.3f}")
    print(
        f"{found} deliveries found for the {len(sample)} items (checksum {digest.hexdigest()[:12]})"
    )
    result = {
        "backend": backend,
        "deliveries": args.deliveries,
        "items": items,
        "digests": digests,
        "calls": len(sample),
        **{f"{k}_ms": v["ms"] for k, v in medians.items()},
        **{f"{k}_cpu_ms": v["cpu_ms"] for k, v in medians.items()},
        "found": found,
        "checksum": digest.hexdigest()[:12],
        "load_1m_before": load_before["load_1m"],
        "load_1m_after": machine()["load_1m"],
        "cpus": load_before["cpus"],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
