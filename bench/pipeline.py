"""Throughput of the real poller against a local feed server, compared with bare feedparser.

    python bench/pipeline.py [--feeds 1000] [--entries 50] [--parse-workers N] [--classifier auto]
                             [--no-stories]

One cold cycle (every entry new: fetch, parse, classify, store) and one warm cycle (every feed
answers 304) through `build_app` with SqlStore on a temporary SQLite file and the real HttpFetcher;
then the same bytes through bare `feedparser.parse` in one process. Prints the figures, then one
JSON line. Nothing is asserted: the figures are tracked over time, the targets live in
docs/performance.md.

`--no-stories` hides the store's story and statement tables from `build_app`, so the poll runs
without the analysis step (story clustering, follow-ups, statements): what the pipeline costs
without it. The generated feeds are a handful of templates, so with stories on, every on-topic
entry joins one of a few stories thousands of items long (see docs/performance.md).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import logging
import os
import tempfile
import time
from pathlib import Path

import feedgen
import feedparser
from _support import REPO, FeedServerProcess, RssSampler, SteppingClock

from bot.app import build_app
from bot.chat.console import ConsoleSender
from bot.config import Settings
from bot.core.models import TOPICS, Classification
from bot.core.ports import AnalysisStore
from bot.store.sql import SqlStore


class NullClassifier:
    """Scores nothing: shows what the pipeline costs without classification."""

    version = "null"

    def classify(self, title: str, text: str) -> Classification:
        return self.classify_many([(title, text)])[0]

    def classify_many(self, docs: object) -> list[Classification]:
        empty = Classification(
            scores=dict.fromkeys(TOPICS, 0.0),
            labels=dict.fromkeys(TOPICS, False),
            why={t: [] for t in TOPICS},
            model_version=self.version,
        )
        return [empty for _ in docs]  # type: ignore[attr-defined]


class WithoutStories:
    """The store without its AnalysisStore side: `build_app` then wires no analysis step."""

    _hidden = frozenset(name for name in dir(AnalysisStore) if not name.startswith("_"))

    def __init__(self, store: SqlStore) -> None:
        self._store = store

    def __getattr__(self, name: str) -> object:
        if name in self._hidden:
            raise AttributeError(name)
        return getattr(self._store, name)


def settings_for(db: Path, urls: list[str], args: argparse.Namespace) -> Settings:
    return Settings.model_validate(
        {
            "storage": {"url": f"sqlite:///{db}"},
            "http": {"allow_private_networks": True, "concurrency": args.concurrency},
            "polling": {"parse_workers": args.parse_workers, "default_interval": "15m"},
            "classifier": {"model": args.classifier if args.classifier != "null" else "rules"},
            "seeds": {"enabled": False},
            "feeds": [{"url": u, "name": f"outlet {i}"} for i, u in enumerate(urls)],
            "channels": [{"name": "desk", "platform": "console", "alert_threshold": 0.6}],
        }
    )


async def run_cycles(args: argparse.Namespace, server: FeedServerProcess, db: Path) -> dict:
    urls = [server.url(i) for i in range(args.feeds)]
    clock = SteppingClock()
    settings = settings_for(db, urls, args)
    started = time.perf_counter()
    store = SqlStore(settings.storage.url)
    app = build_app(
        settings,
        store=WithoutStories(store) if args.no_stories else store,  # type: ignore[arg-type]
        clock=clock,
        classifier=NullClassifier() if args.classifier == "null" else None,
        senders={"console": ConsoleSender(io.StringIO())},
    )
    app.sync_config()
    load_s = time.perf_counter() - started
    with RssSampler(exclude=[server.process.pid or 0]) as rss:
        t0 = time.perf_counter()
        cold = await app.poll()
        cold_s = time.perf_counter() - t0
        clock.advance(hours=2)  # every feed is due again
        t0 = time.perf_counter()
        warm = await app.poll()
        warm_s = time.perf_counter() - t0
    stats = app.store.stats()
    await app.aclose()
    return {
        "load_s": load_s,
        "cold_s": cold_s,
        "warm_s": warm_s,
        "cold_feeds": len(cold.results),
        "cold_failures": len(cold.failures),
        "cold_items": cold.new_items,
        "warm_not_modified": sum(r.not_modified for r in warm.results),
        "warm_failures": len(warm.failures),
        "stored_items": stats.items,
        "peak_rss_mb": rss.peak_mb,
    }


def bare_feedparser(docs: list[bytes]) -> float:
    start = time.perf_counter()
    for body in docs:
        feedparser.parse(io.BytesIO(body))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--entries", type=int, default=50)
    parser.add_argument(
        "--parse-workers", type=int, default=None, help="default: the shipped configuration's"
    )
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--classifier", default="auto", help='"auto" (as configured), "rules", "null" or a path'
    )
    parser.add_argument(
        "--no-stories", action="store_true", help="poll without the analysis step (stories)"
    )
    args = parser.parse_args()
    if args.parse_workers is None:
        from bot.config import load_settings

        args.parse_workers = load_settings(REPO / "config" / "watchbot.toml").polling.parse_workers
    logging.disable(logging.INFO)
    server = FeedServerProcess(args.feeds, args.entries)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            figures = asyncio.run(run_cycles(args, server, Path(tmp) / "bench.db"))
    finally:
        server.close()
    docs = feedgen.generate(args.feeds, args.entries)
    total_bytes = sum(len(d) for d in docs)
    bare_s = bare_feedparser(docs)
    items = figures["cold_items"]
    result = {
        "feeds": args.feeds,
        "entries": args.entries,
        "parse_workers": args.parse_workers,
        "classifier": args.classifier,
        "stories": not args.no_stories,
        "cpus": os.cpu_count(),
        "load_1m": round(os.getloadavg()[0], 2),
        "mb": round(total_bytes / 1e6, 1),
        "cold_seconds": round(figures["cold_s"], 2),
        "cold_items_per_s": round(items / figures["cold_s"], 1),
        "cold_feeds_per_s": round(figures["cold_feeds"] / figures["cold_s"], 1),
        "warm_seconds": round(figures["warm_s"], 3),
        "warm_feeds_per_s": round(figures["cold_feeds"] / figures["warm_s"], 1),
        "peak_rss_mb": round(figures["peak_rss_mb"], 1),
        "feedparser_seconds": round(bare_s, 2),
        "ratio_to_feedparser": round(figures["cold_s"] / bare_s, 2),
        "stored_items": figures["stored_items"],
        "failures": figures["cold_failures"] + figures["warm_failures"],
        "load_s": round(figures["load_s"], 2),
    }
    print(
        f"{args.feeds} feeds x {args.entries} entries ({result['mb']} MB), "
        f"parse_workers={args.parse_workers}, classifier={args.classifier}, "
        f"stories={'off' if args.no_stories else 'on'}"
    )
    print(
        f"cold cycle:  {result['cold_seconds']:.2f} s  {result['cold_items_per_s']:.0f} items/s  "
        f"{result['cold_feeds_per_s']:.1f} feeds/s  ({items} new items, "
        f"{figures['cold_failures']} failures)"
    )
    print(
        f"warm cycle:  {result['warm_seconds']:.3f} s  {result['warm_feeds_per_s']:.0f} feeds/s  "
        f"({figures['warm_not_modified']} not modified)"
    )
    print(f"bare feedparser, one process: {bare_s:.2f} s  -> ratio {result['ratio_to_feedparser']}")
    print(f"peak RSS (with worker processes): {result['peak_rss_mb']:.0f} MB")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
