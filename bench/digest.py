"""Digest benchmark: build and render one channel's digest over 10,000 stored items, per platform.

    python bench/digest.py [--items 10000] [--on-topic 1.0] [--runs 5] [--database-url URL]

Stores `--items` items in a scratch database (a temporary SQLite file, or a schema of its own
in the PostgreSQL database of `--database-url`, dropped afterwards): corpus headlines and ledes,
classified by the configured classifier, from twelve outlets over the last 24 hours, about 40% of
them in stories reported by two to four outlets. `--on-topic` is the share of items the
classifier labels with a topic (1.0: every item is in the digest, the worst case; feeds as
shipped run nearer 0.1).

Then, for each platform (console Markdown, Slack Block Kit, Discord embeds), `--runs` times, the
path the daemon takes when a channel's digest cron fires:

* record   `DigestService.record`: items of the window, their stories, build_digest, and the
           delivery row written with its item ids (what the schedule's digest tick does);
* rebuild  the outbox reads the delivery back and rebuilds the message from its item ids
           (`Dispatcher.message_for` → `digest_from_payload`), as every send and resend does;
* render   the platform's renderer, split into messages within the platform's limits, and
           serialised to the JSON (or text) that would go on the wire.

`collect` (what `watchbot digest --dry-run` does: no write, no rebuild) is timed as well. Prints
the medians, then one JSON line. Nothing is asserted; the target lives in docs/performance.md.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import feedgen
from _support import REPO, machine, median, scratch_database

from bot.analysis.stories import MinHashStoryClusterer
from bot.app import build_app
from bot.chat.console import ConsoleSender
from bot.chat.discord import embeds
from bot.chat.markdown import render as markdown
from bot.chat.slack import blocks
from bot.classify.data import read_corpus
from bot.classify.loader import load_classifier
from bot.config import Settings, load_settings
from bot.core.messages import DigestMessage
from bot.core.models import Candidate, Classification, FeedSpec
from bot.core.normalise import content_hash
from bot.core.ports import FeedOutcome, ItemAnalysis, NewItem

OUTLETS = (
    "Kyiv Independent", "Ukrinform", "Ukrainska Pravda", "Euromaidan Press", "BBC News Europe",
    "The Guardian", "Politico Europe", "Euractiv", "Defense News", "Reuters via Google News",
    "France 24", "Deutsche Welle",
)  # fmt: skip
CHANNELS = {"console": "console:desk", "slack": "slack:C0BENCH", "discord": "discord:4242"}


@dataclass(frozen=True, slots=True)
class Base:
    """A corpus text with its classification: what a generated item says."""

    title: str
    text: str
    classification: Classification
    fingerprint: str


def classified_corpus(model: str) -> tuple[list[Base], list[Base], str]:
    """Corpus items classified by the configured classifier: (on-topic, off-topic, version)."""
    thresholds = load_settings(REPO / "config" / "watchbot.toml").classifier.thresholds
    classifier = load_classifier(model, thresholds)
    corpus = [(i.title, i.text) for i in read_corpus(REPO / "corpus")]
    results: list[Classification] = []
    for start in range(0, len(corpus), 64):
        results += classifier.classify_many(corpus[start : start + 64])
    clusterer = MinHashStoryClusterer()
    on, off = [], []
    for (title, text), c in zip(corpus, results, strict=True):
        base = Base(title, text, c, clusterer.fingerprint(title, text))
        (on if c.matched() else off).append(base)
    return on, off, classifier.version


@dataclass(slots=True)
class Planned:
    feed: int
    guid: str
    candidate: Candidate
    base: Base
    lead: str | None  # the guid of the story's first item, for its later sources


def plan_items(
    count: int, on_topic: float, on: list[Base], off: list[Base], end: datetime
) -> list[Planned]:
    """`count` items over the 24 hours before `end`: events reported by one outlet, or (one in
    five events) by two to four outlets within three hours, each in its own words."""
    rng = random.Random(7)
    planned: list[Planned] = []
    while len(planned) < count:
        base = rng.choice(on if rng.random() < on_topic else off)
        size = 1 if rng.random() < 0.8 else rng.randint(2, 4)
        outlets = rng.sample(range(len(OUTLETS)), k=size)
        first = end - timedelta(minutes=rng.uniform(200, 24 * 60 - 1))
        lead: str | None = None
        for n, outlet in enumerate(outlets[: count - len(planned)]):
            slug = f"{len(planned)}-{rng.getrandbits(32):08x}"
            guid = f"https://outlet{outlet}.example/news/{slug}"
            published = first + timedelta(minutes=rng.uniform(0, 180) if n else 0)
            filler = " ".join(rng.sample(feedgen.FILLER, k=rng.randint(0, 2)))
            summary = f"{base.text} {filler}".strip()
            candidate = Candidate(
                guid=guid,
                url=guid + "?utm_source=rss",
                title=base.title,
                summary=summary,
                published_at=published,
                published_known=True,
                content_hash=content_hash(base.title, summary),
                source=OUTLETS[outlet],
                author=f"Reporter {rng.randint(1, 40)}",
            )
            planned.append(Planned(outlet, guid, candidate, base, lead))
            lead = lead or guid
    return planned


def store_items(app: Any, planned: list[Planned], feed_ids: list[int]) -> dict[str, int]:
    """Write the items as polls would (one transaction per outlet and hour, first seen a few
    minutes after publication), then their stories; returns guid → item id."""
    polls: dict[tuple[int, datetime], list[Planned]] = {}
    for p in planned:
        hour = p.candidate.published_at.replace(minute=0, second=0, microsecond=0)
        polls.setdefault((p.feed, hour), []).append(p)
    ids: dict[str, int] = {}
    for (feed, hour), batch in sorted(polls.items(), key=lambda kv: kv[0][1]):
        polled = hour + timedelta(minutes=61)
        outcome = FeedOutcome(
            feed_id=feed_ids[feed],
            polled_at=polled,
            next_poll_at=polled + timedelta(minutes=15),
            ok=True,
            primed=True,
        )
        new = [NewItem(feed_ids[feed], p.candidate, p.base.classification, False) for p in batch]
        stored = app.store.apply_poll(outcome, new, [], [[] for _ in batch])
        ids.update(zip((p.guid for p in batch), stored, strict=True))
    by_feed: dict[int, list[ItemAnalysis]] = {}
    for p in planned:
        by_feed.setdefault(feed_ids[p.feed], []).append(
            ItemAnalysis(
                guid=p.guid,
                fingerprint=p.base.fingerprint,
                story_id=ids[p.lead] if p.lead else None,
            )
        )
    now = max(p.candidate.published_at for p in planned) + timedelta(hours=1)
    for feed_id, records in by_feed.items():
        app.analysis.record_analysis(feed_id, records, now)
    return ids


def settings_for(url: str, model: str) -> Settings:
    return Settings.model_validate(
        {
            "storage": {"url": url},
            "classifier": {"model": model},
            "seeds": {"enabled": False},
            "channels": [
                {"name": "desk", "platform": "console", "digest": {"cron": "0 8 * * *"}},
                {"name": "slack-desk", "platform": "slack", "target": "C0BENCH"},
                {"name": "discord-desk", "platform": "discord", "target": "4242"},
            ],
        }
    )


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.moment = now

    def now(self) -> datetime:
        return self.moment


def wire_console(message: DigestMessage) -> int:
    return len(markdown(message).encode())


def wire_slack(message: DigestMessage) -> int:
    return sum(len(json.dumps(post.payload()).encode()) for post in blocks.render(message))


def wire_discord(message: DigestMessage) -> int:
    size = 0
    for part in embeds.render(message):
        body = {"content": part.content, "embeds": [e.to_dict() for e in part.embeds]}
        size += len(json.dumps(body).encode())
    return size


RENDER: dict[str, Callable[[DigestMessage], int]] = {
    "console": wire_console,
    "slack": wire_slack,
    "discord": wire_discord,
}
MESSAGES: dict[str, Callable[[DigestMessage], int]] = {
    "console": lambda m: 1,
    "slack": lambda m: len(blocks.render(m)),
    "discord": lambda m: len(embeds.render(m)),
}


def clocked(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """`fn()`, its wall time and this process's CPU time for it (the database is in-process on
    SQLite, so CPU time is the work itself, whatever else the machine is running)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


STAGES = ("collect", "record", "rebuild", "render")


def time_platform(app: Any, platform: str, runs: int, start: datetime, first_slot: int) -> dict:
    """`runs` digests of one platform's channel: collect, record, rebuild, render (seconds)."""
    ref = CHANNELS[platform]
    channel = app.store.get_channel(ref)
    wall: dict[str, list[float]] = {k: [] for k in STAGES}
    cpu: dict[str, list[float]] = {k: [] for k in STAGES}

    def note(stage: str, fn: Callable[[], Any]) -> Any:
        result, w, c = clocked(fn)
        wall[stage].append(w)
        cpu[stage].append(c)
        return result

    shape: dict[str, int] = {}
    for n in range(runs):
        note("collect", lambda: app.digests.collect(channel, since=start, until=app.clock.now()))
        slot = app.clock.now() + timedelta(minutes=first_slot + n)  # a new dedupe key each run
        delivery_id = note("record", partial(app.digests.record, ref, slot, since=start))

        def rebuild(delivery_id: int = delivery_id) -> DigestMessage:
            due = app.store.due_deliveries(app.clock.now())
            return app.dispatcher.message_for(next(d for d in due if d.id == delivery_id))

        message = note("rebuild", rebuild)
        size = note("render", partial(RENDER[platform], message))
        app.store.mark_sent(delivery_id, app.clock.now(), f"bench-{n}")  # out of the next's way
        shape = {
            "items": message.item_count,
            "lines": sum(len(s.lines) for s in message.sections),
            "messages": MESSAGES[platform](message),
            "bytes": size,
        }

    def medians(times: dict[str, list[float]]) -> dict[str, float]:
        out = {k: median(v) for k, v in times.items()}
        out["daemon"] = median([sum(t) for t in zip(*(times[k] for k in STAGES[1:]), strict=True)])
        out["dry_run"] = median(
            [c + r for c, r in zip(times["collect"], times["render"], strict=True)]
        )
        return out

    return {"seconds": medians(wall), "cpu_seconds": medians(cpu), "runs": wall, **shape}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--on-topic", type=float, default=1.0, help="share of items on a topic")
    parser.add_argument("--runs", type=int, default=5, help="digests per platform")
    parser.add_argument(
        "--database-url", default=None, help="a postgresql:// URL (default: a SQLite temp file)"
    )
    parser.add_argument(
        "--classifier", default="auto", help='"auto" (as shipped), "rules" or a model path'
    )
    args = parser.parse_args()
    logging.disable(logging.INFO)
    load_before = machine()
    t0 = time.perf_counter()
    on, off, version = classified_corpus(args.classifier)
    end = datetime.now(UTC).replace(second=0, microsecond=0)
    planned = plan_items(args.items, args.on_topic, on, off, end)
    with scratch_database(args.database_url) as url:
        clock = FixedClock(end)
        app = build_app(
            settings_for(url, args.classifier),
            clock=clock,
            classifier=load_classifier("rules", {}),  # unused: nothing is polled
            senders={"console": ConsoleSender(io.StringIO())},
        )
        try:
            app.sync_config()
            specs = [
                FeedSpec(url=f"https://outlet{i}.example/feed", name=o)
                for i, o in enumerate(OUTLETS)
            ]
            feeds = {f.url: f.id for f in app.store.sync_feeds(specs, end - timedelta(days=1))}
            feed_ids = [feeds[s.url] for s in specs]
            store_items(app, planned, feed_ids)
            clock.moment = end + timedelta(hours=1)  # every item is in the window
            gc.freeze()  # as `watchbot run` does once started (bot/__main__.py)
            setup_s = time.perf_counter() - t0
            start = end - timedelta(hours=24)
            figures = {
                p: time_platform(app, p, args.runs, start, 10 * i)
                for i, p in enumerate(("console", "slack", "discord"))
            }
            stored = app.store.stats().items
        finally:
            import asyncio

            asyncio.run(app.aclose())
    backend = "postgresql" if args.database_url else "sqlite"
    stories = len({p.lead or p.guid for p in planned})
    print(
        f"{stored} items stored ({backend}, classifier {version}, on-topic share {args.on_topic}, "
        f"{stories} stories), setup {setup_s:.1f} s, load {load_before['load_1m']}"
    )
    header = f"{'platform':9} {'items':>6} {'lines':>6} {'msgs':>5} {'KB':>6}  " + " ".join(
        f"{k:>8}" for k in (*STAGES, "daemon", "dry_run")
    )
    for label, key in (("wall", "seconds"), ("CPU", "cpu_seconds")):
        print(f"{label} seconds, median of {args.runs}:")
        print(header)
        for p, f in figures.items():
            s = f[key]
            print(
                f"{p:9} {f['items']:6d} {f['lines']:6d} {f['messages']:5d} {f['bytes'] / 1e3:6.0f}  "
                + " ".join(f"{s[k]:8.3f}" for k in (*STAGES, "daemon", "dry_run"))
            )
    print("daemon = record + rebuild + render (a digest cron firing); dry_run = collect + render")
    result = {
        "backend": backend,
        "items": stored,
        "on_topic": args.on_topic,
        "classifier": version,
        "runs": args.runs,
        **{
            f"load_1m_{k}": v
            for k, v in (("before", load_before["load_1m"]), ("after", machine()["load_1m"]))
        },
        "cpus": load_before["cpus"],
        "platforms": {
            p: {
                "items": f["items"],
                "lines": f["lines"],
                "messages": f["messages"],
                "bytes": f["bytes"],
                **{k: round(v, 3) for k, v in f["seconds"].items()},
                "cpu": {k: round(v, 3) for k, v in f["cpu_seconds"].items()},
            }
            for p, f in figures.items()
        },
        "daemon_seconds_max_platform": round(
            max(f["seconds"]["daemon"] for f in figures.values()), 3
        ),
        "dry_run_seconds_max_platform": round(
            max(f["seconds"]["dry_run"] for f in figures.values()), 3
        ),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
