"""The outbox: sends recorded deliveries in order, retries what may succeed, never sends twice."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from bot.core.digest import digest_from_payload
from bot.core.errors import DeliveryError
from bot.core.messages import AlertMessage, FollowUpMessage, ItemLine, Message, NoticeMessage
from bot.core.models import Delivery, Item
from bot.core.ports import AnalysisStore, ChatSender, Clock, Store

log = logging.getLogger("watchbot.dispatch")


@dataclass(frozen=True, slots=True)
class DispatchPolicy:
    """Retry and staleness rules of the outbox."""

    max_alert_age: timedelta = timedelta(hours=6)  # older alerts fold into the next digest
    base_retry_s: float = 5.0
    max_retry_s: float = 3600.0
    max_attempts: int = 50


@dataclass(slots=True)
class DispatchReport:
    """Counts of one flush."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    folded: int = 0


def topic_of(delivery: Delivery) -> str | None:
    """The first topic an alert or follow-up was routed for."""
    topics = delivery.payload.get("topics")
    return str(topics[0]) if isinstance(topics, list) and topics else None


class Dispatcher:
    """Sends due deliveries through the sender owning each channel's platform prefix."""

    def __init__(
        self,
        store: Store,
        senders: Mapping[str, ChatSender],
        clock: Clock,
        policy: DispatchPolicy | None = None,
        stories: AnalysisStore | None = None,
    ) -> None:
        self.store = store
        self.senders = senders
        self.clock = clock
        self.policy = policy or DispatchPolicy()
        self.stories = stories  # story membership, to find the alert a follow-up goes with
        # The daemon flushes after each poll and on its own tick; overlapping flushes would both
        # send a delivery that neither has marked sent yet.
        self._flushing = asyncio.Lock()

    def message_for(self, delivery: Delivery) -> Message | None:
        """The neutral message a delivery stands for; None when its item has gone."""
        if delivery.kind == "alert":
            item = self._item_of(delivery)
            if item is None:
                return None
            return AlertMessage(line=ItemLine.from_item(item, topic_of(delivery)))
        if delivery.kind == "followup":
            return self.followup_for(delivery)
        if delivery.kind == "digest":
            return digest_from_payload(self.store, delivery.payload, delivery.item_ids)
        return NoticeMessage(text=str(delivery.payload.get("text", "")))

    def _item_of(self, delivery: Delivery) -> Item | None:
        """The item of a single-item delivery (alert, follow-up), if still stored."""
        return self.store.get_item(delivery.item_ids[0]) if delivery.item_ids else None

    def followup_for(self, delivery: Delivery) -> FollowUpMessage | None:
        """The follow-up for a later source: its line, and the story's first alert in this
        channel with every source so far. None when that alert was never posted (folded into a
        digest, failed) or the item has gone: the digest then lists the source instead."""
        item = self._item_of(delivery)
        if item is None or self.stories is None:
            return None
        story_id = self.stories.story_of([item.id]).get(item.id)
        if story_id is None:
            return None
        members = self.stories.story_members([story_id]).get(story_id, [])
        posted = {
            d.item_ids[0]: d
            for d in self.stories.story_alerts([story_id]).get(story_id, [])
            if d.channel_ref == delivery.channel_ref and d.status == "sent" and d.external_id
        }
        for member in members:  # first published first: the story's first posted alert
            parent = posted.get(member.item_id)
            first = self.store.get_item(member.item_id) if parent is not None else None
            if parent is None or parent.external_id is None or first is None:
                continue
            topic = topic_of(parent)
            # Sources stored up to this one (ids grow with storage), in publication order: each
            # follow-up lists what the one before listed and more, and a resend after a crash
            # renders the same list, so the edit is the same edit.
            also: list[str] = []
            for m in members:
                if m.item_id <= item.id and m.source not in (first.source, *also):
                    also.append(m.source)
            story = ItemLine.from_item(first, topic)
            return FollowUpMessage(
                line=ItemLine.from_item(item, topic_of(delivery)),
                story=AlertMessage(line=dataclasses.replace(story, also=tuple(also))),
                parent_id=parent.external_id,
            )
        return None

    async def flush(self, limit: int = 100) -> DispatchReport:
        """Send due deliveries oldest first, one flush at a time. A channel whose oldest pending
        delivery fails, or waits for its retry, holds its later messages back, so none overtakes
        an earlier one; other channels go on."""
        async with self._flushing:
            report = DispatchReport()
            now = self.clock.now()
            # A delivery waiting for its retry holds its channel: nothing overtakes it, and a
            # platform that asked us to wait (429) is not sent the rest of the queue meanwhile.
            blocked = self.store.waiting_channels(now)
            for delivery in self.store.due_deliveries(now, limit):
                if delivery.channel_ref in blocked:
                    continue
                if not await self._send_one(delivery, report):
                    blocked.add(delivery.channel_ref)
            return report

    async def _send_one(self, delivery: Delivery, report: DispatchReport) -> bool:
        now = self.clock.now()
        channel = self.store.get_channel(delivery.channel_ref)
        sender = self.senders.get(delivery.channel_ref.split(":", 1)[0])
        if channel is None or sender is None:
            reason = "channel no longer configured" if channel is None else "platform not connected"
            self.store.mark_failed(delivery.id, reason, now)
            report.failed += 1
            return True
        if (
            delivery.kind in ("alert", "followup")
            and delivery.created_at is not None
            and now - delivery.created_at > self.policy.max_alert_age
        ):
            # A stale alert is noise; the item is already in the channel's next digest window.
            self.store.mark_folded(delivery.id, now)
            report.folded += 1
            return True
        message = self.message_for(delivery)
        if message is None and delivery.kind == "followup":
            # No posted alert to go with: the source is listed in the next digest instead.
            self.store.mark_folded(delivery.id, now)
            report.folded += 1
            return True
        if message is None:
            self.store.mark_failed(delivery.id, "item no longer stored", now)
            report.failed += 1
            return True
        try:
            external_id = await sender.send(channel, message, idempotency_key=delivery.dedupe_key)
        except DeliveryError as exc:
            return self._record_error(delivery, exc, report)
        self.store.mark_sent(delivery.id, self.clock.now(), external_id)
        report.sent += 1
        log.info(
            "delivery.sent",
            extra={"channel": delivery.channel_ref, "kind": delivery.kind, "delivery": delivery.id},
        )
        return True

    def _record_error(self, delivery: Delivery, exc: DeliveryError, report: DispatchReport) -> bool:
        now = self.clock.now()
        if exc.permanent or delivery.attempts + 1 >= self.policy.max_attempts:
            self.store.mark_failed(delivery.id, str(exc), now)
            report.failed += 1
            log.error("delivery.failed", extra={"channel": delivery.channel_ref, "error": str(exc)})
            return True
        wait = min(self.policy.base_retry_s * 2**delivery.attempts, self.policy.max_retry_s)
        if exc.retry_after is not None:
            wait = max(exc.retry_after, 0.0)
        self.store.mark_retry(delivery.id, str(exc), now + timedelta(seconds=wait))
        report.retried += 1
        log.warning(
            "delivery.retry",
            extra={
                "channel": delivery.channel_ref,
                "error": str(exc),
                "retry_in_s": round(wait, 1),
            },
        )
        return False
