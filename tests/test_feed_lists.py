"""`feed import` / `feed export` (OPML) through the console harness and the `watchbot feeds` CLI."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App
from bot.core.commands import CommandContext
from bot.core.feedlist import MAX_FEEDS
from bot.core.messages import ErrorReply, TextReply
from bot.core.models import Upload
from bot.ingest.opml import parse_opml
from tests.fakes import REPO
from tests.harness import cli_config, console_app

DATA = Path(__file__).parent / "data" / "opml"


def ctx(upload: Upload | None = None, *, admin: bool = True) -> CommandContext:
    return CommandContext("console:desk", "desk", "alice", is_admin=admin, upload=upload)


def opml_file(name: str) -> Upload:
    return Upload(name, (DATA / name).read_bytes())


def opml_of(*urls: str) -> Upload:
    outlines = "".join(
        f'<outline type="rss" text="f{i}" xmlUrl="{u}"/>' for i, u in enumerate(urls)
    )
    return Upload("list.opml", f'<opml version="2.0"><body>{outlines}</body></opml>'.encode())


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    config = {
        "seeds": {"enabled": False},
        "classifier": {"model": "rules"},
        "feeds": [
            {
                "url": "https://frontline.example/rss.xml",
                "name": "Front Line",
                "tags": ["From config"],
            }
        ],
    }
    async with console_app(tmp_path / "w.db", config, poll=False) as app:
        yield app


async def execute(app: App, line: str, context: CommandContext) -> TextReply:
    reply = await app.commands.execute(line, context)
    assert isinstance(reply, TextReply), reply
    return reply


async def refused(app: App, line: str, context: CommandContext) -> str:
    reply = await app.commands.execute(line, context)
    assert isinstance(reply, ErrorReply), reply
    return reply.text


def urls(app: App) -> dict[str, tuple[str, ...]]:
    return {f.url: f.tags for f in app.store.list_feeds()}


async def test_feedly_import_adds_new_feeds_with_their_folders_as_tags(app: App) -> None:
    reply = await execute(app, "feed import", ctx(opml_file("feedly.opml")))

    assert reply.text.startswith(
        "Imported 2 new feed(s), 1 already watched, 1 repeated in the file from feedly.opml."
    )
    assert urls(app) == {
        "https://frontline.example/rss.xml": ("From config",),  # known: reported, not touched
        "https://kyiv-desk.example/feed/": ("Ukraine", "European security"),  # in 2 categories
        "https://defence-review.example/atom": ("European security",),
    }
    lines = "\n".join(reply.lines)
    assert "Already watched:\n  https://frontline.example/rss.xml (feed #1)" in lines
    assert "Repeated in the file:\n  https://kyiv-desk.example/feed/" in lines
    added = [f for f in app.store.list_feeds() if f.id > 1]
    assert all(f.added_by == "alice" and f.poll_interval_s == 900 for f in added)
    assert not reply.ephemeral


async def test_importing_the_same_file_again_adds_nothing_twice(app: App) -> None:
    await execute(app, "feed import", ctx(opml_file("newsblur.opml")))
    again = await execute(app, "feed import", ctx(opml_file("newsblur.opml")))

    assert again.text.startswith("Imported 0 new feed(s), 3 already watched from newsblur.opml.")
    assert len(app.store.list_feeds()) == 4


@pytest.mark.parametrize("name", ["inoreader.opml", "miniflux.opml", "newsblur.opml"])
async def test_every_reader_layout_imports(app: App, name: str) -> None:
    await execute(app, "feed import", ctx(opml_file(name)))
    expected = {f.url: f.tags for f in parse_opml((DATA / name).read_bytes())}
    assert {u: t for u, t in urls(app).items() if u in expected} == expected


async def test_dry_run_says_what_would_happen_and_changes_nothing(app: App) -> None:
    reply = await execute(app, "feed import --dry-run", ctx(opml_file("inoreader.opml")))

    assert reply.text == (
        "Dry run: importing would add 3 new feed(s) from inoreader.opml. Nothing was changed."
    )
    assert "  Summit Watch [Diplomacy]" in reply.lines and reply.ephemeral
    assert list(urls(app)) == ["https://frontline.example/rss.xml"]


@pytest.mark.parametrize(
    "bad",
    [
        "http://127.0.0.1:8080/admin",
        "http://169.254.169.254/latest/meta-data/",
        "file:///etc/passwd",
        "ftp://files.example/feed.xml",
        "https://user:secret@creds.example/feed",
    ],
)
async def test_one_url_the_guard_refuses_refuses_the_whole_file(app: App, bad: str) -> None:
    upload = opml_of("https://ok-one.example/rss", bad, "https://ok-two.example/rss")
    text = await refused(app, "feed import", ctx(upload))

    assert text.startswith("list.opml: 1 feed URL(s) may not be watched, so nothing was imported")
    # The very reason `feed add` gives: one guard, not a copy of it.
    add = await refused(app, f"feed add {bad}", ctx())
    assert add.split("\n")[0] in text
    assert list(urls(app)) == ["https://frontline.example/rss.xml"]


async def test_a_hostile_file_gets_one_message_and_adds_nothing(app: App) -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<opml><body><outline text="&b;" xmlUrl="https://x.example/"/></body></opml>'
    )
    text = await refused(app, "feed import", ctx(Upload("bomb.opml", bomb)))

    assert text.startswith("bomb.opml: not a usable OPML file: it declares a DOCTYPE")
    assert "nothing was imported" in text
    assert list(urls(app)) == ["https://frontline.example/rss.xml"]


async def test_too_many_feeds_are_refused(app: App) -> None:
    upload = opml_of(*(f"https://f{i}.example/rss" for i in range(MAX_FEEDS + 1)))
    text = await refused(app, "feed import", ctx(upload))
    assert f"over the limit of {MAX_FEEDS:,}" in text
    assert len(app.store.list_feeds()) == 1


async def test_import_without_a_file_says_how_to_give_one(app: App) -> None:
    text = await refused(app, "feed import", ctx())
    assert "feed import needs an OPML file" in text and "Discord" in text and "Slack" in text


async def test_import_and_export_are_for_admins(app: App) -> None:
    text = await refused(app, "feed import", ctx(opml_file("feedly.opml"), admin=False))
    assert "limited to admins" in text
    assert len(app.store.list_feeds()) == 1


async def test_export_round_trips_through_import(app: App, tmp_path: Path) -> None:
    await execute(app, "feed import", ctx(opml_file("feedly.opml")))
    await execute(app, "feed import", ctx(opml_file("newsblur.opml")))

    reply = await execute(app, "feed export", ctx())

    [attachment] = reply.attachments
    assert attachment.filename == "watchbot-feeds-20250301.opml"
    assert attachment.media_type == "text/x-opml"
    assert reply.text.startswith("Exported 6 feed(s) in 4 folder(s)")
    back = {f.url: f.tags for f in parse_opml(attachment.data)}
    assert back == urls(app)
    top = ET.fromstring(attachment.data).findall("body/outline")
    folders = [o.get("text") for o in top if o.get("xmlUrl") is None]
    # First tags, in feed order: the configured feed's `tags = [...]` too.
    assert folders == ["From config", "Ukraine", "European security", "Europe"]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )


def test_cli_import_dry_run_import_and_export(tmp_path: Path) -> None:
    config = str(cli_config(tmp_path))
    feedly = str(DATA / "feedly.opml")

    dry = cli("feeds", "import", feedly, "--dry-run", "-c", config)
    assert dry.returncode == 0, dry.stderr
    assert "Dry run: importing would add 3 new feed(s)" in dry.stdout

    done = cli("feeds", "import", feedly, "-c", config)
    assert done.returncode == 0, done.stderr
    assert "Imported 3 new feed(s), 1 repeated in the file from feedly.opml." in done.stdout

    out = tmp_path / "out.opml"
    exported = cli("feeds", "export", str(out), "-c", config)
    assert exported.returncode == 0, exported.stderr
    assert f"as {out}" in exported.stdout
    assert {f.url for f in parse_opml(out.read_bytes())} == {
        f.url for f in parse_opml((DATA / "feedly.opml").read_bytes())
    }

    to_stdout = cli("feeds", "export", "-c", config)
    assert to_stdout.returncode == 0, to_stdout.stderr
    assert parse_opml(to_stdout.stdout.encode()) == parse_opml(out.read_bytes())
    assert "Exported 3 feed(s) in 2 folder(s)" in to_stdout.stderr  # stdout holds only the file


def test_cli_import_of_a_broken_file_fails_with_one_line(tmp_path: Path) -> None:
    config = str(cli_config(tmp_path))
    broken = tmp_path / "broken.opml"
    broken.write_text("<opml><body><outline")

    result = cli("feeds", "import", str(broken), "-c", config)

    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()[-1:]
    assert line.startswith("watchbot: broken.opml: not a usable OPML file: the XML is malformed")
    missing = cli("feeds", "import", str(tmp_path / "nope.opml"), "-c", config)
    assert missing.returncode == 2 and "cannot read" in missing.stderr
