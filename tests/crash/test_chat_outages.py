"""Chat outages through the core Dispatcher and the real SqlStore, on a fake clock: timeouts,
500s for most of an hour, 429s with a long Retry-After. Delivery is delayed, nothing is lost or
sent twice, the queue resumes in order, and alerts that went stale meanwhile are folded into the
next digest, which then carries their items. The last test runs the real Slack sender against
the fake Slack: a post whose answer never came is found in the history, not posted again."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.markdown import render
from bot.chat.slack.pacing import ChannelPacer
from bot.chat.slack.sender import SlackSender
from bot.core.digest import DigestService
from bot.core.dispatch import Dispatcher, DispatchPolicy
from bot.core.errors import DeliveryError
from bot.core.models import Channel, PendingDelivery
from bot.store.sql import SqlStore
from tests.chat.slack.fake_slack import BOT_TOKEN, FakeSlack
from tests.fakes import FakeClock
from tests.store.store_builders import add_feed, candidate, classification, poll

REF = "chat:desk"


class ScriptedSender:
    """A ChatSender that fails with whatever `failure(now)` returns, else records the message."""

    platform = "chat"

    def __init__(self, clock: FakeClock, failure: Callable[[], DeliveryError | None]) -> None:
        self.clock = clock
        self.failure = failure
        self.calls: list[str] = []  # every attempt's key, in order
        self.sent: list[tuple[str, str]] = []  # (key, rendered) of accepted messages

    async def send(self, channel: Channel, message: object, *, idempotency_key: str) -> str:
        self.calls.append(idempotency_key)
        error = self.failure()
        if error is not None:
            raise error
        self.sent.append((idempotency_key, render(message)))  # type: ignore[arg-type]
        return f"m{len(self.sent)}"


def setup(
    tmp_path: Path, failure: Callable[[FakeClock], DeliveryError | None], **policy: object
) -> tuple[SqlStore, FakeClock, ScriptedSender, Dispatcher, list[int]]:
    clock = FakeClock()
    store = SqlStore(f"sqlite:///{tmp_path / 'w.db'}")
    store.sync_channels([Channel(ref=REF, name="desk", digest_cron="0 8 * * *")])
    sender = ScriptedSender(clock, lambda: failure(clock))
    dispatcher = Dispatcher(store, {"chat": sender}, clock, DispatchPolicy(**policy))  # type: ignore[arg-type]
    feed = add_feed(store, "wire", clock.now())
    alert = PendingDelivery(
        REF, "alert", f"alert:{REF}:{{item_id}}", payload={"topics": ["troops"]}
    )
    ids = [
        poll(
            store,
            feed,
            [candidate(f"s{n}", title=f"Story {n}")],
            polled_at=clock.now(),
            cls=classification(0.1, 0.95),
            deliveries=[alert],
        )[0]
        for n in range(8)
    ]
    return store, clock, sender, dispatcher, ids


async def drain(dispatcher: Dispatcher, clock: FakeClock, *, step: timedelta, rounds: int) -> None:
    for _ in range(rounds):
        await dispatcher.flush()
        clock.advance(seconds=step.total_seconds())


def statuses(store: SqlStore, ids: list[int]) -> list[str]:
    return [d.status for i in ids for d in store.deliveries_for_item(i)]


async def test_500s_for_forty_minutes_delay_but_lose_nothing_and_resume_in_order(
    tmp_path: Path,
) -> None:
    start = FakeClock().now()
    until = start + timedelta(minutes=40)
    store, clock, sender, dispatcher, ids = setup(
        tmp_path,
        lambda c: DeliveryError("HTTP 500 from chat") if c.now() < until else None,
    )
    await drain(dispatcher, clock, step=timedelta(minutes=1), rounds=120)
    keys = [f"alert:{REF}:{i}" for i in ids]
    assert [k for k, _ in sender.sent] == keys  # all of them, once each, in order
    # While it was down only the head of the queue was tried (with backoff), never overtaken.
    assert set(sender.calls[: -len(keys)]) == {keys[0]}
    assert 3 <= len(sender.calls) - len(keys) <= 12
    assert statuses(store, ids) == ["sent"] * len(ids)
    assert store.stats().pending_deliveries == 0
    store.close()


async def test_timeouts_are_retried_then_delivered_once(tmp_path: Path) -> None:
    failures = iter([DeliveryError("chat API timed out after 30 s")] * 5)
    store, clock, sender, dispatcher, ids = setup(tmp_path, lambda c: next(failures, None))
    await drain(dispatcher, clock, step=timedelta(minutes=2), rounds=30)
    assert [k for k, _ in sender.sent] == [f"alert:{REF}:{i}" for i in ids]
    assert statuses(store, ids) == ["sent"] * len(ids)
    store.close()


async def test_429_with_a_long_retry_after_is_honoured(tmp_path: Path) -> None:
    limited = [True]

    def failure(_clock: FakeClock) -> DeliveryError | None:
        if limited[0]:
            limited[0] = False
            return DeliveryError("HTTP 429: rate limited", retry_after=1800)
        return None

    store, clock, sender, dispatcher, ids = setup(tmp_path, failure)
    await dispatcher.flush()
    assert sender.sent == [] and len(sender.calls) == 1
    clock.advance(minutes=29)
    await dispatcher.flush()
    assert len(sender.calls) == 1  # not a single attempt before Retry-After ran out
    clock.advance(minutes=2)
    await dispatcher.flush()
    assert [k for k, _ in sender.sent] == [f"alert:{REF}:{i}" for i in ids]
    store.close()


async def test_stale_alerts_fold_into_the_next_digest(tmp_path: Path) -> None:
    until = FakeClock().now() + timedelta(hours=3)
    store, clock, sender, dispatcher, ids = setup(
        tmp_path,
        lambda c: DeliveryError("HTTP 503 from chat") if c.now() < until else None,
        max_alert_age=timedelta(hours=2),
    )
    await drain(dispatcher, clock, step=timedelta(minutes=10), rounds=20)
    assert sender.sent == []  # the alerts were too old by the time chat came back
    assert statuses(store, ids) == ["folded"] * len(ids)
    digests = DigestService(store, clock)
    assert digests.record(REF, clock.now()) is not None
    await dispatcher.flush()
    ((key, text),) = sender.sent
    assert key.startswith(f"digest:{REF}:")
    for n in range(len(ids)):
        assert f"Story {n}" in text
    assert store.stats().pending_deliveries == 0
    store.close()


async def test_overlapping_flushes_send_each_delivery_once(tmp_path: Path) -> None:
    # The daemon flushes after each poll and on its own tick: the two may overlap.
    store, _clock, sender, dispatcher, ids = setup(tmp_path, lambda c: None)
    slow_send = sender.send

    async def send(channel: Channel, message: object, *, idempotency_key: str) -> str:
        await asyncio.sleep(0.01)  # a network round trip, during which the other flush runs
        return await slow_send(channel, message, idempotency_key=idempotency_key)

    sender.send = send  # type: ignore[method-assign]
    await asyncio.gather(dispatcher.flush(), dispatcher.flush())
    assert [k for k, _ in sender.sent] == [f"alert:{REF}:{i}" for i in ids]
    store.close()


async def test_slack_sender_finds_a_post_whose_answer_was_lost(tmp_path: Path) -> None:
    async with FakeSlack() as fake:
        fake.fail("chat.postMessage", "hang", delay=2.0)  # posted, but answered too late
        fake.fail("chat.postMessage", "500", times=3)
        fake.fail("chat.postMessage", "429", headers={"Retry-After": "900"})
        client = AsyncWebClient(
            token=BOT_TOKEN, base_url=fake.api_url, timeout=1, retry_handlers=[]
        )
        sender = SlackSender(client, pacer=ChannelPacer(0))
        clock = FakeClock()
        store = SqlStore(f"sqlite:///{tmp_path / 'w.db'}")
        ref = "slack:C0DESK"
        store.sync_channels([Channel(ref=ref, name="desk")])
        dispatcher = Dispatcher(store, {"slack": sender}, clock)
        feed = add_feed(store, "wire", clock.now())
        alert = PendingDelivery(ref, "alert", f"alert:{ref}:{{item_id}}", payload={})
        ids = [
            poll(
                store,
                feed,
                [candidate(f"s{n}")],
                polled_at=clock.now(),
                cls=classification(0.1, 0.95),
                deliveries=[alert],
            )[0]
            for n in range(3)
        ]
        for _ in range(12):
            await dispatcher.flush()
            clock.advance(minutes=16)
        keys = [p["metadata"]["event_payload"]["key"] for p in fake.posts]
        assert keys == [f"alert:{ref}:{i}" for i in ids]  # each once, in order
        assert statuses(store, ids) == ["sent"] * 3
        assert "conversations.history" in fake.methods()  # the lost answer was looked up
        # Three posts (one answered too late, never repeated), three 500s and one 429.
        assert fake.methods().count("chat.postMessage") == 3 + 3 + 1
        store.close()
