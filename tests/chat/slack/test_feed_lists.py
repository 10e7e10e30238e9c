"""`/watch feed import` and `/watch feed export` on Slack, at the wire.

Import: the admin shares the .opml file in the conversation, then runs the command; the bot finds
it with files.list (channel, user, the last hour) and downloads `url_private_download` with the
bot token, all against the fake Slack. Export: the OPML file goes back through files_upload_v2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.ingest.opml import parse_opml
from tests.chat.slack.conftest import CHANNEL, Bot, command_body, signed_headers
from tests.chat.slack.fake_slack import BOT_TOKEN

FORM = "application/x-www-form-urlencoded"
DATA = Path(__file__).parent.parent.parent / "data" / "opml"


async def run(bot: Bot, text: str, name: str, *, user: str = "U_ADMIN") -> dict[str, Any]:
    """Post `/watch text` signed as Slack does; the reply that reached response_url."""
    body = command_body(text, bot.fake.response_url(name), user=user)
    status, _, _ = await bot.post(body, signed_headers(body, FORM))
    assert status == 200
    await bot.fake.wait_for(lambda: any(n == name for n, _ in bot.fake.responses))
    [reply] = [r for n, r in bot.fake.responses if n == name]
    return reply


def make_admin(bot: Bot) -> None:
    bot.fake.add_user("U_ADMIN", admin=True)


def share(bot: Bot, name: str, data: bytes, *, user: str = "U_ADMIN", ago_s: float = 60) -> None:
    bot.fake.user_shares(CHANNEL, user, name, data, created=bot.clock.now().timestamp() - ago_s)


def watched(bot: Bot) -> dict[str, tuple[str, ...]]:
    return {f.url: f.tags for f in bot.store.list_feeds()}


async def test_import_reads_the_file_the_admin_shared_here(bot: Bot) -> None:
    make_admin(bot)
    share(bot, "old.opml", (DATA / "miniflux.opml").read_bytes(), ago_s=1800)
    share(bot, "feedly.opml", (DATA / "feedly.opml").read_bytes())
    share(bot, "notes.txt", b"not a feed list")  # newest, but not a feed list

    reply = await run(bot, "feed import", "imp")

    assert reply["response_type"] == "in_channel"
    assert reply["text"].startswith(
        "Imported 3 new feed(s), 1 repeated in the file from feedly.opml"
    )
    assert watched(bot)["https://kyiv-desk.example/feed/"] == ("Ukraine", "European security")
    [args] = [a for m, a in bot.fake.calls if m == "files.list"]
    assert args["channel"] == CHANNEL and args["user"] == "U_ADMIN"
    assert int(args["ts_from"]) == int(bot.clock.now().timestamp()) - 3600
    [(file_id, auth)] = bot.fake.downloads
    assert auth == f"Bearer {BOT_TOKEN}" and file_id == bot.fake.user_files[1]["id"]


async def test_dry_run_on_slack_changes_nothing(bot: Bot) -> None:
    make_admin(bot)
    share(bot, "inoreader.opml", (DATA / "inoreader.opml").read_bytes())

    reply = await run(bot, "feed import --dry-run", "dry")

    assert reply["response_type"] == "ephemeral"
    assert reply["text"].startswith("Dry run: importing would add 3 new feed(s)")
    assert watched(bot) == {}


async def test_no_shared_file_says_how_to_share_one(bot: Bot) -> None:
    make_admin(bot)
    share(bot, "feedly.opml", (DATA / "feedly.opml").read_bytes(), user="U_OTHER")
    share(bot, "stale.opml", (DATA / "feedly.opml").read_bytes(), ago_s=7200)

    reply = await run(bot, "feed import", "none")

    assert reply["response_type"] == "ephemeral"
    assert "No .opml file shared by you here in the last hour" in reply["text"]
    assert not bot.fake.downloads and watched(bot) == {}


async def test_hostile_shared_file_gets_one_message_and_adds_nothing(bot: Bot) -> None:
    make_admin(bot)
    share(
        bot,
        "evil.opml",
        b'<?xml version="1.0"?><!DOCTYPE o [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b'<opml><body><outline text="&e;" xmlUrl="http://10.0.0.8/feed"/></body></opml>',
    )

    reply = await run(bot, "feed import", "evil")

    assert reply["response_type"] == "ephemeral"
    assert "evil.opml: not a usable OPML file: it declares a DOCTYPE" in reply["text"]
    assert watched(bot) == {}


async def test_oversized_shared_file_is_refused_without_downloading(bot: Bot) -> None:
    make_admin(bot)
    share(bot, "huge.opml", b"<opml><body>" + b" " * (3 * 1024 * 1024) + b"</body></opml>")

    reply = await run(bot, "feed import", "huge")

    assert "huge.opml is 3,145,754 bytes, over the limit" in reply["text"]
    assert not bot.fake.downloads


async def test_members_cannot_import_and_nothing_is_fetched(bot: Bot) -> None:
    bot.fake.add_user("U_MEMBER")
    share(bot, "feedly.opml", (DATA / "feedly.opml").read_bytes(), user="U_MEMBER")

    reply = await run(bot, "feed import", "member", user="U_MEMBER")

    assert "limited to admins" in reply["text"]
    assert "files.list" not in bot.fake.methods() and watched(bot) == {}


async def test_export_is_uploaded_to_the_channel_as_an_opml_file(bot: Bot) -> None:
    make_admin(bot)
    share(bot, "newsblur.opml", (DATA / "newsblur.opml").read_bytes())
    await run(bot, "feed import", "imp")

    reply = await run(bot, "feed export", "exp")
    await bot.fake.wait_for(lambda: bool(bot.fake.files))

    assert reply["text"].startswith("Exported 3 feed(s) in 1 folder(s) as watchbot-feeds-")
    [shared] = bot.fake.files
    assert shared.channel == CHANNEL and shared.filename.endswith(".opml")
    assert {f.url: f.tags for f in parse_opml(shared.data)} == watched(bot)


async def test_the_bot_token_goes_to_no_host_but_slack_s(bot: Bot) -> None:
    make_admin(bot)
    share(bot, "feedly.opml", (DATA / "feedly.opml").read_bytes())
    bot.fake.user_files[0]["url_private_download"] = "http://attacker.example/steal.opml"

    reply = await run(bot, "feed import", "steal")

    assert "no download address for feedly.opml that Watchbot trusts" in reply["text"]
    assert not bot.fake.downloads and watched(bot) == {}


async def test_feeds_shows_each_feed_s_week_and_share_on_topic(bot: Bot) -> None:
    bot.add_items(4)  # one feed, four items on guarantees, published now

    reply = await run(bot, "feeds", "feeds")

    table = "\n".join(b["text"]["text"] for b in reply["blocks"] if b["type"] == "section")
    header, row = [line for line in table.splitlines() if line and "```" not in line][1:3]
    assert header.split() == [
        "id", "name", "health", "last", "success", "next", "poll", "items", "7d", "on", "topic",
        "last", "error",
    ]  # fmt: skip
    assert row.split()[:2] == ["1", "feed"] and row.split()[-2:] == ["4", "100%"]
