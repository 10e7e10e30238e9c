"""Throughput of the real poller against a local feed server, compared with bare feedparser.

    python bench/pipeline.py [--feeds 200] [--entries 50] [--worst-case] [--scaling 50,200,1000]
                             [--classifier auto] [--no-stories] [--parse-workers N]

By default the feeds are realistic (bench/storygen.py: many events, each reported by 1–30
outlets in their own words, a fifth on topic) and the app runs as shipped: stories on, the
configured classifier. One cold cycle (every entry new: fetch, parse, classify, store) and one warm cycle (every feed
answers 304) through `build_app` with SqlStore on a temporary SQLite file and the real HttpFetcher;
then the same bytes through bare `feedparser.parse` in a fresh interpreter. Prints the figures, then one
JSON line. Nothing is asserted: the figures are tracked over time, the targets live in
docs/performance.md.

`--worst-case` serves feedgen's handful of templates instead: every on-topic entry then joins one
of a few stories thousands of items long. `--scaling 50,200,1000` measures each size in turn
(items/s should not fall as the window fills: the cost is linear). Diagnostics: `--no-stories`
hides the store's story and statement tables from `build_app` (no analysis step), `--classifier
null` scores nothing; together they show what stories and the classifier cost.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import io
import json
import logging
import os
import tempfile
import time
from pathlib import Path

from _support import (
    REPO,
    FeedServerProcess,
    RssSampler,
    SteppingClock,
    bare_feedparser,
    generated,
)

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
    gc.freeze()  # as `watchbot run` does once started (bot/__main__.py): start-up is long-lived
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


def measure(args: argparse.Namespace, feeds: int) -> dict:
    """Cold and warm cycles over `feeds` served feeds, then bare feedparser on the same bytes."""
    run = argparse.Namespace(**{**vars(args), "feeds": feeds})
    server = FeedServerProcess(feeds, args.entries, worst_case=args.worst_case)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            figures = asyncio.run(run_cycles(run, server, Path(tmp) / "bench.db"))
    finally:
        server.close()
    docs = generated(feeds, args.entries, worst_case=args.worst_case)
    bare_s = bare_feedparser(feeds, args.entries, args.worst_case)
    items = figures["cold_items"]
    return {
        "feeds": feeds,
        "mb": round(sum(len(d) for d in docs) / 1e6, 1),
        "cold_seconds": round(figures["cold_s"], 2),
        "cold_items_per_s": round(items / figures["cold_s"], 1),
        "cold_feeds_per_s": round(figures["cold_feeds"] / figures["cold_s"], 1),
        "cold_items": items,
        "warm_seconds": round(figures["warm_s"], 3),
        "warm_feeds_per_s": round(figures["cold_feeds"] / figures["warm_s"], 1),
        "warm_not_modified": figures["warm_not_modified"],
        "peak_rss_mb": round(figures["peak_rss_mb"], 1),
        "feedparser_seconds": round(bare_s, 2),
        "ratio_to_feedparser": round(figures["cold_s"] / bare_s, 2),
        "stored_items": figures["stored_items"],
        "failures": figures["cold_failures"] + figures["warm_failures"],
        "load_s": round(figures["load_s"], 2),
    }


def show(r: dict) -> None:
    print(
        f"{r['feeds']} feeds ({r['mb']} MB): cold {r['cold_seconds']:.2f} s "
        f"{r['cold_items_per_s']:.0f} items/s ({r['cold_items']} new, {r['failures']} failures); "
        f"warm {r['warm_seconds']:.3f} s ({r['warm_not_modified']} not modified); "
        f"feedparser {r['feedparser_seconds']:.2f} s -> ratio {r['ratio_to_feedparser']}; "
        f"peak RSS {r['peak_rss_mb']:.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--entries", type=int, default=50)
    parser.add_argument(
        "--worst-case", action="store_true", help="feedgen's few templates instead of stories"
    )
    parser.add_argument(
        "--scaling", default="", help="comma-separated feed counts, e.g. 50,200,1000"
    )
    parser.add_argument(
        "--parse-workers", type=int, default=None, help="default: the shipped configuration's"
    )
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--classifier", default="auto", help='"auto" (as shipped), "rules", "null" or a path'
    )
    parser.add_argument(
        "--no-stories", action="store_true", help="diagnostic: poll without the analysis step"
    )
    args = parser.parse_args()
    if args.parse_workers is None:
        from bot.config import load_settings

        args.parse_workers = load_settings(REPO / "config" / "watchbot.toml").polling.parse_workers
    logging.disable(logging.INFO)
    sizes = [int(n) for n in args.scaling.split(",") if n.strip()] or [args.feeds]
    print(
        f"{'worst case (feedgen)' if args.worst_case else 'stories (storygen)'}, "
        f"{args.entries} entries per feed, parse_workers={args.parse_workers}, "
        f"classifier={args.classifier}, stories={'off' if args.no_stories else 'on'}"
    )
    runs = []
    for feeds in sizes:
        runs.append(measure(args, feeds))
        show(runs[-1])
    result = {
        **runs[-1],
        "entries": args.entries,
        "corpus": "worst-case" if args.worst_case else "stories",
        "parse_workers": args.parse_workers,
        "classifier": args.classifier,
        "stories": not args.no_stories,
        "cpus": os.cpu_count(),
        "load_1m": round(os.getloadavg()[0], 2),
    }
    if len(runs) > 1:
        result["items_per_s"] = {str(r["feeds"]): r["cold_items_per_s"] for r in runs}
        result["ratios"] = {str(r["feeds"]): r["ratio_to_feedparser"] for r in runs}
        result["scaling"] = round(runs[-1]["cold_items_per_s"] / runs[0]["cold_items_per_s"], 2)
        print(f"items/s at {sizes[-1]} feeds / at {sizes[0]} feeds: {result['scaling']}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
