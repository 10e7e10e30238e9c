"""Progress on long work: a tqdm bar on a terminal, nothing anywhere else.

The adapter is tested on in-memory streams; the command (`watchbot ingest`) in a subprocess whose
stderr is a pseudo-terminal, then a pipe.
"""

from __future__ import annotations

import fcntl
import io
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

from bot.core.models import FeedSpec
from bot.progress import TerminalProgress
from bot.schedule import Daemon
from tests.fakes import REPO
from tests.harness import cli_config, console_app


class Terminal(io.StringIO):
    """An in-memory stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


class Recorder:
    """A `Progress` that records what it was told."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    def start(self, total: int, unit: str) -> None:
        self.calls.append((f"start:{unit}", total))

    def expect(self, n: int) -> None:
        self.calls.append(("expect", n))

    def advance(self, n: int = 1) -> None:
        self.calls.append(("advance", n))

    def close(self) -> None:
        self.calls.append(("close", 0))


def test_adapter_draws_a_bar_on_a_terminal() -> None:
    stream = Terminal()
    progress = TerminalProgress("ingest", stream=stream)
    progress.start(0, "items")
    progress.expect(40)
    progress.advance(15)
    progress.advance(25)
    progress.close()
    progress.close()  # idempotent
    out = stream.getvalue()
    assert "ingest" in out and "40/40" in out and "items" in out


def test_adapter_is_silent_when_not_a_terminal() -> None:
    stream = io.StringIO()
    progress = TerminalProgress("train", stream=stream)
    progress.start(30, "epochs")
    progress.advance(30)
    progress.close()
    assert stream.getvalue() == ""


def _documents(folder: Path, count: int) -> Path:
    folder.mkdir()
    for i in range(count):
        body = f"Storm number {i} closes roads\n\nHeavy rain fell on the region on day {i}.\n"
        (folder / f"doc-{i:04d}.txt").write_text(body, encoding="utf-8")
    return folder


async def test_poll_counts_new_items_as_they_are_classified(tmp_path: Path) -> None:
    folder = _documents(tmp_path / "docs", 600)
    config = {"seeds": {"enabled": False}, "classifier": {"model": "rules"}}
    async with console_app(tmp_path / "progress.db", config, poll=False) as app:
        feed = app.store.add_feed(
            FeedSpec(url=f"local:{folder}", name="docs", poll_interval_s=86400, kind="local"),
            app.clock.now(),
            added_by="test",
        )
        recorder = Recorder()
        report = await app.poll(feed_ids=[feed.id], progress=recorder)
    assert report.new_items == 600
    assert recorder.calls[0] == ("start:items", 0)
    assert recorder.calls[-1] == ("close", 0)
    assert sum(n for kind, n in recorder.calls if kind == "expect") == 600
    advances = [n for kind, n in recorder.calls if kind == "advance"]
    assert sum(advances) == 600 and len(advances) > 1  # moves in chunks, not all at the end


def _ingest(tmp_path: Path, stderr: int) -> subprocess.Popen[bytes]:
    folder = _documents(tmp_path / "docs", 300)
    cmd = [sys.executable, "-m", "bot", "ingest", str(folder), "-c", str(cli_config(tmp_path))]
    return subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=stderr)


def test_ingest_shows_progress_on_a_terminal(tmp_path: Path) -> None:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    proc = _ingest(tmp_path, slave)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the terminal's other end closed: the command exited
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, seen
    text = seen.decode("utf-8", "replace")
    assert "ingest" in text and "300/300" in text and "items" in text
    assert b"300 new" in out


def test_ingest_prints_no_progress_when_stderr_is_not_a_terminal(tmp_path: Path) -> None:
    proc = _ingest(tmp_path, subprocess.PIPE)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert b"300 new" in out
    assert b"300/300" not in err and b"\r" not in err and b"items/s" not in err


async def test_daemon_shows_its_first_cycle_only(tmp_path: Path) -> None:
    folder = _documents(tmp_path / "docs", 20)
    config = {"seeds": {"enabled": False}, "classifier": {"model": "rules"}}
    async with console_app(tmp_path / "daemon.db", config, poll=False) as app:
        app.store.add_feed(
            FeedSpec(url=f"local:{folder}", name="docs", poll_interval_s=60, kind="local"),
            app.clock.now(),
            added_by="test",
        )
        recorder = Recorder()
        daemon = Daemon(app, first_progress=recorder)
        await daemon.poll_tick()
        first = list(recorder.calls)
        await daemon.poll_tick()
    assert first[0] == ("start:items", 0) and first[-1] == ("close", 0)
    assert sum(n for kind, n in first if kind == "advance") == 20
    assert recorder.calls == first  # the second cycle draws nothing
