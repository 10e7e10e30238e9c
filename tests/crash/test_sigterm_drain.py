"""SIGTERM drains in-flight work: a poll caught mid-fetch still stores its item and sends its
alert before `watchbot run` exits 0."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from tests.crash.daemon import snapshot
from tests.hostile.runner import clean_env, free_port, watchbot
from tests.ingest.feedserver import RSS_TYPE, Canned, FeedServer
from tests.test_pipeline import GUARANTEES, TROOPS, rss

pytestmark = pytest.mark.serial  # it catches a poll mid-fetch on a timer


async def test_sigterm_waits_for_the_poll_in_flight(tmp_path: Path) -> None:
    async with FeedServer() as server:
        url = server.serve("/feed.xml", rss(GUARANTEES))
        config = tmp_path / "watchbot.toml"
        config.write_text(
            f"""
[storage]
url = "sqlite:///{tmp_path / "w.db"}"
[http]
allow_private_networks = true
[polling]
min_interval = "1s"
[classifier]
model = "rules"
[seeds]
enabled = false
[[feeds]]
name = "Slow"
url = "{url}"
interval = "1s"
[[channels]]
name = "console"
platform = "console"
alert_threshold = 0.5
digest = {{ cron = "0 3 1 1 *" }}
""",
            encoding="utf-8",
        )
        out, err = tmp_path / "out.txt", tmp_path / "err.txt"
        with out.open("w") as o, err.open("w") as e:
            proc = await asyncio.create_subprocess_exec(
                *watchbot(),
                "run",
                "-c",
                str(config),
                stdout=o,
                stderr=e,
                cwd=tmp_path,
                env=clean_env(WATCHBOT_HTTP_PORT=str(free_port())),
            )
            try:
                for _ in range(600):  # the first (silent) poll primes the feed
                    if "daemon.started" in err.read_text():
                        break
                    assert proc.returncode is None, err.read_text()
                    await asyncio.sleep(0.05)
                # The next poll finds a new story, served slowly: SIGTERM lands mid-fetch.
                server.add(
                    "/feed.xml",
                    Canned(rss(GUARANTEES, TROOPS), headers={"Content-Type": RSS_TYPE}, delay=3.0),
                )
                for _ in range(300):
                    if server.in_flight.get("/feed.xml"):
                        break
                    await asyncio.sleep(0.05)
                else:
                    raise AssertionError("the tick never polled the feed again")
                proc.send_signal(signal.SIGTERM)
                assert await asyncio.wait_for(proc.wait(), 30) == 0
            finally:
                if proc.returncode is None:
                    proc.kill()
                    await proc.wait()
    logs = err.read_text()
    assert "daemon.draining" in logs and "daemon.stopped" in logs, logs
    assert "Traceback" not in logs
    assert "British troops" in out.read_text()  # the alert went out before the exit
    snap = snapshot(tmp_path / "w.db")
    assert len(snap.items) == 2
    assert [d["status"] for d in snap.deliveries if d["kind"] == "alert"] == ["sent"]
