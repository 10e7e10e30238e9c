"""Shared pieces of the benchmarks: repository imports, a feed server process, RSS sampling,
scratch databases and the machine's load (the figures mean little on a busy machine)."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing as mp
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Collection, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # `python bench/x.py` puts bench/ first, not the repository
    sys.path.insert(0, str(REPO))

import psutil  # noqa: E402


class SteppingClock:
    """A clock that follows the wall clock from a start, plus whatever `advance` added."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, **kwargs: float) -> None:
        self.offset += timedelta(**kwargs)


def generated(feeds: int, entries: int, *, worst_case: bool = False) -> list[bytes]:
    """The benchmark feeds: realistic stories (storygen), or feedgen's few templates."""
    import feedgen
    import storygen

    if worst_case:
        return feedgen.generate(feeds, entries)
    return storygen.generate(feeds, entries)


def _serve(feeds: int, entries: int, worst_case: bool, conn: object) -> None:
    """Child process: serve the generated feeds with ETags until the parent closes the pipe."""
    from tests.ingest.feedserver import FeedServer

    async def main() -> None:
        docs = generated(feeds, entries, worst_case=worst_case)
        async with FeedServer() as server:
            server.requests = _Discard()
            for i, body in enumerate(docs):
                server.serve(f"/feed/{i}.xml", body, etag=f'"v1-{i}"')
            conn.send(server.port)  # type: ignore[attr-defined]
            await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # type: ignore[attr-defined]

    asyncio.run(main())


class _Discard(list):  # type: ignore[type-arg]
    """The feed server records every request; a benchmark has no use for that."""

    def append(self, _item: object) -> None:
        pass


class FeedServerProcess:
    """The generated feeds served from another process, so serving costs the bot nothing."""

    def __init__(self, feeds: int, entries: int, *, worst_case: bool = False) -> None:
        ctx = mp.get_context("spawn")
        self._parent, child = ctx.Pipe()
        self.process = ctx.Process(
            target=_serve, args=(feeds, entries, worst_case, child), daemon=True
        )
        self.process.start()
        self.port = int(self._parent.recv())

    def url(self, i: int) -> str:
        return f"http://127.0.0.1:{self.port}/feed/{i}.xml"

    def close(self) -> None:
        self._parent.send("stop")
        self.process.join(10)
        if self.process.is_alive():
            self.process.kill()


def tree_rss(pid: int, exclude: Collection[int] = ()) -> int:
    """RSS of process `pid` plus its children (minus `exclude`); 0 once it is gone."""
    try:
        root = psutil.Process(pid)
        total = root.memory_info().rss
        children = root.children(recursive=True)
    except psutil.Error:
        return 0
    for child in children:
        if child.pid in exclude:
            continue
        with contextlib.suppress(psutil.Error):  # the child may have exited meanwhile
            total += child.memory_info().rss
    return total


def _sample_peak(pid: int, exclude: set[int], interval: float, conn: Any) -> None:
    """In the sampler's own process: sample until told to stop, then send the peak."""
    exclude = {*exclude, os.getpid()}
    peak = 0
    while not conn.poll(interval):
        peak = max(peak, tree_rss(pid, exclude))
    conn.recv()
    conn.send(max(peak, tree_rss(pid, exclude)))


class RssSampler:
    """Peak resident memory of this process plus its children (minus `exclude`), sampled.

    The sampling runs in a process of its own: as a thread it took the measured process's GIL
    for every walk of /proc (a tenth of a cold cycle's samples), slowing what it measured.
    The kernel's own peak of this process (`ru_maxrss`) is a floor of the figure.
    """

    def __init__(self, exclude: Iterable[int] = (), interval: float = 0.05) -> None:
        self.exclude = set(exclude)
        self.interval = interval
        self.peak = 0
        ours, theirs = mp.Pipe()
        self._conn = ours
        # Forked before the measured work starts: it shares pages and imports nothing.
        self._process = mp.get_context("fork").Process(
            target=_sample_peak,
            args=(os.getpid(), self.exclude, interval, theirs),
            daemon=True,
        )

    def __enter__(self) -> RssSampler:
        self._process.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._conn.send("stop")
        sampled = int(self._conn.recv())
        self._process.join()
        own_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
        self.peak = max(sampled, own_peak)

    @property
    def peak_mb(self) -> float:
        return self.peak / 1e6


_BARE = """
import io, sys, time
sys.path.insert(0, {bench!r})
import feedparser
from _support import generated
docs = generated({feeds}, {entries}, worst_case={worst_case})
for _ in range({runs}):
    start = time.perf_counter()
    for body in docs:
        feedparser.parse(io.BytesIO(body))
    print(time.perf_counter() - start)
"""


def bare_feedparser(feeds: int, entries: int, worst_case: bool = False, runs: int = 1) -> float:
    """Seconds bare `feedparser.parse` takes over the benchmark's feeds (the best of `runs`), in
    a fresh interpreter: in the benchmark's, after its work, the collector would walk the app's
    heap (the model, the story index) on feedparser's allocations and slow the baseline."""
    code = _BARE.format(
        bench=str(Path(__file__).parent),
        feeds=feeds,
        entries=entries,
        worst_case=worst_case,
        runs=runs,
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return min(float(line) for line in out.stdout.split())


def cpu_seconds() -> float:
    """CPU time of this process and its (reaped and live) children so far."""
    me = psutil.Process(os.getpid())
    t = me.cpu_times()
    total = t.user + t.system + t.children_user + t.children_system
    for child in me.children(recursive=True):
        try:
            c = child.cpu_times()
            total += c.user + c.system
        except psutil.Error:
            pass
    return total


def median(values: list[float]) -> float:
    return statistics.median(values)


def timed(fn: object) -> float:
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - start


def spread(values: list[float]) -> dict[str, float]:
    """Median, 90th percentile (nearest rank) and maximum of `values`."""
    ordered = sorted(values)
    p90 = ordered[max(0, -(-len(ordered) * 9 // 10) - 1)]
    return {"median": statistics.median(ordered), "p90": p90, "max": ordered[-1]}


def machine() -> dict[str, object]:
    """CPUs and the 1-minute load average now: the context every figure is read in."""
    return {"cpus": os.cpu_count(), "load_1m": round(os.getloadavg()[0], 2)}


@contextlib.contextmanager
def scratch_database(url: str | None) -> Iterator[str]:
    """A URL to an empty database, removed afterwards.

    None: a SQLite file in a temporary directory. A PostgreSQL URL: a schema of its own in that
    database (as the storage tests do), dropped at the end, so the database itself is untouched.
    """
    if not url:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.db'}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    if make_url(url).get_backend_name() != "postgresql":
        raise SystemExit(f"--database-url: expected a postgresql:// URL, got {url}")
    schema = f"watchbot_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, poolclass=NullPool)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield scoped.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
