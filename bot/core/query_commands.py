"""Commands anyone may run, which read and change nothing of the set-up: digest, feeds,
search, why, status, timeline, feedback."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Literal

from bot.core.command_args import int_arg, parse_cap, parse_since, parse_topics
from bot.core.command_context import CommandContext, Services, channel_of
from bot.core.commands_help import help_reply
from bot.core.digest import DigestLimit
from bot.core.errors import CommandError
from bot.core.explain import explain_item
from bot.core.messages import Message, TableReply, TextReply
from bot.core.models import TOPICS, Feedback
from bot.core.status import feeds_table, status_report
from bot.core.timeline import find_statements, parse_timeline_args, timeline_reply


async def help_(args: list[str], ctx: CommandContext, s: Services) -> Message:
    """`help [COMMAND]`."""
    return help_reply(args[0].lower() if args else None)


async def digest(args: list[str], ctx: CommandContext, s: Services) -> Message:
    """`digest [TOPIC] [24h|7d|2w] [--all|N] [here]`: a digest now, only to the caller by
    default; `--all` or a number of stories lifts the channel's cap for this one."""
    topics: tuple[str, ...] | None = None
    window: timedelta | None = None
    limit: DigestLimit = None
    public = False
    for word in args:
        if word.lower() == "--all":
            limit = "all"
        elif word.isdigit():
            limit = parse_cap(word)
        elif word.lower() in ("here", "channel"):
            public = True
        elif word.lower() in ("me", "private"):
            public = False
        elif (t := parse_topics(word)) is not None:
            topics = t
        else:
            window = parse_since(word)
    channel = channel_of(s, ctx)
    now = s.clock.now()
    since = now - window if window else (channel.last_digest_at or now - timedelta(days=1))
    found = s.digests.collect(
        channel, since=since, until=now, topics=topics or channel.topics, limit=limit
    )
    if found.item_count == 0:
        return TextReply(
            "No matching items in this window. Try a longer one, e.g. `digest 7d`.",
            ephemeral=not public,
        )
    return replace(found, ephemeral=not public)


async def feeds(args: list[str], ctx: CommandContext, s: Services) -> Message:
    """`feeds`: watched feeds with their health."""
    return feeds_table(s.store, s.clock.now())


async def search(args: list[str], ctx: CommandContext, s: Services) -> Message:
    """`search QUERY`: stored items, newest first."""
    query = " ".join(args).strip()
    if len(query) < 2:
        raise CommandError("search needs words to look for, e.g. `search reassurance force`")
    if len(query) > 200:
        raise CommandError("search query is too long (200 characters at most)")
    found = s.store.search(query, limit=15)
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


async def why(args: list[str], ctx: CommandContext, s: Services) -> Message:
    """`why ITEM`: the classification, and what happened to the item in this channel."""
    if len(args) != 1:
        raise CommandError("why needs one item number")
    return explain_item(s.store, int_arg(args[0], "ITEM"), [channel_of(s, ctx)])


async def status(args: list[str], ctx: CommandContext, s: Services) -> Message:
    """`status [chart]`."""
    now = s.clock.now()
    nexts = {
        c.name: s.schedules.next_fire(c.digest_cron, c.timezone, now)
        for c in s.store.list_channels()
        if c.subscribed and c.digest_cron
    }
    if args and args != ["chart"]:
        raise CommandError(f"status takes no arguments or `chart`, not “{' '.join(args)}”")
    report = status_report(s.store, now, model_version=s.classifier.version, next_digests=nexts)
    if args and s.digests.charts is not None and s.digests.analysis is not None:
        report = replace(report, attachments=(s.digests.chart(now, name="status"),))
    return report


async def timeline(args: list[str], ctx: CommandContext, s: Services) -> Message:
    """`timeline [ACTOR or COUNTRY] [TOPIC]`."""
    if s.analysis is None or s.stances is None:
        return TextReply("Stance timelines are not available: analysis is not configured.")
    words, topic = parse_timeline_args(args)
    found = find_statements(s.analysis, s.stances, words or None, topic)
    return timeline_reply(found, words, topic)


async def feedback(args: list[str], ctx: CommandContext, s: Services) -> Message:
    """`feedback ITEM good|bad [TOPIC]`."""
    if len(args) not in (2, 3) or args[1].lower() not in ("good", "bad"):
        raise CommandError("feedback needs an item and good|bad")
    item_id = int_arg(args[0], "ITEM")
    topic = args[2].lower() if len(args) == 3 else None
    if topic is not None and topic not in TOPICS:
        raise CommandError(f"unknown topic “{topic}” (topics: {', '.join(TOPICS)})")
    if s.store.get_item(item_id) is None:
        raise CommandError(f"no item #{item_id}")
    verdict: Literal["good", "bad"] = "good" if args[1].lower() == "good" else "bad"
    s.store.add_feedback(
        Feedback(item_id, verdict, ctx.user, ctx.channel_ref, topic), s.clock.now()
    )
    return TextReply(
        f"Thanks — recorded “{verdict}” for item #{item_id}; "
        "the next `watchbot train` learns from it."
    )
