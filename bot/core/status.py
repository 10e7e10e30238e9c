"""`status`: feeds and their health, the outbox, next digests and the model version."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from bot.core.messages import TableReply
from bot.core.models import Feed
from bot.core.ports import FeedActivity, Store


def _ago(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "never"
    seconds = (now - moment).total_seconds()
    future = seconds < 0
    seconds = abs(seconds)
    text = (
        f"{int(seconds)}s"
        if seconds < 90
        else f"{int(seconds // 60)}m"
        if seconds < 5400
        else f"{seconds / 3600:.1f}h"
        if seconds < 172800
        else f"{seconds / 86400:.0f}d"
    )
    return f"in {text}" if future else f"{text} ago"


def feed_health(feed: Feed, now: datetime | None = None) -> str:
    """`ok`, `failing (3×)`, `disabled`, `silent` (nothing new for far longer than usual) or `new`."""
    if feed.disabled:
        return "disabled"
    if feed.consecutive_failures:
        return f"failing ({feed.consecutive_failures}×)"
    if feed.silent_since is not None and now is not None:
        return f"silent (news {_ago(feed.last_new_at, now)})"
    return "ok" if feed.last_success_at else "new"


def _on_topic(activity: FeedActivity) -> str:
    if not activity.items_7d:
        return "-"
    return f"{round(100 * activity.on_topic_7d / activity.items_7d)}%"


def feeds_table(store: Store, now: datetime) -> TableReply:
    """Every feed with health, last success, next poll, its last seven days (items, share on a
    topic) and last error — read in one query however many feeds there are."""
    rows = tuple(
        (
            str(f.id),
            f.name[:40],
            feed_health(f, now),
            _ago(f.last_success_at, now),
            _ago(f.next_poll_at, now) if not f.disabled else "-",
            str(a.items_7d),
            _on_topic(a),
            (f.last_error or (f"note: {f.last_note}" if f.last_note else ""))[:80],
        )
        for f, a in store.feeds_with_activity(now - timedelta(days=7))
    )
    return TableReply(
        title="Feeds",
        headers=(
            "id",
            "name",
            "health",
            "last success",
            "next poll",
            "items 7d",
            "on topic",
            "last error",
        ),
        rows=rows,
    )


def status_report(
    store: Store, now: datetime, *, model_version: str, next_digests: Mapping[str, datetime | None]
) -> TableReply:
    """The feeds table with a footer: items, outbox, failed deliveries, next digests, model."""
    stats = store.stats()
    table = feeds_table(store, now)
    footer = [
        f"Items stored: {stats.items} · last poll: {_ago(stats.last_poll_at, now)}",
        f"Outbox: {stats.pending_deliveries} pending, {stats.failed_deliveries} failed",
    ]
    for d in store.failed_deliveries(limit=5):
        footer.append(f"  failed {d.kind} to {d.channel_ref}: {d.error}")
    for name, moment in next_digests.items():
        footer.append(
            f"Next digest for {name}: {moment:%d %b %Y %H:%M %Z}"
            if moment
            else f"Next digest for {name}: none scheduled"
        )
    footer.append(f"Model: {model_version}")
    return TableReply(
        title="Watchbot status", headers=table.headers, rows=table.rows, footer="\n".join(footer)
    )
