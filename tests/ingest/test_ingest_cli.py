"""`watchbot ingest` says what a folder too large for one read leaves out, instead of dropping it."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from bot.__main__ import cli
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
