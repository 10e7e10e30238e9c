"""Alert latency: from an entry appearing in a feed to the alert reaching the chat API.

    python bench/latency.py [--trials 10] [--interval 1s] [--tick SECONDS] [--classifier auto]

Runs the real daemon (`watchbot run`, a process of its own, as in production) against a local
feed server and a fake Slack Web API on 127.0.0.1 (tests/ingest/feedserver.py and
tests/chat/slack/fake_slack.py; the bot reaches it through WATCHBOT_SLACK_API_URL). One feed,
polled every `--interval` (the daemon's tick, `polling.tick`, set to match unless `--tick`
says otherwise), one Slack channel with alerts on at the shipped threshold. Once the first poll has stored what the feed held (silently), each trial
waits 2-6 s (a random phase against the polls), puts one new on-topic entry at the top of the
feed at t0 and waits for the chat.postMessage carrying it at t1.

Reported per trial: t1 - t0, split into the wait for the next poll to fetch the feed (t_fetch - t0,
as the feed server saw the request) and the work from fetch to post (fetch, parse, classify,
store, outbox, render, post). Prints median, p90 and max, then one JSON line. The entries are
corpus items the classifier scores well above the threshold and that do not cluster into one
story (a later report of an alerted story becomes a follow-up, which would measure something else).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import feedgen
import psutil
from _support import REPO, machine, spread

from tests.chat.slack.fake_slack import BOT_TOKEN, FakeSlack
from tests.ingest.feedserver import FeedServer, Recorded

CHANNEL = "C0LATENCY"


class TimedSlack(FakeSlack):
    """FakeSlack noting when each chat.postMessage arrived (monotonic, this process's clock)."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: list[tuple[float, dict[str, Any]]] = []
        self.posted = asyncio.Event()

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        self.arrivals.append((time.monotonic(), args))
        self.posted.set()
        return super()._chat_postMessage(args)


class TimedRequests(list[Recorded]):
    """The feed server's request log, each request with its arrival time."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    def append(self, item: Recorded) -> None:
        self.times.append(time.monotonic())
        super().append(item)


@dataclass(frozen=True)
class Entry:
    title: str
    text: str


def pick_entries(count: int, model: str) -> tuple[list[Entry], float]:
    """`count` corpus items the classifier puts well above the alert threshold, no two of which
    the story clusterer would put in one story."""
    from bot.analysis.stories import MinHashStoryClusterer, assign_among
    from bot.classify.data import read_corpus
    from bot.classify.loader import load_classifier
    from bot.config import load_settings
    from bot.core.ports import StoryDoc

    settings = load_settings(REPO / "config" / "watchbot.toml")
    threshold = min(c.alert_threshold for c in settings.channels)
    classifier = load_classifier(model, settings.classifier.thresholds)
    corpus = [
        i
        for i in read_corpus(REPO / "corpus")
        if any(i.labels.values()) and not set("<>&") & set(i.title + i.text)
    ]
    scores = classifier.classify_many([(i.title, i.text) for i in corpus])
    strong = [
        Entry(i.title, i.text)
        for i, c in zip(corpus, scores, strict=True)
        if any(c.labels.values()) and max(c.scores.values()) >= min(0.95, threshold + 0.15)
    ]
    clusterer = MinHashStoryClusterer()
    now = datetime.now(UTC)
    docs = [StoryDoc(now, clusterer.fingerprint(e.title, e.text)) for e in strong]
    starters = [e for e, link in zip(strong, assign_among(docs, []), strict=True) if link is None]
    random.Random(11).shuffle(starters)
    if len(starters) < count:
        raise SystemExit(f"only {len(starters)} distinct strong entries for {count} trials")
    return starters[:count], threshold


def feed_body(entries: list[dict[str, str]]) -> bytes:
    return feedgen.rss(0, list(reversed(entries)))  # newest first, as feeds list them


def item_dict(n: int, title: str, text: str) -> dict[str, str]:
    now = datetime.now(UTC)
    guid = f"https://outlet0.example/news/latency-{n}"
    return {
        "guid": guid,
        "link": guid,
        "title": title,
        "description": f"<p>{text}</p>",
        "published": format_datetime(now),
        "iso": now.isoformat(),
        "author": "Reporter 1",
        "category": "Europe",
    }


def write_config(folder: Path, feed_url: str, interval: str, tick: str, model: str) -> Path:
    path = folder / "watchbot.toml"
    path.write_text(
        f"""
[storage]
url = "sqlite:///{folder / "watchbot.db"}"
[http]
allow_private_networks = true
[polling]
min_interval = "{interval}"
tick = "{tick}"
[classifier]
model = "{model}"
[seeds]
enabled = false
[[feeds]]
name = "Outlet"
url = "{feed_url}"
interval = "{interval}"
[[channels]]
name = "slack-desk"
platform = "slack"
target = "{CHANNEL}"
digest = {{ cron = "0 3 1 1 *" }}
""",
        encoding="utf-8",
    )
    return path


def environment(slack: FakeSlack) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "WATCHBOT_"))
    }
    with socket.socket() as probe:  # a free port for the bot's /healthz
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env.update(
        PYTHONPATH=str(REPO),
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET="latency-bench-signing-secret",  # HTTP mode: no Socket Mode
        WATCHBOT_SLACK_API_URL=slack.api_url,
        WATCHBOT_HTTP_PORT=str(port),
        WATCHBOT_LOG_LEVEL="WARNING",
    )
    return env


async def wait_until(predicate: Any, within: float, what: str, proc: Any) -> None:
    """Poll `predicate` until it holds; stop on the bot's exit or after `within` seconds."""
    deadline = time.monotonic() + within
    while not predicate():
        if proc.returncode is not None:
            raise SystemExit(f"watchbot exited ({proc.returncode}) while waiting for {what}")
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out after {within:.0f} s waiting for {what}")
        await asyncio.sleep(0.005)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    entries, threshold = pick_entries(args.trials, args.classifier)
    rng = random.Random(5)
    history = [
        item_dict(-n, *rng.choice(feedgen.OFF_TOPIC)) for n in range(1, 21)
    ]  # what the feed already holds: primed silently
    rss_peak = 0.0
    async with FeedServer() as server, TimedSlack() as slack:
        server.requests = TimedRequests()
        version = 0

        def publish(items: list[dict[str, str]]) -> None:
            nonlocal version
            version += 1
            server.serve("/feed.xml", feed_body(items), etag=f'"v{version}"')

        publish(history)
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            config = write_config(
                folder, server.url("/feed.xml"), args.interval, args.tick, args.classifier
            )
            log = (folder / "watchbot.log").open("w")
            started = time.monotonic()
            proc = await asyncio.create_subprocess_exec(
                str(Path(sys.executable).with_name("watchbot")), "run", "-c", str(config),
                stdout=asyncio.subprocess.DEVNULL, stderr=log, cwd=folder, env=environment(slack),
            )  # fmt: skip
            bot = psutil.Process(proc.pid)
            try:
                # Primed: the first poll stored the history (silently) and the next one came.
                await wait_until(lambda: len(server.requests) >= 2, 120, "the first polls", proc)
                ready_s = time.monotonic() - started
                trials = []
                for n, entry in enumerate(entries):
                    # Any phase against the polls: 4 s span whole poll periods of 1 s or 2 s.
                    await asyncio.sleep(rng.uniform(2.0, 6.0))
                    rss_peak = max(rss_peak, bot.memory_info().rss / 1e6)
                    history.append(item_dict(n, entry.title, entry.text))
                    seen = len(slack.arrivals)
                    requests_before = len(server.requests)
                    publish(history)
                    t0 = time.monotonic()

                    def arrived(title: str = entry.title, seen: int = seen) -> bool:
                        return any(
                            title[:40] in str(a.get("text", "")) for _, a in slack.arrivals[seen:]
                        )

                    await wait_until(arrived, 60, f"the alert of trial {n + 1}", proc)
                    t1 = next(
                        t
                        for t, a in slack.arrivals[seen:]
                        if entry.title[:40] in str(a.get("text", ""))
                    )
                    t_fetch = server.requests.times[requests_before]
                    trials.append(
                        {"latency": t1 - t0, "wait_for_poll": t_fetch - t0, "work": t1 - t_fetch}
                    )
                    print(
                        f"trial {n + 1:2d}: {t1 - t0:6.3f} s  (poll after {t_fetch - t0:5.3f} s, "
                        f"fetch to post {t1 - t_fetch:5.3f} s)",
                        flush=True,
                    )
                    rss_peak = max(rss_peak, bot.memory_info().rss / 1e6)
                polls = len(server.requests)
                span = server.requests.times[-1] - server.requests.times[1]
            finally:
                if proc.returncode is None:
                    proc.terminate()
                    try:
                        await asyncio.wait_for(proc.wait(), 30)
                    except TimeoutError:
                        proc.kill()
                        await proc.wait()
                log.close()
                errors = [
                    line
                    for line in (folder / "watchbot.log").read_text().splitlines()
                    if "Traceback" in line or '"level": "ERROR"' in line or " ERROR " in line
                ]
    return {
        "trials": trials,
        "threshold": threshold,
        "ready_s": ready_s,
        "poll_period_s": span / max(1, polls - 2),
        "rss_mb": rss_peak,
        "errors": errors[:5],
        "other_posts": len(slack.arrivals) - len(trials),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--interval", default="1s", help="the feed's poll interval and the tick")
    parser.add_argument("--tick", default=None, help="the daemon's poll tick (default: --interval)")
    parser.add_argument("--classifier", default="auto", help='"auto" (as shipped) or "rules"')
    args = parser.parse_args()
    args.tick = args.tick or args.interval
    load_before = machine()
    figures = asyncio.run(run(args))
    lat = spread([t["latency"] for t in figures["trials"]])
    wait = spread([t["wait_for_poll"] for t in figures["trials"]])
    work = spread([t["work"] for t in figures["trials"]])
    print(
        f"{args.trials} alerts, poll interval {args.interval}, tick {args.tick}: latency median {lat['median']:.3f} s, "
        f"p90 {lat['p90']:.3f} s, max {lat['max']:.3f} s"
    )
    print(
        f"  waiting for the poll: median {wait['median']:.3f} s (max {wait['max']:.3f}); "
        f"fetch to post: median {work['median']:.3f} s (max {work['max']:.3f})"
    )
    print(
        f"  feed fetched every {figures['poll_period_s']:.2f} s on average; bot ready (first "
        f"polls done) {figures['ready_s']:.1f} s after start; bot RSS {figures['rss_mb']:.0f} MB"
    )
    if figures["errors"]:
        print("  errors in the bot's log:", *figures["errors"], sep="\n    ")
    result = {
        "trials": args.trials,
        "interval": args.interval,
        "tick": args.tick,
        "classifier": args.classifier,
        **{f"latency_{k}_s": round(v, 3) for k, v in lat.items()},
        "wait_for_poll_median_s": round(wait["median"], 3),
        "fetch_to_post_median_s": round(work["median"], 3),
        "fetch_to_post_max_s": round(work["max"], 3),
        "poll_period_s": round(figures["poll_period_s"], 3),
        "ready_s": round(figures["ready_s"], 1),
        "bot_rss_mb": round(figures["rss_mb"], 1),
        "other_posts": figures["other_posts"],
        "cpus": load_before["cpus"],
        "load_1m_before": load_before["load_1m"],
        "load_1m_after": machine()["load_1m"],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
