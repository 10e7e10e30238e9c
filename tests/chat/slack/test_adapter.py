"""Building and starting the adapter: modes, configuration errors, registry wiring, no leaks."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.chat.slack.adapter import SlackAdapter, api_base_url, create
from bot.chat.slack.admins import AdminCheck
from bot.core.errors import ConfigError
from bot.store.sql import SqlStore
from tests.chat.slack.conftest import (
    SECRET,
    Bot,
    FakeMonotonic,
    command_body,
    make_settings,
    signed_headers,
)
from tests.chat.slack.fake_slack import APP_TOKEN, BOT_TOKEN, FakeSlack
from tests.fakes import REPO, FakeClock


def slack_for(app: App) -> SlackAdapter:
    """The Slack adapter for `app`, given only what it uses."""
    ports = app.chat_ports()
    return create(app.settings, ports.commands, ports.feedback)


def app_for(tmp_path: Path, fake: FakeSlack, **kw: object):  # type: ignore[no-untyped-def]
    settings = make_settings(tmp_path, fake, **kw)  # type: ignore[arg-type]
    return build_app(settings, store=SqlStore(settings.storage.url), clock=FakeClock(), senders={})


async def test_http_mode_without_signing_secret_is_a_config_error(
    tmp_path: Path, fake: FakeSlack
) -> None:
    app = app_for(tmp_path, fake, signing=None)
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        slack_for(app)
    await app.aclose()


async def test_app_token_must_be_app_level(tmp_path: Path, fake: FakeSlack) -> None:
    app = app_for(tmp_path, fake, app_token=BOT_TOKEN)
    with pytest.raises(ConfigError, match="xapp-"):
        slack_for(app)
    await app.aclose()


def test_api_base_url() -> None:
    assert api_base_url(None) == "https://slack.com/api/"
    assert api_base_url("http://127.0.0.1:9/api") == "http://127.0.0.1:9/api/"
    with pytest.raises(ConfigError, match="WATCHBOT_SLACK_API_URL"):
        api_base_url("slack.com/api")


async def test_modes(tmp_path: Path, fake: FakeSlack) -> None:
    app = app_for(tmp_path, fake)
    http = slack_for(app)
    assert not http.socket_mode and len(http.web_extensions()) == 1
    socket = slack_for(app_for(tmp_path / "s", fake, app_token=APP_TOKEN, signing=None))
    assert socket.socket_mode and socket.web_extensions() == []
    await app.aclose()


async def test_registry_starts_slack_when_the_token_is_set(tmp_path: Path, fake: FakeSlack) -> None:
    settings = make_settings(tmp_path, fake)
    app = build_app(settings, store=SqlStore(settings.storage.url), clock=FakeClock())
    (adapter,) = [a for a in app.adapters if a.platform == "slack"]
    assert isinstance(adapter, SlackAdapter)
    assert app.senders["slack"] is adapter.sender
    await app.aclose()


async def test_http_start_with_a_revoked_token_is_a_config_error(
    tmp_path: Path, fake: FakeSlack
) -> None:
    fake.fail("auth.test", "error", error="token_revoked")
    app = app_for(tmp_path, fake)
    with pytest.raises(ConfigError, match="token_revoked"):
        await slack_for(app).start()
    await app.aclose()


async def test_configured_admins_need_no_lookup_and_answers_are_cached(fake: FakeSlack) -> None:
    from slack_sdk.web.async_client import AsyncWebClient

    fake.add_user("U_OWNER", owner=True)
    mono = FakeMonotonic()
    check = AdminCheck(
        AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url), ["U_LISTED"], ttl_s=600, clock=mono
    )
    assert await check.is_admin("U_LISTED")
    assert await check.is_admin("U_OWNER") and await check.is_admin("U_OWNER")
    assert not await check.is_admin("U_GHOST")  # users.info fails: refused
    assert fake.methods() == ["users.info", "users.info"]
    mono.now += 601
    assert await check.is_admin("U_OWNER")
    assert fake.methods().count("users.info") == 3


async def test_tokens_and_secret_never_logged(bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    body = command_body("help", bot.fake.response_url())
    await bot.post(body, signed_headers(body, "application/x-www-form-urlencoded"))
    await bot.post(body, signed_headers(body, "application/x-www-form-urlencoded", secret="wrong"))
    await bot.fake.wait_for(lambda: bool(bot.fake.responses))
    (item_id,) = bot.add_items(1)
    bot.record_alert(item_id)
    await bot.app.flush()
    logged = "\n".join(r.getMessage() + str(vars(r)) for r in caplog.records)
    assert logged  # something was logged at DEBUG
    for secret in (BOT_TOKEN, SECRET, APP_TOKEN):
        assert secret not in logged


def test_manifest_declares_the_command_scopes_and_event() -> None:
    text = (REPO / "config" / "slack-manifest.yml").read_text()
    bot_scopes = re.search(r"^    bot:\n((?:      - .*\n)+)", text, re.M)
    assert bot_scopes is not None
    scopes = {line.split()[1] for line in bot_scopes.group(1).splitlines()}
    assert scopes == {
        "commands",
        "chat:write",
        "chat:write.public",
        "files:write",
        "files:read",
        "channels:history",
        "groups:history",
        "reactions:read",
        "users:read",
    }
    assert "- command: /watch" in text and "reaction_added" in text
    assert text.count("/slack/events") == 2 and "socket_mode_enabled: true" in text
