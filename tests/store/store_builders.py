"""Small builders for the storage tests: fixed times, candidates, classifications, polls."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from bot.core.models import Candidate, Classification, FeedSpec, PendingDelivery
from bot.core.ports import FeedOutcome, NewItem, UpdateItem
from bot.store.sql import SqlStore

T0 = datetime(2024, 6, 1, 8, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    """T0 plus `minutes`."""
    return T0 + timedelta(minutes=minutes)


def candidate(
    guid: str,
    *,
    url: str | None = None,
    title: str | None = None,
    summary: str = "summary",
    content_hash: str | None = None,
    published_at: datetime = T0,
    source: str = "Example",
) -> Candidate:
    """A candidate whose url/title/hash default to values derived from `guid`."""
    return Candidate(
        guid=guid,
        url=f"https://example.org/{guid}" if url is None else url,
        title=title or f"Title {guid}",
        summary=summary,
        published_at=published_at,
        published_known=True,
        content_hash=content_hash or f"hash-{guid}",
        source=source,
    )


def classification(
    guarantees: float = 0.9, troops: float = 0.1, version: str = "m1"
) -> Classification:
    """Scores for both topics; a topic is positive above 0.5."""
    scores = {"guarantees": guarantees, "troops": troops}
    return Classification(
        scores=scores,
        labels={t: s > 0.5 for t, s in scores.items()},
        why={t: [f"{t} because {s}"] for t, s in scores.items()},
        model_version=version,
    )


def outcome(feed_id: int, polled_at: datetime = T0, **kw: object) -> FeedOutcome:
    """A successful poll outcome, due again an hour later unless told otherwise."""
    values: dict[str, object] = {
        "feed_id": feed_id,
        "polled_at": polled_at,
        "next_poll_at": polled_at + timedelta(hours=1),
        "ok": True,
    }
    values.update(kw)
    return FeedOutcome(**values)  # type: ignore[arg-type]


def alert(channel: str = "slack:C1", kind: str = "alert") -> PendingDelivery:
    """An alert delivery whose dedupe key embeds the item id."""
    return PendingDelivery(
        channel_ref=channel,
        kind=kind,  # type: ignore[arg-type]
        dedupe_key=f"alert:{channel}:{{item_id}}",
        payload={"why": "test"},
    )


def add_feed(store: SqlStore, name: str = "feed", now: datetime = T0) -> int:
    """Add a feed and return its id."""
    return store.add_feed(FeedSpec(url=f"https://{name}.example/rss", name=name), now).id


def poll(
    store: SqlStore,
    feed_id: int,
    cands: Sequence[Candidate],
    *,
    polled_at: datetime = T0,
    cls: Classification | None = None,
    deliveries: Sequence[PendingDelivery] = (),
    updates: Sequence[UpdateItem] = (),
) -> list[int]:
    """Apply a poll storing `cands` as new items, each with `deliveries`."""
    new = [NewItem(feed_id, c, cls or classification(), silent=False) for c in cands]
    return store.apply_poll(
        outcome(feed_id, polled_at), new, updates, [list(deliveries) for _ in new]
    )
