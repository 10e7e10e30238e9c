"""`why ITEM`: the classification explanation, and why an item was or was not delivered."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.errors import CommandError
from bot.core.filters import channel_filter, item_subject
from bot.core.messages import TextReply
from bot.core.models import TOPIC_TITLES, TOPICS, Channel, Item
from bot.core.ports import Store

_ALERT_STATES = {
    "sent": "alerted",
    "pending": "alert queued",
    "failed": "alert failed",
    "folded": "alert folded into the digest (too old when it could be sent)",
}
_FOLLOWUP_STATES = {
    "sent": "a later source of a story already alerted: added to that alert, not alerted again",
    "pending": "a later source of a story already alerted: queued to be added to that alert",
    "failed": "a later source of a story already alerted: adding it to that alert failed",
    "folded": "a later source of a story already alerted: listed in the digest (the first "
    "alert was not posted, or this came too late)",
}


def _delivery_lines(store: Store, item: Item, channels: Sequence[Channel]) -> list[str]:
    deliveries = {d.channel_ref: d for d in store.alerts_for_item(item.id)}
    c = item.classification
    # What filters read of the item, looked up once for every channel that has filters.
    subject = (
        item_subject(item, store.get_feed(item.feed_id))
        if any(ch.filters for ch in channels)
        else None
    )
    lines = []
    for ch in channels:
        verdict = (
            channel_filter(ch.filters).verdict(subject)
            if subject is not None and ch.filters
            else None
        )
        if verdict is not None:
            goes = "it may alert and goes to digests" if verdict.passed else "no alert, no digest"
            lines.append(f"{ch.name} filters: {verdict.reason} ({goes})")
        d = deliveries.get(ch.ref)
        if d is not None:
            state = _FOLLOWUP_STATES if d.kind == "followup" else _ALERT_STATES
            lines.append(f"{ch.name}: {state[d.status]}" + (f" ({d.error})" if d.error else ""))
            continue
        if verdict is not None and not verdict.passed:
            reason = "not alerted and left out of digests: this channel's filters hold it back"
        elif item.duplicate_of is not None:
            reason = f"duplicate of item #{item.duplicate_of}, which was handled first"
        elif item.silent:
            reason = "not alerted: stored during the feed's first run (it goes to the digest only)"
        elif not ch.subscribed:
            reason = "not alerted: the channel is unsubscribed"
        elif not ch.alerts:
            reason = "not alerted: alerts are off in this channel (digest only)"
        elif c is None:
            reason = "not classified"
        else:
            wanted = [t for t in ch.topics if c.labels.get(t)]
            if not wanted:
                reason = "not alerted: no topic this channel follows matched"
            else:
                best = max(c.scores.get(t, 0.0) for t in wanted)
                reason = (
                    f"not alerted: score {best:.2f} is below the channel's alert threshold "
                    f"{ch.threshold:.2f} (it goes to the digest)"
                )
        lines.append(f"{ch.name}: {reason}")
    return lines


def explain_item(store: Store, item_id: int, channels: Sequence[Channel]) -> TextReply:
    """Scores, labels and reasons per topic, then each channel's delivery outcome."""
    item = store.get_item(item_id)
    if item is None:
        raise CommandError(f"no item #{item_id}; `search` or `items` lists item numbers")
    lines = [f"{item.source} · {item.published_at:%d %b %Y %H:%M} UTC · {item.url or 'no link'}"]
    c = item.classification
    if c is None:
        lines.append("Not classified.")
    else:
        lines.append(f"Model: {c.model_version}")
        for topic in TOPICS:
            verdict = "match" if c.labels.get(topic) else "no match"
            lines.append(f"{TOPIC_TITLES[topic]}: {verdict} (score {c.scores.get(topic, 0.0):.2f})")
            lines.extend(f"  - {reason}" for reason in (c.why.get(topic) or [])[:3])
    lines.extend(_delivery_lines(store, item, channels))
    return TextReply(text=f"Why #{item.id} “{item.title}”", lines=tuple(lines))
