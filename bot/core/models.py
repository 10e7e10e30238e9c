"""Domain records shared by every layer: feeds, entries, items, classifications, channels, deliveries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from bot.core.filters import FilterRule

TOPICS: tuple[str, ...] = ("guarantees", "troops")
TOPIC_TITLES: dict[str, str] = {
    "guarantees": "Security guarantees",
    "troops": "Troop deployment",
}

FeedKind = Literal["rss", "local"]  # "local": a file or folder on disk (seeds, `watchbot ingest`)
DeliveryKind = Literal["alert", "followup", "digest", "notice"]
DeliveryStatus = Literal["pending", "sent", "failed", "folded"]


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """A feed as configured (file, command or seed directory), before it is stored."""

    url: str
    name: str
    poll_interval_s: int = 900
    kind: FeedKind = "rss"
    fulltext: bool = False
    tags: tuple[str, ...] = ()  # folders of an imported OPML file, or `tags = [...]` in the config


@dataclass(frozen=True, slots=True)
class Upload:
    """A file given with a command (an OPML file to import): its name and its bytes."""

    filename: str
    data: bytes = field(repr=False)


def normalise_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """Tags trimmed, inner whitespace collapsed, empty ones dropped, first spelling of each kept.

    Tags compare case-insensitively ("Europe" and "europe" are one tag), so filters and OPML
    folders written with different capitalisation still meet.
    """
    seen: dict[str, str] = {}
    for tag in tags:
        clean = " ".join(tag.split())
        if clean and clean.casefold() not in seen:
            seen[clean.casefold()] = clean
    return tuple(seen.values())


@dataclass(slots=True)
class Feed:
    """A stored feed with its polling state."""

    id: int
    url: str
    name: str
    poll_interval_s: int
    kind: FeedKind = "rss"
    etag: str | None = None
    last_modified: str | None = None
    last_polled_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    last_note: str | None = None  # what the last successful read recovered from or left out
    consecutive_failures: int = 0
    next_poll_at: datetime | None = None
    disabled: bool = False
    primed: bool = False  # True once the first successful poll stored what the feed already held
    item_count: int = 0
    added_by: str | None = None
    fulltext: bool = False  # fetch each new entry's article and classify on its full text
    tags: tuple[str, ...] = ()
    last_new_at: datetime | None = None  # when a poll last stored a new item
    silent_since: datetime | None = None  # when its silence was announced (None: it was not)


@dataclass(frozen=True, slots=True)
class ParsedEntry:
    """One entry as the parser read it, before normalisation."""

    guid: str | None
    link: str | None
    title: str
    summary: str
    published: datetime | None
    author: str | None = None
    source: str | None = None  # the outlet, when it differs from the feed (aggregators, seeds)


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A parsed document: its entries and whether the parser had to recover from errors."""

    title: str
    entries: tuple[ParsedEntry, ...]
    bozo: bool = False
    bozo_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Candidate:
    """A normalised entry, ready to be compared with what is stored."""

    guid: str
    url: str
    title: str
    summary: str
    published_at: datetime
    published_known: bool
    content_hash: str
    source: str
    author: str | None = None
    body: str = ""  # full plain text for classification; only `summary` is stored

    @property
    def text(self) -> str:
        """What the classifier reads after the title: the full body when there is one."""
        return self.body or self.summary


@dataclass(frozen=True, slots=True)
class StoredRef:
    """What the decider needs to know of an already stored item that matches a candidate."""

    id: int
    guid: str
    url: str
    title: str
    summary: str
    published_at: datetime
    content_hash: str
    feed_id: int


@dataclass(frozen=True, slots=True)
class Classification:
    """Scores and explanation for one item, per topic."""

    scores: dict[str, float]
    labels: dict[str, bool]
    why: dict[str, list[str]]  # per topic: human reasons, the driving sentence first
    model_version: str

    def reason(self, topic: str) -> str:
        """One line saying why the item matched (or did not match) `topic`."""
        reasons = self.why.get(topic) or []
        return reasons[0] if reasons else "no topic signal"

    def matched(self) -> list[str]:
        """Topics this classification assigns, in canonical order."""
        return [t for t in TOPICS if self.labels.get(t)]


@dataclass(slots=True)
class Item:
    """A stored news item with its classification."""

    id: int
    feed_id: int
    guid: str
    url: str
    title: str
    summary: str
    published_at: datetime
    first_seen_at: datetime
    source: str
    content_hash: str
    classification: Classification | None = None
    silent: bool = False  # stored during a feed's first run: digest only, never an alert
    duplicate_of: int | None = None


@dataclass(slots=True)
class Channel:
    """A chat destination with its subscription."""

    ref: str  # "<platform>:<target>", e.g. "slack:C0123", "console:main"
    name: str
    topics: tuple[str, ...] = TOPICS
    digest_cron: str | None = "0 8 * * *"
    timezone: str = "UTC"
    alerts: bool = True
    threshold: float = 0.8
    last_digest_at: datetime | None = None
    subscribed: bool = True
    webhook_env: str | None = None
    filters: tuple[FilterRule, ...] = ()  # include/exclude rules on top of the classifier
    digest_max_stories: int | None = None  # stories per topic in a digest; None: the default

    @property
    def platform(self) -> str:
        """The adapter prefix of the channel reference."""
        return self.ref.split(":", 1)[0]

    @property
    def target(self) -> str:
        """The platform-specific address (channel ID, webhook name...)."""
        return self.ref.split(":", 1)[1] if ":" in self.ref else ""


@dataclass(slots=True)
class Delivery:
    """A message owed to a channel, recorded before it is sent."""

    id: int
    channel_ref: str
    kind: DeliveryKind
    dedupe_key: str
    status: DeliveryStatus
    item_ids: list[int] = field(default_factory=list)
    payload: dict[str, object] = field(default_factory=dict)
    attempts: int = 0
    next_attempt_at: datetime | None = None
    created_at: datetime | None = None
    sent_at: datetime | None = None
    error: str | None = None
    external_id: str | None = None


@dataclass(frozen=True, slots=True)
class PendingDelivery:
    """A delivery to record: who gets what, with a key that makes re-recording a no-op."""

    channel_ref: str
    kind: DeliveryKind
    dedupe_key: str
    item_ids: tuple[int, ...] = ()
    payload: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Feedback:
    """A user's verdict on an item's classification."""

    item_id: int
    verdict: Literal["good", "bad"]
    user: str
    channel_ref: str
    topic: str | None = None
