"""The kill-and-restart proof.

`watchbot run` watches eight feeds that keep gaining and editing stories, and posts alerts to a
fake Slack and a fake Discord. It is killed with SIGKILL again and again at random points — at a
random moment after start (start-up, migrations, mid-poll, mid-flush), a random moment after it
began fetching feeds (mid-poll: fetch, parse, classify, store), or from inside the fake chat API
right after it accepted a post and before the bot heard back (the window where a delivery went
out but is not yet recorded) — and restarted on the same database. A last run
drains the outbox and stops with SIGTERM. Then every story the feeds ever showed must be stored
exactly once, with its classification, and every alert posted exactly once on each platform.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time
from collections import Counter
from pathlib import Path

import pytest

from bot.chat.discord.sender import nonce_for
from tests.chat.discord.fake_discord import serve as serve_discord
from tests.chat.discord.fake_discord import shared_fixtures_present
from tests.crash.daemon import (
    DISCORD_REF,
    SLACK_REF,
    Snapshot,
    environment,
    snapshot,
    start,
    write_config,
)
from tests.crash.fakechat import CrashDiscord, CrashSlack
from tests.crash.figures import FIGURES
from tests.crash.newsroom import Newsroom
from tests.ingest.feedserver import FeedServer

KILLS = 6
pytestmark = [
    pytest.mark.skipif(
        not shared_fixtures_present(), reason="the fake Discord needs /work/shared fixtures"
    ),
    pytest.mark.timeout(300),  # ~60 s alone; more on a machine busy with other suites
    pytest.mark.serial,  # kill times and settle deadlines assume the machine is not saturated
]


def settled(snap: Snapshot, guids: set[str]) -> bool:
    stored = {i["guid"] for i in snap.items}
    return stored == guids and all(d["status"] != "pending" for d in snap.deliveries)


async def test_sigkill_mid_cycle_loses_nothing_and_posts_nothing_twice(tmp_path: Path) -> None:
    seed = int(os.environ.get("WATCHBOT_CRASH_SEED", time.time_ns() % 1_000_000))
    rng = random.Random(seed)
    log = tmp_path / "watchbot.log"
    slack, discord = CrashSlack(), CrashDiscord()
    async with slack, FeedServer() as server:
        discord_runner = await serve_discord(discord)
        newsroom = Newsroom(server, rng)
        config = write_config(
            tmp_path, {path.strip("/"): url for path, url in newsroom.urls.items()}
        )
        env = environment(slack, discord)
        publishing = True

        async def newsroom_at_work() -> None:
            while publishing:
                await asyncio.sleep(rng.uniform(0.8, 2.0))
                newsroom.step()

        work = asyncio.create_task(newsroom_at_work())
        kills: list[str] = []
        try:
            modes = ["post", "post", "poll", "poll", "timer", "timer"]
            rng.shuffle(modes)
            for life, mode in enumerate(modes):
                fetched = len(server.requests)
                proc = await start(config, env, log)
                posts = 0
                kill_after = rng.randint(1, 3)

                def on_post(
                    proc: asyncio.subprocess.Process = proc,
                    mode: str = mode,
                    kill_after: int = kill_after,
                ) -> None:
                    nonlocal posts
                    posts += 1
                    if mode == "post" and posts >= kill_after and proc.returncode is None:
                        # Inside the fake's handler: the post is recorded, the answer never sent.
                        os.kill(proc.pid, signal.SIGKILL)

                slack.on_post = discord.on_post = on_post
                wait = rng.uniform(0.5, 9.0) if mode == "timer" else 20.0
                if mode == "poll":
                    for _ in range(200):  # until this run's first request reaches a feed
                        if len(server.requests) > fetched or proc.returncode is not None:
                            break
                        await asyncio.sleep(0.05)
                    wait = rng.uniform(0.0, 3.0)
                try:
                    await asyncio.wait_for(proc.wait(), wait)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()
                assert proc.returncode == -signal.SIGKILL, (life, proc.returncode, log.read_text())
                kills.append(f"{mode}+{wait:.1f}s" if mode != "post" else f"post#{posts}")
            assert len(kills) == KILLS
            slack.on_post = discord.on_post = None
            publishing = False
            await work
            # The last run: no more news; it drains what is owed, then stops with SIGTERM.
            proc = await start(config, env, log)
            try:
                deadline = time.monotonic() + 60
                while not settled(
                    snap := await asyncio.to_thread(snapshot, tmp_path / "w.db"), newsroom.guids
                ):
                    assert time.monotonic() < deadline, (snap.deliveries, log.read_text()[-3000:])
                    assert proc.returncode is None, log.read_text()[-3000:]
                    await asyncio.sleep(0.5)
                await asyncio.sleep(2)  # a tick more: nothing new may appear
                proc.send_signal(signal.SIGTERM)
                assert await asyncio.wait_for(proc.wait(), 30) == 0
            finally:
                if proc.returncode is None:
                    proc.kill()
                    await proc.wait()
        finally:
            publishing = False
            work.cancel()
            await discord_runner.cleanup()

    snap = snapshot(tmp_path / "w.db")
    logs = log.read_text()
    assert "Traceback" not in logs and "job.crashed" not in logs, logs[-3000:]

    # Stored exactly once, each with its classification.
    guids = Counter(i["guid"] for i in snap.items)
    assert set(guids) == newsroom.guids, newsroom.guids ^ set(guids)
    assert max(guids.values()) == 1
    assert {i["id"] for i in snap.items} <= snap.classified

    # Every alert-worthy story (all stories after a feed's silent first poll) owes one alert per
    # platform, and each went out exactly once.
    alerts = [d for d in snap.deliveries if d["kind"] == "alert"]
    assert all(d["status"] == "sent" for d in snap.deliveries), snap.deliveries
    owed: dict[str, set[int]] = {SLACK_REF: set(), DISCORD_REF: set()}
    for d in alerts:
        owed[d["channel_ref"]].update(d["item_ids"])
    loud = {i["id"] for i in snap.items if not i["silent"]}
    assert owed[SLACK_REF] == loud and owed[DISCORD_REF] == loud
    slack_keys = {d["dedupe_key"] for d in alerts if d["channel_ref"] == SLACK_REF}
    discord_keys = {d["dedupe_key"] for d in alerts if d["channel_ref"] == DISCORD_REF}
    slack_posts = slack.keys()
    discord_posts = discord.nonces_posted()
    assert set(slack_posts) == slack_keys
    assert set(discord_posts) == {nonce_for(k) for k in discord_keys}
    duplicated = sum(n - 1 for n in [*slack_posts.values(), *discord_posts.values()])
    lost = len(slack_keys - set(slack_posts)) + len(
        {nonce_for(k) for k in discord_keys} - set(discord_posts)
    )
    FIGURES.update(
        {
            "seed (WATCHBOT_CRASH_SEED)": seed,
            "SIGKILL/restart cycles": f"{len(kills)} ({', '.join(kills)}), then a SIGTERM run",
            "stories stored": f"{len(snap.items)} ({len(loud)} alerting, "
            f"{newsroom.edits} upstream edits)",
            "alerts posted": f"Slack {sum(slack_posts.values())}, "
            f"Discord {sum(discord_posts.values())}",
            "resends caught": f"Slack posts found in history {logs.count('slack.already_posted')}"
            f" ({slack.history_reads()} history reads), Discord nonce replays {discord.replays}",
            "items lost / duplicated": f"{lost} / {duplicated}",
        }
    )
    assert len(kills) >= 5
    assert lost == 0 and duplicated == 0
    assert len(loud) >= 5  # the run did real work
