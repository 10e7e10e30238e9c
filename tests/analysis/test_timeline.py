"""`/watch timeline` and `watchbot timeline --json` on the seed corpus."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.__main__ import cli
from bot.app import App
from bot.core.commands import CommandContext
from bot.core.messages import ErrorReply, TableReply, TextReply
from bot.core.timeline import parse_timeline_args
from tests.fakes import REPO
from tests.harness import console_app

USER = CommandContext("console:desk", "desk", "bob")
REQUIRED = [  # (speaker, stance, topic, date) the seed corpus must yield
    ("Emmanuel Macron", "keeps_open", "troops", "2024-02-26"),
    ("John Kirby", "rules_out", "troops", "2024-06-07"),
    ("Keir Starmer", "conditional", "guarantees", "2025-02-24"),
    ("the Kremlin", "opposes", "troops", "2025-02-24"),
]


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    async with console_app(tmp_path / "w.db") as app:
        yield app


def test_parse_args() -> None:
    assert parse_timeline_args(["the", "Kremlin", "troops"]) == ("the Kremlin", "troops")
    assert parse_timeline_args(["US", "all"]) == ("US", None)
    assert parse_timeline_args([]) == ("", None)


async def test_timeline_command(app: App) -> None:
    everyone = await app.commands.execute("timeline", USER)
    assert isinstance(everyone, TableReply)
    rows = {(r[1].split(" (")[0], r[2], r[3], r[0]) for r in everyone.rows}
    assert set(REQUIRED) <= rows
    dates = [r[0] for r in everyone.rows]
    assert dates == sorted(dates)  # a dated list, oldest first

    macron = await app.commands.execute("timeline Macron troops", USER)
    assert isinstance(macron, TableReply) and macron.rows
    assert {r[1].split(" (")[0] for r in macron.rows} == {"Emmanuel Macron"}
    assert {r[3] for r in macron.rows} == {"troops"}
    assert macron.title.startswith("Timeline: Macron · Troop deployment")

    us = await app.commands.execute('timeline "United States" troops', USER)
    assert isinstance(us, TableReply)
    assert ("2024-06-07", "John Kirby (for Joe Biden)", "rules_out") in {r[:3] for r in us.rows}

    kremlin = await app.commands.execute("timeline the Kremlin", USER)
    assert isinstance(kremlin, TableReply) and [r[2] for r in kremlin.rows] == ["opposes"]

    unknown = await app.commands.execute("timeline Atlantis", USER)
    assert isinstance(unknown, ErrorReply) and "names no actor or country" in unknown.text
    help_text = await app.commands.execute("help", USER)
    assert isinstance(help_text, TextReply)
    assert any(line.startswith("/watch timeline") for line in help_text.lines)


def test_cli_timeline_json(tmp_path: Path) -> None:
    config = tmp_path / "watchbot.toml"
    config.write_text(
        f'[storage]\nurl = "sqlite:///{tmp_path / "w.db"}"\n'
        f'[seeds]\npath = "{REPO / "seeds"}"\n'
        '[[channels]]\nname = "console"\nplatform = "console"\n',
        encoding="utf-8",
    )
    runner = CliRunner()
    polled = runner.invoke(cli, ["poll", "-c", str(config)])
    assert polled.exit_code == 0, polled.output
    result = runner.invoke(cli, ["timeline", "-c", str(config), "--json"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    for record in records:
        assert {"speaker", "stance", "topic", "date", "item_id", "sentence"} <= set(record)
    found = {(r["speaker"], r["stance"], r["topic"], r["date"]) for r in records}
    assert set(REQUIRED) <= found
    kirby = next(r for r in records if r["speaker"] == "John Kirby")
    assert kirby["on_behalf_of"] == "Joe Biden" and isinstance(kirby["item_id"], int)

    only = runner.invoke(
        cli,
        ["timeline", "-c", str(config), "--actor", "Starmer", "--topic", "guarantees", "--json"],
    )
    assert only.exit_code == 0
    assert [json.loads(x)["stance"] for x in only.stdout.splitlines()] == ["conditional"]
    table = runner.invoke(cli, ["timeline", "-c", str(config), "--actor", "Kremlin"])
    assert table.exit_code == 0 and "the Kremlin" in table.stdout and "opposes" in table.stdout
    bad = runner.invoke(cli, ["timeline", "-c", str(config), "--actor", "Atlantis"])
    assert bad.exit_code == 2
    bad_topic = runner.invoke(cli, ["timeline", "-c", str(config), "--topic", "tanks"])
    assert bad_topic.exit_code == 2
