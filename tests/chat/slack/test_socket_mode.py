"""Socket Mode: the real slack-bolt handler on a websocket served by the fake Slack on loopback,
fed the envelopes Slack sends (slash_commands, events_api), acknowledged by envelope id."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest

from bot.core.errors import ConfigError
from tests.chat.slack.conftest import CHANNEL, CHANNEL_REF, Bot, fixture_path, make_bot
from tests.chat.slack.fake_slack import APP_TOKEN, BOT_USER, FakeSlack


@pytest.fixture
async def socket_bot(tmp_path: Path, fake: FakeSlack) -> AsyncIterator[Bot]:
    b = await make_bot(tmp_path, fake, app_token=APP_TOKEN, signing=None)
    await b.adapter.start()
    yield b
    await b.adapter.stop()
    await b.app.aclose()


def acked(fake: FakeSlack, envelope_id: str) -> list[dict[str, Any]]:
    return [m for m in fake.socket_received if m.get("envelope_id") == envelope_id]


async def test_connects_through_apps_connections_open(socket_bot: Bot) -> None:
    assert socket_bot.adapter.web_extensions() == []  # nothing to expose
    assert "apps.connections.open" in socket_bot.fake.methods()


async def test_slash_command_envelope_is_acked_and_answered(socket_bot: Bot) -> None:
    fake = socket_bot.fake
    raw = fixture_path("slack_slash_command_body_bolt_python_tests.txt").read_text()
    payload = dict(parse_qsl(raw, keep_blank_values=True))
    payload.update(
        command="/watch",
        text="status",
        channel_id=CHANNEL,
        channel_name="news",
        user_id="U_ANY",
        response_url=fake.response_url("sock"),
    )
    await fake.socket_send(
        {
            "envelope_id": "env-cmd-1",
            "type": "slash_commands",
            "accepts_response_payload": True,
            "payload": payload,
        }
    )
    await fake.wait_for(lambda: bool(acked(fake, "env-cmd-1")))
    (ack,) = acked(fake, "env-cmd-1")
    assert ack["payload"] == {"text": "Working on it…", "response_type": "ephemeral"}
    await fake.wait_for(lambda: bool(fake.responses))
    name, reply = fake.responses[0]
    assert name == "sock" and reply["text"] == "Watchbot status"


async def test_events_api_envelope_records_feedback(socket_bot: Bot) -> None:
    fake = socket_bot.fake
    (item_id,) = socket_bot.add_items(1)
    socket_bot.record_alert(item_id)
    assert (await socket_bot.app.flush()).sent == 1
    event = json.loads(
        fixture_path("slack_event_callback_reaction_added_events_api_docs.json").read_text()
    )
    event["event"].update(reaction="+1", user="U_READER", item_user=BOT_USER)
    event["event"]["item"].update(channel=CHANNEL, ts=fake.posts[0]["ts"])
    await fake.socket_send(
        {
            "envelope_id": "env-ev-1",
            "type": "events_api",
            "accepts_response_payload": False,
            "retry_attempt": 0,
            "retry_reason": "",
            "payload": event,
        }
    )
    await fake.wait_for(lambda: bool(acked(fake, "env-ev-1")))
    await fake.wait_for(lambda: bool(socket_bot.store.list_feedback()))
    (fb,) = socket_bot.store.list_feedback()
    assert (fb.item_id, fb.verdict, fb.channel_ref) == (item_id, "good", CHANNEL_REF)


async def test_bad_app_token_is_a_config_error(tmp_path: Path, fake: FakeSlack) -> None:
    b = await make_bot(tmp_path, fake, app_token="xapp-1-wrong", signing=None)
    with pytest.raises(ConfigError, match="SLACK_APP_TOKEN"):
        await b.adapter.start()
    await b.adapter.stop()
    await b.app.aclose()
