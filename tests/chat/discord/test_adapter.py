"""The adapter's lifecycle: registry wiring, webhook-only mode, a rejected token, stop twice."""

from __future__ import annotations

import logging

import pytest

from bot.app import App, build_app
from bot.chat.discord.adapter import DiscordAdapter
from bot.config import Secrets
from bot.core.errors import ConfigError
from bot.store.sql import SqlStore
from tests.chat.discord.conftest import (
    HOOK_CHANNEL,
    HOOK_ENV,
    FakeClassifier,
    add_items,
    hook_url,
    settings_for,
)
from tests.chat.discord.fake_discord import FakeDiscord
from tests.fakes import FakeClock


def webhook_only_app(fake: FakeDiscord, store: SqlStore, clock: FakeClock) -> App:
    settings = settings_for(fake).model_copy(
        update={"secrets": Secrets(discord_token=None, watchbot_discord_api_url=fake.url)}
    )
    return build_app(settings, store=store, clock=clock, classifier=FakeClassifier())


async def test_webhook_only_mode_is_built_by_the_registry_and_connects_nothing(
    fake: FakeDiscord,
    store: SqlStore,
    clock: FakeClock,
    discord_globals: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("DISCORD_TOKEN", "SLACK_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(HOOK_ENV, hook_url(fake))
    app = webhook_only_app(fake, store, clock)
    app.sync_config()
    [adapter] = app.adapters
    assert isinstance(adapter, DiscordAdapter) and adapter.bot is None
    assert app.senders["discord"] is adapter.sender and adapter.web_extensions() == []

    await adapter.start()
    assert fake.requests == []  # no login, no gateway
    add_items(store, clock, ["Hook only"], alert_to=HOOK_CHANNEL)
    assert (await app.flush()).sent == 1
    assert len(fake.webhook_posts) == 1
    await adapter.stop()
    await adapter.stop()
    await app.aclose()


async def test_an_unusable_webhook_is_reported_at_start_up_without_the_url(
    fake: FakeDiscord,
    store: SqlStore,
    clock: FakeClock,
    discord_globals: None,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    monkeypatch.setenv(HOOK_ENV, "https://evil.example/api/webhooks/1/very-secret")
    app = webhook_only_app(fake, store, clock)
    [warning] = [r for r in caplog.records if r.getMessage() == "discord.webhook_unusable"]
    assert "evil.example" in warning.error and "very-secret" not in warning.error  # type: ignore[attr-defined]
    await app.adapters[0].stop()
    await app.aclose()


async def test_a_rejected_token_stops_start_up_with_a_precise_error(
    app: App, fake: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    adapter = DiscordAdapter(
        app.chat_ports(), app.settings.discord, token="wrong-token", api_url=fake.url, environ={}
    )
    with pytest.raises(ConfigError, match="Discord rejected DISCORD_TOKEN"):
        await adapter.start()
    await adapter.stop()
    assert "wrong-token" not in caplog.text
