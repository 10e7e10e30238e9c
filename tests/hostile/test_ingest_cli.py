"""`watchbot ingest FILE` as a process on every hostile document: it ends within 10 s with a
one-line error and exit 1 where it refuses the document (or prints the cleaned items and exits
0), never shows a traceback, and peaks under 300 MB. Runs go two at a time (one per core); the
10 s are its own CPU time, see runner.MAX_SECONDS. Most of both figures is start-up, so the
libraries `ingest` does not use are checked to stay unloaded."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.hostile.conftest import Canary
from tests.hostile.corpus import CANARY, Doc, documents
from tests.hostile.runner import (
    FIGURES,
    MAX_PEAK_MB,
    MAX_SECONDS,
    MAX_WALL_SECONDS,
    Run,
    clean_env,
    run,
    watchbot,
    write_config,
)

# A file has no HTTP headers: documents whose point is a lying header are for the fetch path.
CLI_DOCS = [
    d for d in documents("http://canary.invalid/", "/canary") if "charset" not in d.content_type
]
# The first test waits for the module fixture, which runs every process (two at a time).
pytestmark = pytest.mark.timeout(900)
LOG_RECORD = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (DEBUG|INFO|WARNING) [\w.]+( |$)")


@pytest.fixture(scope="module")
def runs(
    canary: Canary, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[Doc, Run, Path]]:
    """Every document ingested by its own `watchbot` process, with its own database."""
    root = tmp_path_factory.mktemp("ingest")
    docs = [
        d for d in documents(canary.url, str(canary.path)) if d.name in {c.name for c in CLI_DOCS}
    ]

    def one(doc: Doc) -> tuple[Doc, Run, Path]:
        folder = root / doc.name
        config = write_config(folder)
        target = folder / f"{doc.name}.xml"
        target.write_bytes(doc.body)
        result = run([*watchbot(), "ingest", "-c", str(config), str(target)], cwd=folder)
        FIGURES.tried("documents (ingest CLI)", doc.name)
        FIGURES.measured(f"ingest {doc.name}", result)
        return doc, result, folder

    with ThreadPoolExecutor(max_workers=2) as pool:
        return {doc.name: found for doc, found in zip(docs, pool.map(one, docs), strict=True)}


@pytest.mark.parametrize("name", [d.name for d in CLI_DOCS])
def test_ingest_peak_memory_within_target(
    name: str, runs: dict[str, tuple[Doc, Run, Path]]
) -> None:
    _doc, result, _folder = runs[name]
    assert result.peak_mb < MAX_PEAK_MB, result.describe()


@pytest.mark.parametrize("name", [d.name for d in CLI_DOCS])
def test_ingest_refuses_or_cleans_within_bounds(
    name: str, runs: dict[str, tuple[Doc, Run, Path]]
) -> None:
    doc, result, _folder = runs[name]
    assert result.cpu_seconds < MAX_SECONDS, result.describe()
    assert result.seconds < MAX_WALL_SECONDS, result.describe()
    assert "Traceback" not in result.stderr, result.describe()
    # Besides the CLI's own error line, stderr holds only one-line structured log records.
    others = [line for line in result.stderr.splitlines() if not line.startswith("watchbot:")]
    assert all(LOG_RECORD.match(line) for line in others), result.describe()
    if doc.refused is not None:
        assert result.code == 1, result.describe()
        assert len(result.errors) == 1, result.describe()
        assert result.errors[0].startswith(f"watchbot: {name}.xml: "), result.describe()
        assert doc.refused in result.errors[0], result.describe()
        assert result.stdout == ""
    else:
        assert result.code == 0, result.describe()
        assert result.errors == []
        assert result.stdout.strip() == f"{name}.xml: {doc.items} new, 0 updated, 0 unchanged"


def test_no_document_reached_the_canaries(
    canary: Canary, runs: dict[str, tuple[Doc, Run, Path]]
) -> None:
    assert canary.hits == []  # no URL named by a document was fetched
    for name, (_doc, _result, folder) in runs.items():
        with sqlite3.connect(folder / "w.db") as db:
            rows = db.execute("select title || summary from items").fetchall()
        assert not any(CANARY in text or "root:" in text for (text,) in rows), name


def test_a_cut_feed_says_how_many_entries_were_left_out(
    runs: dict[str, tuple[Doc, Run, Path]],
) -> None:
    _doc, result, _folder = runs["tens-of-thousands-of-entries"]
    assert "read the first 1000 of 40000 entries (39000 left out: polling.max_entries is 1000)" in (
        result.stderr
    ), result.describe()


# Loaded only where used: charts, full-text extraction, chat platforms, the HTTP client and server.
NOT_FOR_INGEST = ("matplotlib", "trafilatura", "lxml", "aiohttp", "slack_bolt", "discord")


def test_ingest_loads_no_chart_article_chat_or_http_library(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    feed = tmp_path / "feed.xml"
    feed.write_bytes(next(d.body for d in CLI_DOCS if d.name == "mentions-in-titles"))
    code = (
        "import json, sys\n"
        "from bot.__main__ import main\n"
        # In this process (no workers), so that what classifying loads is seen here too.
        f"sys.argv = ['watchbot', 'ingest', '--workers', '0', '-c', {str(config)!r}, {str(feed)!r}]\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    assert not exit.code, exit.code\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env=clean_env(),
    )
    loaded = json.loads(out.stdout.splitlines()[-1])
    assert "feedparser" in loaded and "bot.classify.model" in loaded  # it did ingest and classify
    assert [m for m in loaded if m.split(".")[0] in NOT_FOR_INGEST] == []
