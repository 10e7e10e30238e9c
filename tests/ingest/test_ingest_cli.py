"""`watchbot ingest` says what a folder too large for one read leaves out, instead of dropping it,
and classifies in worker processes exactly as it would alone."""

from __future__ import annotations

import json
import os
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.__main__ import cli, default_ingest_workers
from tests.harness import cli_config


def _folder(path: Path, count: int) -> Path:
    path.mkdir()
    for i in range(count):
        doc = path / f"doc-{i:02d}.txt"
        doc.write_text(f"Storm {i} closes roads\n\nRain fell on day {i}.\n", encoding="utf-8")
        stamp = datetime(2026, 1, 1 + i, tzinfo=UTC).timestamp()
        os.utime(doc, (stamp, stamp))
    return path


def _config(tmp_path: Path, max_entries: int) -> Path:
    path = cli_config(tmp_path)
    path.write_text(path.read_text() + f"\n[polling]\nmax_entries = {max_entries}\n")
    return path


def test_a_folder_past_the_limit_is_named_with_what_is_left_out(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "archive", 5)
    config = _config(tmp_path, 3)
    result = CliRunner().invoke(cli, ["ingest", str(folder), "-c", str(config)])

    assert result.exit_code == 1
    assert (
        f"watchbot: {folder}: 5 documents, but one folder is read 3 at a time "
        "(polling.max_entries 3, at most 5,000 files): 2 are left out; "
        "split it into folders of at most 3 documents"
    ) in result.output
    items = CliRunner().invoke(cli, ["items", "--json", "-c", str(config)])
    titles = sorted(json.loads(line)["title"] for line in items.output.splitlines())
    assert titles == ["Storm 2 closes roads", "Storm 3 closes roads", "Storm 4 closes roads"]


def test_a_folder_within_the_limit_is_ingested_quietly(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "archive", 3)
    result = CliRunner().invoke(cli, ["ingest", str(folder), "-c", str(_config(tmp_path, 3))])

    assert result.exit_code == 0, result.output
    assert "left out" not in result.output
    assert "archive: 3 new" in result.output


def _mixed_folder(path: Path, count: int) -> Path:
    path.mkdir()
    for i in range(count):
        event = i // 6  # six reports of each event: stories form
        body = (
            f"French President Emmanuel Macron said on day {event} that France would send "
            f"{event + 2},000 peacekeepers to Ukraine after a ceasefire in the region {event}."
            if i % 3 == 0
            else f"Council {event} approves a new budget of {event} million for parks {i % 6}."
        )
        (path / f"doc-{i:03d}.txt").write_text(f"Report {i}\n\n{body}\n", encoding="utf-8")
    return path


def _stored(config: Path) -> list[tuple[str, dict[str, float], dict[str, bool]]]:
    items = CliRunner().invoke(cli, ["items", "--json", "--limit", "1000", "-c", str(config)])
    rows = [json.loads(line) for line in items.output.splitlines()]
    return sorted((r["title"], r["scores"], r["labels"]) for r in rows)


def _analysis(database: Path) -> tuple[list[tuple[str, str | None]], list[tuple[str, ...]]]:
    """Each item's story (as its lead's title) and every statement, by item title."""
    with closing(sqlite3.connect(database)) as db:
        stories = db.execute(
            "SELECT i.title, lead.title FROM items i LEFT JOIN items lead ON lead.id = i.story_id"
        ).fetchall()
        statements = db.execute(
            "SELECT i.title, s.speaker, s.topic, s.stance FROM stances s "
            "JOIN items i ON i.id = s.item_id"
        ).fetchall()
    return sorted(stories), sorted(statements)


def test_workers_classify_and_read_as_this_process_does(tmp_path: Path) -> None:
    folder = _mixed_folder(tmp_path / "archive", 300)  # more than one batch of 256
    stored, analysed = [], []
    for workers in ("0", "2"):
        (tmp_path / f"w{workers}").mkdir()
        config = _config(tmp_path / f"w{workers}", 1000)
        # The shipped trained model, as ingest runs by default.
        config.write_text(config.read_text().replace('model = "rules"', 'model = "auto"'))
        result = CliRunner().invoke(
            cli, ["ingest", str(folder), "--workers", workers, "-c", str(config)]
        )
        assert result.exit_code == 0, result.output
        assert "archive: 300 new" in result.output
        stored.append(_stored(config))
        analysed.append(_analysis(tmp_path / f"w{workers}" / "cli.db"))
    assert len(stored[0]) == 300
    assert stored[0] == stored[1]
    assert sum(labels["troops"] for _, _, labels in stored[1]) == 100
    # Fingerprints and statements read in the workers: the same stories and statements.
    stories, statements = analysed[1]
    assert analysed[0] == analysed[1]
    assert sum(1 for title, lead in stories if lead is not None and lead != title) >= 100
    assert len(statements) >= 50


def test_ingest_uses_one_worker_per_cpu_up_to_four(monkeypatch: pytest.MonkeyPatch) -> None:
    for cpus, expected in ((1, 0), (2, 2), (3, 3), (16, 4)):
        monkeypatch.setattr(os, "sched_getaffinity", lambda _pid, n=cpus: set(range(n)))
        assert default_ingest_workers() == expected


def test_a_negative_worker_count_is_refused(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "archive", 1)
    result = CliRunner().invoke(
        cli, ["ingest", str(folder), "--workers", "-1", "-c", str(_config(tmp_path, 3))]
    )
    assert result.exit_code == 2
    assert "--workers" in result.output
