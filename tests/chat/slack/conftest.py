"""Fixtures for the Slack adapter tests: the fake Slack, a wired app, the bot's web server."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import aiohttp
import pytest

from bot.app import App, build_app
from bot.chat.slack.adapter import SlackAdapter, create
from bot.chat.slack.pacing import ChannelPacer
from bot.config import Secrets, Settings
from bot.core.models import Channel, FeedSpec, PendingDelivery
from bot.core.ports import NewItem
from bot.store.sql import SqlStore
from bot.web import WebServer, make_web_app
from tests.chat.slack.fake_slack import BOT_TOKEN, FakeSlack
from tests.fakes import SHARED, FakeClock
from tests.store.store_builders import candidate, classification, outcome

FIXTURES = SHARED / "fixtures" / "chat"
SECRET = "8f742231b10e8888abcd99yyyzzz85a5-test"
CHANNEL = "C0NEWS"
CHANNEL_REF = f"slack:{CHANNEL}"


def fixture_path(name: str) -> Path:
    """A shared chat fixture; the test is skipped when /work/shared is absent."""
    if not SHARED.exists():
        pytest.skip("shared fixtures (/work/shared) are not available")
    path = FIXTURES / name
    assert path.exists(), f"missing shared fixture {path}"
    return path


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Slack's v0 request signature: HMAC-SHA256 over `v0:{timestamp}:{body}`."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(
    body: bytes, content_type: str, *, secret: str = SECRET, at: float | None = None
) -> dict[str, str]:
    stamp = str(int(time.time() if at is None else at))
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": sign(secret, stamp, body),
    }


def command_body(
    text: str, response_url: str, *, user: str = "U_ADMIN", channel: str = CHANNEL
) -> bytes:
    """The bolt-python test slash-command body, re-aimed at `/watch` in our channel."""
    raw = fixture_path("slack_slash_command_body_bolt_python_tests.txt").read_text()
    fields = dict(parse_qsl(raw, keep_blank_values=True))
    fields.update(
        command="/watch",
        text=text,
        channel_id=channel,
        channel_name="news",
        user_id=user,
        response_url=response_url,
    )
    return urlencode(fields).encode()


class FakeMonotonic:
    """A monotonic clock and a sleep that only advances it, recording each wait."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@dataclass
class Bot:
    """The app with its Slack adapter, the fake Slack and (in HTTP mode) the events URL."""

    app: App
    adapter: SlackAdapter
    fake: FakeSlack
    clock: FakeClock
    mono: FakeMonotonic
    url: str = ""

    @property
    def store(self) -> SqlStore:
        return self.app.store  # type: ignore[return-value]

    async def post(self, body: bytes, headers: dict[str, str]) -> tuple[int, str, float]:
        """POST to /slack/events; returns status, body text and seconds taken."""
        start = time.monotonic()
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.url, data=body, headers=headers) as resp,
        ):
            return resp.status, await resp.text(), time.monotonic() - start

    def add_items(
        self, n: int, *, topic: str = "guarantees", prefix: str = "i", title: Any = None
    ) -> list[int]:
        """Store `n` classified items of one topic (published now) and return their ids."""
        feeds = self.store.list_feeds()
        feed_id = (
            feeds[0].id
            if feeds
            else self.store.add_feed(
                FeedSpec(url="https://feed.example/rss", name="feed"), self.clock.now()
            ).id
        )
        cls = classification(0.9, 0.1) if topic == "guarantees" else classification(0.1, 0.9)
        cands = [
            candidate(
                f"{prefix}{k}",
                title=title(k) if title else f"Item {prefix}{k} about {topic}",
                published_at=self.clock.now(),
                source=f"Outlet {k % 7}",
            )
            for k in range(n)
        ]
        new = [NewItem(feed_id, c, cls, silent=False) for c in cands]
        return self.store.apply_poll(outcome(feed_id, self.clock.now()), new, [], [[] for _ in new])

    def record_alert(self, item_id: int) -> None:
        self.store.record_deliveries(
            [
                PendingDelivery(
                    CHANNEL_REF,
                    "alert",
                    f"alert:{CHANNEL_REF}:{item_id}",
                    (item_id,),
                    {"topics": ["guarantees"]},
                )
            ],
            self.clock.now(),
        )


def make_settings(
    tmp_path: Path,
    fake: FakeSlack,
    *,
    app_token: str | None = None,
    signing: str | None = SECRET,
    admins: tuple[str, ...] = (),
) -> Settings:
    settings = Settings.model_validate(
        {
            "storage": {"url": f"sqlite:///{tmp_path / 'w.db'}"},
            "seeds": {"enabled": False},
            "classifier": {"model": "rules"},
            # Every story in a digest: the splitting across messages is what tests look at.
            "delivery": {"digest_max_stories": 1000},
            "slack": {"admins": list(admins)},
            "channels": [{"name": "news", "platform": "slack", "target": CHANNEL}],
        }
    )
    secrets = Secrets(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=signing,
        slack_app_token=app_token,
        discord_token=None,
        watchbot_slack_api_url=fake.api_url,
        watchbot_discord_api_url=None,
    )
    return settings.model_copy(update={"secrets": secrets})


async def make_bot(tmp_path: Path, fake: FakeSlack, **kw: Any) -> Bot:
    """The app wired with the Slack adapter (not started), its sender registered for delivery."""
    settings = make_settings(tmp_path, fake, **kw)
    clock = FakeClock()
    app = build_app(settings, store=SqlStore(settings.storage.url), clock=clock, senders={})
    app.sync_config()
    mono = FakeMonotonic()
    ports = app.chat_ports()
    adapter = create(
        settings,
        ports.commands,
        ports.feedback,
        pacer=ChannelPacer(clock=mono, sleep=mono.sleep),
        connect_timeout_s=5,
        clock=ports.clock,
    )
    app.adapters = [adapter]
    app.senders["slack"] = adapter.sender
    return Bot(app, adapter, fake, clock, mono)


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as f:
        yield f


@pytest.fixture
async def bot(tmp_path: Path, fake: FakeSlack) -> AsyncIterator[Bot]:
    """HTTP mode: the bot's own web server on 127.0.0.1 with `POST /slack/events`."""
    b = await make_bot(tmp_path, fake)
    server = WebServer(
        make_web_app(b.app.store, extensions=b.adapter.web_extensions()), "127.0.0.1", 0
    )
    port = await server.start()
    b.url = f"http://127.0.0.1:{port}/slack/events"
    await b.adapter.start()
    yield b
    await b.adapter.stop()
    await server.stop()
    await b.app.aclose()


@pytest.fixture
def channel() -> Iterator[Channel]:
    yield Channel(ref=CHANNEL_REF, name="#news")
