"""Conversion between table rows and the domain records of bot.core.models."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal, cast

from sqlalchemy import RowMapping

from bot.core.filters import rule_from_dict, rule_to_dict
from bot.core.models import (
    Candidate,
    Channel,
    Classification,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Feed,
    Feedback,
    FeedKind,
    FeedSpec,
    Item,
    PendingDelivery,
    StoredRef,
    normalise_tags,
)

# Items whose feed was removed keep their history with feed_id NULL; the domain records type
# feed_id as int, so such items report this id, which no feed ever has.
NO_FEED = 0


def feed_from_row(row: RowMapping) -> Feed:
    """A Feed from a `feeds` row (plus an optional `item_count` column)."""
    return Feed(
        id=row["id"],
        url=row["url"],
        name=row["name"],
        poll_interval_s=row["poll_interval_s"],
        kind=cast(FeedKind, row["kind"]),
        etag=row["etag"],
        last_modified=row["last_modified"],
        last_polled_at=row["last_polled_at"],
        last_success_at=row["last_success_at"],
        last_error=row["last_error"],
        last_note=row["last_note"],
        consecutive_failures=row["consecutive_failures"],
        next_poll_at=row["next_poll_at"],
        disabled=bool(row["disabled"]),
        primed=bool(row["primed"]),
        item_count=int(row.get("item_count") or 0),
        added_by=row["added_by"],
        fulltext=bool(row["fulltext"]),
        tags=tags_from_column(row["tags"]),
        last_new_at=row["last_new_at"],
        silent_since=row["silent_since"],
    )


def feed_spec_values(spec: FeedSpec) -> dict[str, Any]:
    """The `feeds` columns a FeedSpec (configuration) owns."""
    return {
        "url": spec.url,
        "name": spec.name,
        "kind": spec.kind,
        "poll_interval_s": spec.poll_interval_s,
        "fulltext": spec.fulltext,
        "tags": tags_to_column(spec.tags),
    }


def tags_to_column(tags: Sequence[str]) -> str:
    """A feed's tags as the JSON list stored in `feeds.tags`."""
    return json.dumps(list(normalise_tags(tags)), ensure_ascii=False)


def tags_from_column(value: str | None) -> tuple[str, ...]:
    """The tags stored in `feeds.tags`; a value that is not a JSON list of strings reads as none."""
    try:
        loaded = json.loads(value or "[]")
    except ValueError:
        return ()
    if not isinstance(loaded, list):
        return ()
    return normalise_tags(t for t in loaded if isinstance(t, str))


def candidate_values(candidate: Candidate) -> dict[str, Any]:
    """The `items` columns an (updated) candidate supplies."""
    return {
        "url": candidate.url,
        "title": candidate.title,
        "summary": candidate.summary,
        "published_at": candidate.published_at,
        "published_known": candidate.published_known,
        "content_hash": candidate.content_hash,
    }


def stored_ref_from_row(row: RowMapping) -> StoredRef:
    """The decider's view of a stored item."""
    return StoredRef(
        id=row["id"],
        guid=row["guid"],
        url=row["url"],
        title=row["title"],
        summary=row["summary"],
        published_at=row["published_at"],
        content_hash=row["content_hash"],
        feed_id=row["feed_id"] if row["feed_id"] is not None else NO_FEED,
    )


def item_from_row(row: RowMapping, classification: Classification | None) -> Item:
    """An Item from an `items` row and its rebuilt classification."""
    return Item(
        id=row["id"],
        feed_id=row["feed_id"] if row["feed_id"] is not None else NO_FEED,
        guid=row["guid"],
        url=row["url"],
        title=row["title"],
        summary=row["summary"],
        published_at=row["published_at"],
        first_seen_at=row["first_seen_at"],
        source=row["source"],
        content_hash=row["content_hash"],
        classification=classification,
        silent=bool(row["silent"]),
        duplicate_of=row["duplicate_of"],
    )


def classification_rows(
    item_id: int, classification: Classification, now: datetime
) -> list[dict[str, Any]]:
    """One `classifications` row per scored topic."""
    return [
        {
            "item_id": item_id,
            "topic": topic,
            "score": float(score),
            "positive": bool(classification.labels.get(topic, False)),
            "reasons": list(classification.why.get(topic, [])),
            "model_version": classification.model_version,
            "created_at": now,
        }
        for topic, score in classification.scores.items()
    ]


def classifications_by_item(rows: Iterable[RowMapping]) -> dict[int, Classification]:
    """Rebuild one Classification per item from its rows (ordered by id)."""
    grouped: dict[int, list[RowMapping]] = {}
    for row in rows:
        grouped.setdefault(row["item_id"], []).append(row)
    result: dict[int, Classification] = {}
    for item_id, item_rows in grouped.items():
        result[item_id] = Classification(
            scores={r["topic"]: r["score"] for r in item_rows},
            labels={r["topic"]: bool(r["positive"]) for r in item_rows},
            why={r["topic"]: list(r["reasons"]) for r in item_rows},
            model_version=item_rows[-1]["model_version"],
        )
    return result


def channel_values(channel: Channel) -> dict[str, Any]:
    """Every `channels` column of a Channel, last_digest_at included."""
    return {
        "ref": channel.ref,
        "name": channel.name,
        "topics": list(channel.topics),
        "digest_cron": channel.digest_cron,
        "timezone": channel.timezone,
        "alerts": channel.alerts,
        "threshold": channel.threshold,
        "last_digest_at": channel.last_digest_at,
        "subscribed": channel.subscribed,
        "webhook_env": channel.webhook_env,
        "filters": [rule_to_dict(r) for r in channel.filters],
        "digest_max_stories": channel.digest_max_stories,
    }


def channel_from_row(row: RowMapping) -> Channel:
    """A Channel from a `channels` row."""
    return Channel(
        ref=row["ref"],
        name=row["name"],
        topics=tuple(row["topics"]),
        digest_cron=row["digest_cron"],
        timezone=row["timezone"],
        alerts=bool(row["alerts"]),
        threshold=row["threshold"],
        last_digest_at=row["last_digest_at"],
        subscribed=bool(row["subscribed"]),
        webhook_env=row["webhook_env"],
        filters=tuple(rule_from_dict(r) for r in row["filters"] or () if isinstance(r, dict)),
        digest_max_stories=row["digest_max_stories"],
    )


def delivery_values(
    delivery: PendingDelivery, now: datetime, item_ids: Sequence[int] | None = None
) -> dict[str, Any]:
    """A new pending `deliveries` row; `item_ids` overrides the delivery's own."""
    ids = list(delivery.item_ids if item_ids is None else item_ids)
    return {
        "channel_ref": delivery.channel_ref,
        "kind": delivery.kind,
        "dedupe_key": delivery.dedupe_key,
        "status": "pending",
        "item_ids": ids,
        "item_id": ids[0] if len(ids) == 1 else None,
        "payload": dict(delivery.payload),
        "attempts": 0,
        "next_attempt_at": None,
        "created_at": now,
        "updated_at": now,
    }


def delivery_from_row(row: RowMapping) -> Delivery:
    """A Delivery from a `deliveries` row."""
    return Delivery(
        id=row["id"],
        channel_ref=row["channel_ref"],
        kind=cast(DeliveryKind, row["kind"]),
        dedupe_key=row["dedupe_key"],
        status=cast(DeliveryStatus, row["status"]),
        item_ids=[int(i) for i in row["item_ids"]],
        payload=dict(cast(Mapping[str, object], row["payload"])),
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        created_at=row["created_at"],
        sent_at=row["sent_at"],
        error=row["error"],
        external_id=row["external_id"],
    )


def feedback_from_row(row: RowMapping) -> Feedback:
    """A Feedback from a `feedback` row."""
    return Feedback(
        item_id=row["item_id"],
        verdict=cast(Literal["good", "bad"], row["verdict"]),
        user=row["user"],
        channel_ref=row["channel_ref"],
        topic=row["topic"],
    )
