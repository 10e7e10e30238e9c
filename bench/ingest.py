"""Throughput of `watchbot ingest` over many text documents, with the shipped configuration.

    python bench/ingest.py [--docs 50000] [--per-folder 1000] [--on-topic 0.2]
                           [--workers N] [--profile FILE]

Generates the documents (bench/docgen.py: storygen's realistic reports of 60–400 words, about 20%
on topic, with each file's date and outlet in the folder's index.toml) into folders of `--per-folder` files in a temporary directory, then runs the real command,
`python -m bot ingest FOLDER...`, in a subprocess on a fresh SQLite database with the shipped
configuration's classifier, thresholds and stories (seeds and the feed list left out: they would
ingest other things). The figure is documents ingested per second of the command's wall time,
start-up included: each one read, classified and stored, or recognised as a repeat of one
already stored (syndicated copies) and stored once. `--workers N` is passed to the command (default:
its own, one worker per CPU up to 4); the peak RSS is the sum over the command and its workers.
`--profile FILE` runs the command under cProfile and writes its statistics.
Prints the figures, then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import docgen
import psutil
from _support import REPO, machine, tree_rss


def write_config(tmp: Path) -> Path:
    """The shipped configuration without its feeds and seeds, on a database in `tmp`."""
    shipped = (REPO / "config" / "watchbot.toml").read_text(encoding="utf-8")
    kept = shipped.split("# --- Feeds:", 1)[0].split("[[feeds]]", 1)[0]
    channels = shipped[shipped.index("# --- Channels.") :]
    text = kept.replace('url = "sqlite:///data/watchbot.db"', f'url = "sqlite:///{tmp}/bench.db"')
    text = text.replace("enabled = true", "enabled = false", 1)
    path = tmp / "watchbot.toml"
    path.write_text(text + "\n" + channels, encoding="utf-8")
    return path


def run_ingest(
    config: Path, folders: list[Path], workers: int | None, profile: Path | None
) -> dict[str, float]:
    """Run the command; its wall time, CPU time (with children) and peak RSS (with workers)."""
    runner = ["-m", "cProfile", "-o", str(profile)] if profile else []
    cmd = [sys.executable, *runner, "-m", "bot", "ingest", "--config", str(config)]
    if workers is not None:
        cmd += ["--workers", str(workers)]
    env = {**os.environ, "WATCHBOT_LOG_LEVEL": "WARNING"}
    started = time.perf_counter()
    proc = psutil.Popen([*cmd, *map(str, folders)], cwd=REPO, env=env, stdout=subprocess.DEVNULL)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_rss(proc.pid))  # with its workers
        time.sleep(0.1)
    wall = time.perf_counter() - started
    if proc.returncode:
        raise SystemExit(f"watchbot ingest failed with exit code {proc.returncode}")
    usage = os.times()
    return {
        "wall_s": wall,
        "cpu_s": usage.children_user + usage.children_system,
        "peak_rss_mb": peak / 2**20,
    }


def stored_items(config: Path) -> int:
    from sqlalchemy import create_engine, text

    url = next(
        line.split('"')[1] for line in config.read_text().splitlines() if line.startswith("url =")
    )
    engine = create_engine(url)
    with engine.connect() as conn:
        count = int(conn.execute(text("SELECT count(*) FROM items")).scalar_one())
    engine.dispose()
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=50_000)
    parser.add_argument("--per-folder", type=int, default=1000)
    parser.add_argument("--on-topic", type=float, default=0.2)
    parser.add_argument(
        "--workers", type=int, default=None, help="watchbot ingest --workers (default: its own)"
    )
    parser.add_argument("--profile", type=Path, default=None, help="write cProfile stats here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        t0 = time.perf_counter()
        folders = docgen.write_documents(
            tmp / "docs", args.docs, per_folder=args.per_folder, on_topic=args.on_topic
        )
        generate_s = time.perf_counter() - t0
        size = sum(p.stat().st_size for f in folders for p in f.glob("*.txt"))
        config = write_config(tmp)
        figures = run_ingest(config, folders, args.workers, args.profile)
        stored = stored_items(config)
    result = {
        "docs": args.docs,
        "folders": len(folders),
        "mb": round(size / 1e6, 1),
        "avg_chars": round(size / args.docs),
        "stories": True,
        "stored_items": stored,
        "seconds": round(figures["wall_s"], 2),
        "docs_per_s": round(args.docs / figures["wall_s"], 1),
        "docs_per_cpu_s": round(args.docs / max(figures["cpu_s"], 1e-9), 1),
        "peak_rss_mb": round(figures["peak_rss_mb"], 1),
        "generate_s": round(generate_s, 1),
        "workers": args.workers,
        "profiled": args.profile is not None,
        **machine(),
    }
    print(
        f"{args.docs} documents in {len(folders)} folders ({result['mb']} MB, "
        f"{result['avg_chars']} bytes on average), stories on"
    )
    print(
        f"watchbot ingest: {result['seconds']:.1f} s, {result['docs_per_s']:.0f} docs/s "
        f"({result['docs_per_cpu_s']:.0f} per CPU-second), {stored} stored, "
        f"peak RSS {result['peak_rss_mb']:.0f} MB"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
