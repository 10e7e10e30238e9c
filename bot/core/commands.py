"""The `/watch` command layer, implemented once: parse → act → a neutral reply.

Slack, Discord and the console only translate their events into `execute(text, ctx)` and render
the reply. User mistakes come back as ErrorReply with what was wrong and what to do; bugs raise.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Literal

from bot.core.commands_help import COMMANDS, help_reply, usage
from bot.core.digest import DigestService
from bot.core.errors import CommandError, FeedError, WatchbotError
from bot.core.explain import explain_item
from bot.core.feedlist import feed_list_command
from bot.core.messages import ErrorReply, Message, TableReply, TextReply
from bot.core.models import TOPIC_TITLES, TOPICS, Channel, Feedback, FeedSpec, Upload
from bot.core.ports import (
    AnalysisStore,
    Classifier,
    Clock,
    FeedListCodec,
    Schedules,
    StanceExtractor,
    Store,
    UrlChecker,
)
from bot.core.status import feeds_table, status_report
from bot.core.timeline import find_statements, parse_timeline_args, timeline_reply

ADMIN_COMMANDS = frozenset({"subscribe", "unsubscribe", "alerts", "feed"})
DAYS = {
    "mon": "mon",
    "tue": "tue",
    "wed": "wed",
    "thu": "thu",
    "fri": "fri",
    "sat": "sat",
    "sun": "sun",
    "monday": "mon",
    "tuesday": "tue",
    "wednesday": "wed",
    "thursday": "thu",
    "friday": "fri",
    "saturday": "sat",
    "sunday": "sun",
}
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_SINCE = re.compile(r"^(\d{1,4})([hdw])$")
_UNITS = {"h": 3600, "d": 86400, "w": 604800}


@dataclass(frozen=True, slots=True)
class CommandContext:
    """Who asked, where: the adapter fills it from the platform's event."""

    channel_ref: str
    channel_name: str
    user: str
    is_admin: bool = False
    upload: Upload | None = None  # a file given with the command (`feed import`)


@dataclass(frozen=True, slots=True)
class Services:
    """What commands need from the app."""

    store: Store
    clock: Clock
    digests: DigestService
    classifier: Classifier
    schedules: Schedules
    url_checker: UrlChecker
    default_interval_s: int = 900
    analysis: AnalysisStore | None = None  # stories and statements (timeline)
    stances: StanceExtractor | None = None  # resolves "actor or country" words
    feed_lists: FeedListCodec | None = None  # OPML: `feed import` and `feed export`


def parse_since(word: str) -> timedelta:
    """`24h`, `7d`, `2w` → timedelta; CommandError otherwise."""
    m = _SINCE.match(word.lower())
    if not m or int(m.group(1)) == 0:
        raise CommandError(f"“{word}” is not a window; use e.g. 24h, 7d or 2w")
    return timedelta(seconds=int(m.group(1)) * _UNITS[m.group(2)])


def parse_topics(word: str) -> tuple[str, ...] | None:
    """`troops`, `guarantees`, `all` or `troops,guarantees`; None when `word` is not topics."""
    if word.lower() == "all":
        return TOPICS
    parts = [p.strip().lower() for p in word.split(",") if p.strip()]
    if parts and all(p in TOPICS for p in parts):
        return tuple(t for t in TOPICS if t in parts)
    return None


def parse_schedule(args: list[str], schedules: Schedules) -> tuple[str | None, str | None]:
    """`daily HH:MM`, `weekly DAY HH:MM` or `cron "m h dom mon dow"` (+ optional zone).

    Returns (cron, timezone); (None, None) when no schedule was given.
    """
    if not args:
        return None, None
    kind, rest = args[0].lower(), args[1:]
    if kind == "daily":
        if not rest or not _HHMM.match(rest[0]):
            raise CommandError("daily needs a time: `subscribe daily 08:30 [Europe/Kyiv]`")
        h, m = rest[0].split(":")
        cron, rest = f"{int(m)} {int(h)} * * *", rest[1:]
    elif kind == "weekly":
        if len(rest) < 2 or rest[0].lower() not in DAYS or not _HHMM.match(rest[1]):
            raise CommandError("weekly needs a day and a time: `subscribe weekly mon 08:30 [zone]`")
        h, m = rest[1].split(":")
        cron, rest = f"{int(m)} {int(h)} * * {DAYS[rest[0].lower()]}", rest[2:]
    elif kind == "cron":
        if not rest:
            raise CommandError('cron needs an expression: `subscribe cron "0 8 * * 1-5" [zone]`')
        cron, rest = rest[0], rest[1:]
    else:
        raise CommandError(
            f"unknown schedule “{args[0]}”: use daily HH:MM, weekly DAY HH:MM or cron"
        )
    if len(rest) > 1:
        raise CommandError(f"unexpected words after the schedule: {' '.join(rest[1:])}")
    tz = rest[0] if rest else "UTC"
    try:
        schedules.validate(cron, tz)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    return cron, tz


def _int_arg(word: str, what: str) -> int:
    digits = word.lstrip("#")
    if not digits.isdigit() or len(digits) > 12:
        raise CommandError(f"{what} must be a number such as 42, not “{word}”")
    return int(digits)


class CommandRouter:
    """Executes command lines for a channel and a user."""

    def __init__(self, services: Services) -> None:
        self.s = services
        self._handlers: dict[str, Callable[[list[str], CommandContext], Message]] = {
            "help": self._help,
            "digest": self._digest,
            "unsubscribe": self._unsubscribe,
            "alerts": self._alerts,
            "feeds": self._feeds,
            "search": self._search,
            "why": self._why,
            "status": self._status,
            "feedback": self._feedback,
            "timeline": self._timeline,
        }

    async def execute(self, text: str, ctx: CommandContext) -> Message:
        """Run one command line (without the `/watch` prefix) and return the reply."""
        try:
            args = shlex.split(text)
        except ValueError as exc:
            return ErrorReply(f"could not read the command ({exc}); check the quotes")
        if not args:
            return help_reply()
        name, rest = args[0].lower(), args[1:]
        if name not in COMMANDS:
            return ErrorReply(f"unknown command “{args[0]}”. Try `help`.")
        if name in ADMIN_COMMANDS and not ctx.is_admin:
            return ErrorReply(
                f"`{name}` changes this workspace's setup and is limited to admins "
                "(workspace admins or users listed in the bot's config)."
            )
        if rest[:1] == ["help"]:
            return TextReply(usage(name))
        try:
            if name == "subscribe":
                return self._subscribe(rest, ctx)
            if name == "feed":
                return await self._feed(rest, ctx)
            return self._handlers[name](rest, ctx)
        except CommandError as exc:
            return ErrorReply(f"{exc}\nUsage: {usage(name)}")
        except FeedError as exc:
            return ErrorReply(str(exc))
        except WatchbotError as exc:
            return ErrorReply(f"{name} failed: {exc}")

    # --- read-only commands -------------------------------------------------------------

    def _help(self, args: list[str], ctx: CommandContext) -> Message:
        return help_reply(args[0].lower() if args else None)

    def _channel(self, ctx: CommandContext) -> Channel:
        return self.s.store.get_channel(ctx.channel_ref) or Channel(
            ref=ctx.channel_ref, name=ctx.channel_name, subscribed=False
        )

    def _digest(self, args: list[str], ctx: CommandContext) -> Message:
        topics: tuple[str, ...] | None = None
        window: timedelta | None = None
        public = False
        for word in args:
            if word.lower() in ("here", "channel"):
                public = True
            elif word.lower() in ("me", "private"):
                public = False
            elif (t := parse_topics(word)) is not None:
                topics = t
            else:
                window = parse_since(word)
        channel = self._channel(ctx)
        now = self.s.clock.now()
        since = now - window if window else (channel.last_digest_at or now - timedelta(days=1))
        digest = self.s.digests.collect(
            channel, since=since, until=now, topics=topics or channel.topics
        )
        if digest.item_count == 0:
            return TextReply(
                "No matching items in this window. Try a longer one, e.g. `digest 7d`.",
                ephemeral=not public,
            )
        return replace(digest, ephemeral=not public)

    def _feeds(self, args: list[str], ctx: CommandContext) -> Message:
        return feeds_table(self.s.store, self.s.clock.now())

    def _search(self, args: list[str], ctx: CommandContext) -> Message:
        query = " ".join(args).strip()
        if len(query) < 2:
            raise CommandError("search needs words to look for, e.g. `search reassurance force`")
        if len(query) > 200:
            raise CommandError("search query is too long (200 characters at most)")
        found = self.s.store.search(query, limit=15)
        rows = tuple(
            (
                f"#{i.id}",
                f"{i.published_at:%Y-%m-%d}",
                ",".join(i.classification.matched()) if i.classification else "",
                i.title[:90],
                i.source[:30],
            )
            for i in found
        )
        return TableReply(
            title=f"Search: {query} ({len(rows)} result(s), newest first)",
            headers=("item", "date", "topics", "title", "source"),
            rows=rows,
            footer="`why ITEM` explains one." if rows else "",
        )

    def _why(self, args: list[str], ctx: CommandContext) -> Message:
        if len(args) != 1:
            raise CommandError("why needs one item number")
        channels = [self._channel(ctx)]
        return explain_item(self.s.store, _int_arg(args[0], "ITEM"), channels)

    def _status(self, args: list[str], ctx: CommandContext) -> Message:
        now = self.s.clock.now()
        nexts = {
            c.name: self.s.schedules.next_fire(c.digest_cron, c.timezone, now)
            for c in self.s.store.list_channels()
            if c.subscribed and c.digest_cron
        }
        if args and args != ["chart"]:
            raise CommandError(f"status takes no arguments or `chart`, not “{' '.join(args)}”")
        report = status_report(
            self.s.store, now, model_version=self.s.classifier.version, next_digests=nexts
        )
        if args and self.s.digests.charts is not None and self.s.digests.analysis is not None:
            report = replace(report, attachments=(self.s.digests.chart(now, name="status"),))
        return report

    def _timeline(self, args: list[str], ctx: CommandContext) -> Message:
        if self.s.analysis is None or self.s.stances is None:
            return TextReply("Stance timelines are not available: analysis is not configured.")
        words, topic = parse_timeline_args(args)
        found = find_statements(self.s.analysis, self.s.stances, words or None, topic)
        return timeline_reply(found, words, topic)

    def _feedback(self, args: list[str], ctx: CommandContext) -> Message:
        if len(args) not in (2, 3) or args[1].lower() not in ("good", "bad"):
            raise CommandError("feedback needs an item and good|bad")
        item_id = _int_arg(args[0], "ITEM")
        topic = args[2].lower() if len(args) == 3 else None
        if topic is not None and topic not in TOPICS:
            raise CommandError(f"unknown topic “{topic}” (topics: {', '.join(TOPICS)})")
        if self.s.store.get_item(item_id) is None:
            raise CommandError(f"no item #{item_id}")
        verdict: Literal["good", "bad"] = "good" if args[1].lower() == "good" else "bad"
        self.s.store.add_feedback(
            Feedback(item_id, verdict, ctx.user, ctx.channel_ref, topic), self.s.clock.now()
        )
        return TextReply(
            f"Thanks — recorded “{verdict}” for item #{item_id}; "
            "the next `watchbot train` learns from it."
        )

    # --- admin commands ------------------------------------------------------------------

    def _subscribe(self, args: list[str], ctx: CommandContext) -> Message:
        topics: tuple[str, ...] = TOPICS
        if args and (t := parse_topics(args[0])) is not None:
            topics, args = t, args[1:]
        cron, tz = parse_schedule(args, self.s.schedules)
        channel = self._channel(ctx)
        channel = replace(
            channel,
            topics=topics,
            subscribed=True,
            digest_cron=cron or channel.digest_cron or "0 8 * * *",
            timezone=tz or channel.timezone,
        )
        self.s.store.save_channel(channel)
        self._audit(
            ctx,
            "subscribe",
            f"topics={','.join(topics)} cron={channel.digest_cron} tz={channel.timezone}",
        )
        names = ", ".join(TOPIC_TITLES[t] for t in topics)
        nxt = self.s.schedules.next_fire(
            channel.digest_cron or "", channel.timezone, self.s.clock.now()
        )
        when = f"; next digest {nxt:%a %d %b %H:%M %Z}" if nxt else ""
        return TextReply(
            f"Subscribed {ctx.channel_name} to {names} (cron `{channel.digest_cron}` "
            f"{channel.timezone}{when}). Alerts: {'on' if channel.alerts else 'off'}.",
            ephemeral=False,
        )

    def _unsubscribe(self, args: list[str], ctx: CommandContext) -> Message:
        if args:
            raise CommandError("unsubscribe takes no arguments")
        channel = self.s.store.get_channel(ctx.channel_ref)
        if channel is None or not channel.subscribed:
            return TextReply(f"{ctx.channel_name} is not subscribed.")
        self.s.store.save_channel(replace(channel, subscribed=False))
        self._audit(ctx, "unsubscribe", "")
        return TextReply(
            f"Unsubscribed {ctx.channel_name}: no more digests or alerts here.", ephemeral=False
        )

    def _alerts(self, args: list[str], ctx: CommandContext) -> Message:
        if not args or args[0].lower() not in ("on", "off") or len(args) > 2:
            raise CommandError("alerts needs on or off")
        on = args[0].lower() == "on"
        channel = self.s.store.get_channel(ctx.channel_ref)
        if channel is None or not channel.subscribed:
            raise CommandError(f"{ctx.channel_name} is not subscribed; run `subscribe` first")
        threshold = channel.threshold
        if len(args) == 2:
            try:
                threshold = float(args[1])
            except ValueError:
                raise CommandError(
                    f"threshold must be a number between 0 and 1, not “{args[1]}”"
                ) from None
            if not 0.0 <= threshold <= 1.0:
                raise CommandError("threshold must be between 0 and 1")
        self.s.store.save_channel(replace(channel, alerts=on, threshold=threshold))
        self._audit(ctx, "alerts", f"on={on} threshold={threshold}")
        return TextReply(
            f"Alerts {'on' if on else 'off'} in {ctx.channel_name}"
            + (f" (threshold {threshold:.2f})" if on else "")
            + ".",
            ephemeral=False,
        )

    async def _feed(self, args: list[str], ctx: CommandContext) -> Message:
        if not args or args[0].lower() not in ("add", "remove", "import", "export"):
            raise CommandError("feed needs add, remove, import or export")
        if args[0].lower() in ("import", "export"):
            return await self._feed_list(args[0].lower(), args[1:], ctx)
        if args[0].lower() == "add":
            if len(args) < 2:
                raise CommandError("feed add needs a URL")
            url = args[1]
            if len(url) > 2000:
                raise CommandError("that URL is longer than 2000 characters")
            await self.s.url_checker.check(url)
            name = " ".join(args[2:]).strip()[:100] or url
            feed = self.s.store.add_feed(
                FeedSpec(url=url, name=name, poll_interval_s=self.s.default_interval_s),
                self.s.clock.now(),
                added_by=ctx.user,
            )
            self._audit(ctx, "feed.add", f"#{feed.id} {url}")
            return TextReply(
                f"Added feed #{feed.id} “{feed.name}”. Its current items are stored "
                "silently (digest only); new ones alert.",
                ephemeral=False,
            )
        if len(args) != 2:
            raise CommandError("feed remove needs one feed ID (see `feeds`)")
        feed = self.s.store.remove_feed(_int_arg(args[1], "ID"))
        self._audit(ctx, "feed.remove", f"#{feed.id} {feed.url}")
        return TextReply(
            f"Removed feed #{feed.id} “{feed.name}”; its items stay searchable.", ephemeral=False
        )

    async def _feed_list(self, verb: str, args: list[str], ctx: CommandContext) -> Message:
        if self.s.feed_lists is None:
            return ErrorReply("Feed lists (OPML) are not available in this set-up.")
        return await feed_list_command(
            verb,
            args,
            ctx.upload,
            user=ctx.user,
            actor=f"{ctx.user}@{ctx.channel_ref}",
            codec=self.s.feed_lists,
            store=self.s.store,
            checker=self.s.url_checker,
            now=self.s.clock.now(),
            interval_s=self.s.default_interval_s,
        )

    def _audit(self, ctx: CommandContext, action: str, detail: str) -> None:
        self.s.store.audit(f"{ctx.user}@{ctx.channel_ref}", action, detail, self.s.clock.now())
