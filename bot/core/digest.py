"""Digests: what each channel gets on its schedule, ranked and grouped by topic."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Literal

from bot.core.digest_payload import (
    StoryView,
    attachments_from,
    attachments_payload,
    moves_from,
    moves_payload,
    stories_from,
    stories_payload,
)
from bot.core.filters import channel_filter, item_subject
from bot.core.messages import Attachment, DigestMessage, DigestSection, ItemLine, StanceChange
from bot.core.models import TOPICS, Channel, Item, PendingDelivery
from bot.core.ports import AnalysisStore, ChartRenderer, Clock, Store
from bot.core.timeline import who_moved

log = logging.getLogger("watchbot.digest")

# Recency half-life used to rank items of similar score: a day-old strong item still leads.
_RECENCY_HALF_LIFE = timedelta(hours=36)


def _rank(item: Item, topic: str, end: datetime) -> float:
    score = item.classification.scores.get(topic, 0.0) if item.classification else 0.0
    age = max(timedelta(0), end - item.published_at)
    recency: float = 0.5 ** (age / _RECENCY_HALF_LIFE)
    return 0.75 * score + 0.25 * recency


CHART_DAYS = 30

# How many stories a topic a digest shows: None, the channel's cap (or the default); a number;
# or "all" to lift the cap for one request.
DigestLimit = int | Literal["all"] | None


def is_weekly(cron: str | None) -> bool:
    """True for a schedule that fires once a week: one minute, hour and weekday, any date."""
    fields = (cron or "").split()
    if len(fields) != 5:
        return False
    minute, hour, dom, month, dow = fields
    single = all(f.isdigit() for f in (minute, hour))
    return single and dom == "*" and month == "*" and dow != "*" and not set(dow) & set(",-/*")


def _best_score(item: Item, topics: Sequence[str]) -> float:
    c = item.classification
    return max((c.scores.get(t, 0.0) for t in topics), default=0.0) if c else 0.0


def _story_groups(
    items: Sequence[Item], stories: StoryView, topics: Sequence[str]
) -> list[tuple[Item, tuple[int, ...], tuple[str, ...]]]:
    """One (lead item, folded item ids, other outlets) per story; a lone item is its own story.

    The lead is the member with the best score (the earliest on a tie).
    """
    groups: dict[tuple[str, int], list[Item]] = {}
    for item in items:
        story = stories.story_of.get(item.id)
        groups.setdefault(("s", story) if story is not None else ("i", item.id), []).append(item)
    out = []
    for (kind, key), members in groups.items():
        lead = max(members, key=lambda i: (_best_score(i, topics), -i.published_at.timestamp()))
        folded = tuple(i.id for i in members if i.id != lead.id)
        outlets = list(stories.sources.get(key, ())) if kind == "s" else []
        outlets += [i.source for i in members]
        also = tuple(o for o in dict.fromkeys(outlets) if o != lead.source)
        out.append((lead, folded, also))
    return out


def build_digest(
    items: Sequence[Item],
    *,
    topics: Sequence[str],
    window_start: datetime | None,
    window_end: datetime,
    title: str = "Watchbot digest",
    timezone: str = "UTC",
    stories: StoryView | None = None,
    moves: Sequence[StanceChange] = (),
    attachments: Sequence[Attachment] = (),
    max_per_topic: int | None = None,
    left_out: int = 0,
) -> DigestMessage:
    """Group matching items by topic, each story once (under its lead's strongest topic) with
    the outlets that also reported it, best first; at most `max_per_topic` stories a topic, the
    rest counted in `left_out` (added to the `left_out` already known, for a rebuild)."""
    buckets: dict[str, list[tuple[Item, ItemLine]]] = {t: [] for t in TOPICS if t in topics}
    for lead, folded, also in _story_groups(items, stories or StoryView(), list(buckets)):
        c = lead.classification
        if c is None:
            continue
        matched = [t for t in buckets if c.labels.get(t)]
        if matched:
            topic = max(matched, key=lambda t: c.scores.get(t, 0.0))
            line = replace(ItemLine.from_item(lead, topic), also=also, folded=folded)
            buckets[topic].append((lead, line))
    ranked = {
        t: [line for _i, line in sorted(b, key=lambda p: _rank(p[0], t, window_end), reverse=True)]
        for t, b in buckets.items()
        if b
    }
    sections = tuple(
        DigestSection(topic=t, lines=tuple(ls[:max_per_topic])) for t, ls in ranked.items()
    )
    left_out += sum(len(ranked[s.topic]) - len(s.lines) for s in sections)
    return DigestMessage(
        title=title,
        window_start=window_start,
        window_end=window_end,
        sections=sections,
        timezone=timezone,
        moves=tuple(moves),
        attachments=tuple(attachments),
        left_out=left_out,
    )


def digest_from_payload(
    store: Store, payload: dict[str, object], item_ids: Sequence[int]
) -> DigestMessage:
    """Rebuild a recorded digest from its stored item ids, so a resend shows the same items."""
    start = payload.get("window_start")
    topics = payload.get("topics") or list(TOPICS)
    wanted = [str(t) for t in topics] if isinstance(topics, list) else list(TOPICS)
    window_start = datetime.fromisoformat(start) if isinstance(start, str) else None
    window_end = datetime.fromisoformat(str(payload["window_end"]))
    return build_digest(
        _stored_items(store, item_ids, window_start, window_end, wanted),
        topics=wanted,
        window_start=window_start,
        window_end=window_end,
        title=str(payload.get("title", "Watchbot digest")),
        timezone=str(payload.get("timezone", "UTC")),
        stories=stories_from(payload.get("stories")),
        moves=moves_from(payload.get("moves")),
        attachments=attachments_from(payload.get("attachments")),
        left_out=int(str(payload.get("left_out", 0))),
    )


FEW_ITEMS = 200  # up to here, reading each item (~1 ms) beats loading the whole window


def _stored_items(
    store: Store,
    item_ids: Sequence[int],
    start: datetime | None,
    end: datetime,
    topics: Sequence[str],
) -> list[Item]:
    """The items of `item_ids` still stored, in that order.

    A digest's items were chosen from its window, so one query for the window's items finds them
    all (one query per id took ~1 ms each: 10 s for a digest of 10,000 items); an id the window
    no longer yields (an item reclassified since) is read on its own, one that has gone is left out.
    A capped digest holds few items of a large window: those are read one by one.
    """
    if len(item_ids) <= FEW_ITEMS:
        return [i for i in (store.get_item(n) for n in item_ids) if i is not None]
    wanted = set(item_ids)
    found = {i.id: i for i in store.items_between(start, end, topics) if i.id in wanted}
    items = (found.get(n) or store.get_item(n) for n in item_ids)
    return [i for i in items if i is not None]


class DigestService:
    """Records a channel's digest for a schedule slot; the dispatcher sends it."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        analysis: AnalysisStore | None = None,
        charts: ChartRenderer | None = None,
        max_per_topic: int | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        # A digest is read, not searched: past this many stories a topic it says how many more.
        self.max_per_topic = max_per_topic
        self.analysis = analysis  # stories ("also reported by") and "who moved"
        self.charts = charts  # the topic chart of weekly digests

    def collect(
        self,
        channel: Channel,
        *,
        since: datetime | None,
        until: datetime,
        topics: Sequence[str] | None = None,
        weekly: bool | None = None,
        limit: DigestLimit = None,
    ) -> DigestMessage:
        """The digest a channel would get for a window, without recording anything.

        Weekly digests (by default: a channel whose schedule fires once a week) add the "who
        moved" section and the chart of daily items per topic over the last 30 days. Items the
        channel's filters hold back are left out; `limit` overrides its cap for this digest.
        """
        return self._collect(
            channel, since=since, until=until, topics=topics, weekly=weekly, limit=limit
        )[0]

    def cap_for(self, channel: Channel, limit: DigestLimit = None) -> int | None:
        """Stories a topic for this digest: `limit`, else the channel's cap, else the default."""
        if limit == "all":
            return None
        if limit is not None:
            return limit
        return channel.digest_max_stories or self.max_per_topic

    def _filtered(self, channel: Channel, items: Sequence[Item]) -> Sequence[Item]:
        """The items the channel's filters let through (all of them without filters)."""
        if not channel.filters:
            return items
        flt = channel_filter(channel.filters)
        feeds = {f.id: f for f in self.store.list_feeds()}
        return [i for i in items if flt.passes(item_subject(i, feeds.get(i.feed_id)))]

    def _collect(
        self,
        channel: Channel,
        *,
        since: datetime | None,
        until: datetime,
        topics: Sequence[str] | None = None,
        weekly: bool | None = None,
        limit: DigestLimit = None,
    ) -> tuple[DigestMessage, StoryView]:
        """`collect`, and the stories of the window's items (so `record` need not ask again)."""
        wanted = list(topics or channel.topics)
        items = self._filtered(channel, self.store.items_between(since, until, wanted))
        weekly = is_weekly(channel.digest_cron) if weekly is None else weekly
        moves = who_moved(self.analysis, since, until) if weekly and self.analysis else ()
        stories = self.stories([i.id for i in items])
        digest = build_digest(
            items,
            topics=wanted,
            window_start=since,
            window_end=until,
            title=f"Watchbot digest for {channel.name}",
            timezone=channel.timezone,
            stories=stories,
            moves=moves,
            attachments=(self.chart(until),) if weekly and self.charts else (),
            max_per_topic=self.cap_for(channel, limit),
        )
        return digest, stories

    def stories(self, item_ids: Sequence[int]) -> StoryView:
        """The stories of these items with the outlets of each (empty without analysis)."""
        if self.analysis is None or not item_ids:
            return StoryView()
        story_of = self.analysis.story_of(item_ids)
        members = self.analysis.story_members(sorted(set(story_of.values())))
        return StoryView(
            story_of=story_of,
            sources={s: [m.source for m in ms] for s, ms in members.items() if len(ms) > 1},
        )

    def chart(self, until: datetime, *, name: str = "digest") -> Attachment:
        """The PNG of daily items per topic over the CHART_DAYS days up to `until`."""
        if self.charts is None or self.analysis is None:
            raise ValueError("no chart renderer or analysis store configured")
        start = until - timedelta(days=CHART_DAYS - 1)
        counts = self.analysis.daily_topic_counts(
            start.replace(hour=0, minute=0, second=0, microsecond=0), until
        )
        return self.charts.daily_counts(
            counts,
            start=start.date(),
            end=until.date(),
            title=f"Items per day by topic, {start:%d %b} – {until:%d %b %Y} ({name})",
        )

    def record(
        self,
        channel_ref: str,
        slot: datetime | None = None,
        *,
        since: datetime | None = None,
        limit: DigestLimit = None,
    ) -> int | None:
        """Record the digest for schedule `slot` (default now) once; None when empty or recorded.

        The dedupe key is channel + slot (to the minute), so two replicas or a restart firing the
        same slot record one digest. The window runs from the channel's previous digest (or
        `since`) to now; `limit` overrides the channel's cap for this one.
        """
        channel = self.store.get_channel(channel_ref)
        if channel is None or not channel.subscribed:
            return None
        end = self.clock.now()
        key_time = slot or end
        start = since or channel.last_digest_at
        digest, view = self._collect(channel, since=start, until=end, limit=limit)
        if digest.item_count == 0:
            log.info("digest.empty", extra={"channel": channel_ref})
            return None
        ids = tuple(i for s in digest.sections for ln in s.lines for i in (ln.item_id, *ln.folded))
        shown = set(ids)
        # The stories of the items shown, from those of the whole window (one lookup, not two).
        story_of = {i: s for i, s in view.story_of.items() if i in shown}
        kept = set(story_of.values())
        stories = StoryView(
            story_of=story_of, sources={s: o for s, o in view.sources.items() if s in kept}
        )
        pending = PendingDelivery(
            channel_ref=channel_ref,
            kind="digest",
            dedupe_key=f"digest:{channel_ref}:{key_time:%Y-%m-%dT%H:%M}",
            item_ids=ids,
            payload={
                "window_start": start.isoformat() if start else None,
                "window_end": end.isoformat(),
                "title": digest.title,
                "topics": list(channel.topics),
                "timezone": channel.timezone,
                "stories": stories_payload(stories),
                "moves": moves_payload(digest.moves),
                "attachments": attachments_payload(digest.attachments),
                "left_out": digest.left_out,
            },
        )
        return self.store.record_digest(pending, channel_ref, end, self.clock.now())
