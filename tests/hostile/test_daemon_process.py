"""`watchbot run` as a process, watching every hostile document and network attack at once next to
one good feed: it stays up and within a bounded memory, /healthz answers, `watchbot status` (another process,
on the same database) shows every failure, and SIGTERM still stops it cleanly."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import urllib.request
from pathlib import Path

import psutil

from tests.hostile.conftest import Canary
from tests.hostile.corpus import documents
from tests.hostile.network import install
from tests.hostile.runner import (
    DAEMON_MAX_PEAK_MB,
    FIGURES,
    clean_env,
    free_port,
    run,
    watchbot,
    write_config,
)
from tests.hostile.test_poll_cycle import GOOD
from tests.ingest.feedserver import FeedServer


def polled(db: Path) -> tuple[int, int]:
    """(feeds polled at least once, feeds)"""
    if not db.exists():
        return 0, -1
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            done, total = conn.execute(
                "select count(last_polled_at), count(*) from feeds"
            ).fetchone()
    except sqlite3.OperationalError:  # not migrated yet
        return 0, -1
    return int(done), int(total)


async def test_daemon_survives_every_attack_and_reports_them(
    tmp_path: Path, canary: Canary
) -> None:
    docs = documents(canary.url, str(canary.path))
    async with FeedServer() as server:
        urls = {
            d.name: server.serve(f"/doc/{d.name}", d.body, content_type=d.content_type)
            for d in docs
        }
        attacks = install(server)
        urls |= {a.name: a.url for a in attacks}
        urls["good"] = server.serve("/good.xml", GOOD)
        feeds = "".join(f'[[feeds]]\nname = "{n}"\nurl = "{u}"\n' for n, u in urls.items())
        config = write_config(tmp_path, f"[http]\nallow_private_networks = true\n{feeds}")
        port = free_port()
        err = tmp_path / "err.txt"
        peak = 0.0
        with err.open("w") as e:
            proc = await asyncio.create_subprocess_exec(
                *watchbot(),
                "run",
                "-c",
                str(config),
                stdout=asyncio.subprocess.DEVNULL,
                stderr=e,
                cwd=tmp_path,
                env=clean_env(WATCHBOT_HTTP_PORT=str(port)),
            )
            watched = psutil.Process(proc.pid)
            try:
                for _ in range(600):  # 60 s at most
                    peak = max(peak, watched.memory_info().rss / 2**20)
                    done, total = await asyncio.to_thread(polled, tmp_path / "w.db")
                    if done == total == len(urls):
                        break
                    assert proc.returncode is None, err.read_text()
                    await asyncio.sleep(0.1)
                else:
                    raise AssertionError(f"not every feed was polled: {done}/{total}")
                for _ in range(20):  # a little longer: the tick after the first cycle
                    peak = max(peak, watched.memory_info().rss / 2**20)
                    await asyncio.sleep(0.1)
                assert proc.returncode is None, err.read_text()

                def health() -> dict[str, object]:
                    url = f"http://127.0.0.1:{port}/healthz"
                    with urllib.request.urlopen(url, timeout=5) as r:
                        return dict(json.loads(r.read()))

                assert (await asyncio.to_thread(health))["status"] == "ok"
                status = await asyncio.to_thread(
                    run, [*watchbot(), "status", "-c", str(config)], cwd=tmp_path
                )
                FIGURES.measured("status beside the daemon", status)
                assert status.code == 0, status.describe()
                for name in urls:
                    line = next(ln for ln in status.stdout.splitlines() if f" {name} " in ln)
                    expected = "ok" if name == "good" or _cleaned(name, docs) else "failing"
                    assert expected in line, line
                proc.send_signal(signal.SIGTERM)
                assert await asyncio.wait_for(proc.wait(), 30) == 0
            finally:
                if proc.returncode is None:
                    proc.kill()
                    await proc.wait()
    logs = err.read_text()
    assert "Traceback" not in logs and "job.crashed" not in logs, logs[-3000:]
    assert "daemon.stopped" in logs
    assert canary.hits == []
    for name in urls.keys() - {"good"}:
        FIGURES.tried("watchbot run (all at once)", name)
    FIGURES.daemon_peak = peak
    assert peak < DAEMON_MAX_PEAK_MB, peak


def _cleaned(name: str, docs: list) -> bool:  # type: ignore[type-arg]
    return any(d.name == name and d.items is not None for d in docs)
