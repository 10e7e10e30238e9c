"""`watchbot run` as a process: start-up digest, /healthz, /metrics, clean SIGTERM shutdown."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
import urllib.request
from pathlib import Path

from tests.fakes import REPO
from tests.ingest.feedserver import FeedServer
from tests.test_pipeline import TROOPS, rss


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(predicate: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.2)
    return False


async def test_run_prints_digest_serves_health_and_stops_cleanly(tmp_path: Path) -> None:
    async with FeedServer() as server:
        feed = server.serve("/feed.xml", rss(TROOPS))
        config = tmp_path / "watchbot.toml"
        config.write_text(
            f"""
[storage]
url = "sqlite:///{tmp_path / "w.db"}"
[http]
allow_private_networks = true
[seeds]
path = "{REPO / "seeds"}"
[[feeds]]
name = "Local"
url = "{feed}"
[[feeds]]
name = "Unreachable"
url = "http://127.0.0.1:1/never"
[[channels]]
name = "console"
platform = "console"
digest = {{ cron = "0 8 * * *", timezone = "Europe/Kyiv", at_start = true }}
""",
            encoding="utf-8",
        )
        port = free_port()
        env = {
            **os.environ,
            "WATCHBOT_HTTP_PORT": str(port),
            "SLACK_BOT_TOKEN": "",
            "DISCORD_TOKEN": "",
        }
        env.pop("SLACK_BOT_TOKEN")
        env.pop("DISCORD_TOKEN")
        out, err = tmp_path / "out.txt", tmp_path / "err.txt"
        with out.open("w") as o, err.open("w") as e:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                "-c",
                str(config),
                stdout=o,
                stderr=e,
                env=env,
                cwd=tmp_path,
            )
            try:
                ok = await asyncio.to_thread(
                    wait_for, lambda: "## Troop deployment" in out.read_text(), 60
                )
                assert ok, err.read_text()
                text = out.read_text()
                assert "not ruled out" in text and "British troops" in text

                def get(path: str) -> tuple[int, str]:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
                        return r.status, r.read().decode()

                status, body = await asyncio.to_thread(get, "/healthz")
                assert status == 200 and '"status": "ok"' in body
                status, body = await asyncio.to_thread(get, "/metrics")
                assert 'watchbot_feed_polls_total{outcome="error"}' in body
                proc.send_signal(signal.SIGTERM)
                assert await asyncio.wait_for(proc.wait(), 20) == 0
            finally:
                if proc.returncode is None:
                    proc.kill()
                    await proc.wait()
        logs = err.read_text()
        assert logs.count('feed.failed feed="Unreachable"') == 1  # once per backoff step
        assert "daemon.stopped" in logs
        assert "Traceback" not in logs
