"""Fixtures for the Discord tests: the fake API, a real SqlStore app, the adapter, builders."""

from __future__ import annotations

import asyncio
import copy
import itertools
import logging
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any, Literal

import discord.http
import pytest
from discord.gateway import DiscordWebSocket
from pydantic import SecretStr

from bot.app import App, build_app
from bot.chat.discord.adapter import DiscordAdapter
from bot.config import (
    ChannelConfig,
    DeliveryConfig,
    DiscordConfig,
    HttpConfig,
    Secrets,
    SeedsConfig,
    Settings,
    StorageConfig,
)
from bot.core.models import Candidate, Classification, PendingDelivery
from bot.core.ports import ItemAnalysis
from bot.store.sql import SqlStore
from tests.chat.discord.fake_discord import (
    APP_ID,
    BOT_ID,
    CHANNEL_ID,
    GUILD_ID,
    TOKEN,
    FakeDiscord,
    fixture_json,
    serve,
    shared_fixtures_present,
)
from tests.fakes import FakeClock
from tests.store.store_builders import add_feed, candidate, classification, poll

HOOK_ID, HOOK_TOKEN = 223704706495545344, "hook-secret-token-3d89bb7572e0fb30d812"
HOOK_ENV = "WATCHBOT_TEST_DISCORD_HOOK"
ADMIN_PERMISSIONS = "2147483647"  # the documented example: includes Manage Server (1 << 5)
MEMBER_PERMISSIONS = str(1024 | 2048 | 65536)  # view channel, send messages, read history
ALERT_CHANNEL = f"discord:{CHANNEL_ID}"
HOOK_CHANNEL = "discord:hook"


class FakeClassifier:
    """Scores nothing; commands only need a version."""

    version = "fake-1"

    def classify(self, title: str, text: str) -> Classification:
        return classification(0.0, 0.0, self.version)

    def classify_many(self, docs: Sequence[tuple[str, str]]) -> list[Classification]:
        return [self.classify(t, x) for t, x in docs]


def settings_for(
    fake: FakeDiscord, *, admins: Sequence[str] = (), database: str | None = None
) -> Settings:
    """Two Discord channels (bot mode and webhook mode) pointed at the fake; `database` is
    the store's URL (charts are written beside a SQLite file, so not into the work tree)."""
    return Settings(
        storage=StorageConfig(url=database) if database else StorageConfig(),
        seeds=SeedsConfig(enabled=False),
        http=HttpConfig(allow_private_networks=True),
        # Every story in a digest: the splitting across messages is what these tests look at.
        delivery=DeliveryConfig(digest_max_stories=1000),
        channels=[
            ChannelConfig(name="news", platform="discord", target=str(CHANNEL_ID)),
            ChannelConfig(name="hook", platform="discord", webhook_env=HOOK_ENV),
        ],
        discord=DiscordConfig(guild_ids=[GUILD_ID], admins=list(admins)),
        secrets=Secrets(discord_token=SecretStr(TOKEN), watchbot_discord_api_url=fake.url),
    )


@pytest.fixture(autouse=True)
def no_adapter_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail a test whose command handling or gateway logged an error (the tree swallows them)."""
    yield
    errors = [
        r.getMessage()
        for r in caplog.get_records("call")
        if r.name == "watchbot.discord" and r.levelno >= logging.ERROR
    ]
    assert errors == []


@pytest.fixture
def discord_globals(monkeypatch: pytest.MonkeyPatch) -> None:
    """Restore discord.py's process-wide REST base and gateway address after the test."""
    monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)
    monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", DiscordWebSocket.DEFAULT_GATEWAY)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """The fake Discord API, listening on 127.0.0.1."""
    if not shared_fixtures_present():
        pytest.skip("shared Discord fixtures (/work/shared) are absent")
    f = FakeDiscord()
    runner = await serve(f)
    yield f
    await runner.cleanup()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def database(tmp_path: Any) -> str:
    """The URL of the test's SQLite file."""
    return f"sqlite:///{tmp_path / 'watchbot.db'}"


@pytest.fixture
def store(database: str) -> Iterator[SqlStore]:
    """A real SqlStore on a SQLite file."""
    s = SqlStore(database)
    yield s
    s.close()


@pytest.fixture
async def app(
    fake: FakeDiscord, store: SqlStore, database: str, clock: FakeClock, discord_globals: None
) -> AsyncIterator[App]:
    """The whole app on the SqlStore, its Discord sender to be added by `adapter`."""
    application = build_app(
        settings_for(fake, admins=["4242"], database=database),
        store=store,
        clock=clock,
        classifier=FakeClassifier(),
        senders={},
    )
    application.sync_config()
    yield application
    await application.aclose()


def hook_url(fake: FakeDiscord, host: str | None = None) -> str:
    """The channel webhook URL: on the fake's host, or on `host` (e.g. discord.com)."""
    base = f"https://{host}" if host else fake.url
    return f"{base}/api/webhooks/{HOOK_ID}/{HOOK_TOKEN}"


@pytest.fixture
async def adapter(app: App, fake: FakeDiscord) -> AsyncIterator[DiscordAdapter]:
    """The Discord adapter wired into the app (its sender serves `discord:` channels)."""
    a = DiscordAdapter(
        app.chat_ports(),
        app.settings.discord,
        token=TOKEN,
        api_url=fake.url,
        environ={HOOK_ENV: hook_url(fake)},
    )
    app.senders["discord"] = a.sender
    yield a
    await a.stop()


_guids = itertools.count(1)


def add_items(
    store: SqlStore,
    clock: FakeClock,
    titles: Sequence[str],
    *,
    alert_to: str | None = ALERT_CHANNEL,
    reason: str = "names a reassurance force",
    troops: float = 0.1,
    source: str = "Example Wire",
    kind: Literal["alert", "followup"] = "alert",
) -> list[int]:
    """Store items (one feed per call) and, unless `alert_to` is None, an alert (or, with
    `kind`, a follow-up) for each."""
    feed_id = add_feed(store, f"feed{next(_guids)}", clock.now())
    cls = classification(0.9, troops)
    cls.why["guarantees"] = [reason]
    cands: list[Candidate] = [
        candidate(f"g{next(_guids)}", title=t, source=source, published_at=clock.now())
        for t in titles
    ]
    deliveries = (
        [
            PendingDelivery(
                alert_to,
                kind,
                f"{kind}:{alert_to}:{{item_id}}",
                payload={"topics": ["guarantees"]},
            )
        ]
        if alert_to
        else []
    )
    return poll(store, feed_id, cands, polled_at=clock.now(), cls=cls, deliveries=deliveries)


def join_story(store: SqlStore, lead: int, members: Sequence[int]) -> None:
    """Record `members` as later sources of the story `lead` starts, as the analysis step does
    (the story id is the lead item's id)."""
    for item_id in [lead, *members]:
        item = store.get_item(item_id)
        assert item is not None
        record = ItemAnalysis(
            item.guid,
            f"fp-{item.guid}",
            story_id=None if item_id == lead else lead,
            story_lead=item.guid if item_id == lead else None,
        )
        store.record_analysis(item.feed_id, [record], item.first_seen_at)


async def eventually(predicate: Callable[[], bool], within: float = 5.0) -> None:
    """Wait until `predicate()` holds, for effects of gateway handlers (background tasks that
    signal nothing when done); a bounded poll, not a time-dependent assertion."""
    async with asyncio.timeout(within):
        while not predicate():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


_ids = itertools.count(900_000_000_000_000_001)


def option(kind: int, name: str, value: Any, *, focused: bool = False) -> dict[str, Any]:
    """One command option as Discord sends it (3 string, 4 integer, 5 boolean, 10 number)."""
    out: dict[str, Any] = {"type": kind, "name": name, "value": value}
    if focused:
        out["focused"] = True
    return out


def sub(name: str, *options: dict[str, Any]) -> dict[str, Any]:
    """A subcommand (type 1) with its options."""
    return {"type": 1, "name": name, "options": list(options)}


def group(name: str, subcommand: dict[str, Any]) -> dict[str, Any]:
    """A subcommand group (type 2) holding one subcommand."""
    return {"type": 2, "name": name, "options": [subcommand]}


def interaction(
    command: dict[str, Any],
    *,
    permissions: str = MEMBER_PERMISSIONS,
    user_id: int = 53908232506183680,
    kind: int = 2,
) -> dict[str, Any]:
    """A `/watch …` interaction shaped as Discord sends it, built on the documented example.

    The docs example lacks fields today's interactions carry and discord.py reads
    (application_id, version, the channel object, attachment_size_limit, member flags);
    they are added here.
    """
    payload = copy.deepcopy(fixture_json("discord_interaction_slash_command_type2_docs.json"))
    payload.update(
        type=kind,
        id=str(next(_ids)),
        token=f"interaction-token-{next(_ids)}",
        application_id=str(APP_ID),
        version=1,
        guild_id=str(GUILD_ID),
        channel_id=str(CHANNEL_ID),
        channel={
            "id": str(CHANNEL_ID),
            "type": 0,
            "name": "news",
            "guild_id": str(GUILD_ID),
            "position": 3,
            "permissions": permissions,
            "parent_id": None,
            "topic": None,
            "nsfw": False,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "flags": 0,
        },
        attachment_size_limit=10 * 1024 * 1024,
        data={"id": "771825006014889984", "name": "watch", "type": 1, "options": [command]},
    )
    payload["member"].update(permissions=permissions, flags=0)  # today's members carry flags
    payload["member"]["user"]["id"] = str(user_id)
    return payload


def reaction(
    message_id: str, emoji: str = "👍", user_id: int = 53908232506183680
) -> dict[str, Any]:
    """A MESSAGE_REACTION_ADD dispatch payload for a reaction on the bot's message."""
    return {
        "user_id": str(user_id),
        "channel_id": str(CHANNEL_ID),
        "message_id": message_id,
        "guild_id": str(GUILD_ID),
        "emoji": {"id": None, "name": emoji},
        "message_author_id": str(BOT_ID),
        "burst": False,
        "type": 0,
    }
