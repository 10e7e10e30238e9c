"""`/watch feed import` (an attachment option, type 11) and `/watch feed export` (the OPML file
as a multipart attachment of the follow-up) over the fake gateway and REST API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.chat.discord.adapter import DiscordAdapter
from bot.ingest.opml import parse_opml
from bot.store.sql import SqlStore
from tests.chat.discord.conftest import (
    ADMIN_PERMISSIONS,
    add_items,
    group,
    interaction,
    option,
    sub,
)
from tests.chat.discord.fake_discord import FakeDiscord
from tests.chat.discord.test_commands import reply_of, send, text_of
from tests.fakes import FakeClock

DATA = Path(__file__).parent.parent.parent / "data" / "opml"


@pytest.fixture
async def connected(adapter: DiscordAdapter, fake: FakeDiscord) -> AsyncIterator[DiscordAdapter]:
    await adapter.start()
    await fake.wait_for(lambda: fake.identify is not None)
    yield adapter


def import_payload(
    fake: FakeDiscord,
    name: str,
    data: bytes,
    *,
    dry_run: bool = False,
    admin: bool = True,
    size: int | None = None,
) -> dict[str, Any]:
    """The interaction Discord sends for `/watch feed import file:<name>`: the option's value is
    the attachment id, the attachment itself is in `data.resolved.attachments`."""
    attached = fake.attachment(name, data, size=size)
    options = [option(11, "file", attached["id"])]
    if dry_run:
        options.append(option(5, "dry_run", True))
    payload = interaction(
        group("feed", sub("import", *options)),
        **({"permissions": ADMIN_PERMISSIONS} if admin else {}),
    )
    payload["data"]["resolved"] = {"attachments": {attached["id"]: attached}}
    return payload


def watched(store: SqlStore) -> dict[str, tuple[str, ...]]:
    return {f.url: f.tags for f in store.list_feeds()}


async def test_import_option_is_an_attachment(connected: DiscordAdapter, fake: FakeDiscord) -> None:
    [(_path, [watch])] = fake.synced
    [feed] = [o for o in watch["options"] if o["name"] == "feed"]
    [imp] = [o for o in feed["options"] if o["name"] == "import"]
    assert [(o["name"], o["type"], o.get("required", False)) for o in imp["options"]] == [
        ("file", 11, True),
        ("dry_run", 5, False),
    ]


async def test_import_downloads_the_attachment_and_adds_the_feeds(
    connected: DiscordAdapter, fake: FakeDiscord, store: SqlStore
) -> None:
    payload = import_payload(fake, "feedly.opml", (DATA / "feedly.opml").read_bytes())

    reply, ephemeral, deferred = reply_of(await send(fake, payload))

    assert (ephemeral, deferred) == (False, True)
    assert "Imported 3 new feed(s), 1 repeated in the file from feedly.opml" in text_of(reply)
    assert watched(store)["https://kyiv-desk.example/feed/"] == ("Ukraine", "European security")
    assert len(fake.cdn_gets) == 1


async def test_dry_run_changes_nothing(
    connected: DiscordAdapter, fake: FakeDiscord, store: SqlStore
) -> None:
    payload = import_payload(fake, "n.opml", (DATA / "newsblur.opml").read_bytes(), dry_run=True)

    reply, ephemeral, _ = reply_of(await send(fake, payload))

    assert ephemeral and "Dry run: importing would add 3 new feed(s)" in text_of(reply)
    assert watched(store) == {}


async def test_hostile_attachment_gets_one_message_and_adds_nothing(
    connected: DiscordAdapter, fake: FakeDiscord, store: SqlStore
) -> None:
    doc = b'<opml><body><outline text="a" xmlUrl="https://ok.example/rss"/>'
    doc += b'<outline text="b" xmlUrl="ftp://files.example/feed"/></body></opml>'
    payload = import_payload(fake, "mixed.opml", doc)

    reply, ephemeral, _ = reply_of(await send(fake, payload))

    assert ephemeral, text_of(reply)
    assert "mixed.opml: 1 feed URL(s) may not be watched, so nothing was imported" in text_of(reply)
    assert watched(store) == {}


async def test_oversized_attachment_is_refused_before_download(
    connected: DiscordAdapter, fake: FakeDiscord, store: SqlStore
) -> None:
    payload = import_payload(fake, "big.opml", b"<opml/>", size=50 * 1024 * 1024)

    reply, ephemeral, _ = reply_of(await send(fake, payload))

    assert ephemeral and "big.opml is 52,428,800 bytes, over the limit" in text_of(reply)
    assert not fake.cdn_gets and watched(store) == {}


async def test_members_cannot_import_and_nothing_is_downloaded(
    connected: DiscordAdapter, fake: FakeDiscord, store: SqlStore
) -> None:
    payload = import_payload(fake, "f.opml", (DATA / "feedly.opml").read_bytes(), admin=False)

    reply, ephemeral, _ = reply_of(await send(fake, payload))

    assert ephemeral and "limited to admins" in text_of(reply)
    assert not fake.cdn_gets and watched(store) == {}


async def test_export_follow_up_carries_the_opml_file(
    connected: DiscordAdapter, fake: FakeDiscord, store: SqlStore
) -> None:
    await send(fake, import_payload(fake, "m.opml", (DATA / "miniflux.opml").read_bytes()))

    traffic = await send(
        fake, interaction(group("feed", sub("export")), permissions=ADMIN_PERMISSIONS)
    )

    reply, ephemeral, deferred = reply_of(traffic)
    assert (ephemeral, deferred) == (True, True)
    assert "Exported 2 feed(s) in 2 folder(s)" in text_of(reply)
    [upload] = fake.uploads
    assert upload.where == "followup" and upload.filename.endswith(".opml")
    assert {f.url: f.tags for f in parse_opml(upload.data)} == watched(store)
    assert "image" not in reply["embeds"][0]  # a file to download, not a picture


async def test_feeds_shows_each_feed_s_week_and_share_on_topic(
    connected: DiscordAdapter, fake: FakeDiscord, store: SqlStore, clock: FakeClock
) -> None:
    add_items(store, clock, ["Reassurance force named", "Guarantees signed"], alert_to=None)

    reply, _, _ = reply_of(await send(fake, interaction(sub("feeds"))))

    lines = text_of(reply).splitlines()
    header = next(line for line in lines if line.startswith("id"))
    assert "items 7d" in header and "on topic" in header and "last error" in header
    row = next(line for line in lines if line.startswith("1 "))
    assert row.split()[-2:] == ["2", "100%"]
