"""Platform-neutral messages: what the core says. Each chat adapter has one renderer per type."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from bot.core.models import TOPIC_TITLES, TOPICS, Item


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with a message (a chart PNG). Adapters upload `data` through the platform's
    file API; the console prints `path`, where a copy was written to disk ("" when none)."""

    filename: str
    data: bytes = field(repr=False)
    media_type: str = "image/png"
    title: str = ""
    path: str = ""


@dataclass(frozen=True, slots=True)
class StanceChange:
    """One line of a digest's "who moved" section: a speaker's latest stance on a topic and
    the one before it (None: first statement on record)."""

    speaker: str
    topic: str
    stance: str
    said_at: datetime
    item_id: int
    previous: str | None = None
    previous_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ItemLine:
    """One item as shown in an alert or digest."""

    item_id: int
    title: str
    url: str  # "" when the entry had no safe link: render the title as plain text
    source: str
    published_at: datetime
    topics: tuple[str, ...]
    score: float
    reason: str
    also: tuple[str, ...] = ()  # other outlets that reported the same story ("also reported by")
    folded: tuple[int, ...] = ()  # items of the same story in this digest, shown as this line

    @classmethod
    def from_item(cls, item: Item, topic: str | None = None) -> ItemLine:
        """Build the line for `item`; the reason is the one for `topic` (or its best topic)."""
        c = item.classification
        topics = tuple(c.matched()) if c else ()
        if c is None:
            return cls(item.id, item.title, item.url, item.source, item.published_at, (), 0.0, "")
        best = topic or max(TOPICS, key=lambda t: c.scores.get(t, 0.0))
        return cls(
            item_id=item.id,
            title=item.title,
            url=item.url,
            source=item.source,
            published_at=item.published_at,
            topics=topics,
            score=c.scores.get(best, 0.0),
            reason=c.reason(best),
        )


@dataclass(frozen=True, slots=True)
class AlertMessage:
    """An immediate alert about one strong match."""

    line: ItemLine


@dataclass(frozen=True, slots=True)
class FollowUpMessage:
    """A later source of a story the channel was already alerted to. It goes with the first
    alert rather than as a new one: a thread reply under it on Slack, an edit of it on Discord,
    an indented line on the console."""

    line: ItemLine  # the new source
    story: AlertMessage  # the first alert, with every source so far in `line.also`
    parent_id: str  # the platform's id of the first alert's message (Slack ts, Discord id)


@dataclass(frozen=True, slots=True)
class DigestSection:
    """The items of one topic in a digest, best first."""

    topic: str
    lines: tuple[ItemLine, ...]

    @property
    def title(self) -> str:
        """Human title of the section's topic."""
        return TOPIC_TITLES.get(self.topic, self.topic)


@dataclass(frozen=True, slots=True)
class DigestMessage:
    """A digest: items since the channel's last digest, grouped by topic."""

    title: str
    window_start: datetime | None
    window_end: datetime
    sections: tuple[DigestSection, ...]
    timezone: str = "UTC"
    ephemeral: bool = False  # a digest asked for with `digest` goes only to the caller
    moves: tuple[StanceChange, ...] = ()  # weekly digests: "who moved"
    attachments: tuple[Attachment, ...] = ()  # weekly digests: the topic chart
    left_out: int = 0  # stories of the window beyond each topic's cap, not shown

    @property
    def left_out_note(self) -> str:
        """What renderers add to the footer when stories were left out ("" when none)."""
        if not self.left_out:
            return ""
        return f"{self.left_out} more stor{'y' if self.left_out == 1 else 'ies'} not shown: search finds them"

    @property
    def item_count(self) -> int:
        """Number of items across sections, story members folded into a line included."""
        return sum(1 + len(line.folded) for s in self.sections for line in s.lines)

    @property
    def story_count(self) -> int:
        """Number of entries: one per story (or lone item)."""
        return sum(len(s.lines) for s in self.sections)


@dataclass(frozen=True, slots=True)
class NoticeMessage:
    """An operational notice to a channel, e.g. a feed disabled after repeated failures."""

    text: str


@dataclass(frozen=True, slots=True)
class TextReply:
    """A command's answer: a title line and body lines (plain text; adapters escape it)."""

    text: str
    lines: tuple[str, ...] = ()
    ephemeral: bool = True
    attachments: tuple[Attachment, ...] = ()  # e.g. the OPML file of `feed export`


@dataclass(frozen=True, slots=True)
class ErrorReply:
    """A command that failed: what was wrong and what to do. Always shown only to the caller."""

    text: str


@dataclass(frozen=True, slots=True)
class TableReply:
    """A command's answer as rows (feeds, items, search results)."""

    title: str
    rows: tuple[tuple[str, ...], ...]
    headers: tuple[str, ...] = ()
    ephemeral: bool = True
    footer: str = ""
    attachments: tuple[Attachment, ...] = ()  # e.g. the chart of `status chart`
    # Rows a platform keeps when it cannot show them all: the first (lists best or newest
    # first) or the last (lists oldest first, such as a timeline, whose newest rows matter).
    keep: Literal["first", "last"] = "first"


Message = (
    AlertMessage
    | FollowUpMessage
    | DigestMessage
    | NoticeMessage
    | TextReply
    | ErrorReply
    | TableReply
)
ALL_MESSAGE_TYPES: tuple[type, ...] = (
    AlertMessage,
    FollowUpMessage,
    DigestMessage,
    NoticeMessage,
    TextReply,
    ErrorReply,
    TableReply,
)
