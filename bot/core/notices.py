"""Notices about a feed (disabled, silent): one per subscribed channel, each recorded once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.core.models import Channel, Feed, PendingDelivery


def feed_notices(
    feed: Feed, channels: Sequence[Channel], reason: str, moment: datetime, text: str
) -> list[PendingDelivery]:
    """One notice of `text` per subscribed channel.

    The dedupe key names the feed, the reason and the moment the notice is about, so recording
    it again (a crash before the feed was marked) is a no-op, while the same reason at a later
    moment is a new notice.
    """
    return [
        PendingDelivery(
            channel_ref=ch.ref,
            kind="notice",
            dedupe_key=f"notice:feed-{reason}:{feed.id}:{ch.ref}:{moment:%Y%m%dT%H%M}",
            payload={"text": text},
        )
        for ch in channels
        if ch.subscribed
    ]
