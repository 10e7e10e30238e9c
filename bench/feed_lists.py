"""Feed-list benchmark: import a 2,000-feed OPML file, export it, and draw the feeds table.

    python bench/feed_lists.py [--feeds 2000] [--items-per-feed 50] [--runs 3]

In a temporary SQLite database:

* parse    `parse_opml` on a 2,000-feed file in 40 folders (what every import starts with);
* import   parse, every URL through the SSRF guard (`GuardUrlChecker`, with a resolver that
           answers at once with a public address, so the figure is Watchbot's own cost), the
           known-feed lookup and the one-transaction insert (`plan_import` + `apply_import`);
           `--system-dns` uses the system resolver instead (then DNS dominates: six lookups
           at a time in aiohttp's thread pool);
* export   `feed export`: every feed read and written as OPML 2.0;
* table    `feeds` with `--items-per-feed` items per feed stored (the seven-day counts and
           shares on topic come from one statement).

Prints the medians, then one JSON line. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app import build_app
from bot.config import Settings
from bot.core.commands import CommandContext
from bot.core.feedlist import apply_import, plan_import
from bot.core.models import Candidate, Classification, Upload
from bot.core.ports import FeedOutcome, NewItem
from bot.ingest.limits import HttpLimits
from bot.ingest.opml import OpmlCodec, parse_opml
from bot.ingest.urlcheck import GuardUrlChecker
from bot.store.sql import SqlStore

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


class InstantDns:
    """Every name resolves at once to one public address (an aiohttp resolver)."""

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET) -> list[dict]:  # type: ignore[type-arg]
        return [
            {"hostname": host, "host": "93.184.215.14", "port": port, "family": socket.AF_INET,
             "proto": 0, "flags": socket.AI_NUMERICHOST}
        ]  # fmt: skip

    async def close(self) -> None:
        return None


class Clock:
    def now(self) -> datetime:
        return NOW


def opml(n: int) -> bytes:
    folders: dict[int, list[str]] = {}
    for i in range(n):
        folders.setdefault(i % 40, []).append(
            f'<outline type="rss" text="Feed {i}" title="Feed {i}" '
            f'xmlUrl="https://feed{i}.example/rss" htmlUrl="https://feed{i}.example/"/>'
        )
    body = "".join(
        f'<outline text="Folder {k}" title="Folder {k}">{"".join(v)}</outline>'
        for k, v in folders.items()
    )
    return f'<?xml version="1.0"?><opml version="2.0"><head><title>b</title></head><body>{body}</body></opml>'.encode()


def timed(fn, runs: int) -> float:  # type: ignore[no-untyped-def]
    took = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        took.append(time.perf_counter() - start)
    return statistics.median(took)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--feeds", type=int, default=2000)
    ap.add_argument("--items-per-feed", type=int, default=50)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--system-dns", action="store_true")
    args = ap.parse_args()
    data = opml(args.feeds)
    parse_s = timed(lambda: parse_opml(data), args.runs)
    ctx = CommandContext("console:b", "b", "bench", is_admin=True, upload=Upload("b.opml", data))
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'b.db'}"
        settings = Settings.model_validate(
            {"storage": {"url": url}, "seeds": {"enabled": False}, "classifier": {"model": "rules"}}
        )
        app = build_app(settings, store=SqlStore(url), clock=Clock(), senders={})

        async def run(line: str, context: CommandContext) -> object:
            return await app.commands.execute(line, context)

        resolver = None if args.system_dns else InstantDns()
        checker = GuardUrlChecker(HttpLimits(), resolver)  # type: ignore[arg-type]

        async def import_all() -> int:
            assert ctx.upload is not None
            plan = await plan_import(
                ctx.upload, codec=OpmlCodec(), store=app.store, checker=checker
            )
            return len(apply_import(plan, store=app.store, now=NOW, added_by="b", interval_s=900))

        start = time.perf_counter()
        added = asyncio.run(import_all())
        import_s = time.perf_counter() - start
        assert added == args.feeds, added
        export_s = timed(lambda: asyncio.run(run("feed export", ctx)), args.runs)
        store = app.store
        on = Classification(
            {"guarantees": 0.9, "troops": 0.1}, {"guarantees": True, "troops": False}, {}, "b"
        )
        off = Classification(
            {"guarantees": 0.1, "troops": 0.1}, {"guarantees": False, "troops": False}, {}, "b"
        )
        for feed in store.list_feeds():
            new = [
                NewItem(
                    feed.id,
                    Candidate(
                        guid=f"{feed.id}-{k}",
                        url=f"https://feed{feed.id}.example/{k}",
                        title=f"Item {feed.id}-{k}",
                        summary="s",
                        published_at=NOW - timedelta(hours=6 * k),
                        published_known=True,
                        content_hash=f"h{feed.id}-{k}",
                        source="b",
                    ),
                    on if k % 3 == 0 else off,
                    silent=True,
                )
                for k in range(args.items_per_feed)
            ]
            outcome = FeedOutcome(feed.id, NOW, NOW + timedelta(hours=1), ok=True, new_items=True)
            store.apply_poll(outcome, new, [], [[] for _ in new])
        table_s = timed(lambda: asyncio.run(run("feeds", ctx)), args.runs)
        asyncio.run(app.aclose())
    figures = {
        "feeds": args.feeds,
        "items": args.feeds * args.items_per_feed,
        "parse_s": round(parse_s, 4),
        "import_s": round(import_s, 3),
        "dns": "system" if args.system_dns else "instant",
        "export_s": round(export_s, 4),
        "feeds_table_s": round(table_s, 4),
    }
    print(f"parse {args.feeds} feeds: {parse_s * 1000:.1f} ms")
    dns = "system DNS" if args.system_dns else "instant DNS"
    print(f"import (parse, {args.feeds} URL checks with {dns}, one insert): {import_s:.2f} s")
    print(f"export: {export_s * 1000:.1f} ms")
    print(f"feeds table over {figures['items']} items: {table_s * 1000:.1f} ms")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
