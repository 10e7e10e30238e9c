"""Who is owed what: alert deliveries for a newly classified item."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.filters import FilterSubject, channel_filter, prepare
from bot.core.models import Channel, Classification, PendingDelivery


def alert_topics(classification: Classification, channel: Channel) -> list[str]:
    """Topics of `channel` that this classification matches strongly enough for an alert."""
    return [
        t
        for t in channel.topics
        if classification.labels.get(t) and classification.scores.get(t, 0.0) >= channel.threshold
    ]


def alert_deliveries(
    classification: Classification,
    channels: Sequence[Channel],
    *,
    silent: bool,
    subject: FilterSubject | None = None,
) -> list[PendingDelivery]:
    """Alert deliveries for a new item; `{item_id}` in the key is filled in by the store.

    A silent item (a feed's first run) gets none: it waits for the next digest. A channel whose
    filters hold `subject` back gets none either.
    """
    if silent:
        return []
    item = prepare(subject) if subject is not None else None
    return [
        PendingDelivery(
            channel_ref=ch.ref,
            kind="alert",
            dedupe_key=f"alert:{ch.ref}:{{item_id}}",
            payload={"topics": alert_topics(classification, ch)},
        )
        for ch in channels
        if ch.subscribed
        and ch.alerts
        and alert_topics(classification, ch)
        and (item is None or channel_filter(ch.filters).passes(item))
    ]
