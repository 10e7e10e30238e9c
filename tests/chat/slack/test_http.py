"""HTTP mode: signed Slack requests to the bot's own `POST /slack/events`, through real slack-bolt."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from slack_sdk.signature import SignatureVerifier

from tests.chat.slack.conftest import (
    CHANNEL,
    CHANNEL_REF,
    SECRET,
    Bot,
    command_body,
    fixture_path,
    sign,
    signed_headers,
)
from tests.chat.slack.fake_slack import BOT_USER
from tests.chat.slack.test_sender import fresh_sender

FORM = "application/x-www-form-urlencoded"


class PinnedClock:
    """slack_sdk's verifier clock, pinned to the docs example's moment."""

    def __init__(self, at: float) -> None:
        self.at = at

    def now(self) -> float:
        return self.at


def test_signing_matches_the_slack_docs_vector() -> None:
    vector = json.loads(fixture_path("slack_signing_vector.json").read_text())
    body = fixture_path(vector["body_file"]).read_bytes()
    stamp = vector["headers"]["X-Slack-Request-Timestamp"]
    expected = vector["headers"]["X-Slack-Signature"]
    assert sign(vector["signing_secret"], stamp, body) == expected
    verifier = SignatureVerifier(vector["signing_secret"], clock=PinnedClock(float(stamp)))  # type: ignore[arg-type]
    assert verifier.is_valid(body, stamp, expected)
    assert not SignatureVerifier(vector["signing_secret"]).is_valid(
        body, stamp, expected
    )  # stale now


async def assert_nothing_happened(bot: Bot) -> None:
    await asyncio.sleep(0.2)  # give a wrongly accepted request time to do something
    assert bot.fake.responses == [] and bot.fake.posts == []
    assert [m for m in bot.fake.methods() if m != "auth.test"] == []
    assert bot.store.list_feeds() == []


async def test_bad_missing_and_stale_signatures_get_401(bot: Bot) -> None:
    invalid = json.loads(fixture_path("slack_bolt_invalid_signature_401_body.json").read_text())
    body = command_body("feed add https://feed.example/rss", bot.fake.response_url())
    cases: list[dict[str, str]] = [
        signed_headers(body, FORM, secret="not-the-secret"),
        {"Content-Type": FORM},
        signed_headers(body, FORM, at=time.time() - 600),
        {**signed_headers(body, FORM), "X-Slack-Signature": "v0=" + "0" * 64},
        {"Content-Type": FORM, "X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=00"},
    ]
    for headers in cases:
        status, text, _ = await bot.post(body, headers)
        assert status == 401 and json.loads(text) == invalid
    # The docs' own signed example is genuine but years old: stale.
    vector = json.loads(fixture_path("slack_signing_vector.json").read_text())
    raw = fixture_path(vector["body_file"]).read_bytes()
    status, _, _ = await bot.post(raw, {"Content-Type": FORM, **vector["headers"]})
    assert status == 401
    await assert_nothing_happened(bot)


async def test_help_is_acked_at_once_and_answered_at_the_response_url(bot: Bot) -> None:
    body = command_body("help", bot.fake.response_url("help"))
    status, text, took = await bot.post(body, signed_headers(body, FORM))
    assert status == 200 and text == "" and took < 3.0
    await bot.fake.wait_for(lambda: len(bot.fake.responses) == 1)
    name, reply = bot.fake.responses[0]
    assert name == "help" and reply["response_type"] == "ephemeral"
    assert reply["unfurl_links"] is False
    assert "Watchbot commands" in reply["text"]
    assert any("/watch digest" in b["text"]["text"] for b in reply["blocks"])


async def test_slow_command_acks_with_working(bot: Bot) -> None:
    body = command_body("digest 7d", bot.fake.response_url("d"))
    status, text, took = await bot.post(body, signed_headers(body, FORM))
    assert status == 200 and took < 3.0
    assert json.loads(text) == {"text": "Working on it…", "response_type": "ephemeral"}
    await bot.fake.wait_for(lambda: bool(bot.fake.responses))
    assert "No matching items" in bot.fake.responses[0][1]["text"]


async def run_command(bot: Bot, text: str, user: str) -> dict[str, Any]:
    body = command_body(text, bot.fake.response_url(user), user=user)
    status, _, _ = await bot.post(body, signed_headers(body, FORM))
    assert status == 200
    await bot.fake.wait_for(lambda: any(n == user for n, _ in bot.fake.responses))
    return next(r for n, r in bot.fake.responses if n == user)


async def test_non_admin_cannot_add_a_feed(bot: Bot) -> None:
    bot.fake.add_user("U_READER", admin=False)
    reply = await run_command(bot, "feed add https://feed.example/rss Example", "U_READER")
    assert reply["response_type"] == "ephemeral"
    assert "limited to admins" in reply["text"]
    assert bot.store.list_feeds() == []
    assert ("users.info", {"user": "U_READER"}) in bot.fake.calls


async def test_workspace_admin_subscribes_the_channel_in_channel(bot: Bot) -> None:
    bot.fake.add_user("U_BOSS", admin=True)
    reply = await run_command(bot, "subscribe troops daily 07:30 Europe/Kyiv", "U_BOSS")
    assert reply["response_type"] == "in_channel"
    assert reply["text"].startswith("Subscribed #news to Troop deployment")
    channel = bot.store.get_channel(CHANNEL_REF)
    assert (
        channel is not None
        and channel.topics == ("troops",)
        and channel.digest_cron == "30 7 * * *"
    )
    # A second admin command within the cache time asks users.info no more.
    await run_command(bot, "alerts off", "U_BOSS")
    assert bot.fake.methods().count("users.info") == 1


async def test_malformed_json_gets_400_only_when_signed(bot: Bot) -> None:
    raw = fixture_path("slack_event_reaction_added_reference_docs_TRAILING_COMMA.json").read_bytes()
    status, _, _ = await bot.post(raw, signed_headers(raw, "application/json"))
    assert status == 400
    status, _, _ = await bot.post(raw, {"Content-Type": "application/json"})
    assert status == 401
    await assert_nothing_happened(bot)


async def test_url_verification_challenge(bot: Bot) -> None:
    body = json.dumps({"token": "t", "challenge": "c-123", "type": "url_verification"}).encode()
    status, text, _ = await bot.post(body, signed_headers(body, "application/json"))
    assert status == 200 and "c-123" in text


def reaction_event(
    reaction: str, ts: str, *, item_user: str = BOT_USER, user: str = "U_READER"
) -> bytes:
    """The Events API docs example, pointed at one of our messages."""
    envelope = json.loads(
        fixture_path("slack_event_callback_reaction_added_events_api_docs.json").read_text()
    )
    envelope["event"].update(reaction=reaction, user=user, item_user=item_user)
    envelope["event"]["item"].update(channel=CHANNEL, ts=ts)
    return json.dumps(envelope).encode()


async def post_alert(bot: Bot) -> tuple[int, str]:
    (item_id,) = bot.add_items(1)
    bot.record_alert(item_id)
    assert (await bot.app.flush()).sent == 1
    return item_id, bot.fake.posts[-1]["ts"]


async def test_thumbs_on_an_alert_become_feedback(bot: Bot) -> None:
    item_id, ts = await post_alert(bot)
    for reaction in ("+1", "thumbsdown::skin-tone-3"):
        body = reaction_event(reaction, ts)
        status, _, _ = await bot.post(body, signed_headers(body, "application/json"))
        assert status == 200
    await bot.fake.wait_for(lambda: len(bot.store.list_feedback()) == 2)
    good, bad = bot.store.list_feedback()
    assert (good.item_id, good.verdict, good.user, good.channel_ref) == (
        item_id,
        "good",
        "U_READER",
        CHANNEL_REF,
    )
    assert (bad.item_id, bad.verdict) == (item_id, "bad")
    assert "conversations.history" not in bot.fake.methods()[-2:]  # the sender remembered the alert


async def test_thumbs_after_a_restart_read_the_item_from_message_metadata(bot: Bot) -> None:
    (item_id,) = bot.add_items(1)
    bot.record_alert(item_id)
    (d,) = bot.store.deliveries_for_item(item_id)
    channel = bot.store.get_channel(CHANNEL_REF)
    assert channel is not None
    # Posted by the previous process: this one has no memory of it.
    previous = fresh_sender(bot.fake)
    ts = await previous.send(
        channel, bot.app.dispatcher.message_for(d), idempotency_key=d.dedupe_key
    )
    assert ts is not None
    body = reaction_event("thumbsup", ts)
    await bot.post(body, signed_headers(body, "application/json"))
    await bot.fake.wait_for(lambda: len(bot.store.list_feedback()) == 1)
    assert bot.store.list_feedback()[0].item_id == item_id
    method, args = bot.fake.calls[-1]
    assert method == "conversations.history" and args["latest"] == ts


async def test_other_reactions_and_messages_are_ignored(bot: Bot) -> None:
    _, ts = await post_alert(bot)
    calls = len(bot.fake.calls)
    for body in (
        reaction_event("slightly_smiling_face", ts),  # the docs example's own reaction
        reaction_event("+1", ts, item_user="U_SOMEONE"),  # someone else's message
        fixture_path("slack_event_reaction_added_java_sdk_sample.json").read_bytes(),  # all empty
    ):
        status, _, _ = await bot.post(body, signed_headers(body, "application/json"))
        assert status == 200
    await asyncio.sleep(0.2)
    assert bot.store.list_feedback() == []
    assert [m for m, _ in bot.fake.calls[calls:] if m != "auth.test"] == []  # bolt meets a new team
    assert SECRET  # the secret never appears in what Slack was sent
    assert all(SECRET not in json.dumps(a) for _, a in bot.fake.calls)
