"""Ports: the interfaces the core needs from the outside world, implemented by adapters."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Literal, Protocol, TypeVar, runtime_checkable

from bot.core.messages import Attachment, Message
from bot.core.models import (
    Candidate,
    Channel,
    Classification,
    Delivery,
    Feed,
    Feedback,
    FeedSpec,
    Item,
    ParsedFeed,
    PendingDelivery,
    StoredRef,
)

if TYPE_CHECKING:
    from bot.core.commands import CommandContext  # commands imports this module

T = TypeVar("T")


class Clock(Protocol):
    """Source of the current time (UTC, timezone-aware). Tests inject a fake one."""

    def now(self) -> datetime: ...


@dataclass(frozen=True, slots=True)
class FetchResult:
    """The outcome of one conditional GET that did not fail."""

    url: str  # final URL after redirects
    status: int  # 200 or 304
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names

    @property
    def not_modified(self) -> bool:
        """True when the server answered 304 Not Modified."""
        return self.status == 304


class Fetcher(Protocol):
    """Fetches a feed with a conditional GET; raises FeedError on any failure."""

    async def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult: ...


class FeedParser(Protocol):
    """Turns fetched bytes into entries; raises ParseError for documents that are not usable feeds."""

    def parse(self, body: bytes, *, url: str, headers: dict[str, str]) -> ParsedFeed: ...


@runtime_checkable
class Classifier(Protocol):
    """Scores items for the topics; `version` identifies the model that produced a score."""

    @property
    def version(self) -> str: ...

    def classify(self, title: str, text: str) -> Classification: ...

    def classify_many(self, docs: Sequence[tuple[str, str]]) -> list[Classification]: ...


class Offload(Protocol):
    """Runs a pure, picklable function beside the event loop (a process pool) and awaits it."""

    def __call__(self, fn: Callable[[], T], /) -> Awaitable[T]: ...


class Progress(Protocol):
    """Progress of long work (a cold poll cycle, an ingest, training), shown to whoever waits.

    `start` opens it with what is known of the total (0: not yet known), `expect` adds work found
    on the way (a feed read brings its new items), `advance` counts work done, `close` ends it.
    Implementations decide where it shows (a terminal) and stay silent elsewhere.
    """

    def start(self, total: int, unit: str) -> None: ...

    def expect(self, n: int) -> None: ...

    def advance(self, n: int = 1) -> None: ...

    def close(self) -> None: ...


# Classification run elsewhere (the process pool, each worker with its own copy of the model).
ClassifyOffload = Callable[[Sequence[tuple[str, str]]], Awaitable[list[Classification]]]


@dataclass(frozen=True, slots=True)
class NewItem:
    """Intent: store a candidate that matches nothing stored."""

    feed_id: int
    candidate: Candidate
    classification: Classification
    silent: bool  # the feed's first run: store for digests, never alert


@dataclass(frozen=True, slots=True)
class UpdateItem:
    """Intent: an entry edited upstream; update the stored item in place, never alert again."""

    item_id: int
    candidate: Candidate


@dataclass(frozen=True, slots=True)
class FeedOutcome:
    """Polling state to write for a feed after one poll (success, 304 or failure)."""

    feed_id: int
    polled_at: datetime
    next_poll_at: datetime
    ok: bool
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None
    consecutive_failures: int = 0
    disabled: bool = False
    primed: bool = False
    # What a successful read recovered from or left out ("read the first 1000 of 40000
    # entries"); "" clears the last note, None (a 304: the same document) keeps it.
    note: str | None = None
    new_items: bool = False  # it stored new items: not silent any more
    silenced: bool = False  # its silence was announced with this poll


@dataclass(frozen=True, slots=True)
class StoreStats:
    """Counts shown by `status`."""

    items: int
    feeds: int
    pending_deliveries: int
    failed_deliveries: int
    last_poll_at: datetime | None


class Store(Protocol):
    """Persistence for feeds, items, classifications, channels, deliveries and feedback.

    Every method is one transaction. `apply_poll` is the only writer of items: items, their
    classifications, the feed's polling state and the deliveries they cause are written together or
    not at all, so a crash never leaves an item without its classification or an alert unrecorded.
    """

    # feeds
    def sync_feeds(self, specs: Sequence[FeedSpec], now: datetime) -> list[Feed]: ...
    def add_feed(self, spec: FeedSpec, now: datetime, added_by: str | None = None) -> Feed: ...
    def add_feeds(
        self, specs: Sequence[FeedSpec], now: datetime, added_by: str | None = None
    ) -> list[Feed]: ...
    def feeds_with_activity(self, since: datetime) -> list[tuple[Feed, FeedActivity]]: ...
    def publication_times(self, feed_id: int, limit: int = 20) -> list[datetime]: ...
    def remove_feed(self, feed_id: int) -> Feed: ...
    def get_feed(self, feed_id: int) -> Feed | None: ...
    def list_feeds(self) -> list[Feed]: ...
    def due_feeds(self, now: datetime, limit: int = 1000) -> list[Feed]: ...
    def record_outcome(self, outcome: FeedOutcome) -> None: ...
    def record_outcomes(self, outcomes: Sequence[FeedOutcome]) -> None: ...

    # several replicas on one database: leases on due feeds, claims on due deliveries
    def lease_due_feeds(
        self, owner: str, now: datetime, ttl_s: float, limit: int = 100
    ) -> list[Feed]: ...
    def renew_leases(self, owner: str, now: datetime, ttl_s: float) -> int: ...
    def claim_deliveries(
        self, owner: str, now: datetime, ttl_s: float, limit: int = 100
    ) -> list[Delivery]: ...
    def release_claims(self, owner: str, channel_ref: str) -> None: ...

    # items
    def find_matches(
        self, feed_id: int, candidates: Sequence[Candidate]
    ) -> list[StoredRef | None]: ...
    def apply_poll(
        self,
        outcome: FeedOutcome,
        new: Sequence[NewItem],
        updates: Sequence[UpdateItem],
        deliveries_for: Sequence[Sequence[PendingDelivery]],
    ) -> list[int]: ...
    def get_item(self, item_id: int) -> Item | None: ...
    def items_between(
        self, start: datetime | None, end: datetime, topics: Sequence[str] | None = None
    ) -> list[Item]: ...
    def recent_items(self, limit: int = 50, topic: str | None = None) -> list[Item]: ...
    def search(self, query: str, limit: int = 20) -> list[Item]: ...
    def reclassify(self, item_id: int, classification: Classification) -> None: ...

    # channels
    def sync_channels(self, channels: Sequence[Channel]) -> None: ...
    def list_channels(self) -> list[Channel]: ...
    def get_channel(self, ref: str) -> Channel | None: ...
    def save_channel(self, channel: Channel) -> None: ...

    # deliveries
    def record_deliveries(
        self, deliveries: Sequence[PendingDelivery], now: datetime
    ) -> list[int]: ...
    def record_digest(
        self, delivery: PendingDelivery, channel_ref: str, window_end: datetime, now: datetime
    ) -> int | None: ...
    def due_deliveries(self, now: datetime, limit: int = 100) -> list[Delivery]: ...
    def waiting_channels(self, now: datetime) -> set[str]: ...
    def mark_sent(
        self, delivery_id: int, now: datetime, external_id: str | None = None
    ) -> None: ...
    def mark_retry(self, delivery_id: int, error: str, next_attempt_at: datetime) -> None: ...
    def mark_failed(self, delivery_id: int, error: str, now: datetime) -> None: ...
    def mark_folded(self, delivery_id: int, now: datetime) -> None: ...
    def deliveries_for_item(self, item_id: int) -> list[Delivery]: ...
    def alerts_for_item(self, item_id: int) -> list[Delivery]:
        """The alerts and follow-ups of one item (deliveries of it alone), oldest first;
        unlike `deliveries_for_item` no digest is read."""
        ...

    def failed_deliveries(self, limit: int = 20) -> list[Delivery]: ...

    # feedback, audit, stats
    def add_feedback(self, feedback: Feedback, now: datetime) -> None: ...
    def list_feedback(self) -> list[Feedback]: ...
    def audit(self, actor: str, action: str, detail: str, now: datetime) -> None: ...
    def stats(self) -> StoreStats: ...
    def close(self) -> None: ...


class ChatSender(Protocol):
    """One chat platform's outbound side: renders a reply object and sends it to a channel.

    Returns the platform's message id. Raises DeliveryError (permanent or retryable).
    """

    platform: str

    async def send(
        self, channel: Channel, message: object, *, idempotency_key: str
    ) -> str | None: ...


class CommandExecutor(Protocol):
    """What a chat adapter runs a `/watch` command line through (the core's CommandRouter)."""

    async def execute(self, text: str, ctx: CommandContext) -> Message: ...


class FeedbackSink(Protocol):
    """Where a chat adapter records a user's 👍/👎 verdict on an item (stamped with the time)."""

    def record(self, feedback: Feedback) -> None:
        """Store the verdict; StorageError when it cannot."""
        ...

    def record_on_alert(self, feedback: Feedback, message_id: str) -> bool:
        """Store the verdict only if `message_id` is the item's alert in `feedback.channel_ref`;
        False (nothing stored) when it is not."""
        ...


class Catalogue(Protocol):
    """Read-only listings a chat adapter offers as suggestions (autocomplete)."""

    def list_feeds(self) -> list[Feed]: ...

    def recent_items(self, limit: int = 50, topic: str | None = None) -> list[Item]: ...

    def search(self, query: str, limit: int = 20) -> list[Item]: ...


@dataclass(frozen=True, slots=True)
class ChatPorts:
    """The core as chat adapters see it: run commands, record feedback, list for suggestions."""

    commands: CommandExecutor
    feedback: FeedbackSink
    catalogue: Catalogue
    clock: Clock | None = None  # "the last hour" of files shared for `feed import` (Slack)


@dataclass(frozen=True, slots=True)
class SourceResult:
    """What a source yielded for one poll: a parsed document, or nothing new (304 / unchanged)."""

    feed: ParsedFeed | None  # None: not modified since the last poll
    base_url: str = ""
    etag: str | None = None
    last_modified: str | None = None
    cache_control: str | None = None


class Source(Protocol):
    """Reads one stored feed (HTTP, a local file or folder); raises FeedError on failure."""

    async def read(self, feed: Feed) -> SourceResult: ...


class Schedules(Protocol):
    """Cron arithmetic for digest schedules (implemented with the scheduler library)."""

    def validate(self, cron: str, timezone: str) -> None:
        """Raise ValueError with a readable reason when the cron or zone is invalid."""
        ...

    def next_fire(self, cron: str, timezone: str, now: datetime) -> datetime | None: ...


class UrlChecker(Protocol):
    """Refuses feed URLs users may not add (schemes, private addresses); raises FeedError."""

    async def check(self, url: str) -> None: ...


@dataclass(frozen=True, slots=True)
class ListedFeed:
    """A feed as a feed list (an OPML file) names it: URL, title, folders as tags."""

    url: str
    title: str = ""
    tags: tuple[str, ...] = ()
    html_url: str = ""


class FeedListCodec(Protocol):
    """Reads and writes feed lists (OPML); `parse` raises ParseError naming what is wrong."""

    media_type: str
    extension: str

    def parse(self, data: bytes) -> list[ListedFeed]: ...

    def render(self, feeds: Sequence[Feed], *, title: str, now: datetime) -> bytes: ...


@dataclass(frozen=True, slots=True)
class FeedActivity:
    """A feed's last seven days, for `feeds` and `status`: items stored, how many on a topic."""

    items_7d: int = 0
    on_topic_7d: int = 0


class ArticleReader(Protocol):
    """Fetches an article page and extracts its main text (for feeds that carry only a teaser).

    Returns None when the page cannot be fetched or holds no article; never raises for that.
    """

    async def read_article(self, url: str) -> str | None: ...


# --- analysis: stories across outlets, who-said-what stances, charts -------------------------

StanceKind = Literal["supports", "conditional", "opposes", "rules_out", "keeps_open"]
STANCES: tuple[StanceKind, ...] = ("supports", "conditional", "opposes", "rules_out", "keeps_open")


@dataclass(frozen=True, slots=True)
class StoryDoc:
    """An item as story clustering sees it: when it was published and its text fingerprint.

    `fingerprint` is opaque to the core (the clusterer's own serialisation). Stored items carry
    their id and story; items of the current poll have neither yet.
    """

    published_at: datetime
    fingerprint: str
    item_id: int | None = None
    story_id: int | None = None


@dataclass(frozen=True, slots=True)
class StoryLink:
    """Where a new doc joins a story: a stored item's (`item_id`, `story_id`) or an earlier doc
    of the same batch (`earlier`, its index)."""

    item_id: int | None = None
    story_id: int | None = None
    earlier: int | None = None


class StoryClusterer(Protocol):
    """Decides which items report the same event (near-duplicate text, close in time, same actors).

    It keeps the stored items it compares with (it may read them from the AnalysisStore), so a
    poll's items are linked without the core reading the whole window.
    """

    @property
    def fingerprinter(self) -> Callable[[Sequence[tuple[str, str]]], list[str]]:
        """The opaque fingerprints of (title, text) pairs, in one batch: a pure function that
        pickles (a module-level one), so that it may run in a worker process."""
        ...

    def assign(self, new: Sequence[StoryDoc]) -> list[StoryLink | None]:
        """For each doc of `new` (in order), the stored item or earlier doc of `new` reporting
        the same event, or None when it starts a story of its own."""
        ...


@dataclass(frozen=True, slots=True)
class Statement:
    """An attributed position on a topic: who said what about troops or guarantees, and when.

    `speaker` is a gazetteer actor (a leader, "the Kremlin"); `on_behalf_of` names the leader a
    spokesperson spoke for; `via` is the wording that named the speaker ("an Elysee official").
    """

    speaker: str
    stance: StanceKind
    topic: str
    sentence: str
    said_at: datetime
    item_id: int = 0
    country: str = ""
    on_behalf_of: str = ""
    via: str = ""


@dataclass(frozen=True, slots=True)
class ActorQuery:
    """What a user's "actor or country" words resolve to: canonical speakers and countries."""

    text: str
    speakers: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """True when the words matched no actor and no country."""
        return not self.speakers and not self.countries


class StanceExtractor(Protocol):
    """Finds attributed statements on the topics in an item's text; resolves actor queries."""

    @property
    def version(self) -> str: ...

    def extract(self, title: str, text: str, published_at: datetime) -> list[Statement]: ...

    def resolve(self, words: str) -> ActorQuery: ...


class ChartRenderer(Protocol):
    """Draws charts as image attachments (a PNG of daily item counts per topic)."""

    def daily_counts(
        self, counts: Mapping[str, Mapping[date, int]], *, start: date, end: date, title: str
    ) -> Attachment: ...


@dataclass(frozen=True, slots=True)
class ItemAnalysis:
    """What the analysis step records for one new item, keyed by its feed and guid.

    The story is an existing story id, or the guid of the item of this poll that leads a new
    story (possibly the item itself); the store resolves guids to item ids.
    """

    guid: str
    fingerprint: str
    story_id: int | None = None
    story_lead: str | None = None
    statements: tuple[Statement, ...] = ()
    extractor_version: str = ""


@dataclass(frozen=True, slots=True)
class StoryMember:
    """One item of a story, for "also reported by" lines and alert suppression."""

    item_id: int
    story_id: int
    source: str
    published_at: datetime


@runtime_checkable
class AnalysisStore(Protocol):
    """Persistence for story fingerprints and membership, statements and chart counts."""

    def story_docs(
        self, start: datetime, end: datetime, limit: int | None = 5000
    ) -> list[StoryDoc]: ...
    def story_docs_after(self, item_id: int, also: Sequence[int] = ()) -> list[StoryDoc]: ...
    def last_story_doc_id(self) -> int: ...
    def record_analysis(
        self, feed_id: int, records: Sequence[ItemAnalysis], now: datetime
    ) -> None: ...
    def story_of(self, item_ids: Sequence[int]) -> dict[int, int]: ...
    def story_members(self, story_ids: Sequence[int]) -> dict[int, list[StoryMember]]: ...
    def story_alerts(self, story_ids: Sequence[int]) -> dict[int, list[Delivery]]: ...
    def statements(
        self,
        *,
        speakers: Sequence[str] | None = None,
        countries: Sequence[str] | None = None,
        topic: str | None = None,
        seen_after: datetime | None = None,
        seen_until: datetime | None = None,
        limit: int = 500,
    ) -> list[Statement]: ...
    def daily_topic_counts(self, start: datetime, end: datetime) -> dict[str, dict[date, int]]: ...
