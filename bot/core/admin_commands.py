"""Commands that change a channel's or the workspace's set-up: subscribe, alerts, feeds."""

from __future__ import annotations

from dataclasses import replace

from bot.core.command_args import int_arg, parse_schedule, parse_topics
from bot.core.command_context import CommandContext, Services, audit, channel_of
from bot.core.errors import CommandError
from bot.core.feedlist import feed_list_command
from bot.core.messages import ErrorReply, Message, TextReply
from bot.core.models import TOPIC_TITLES, TOPICS, FeedSpec


async def subscribe(args: list[str], ctx: CommandContext, s: Services) -> Message:
    """`subscribe [TOPICS] [schedule] [ZONE]`: digests and alerts for this channel."""
    topics: tuple[str, ...] = TOPICS
    if args and (t := parse_topics(args[0])) is not None:
        topics, args = t, args[1:]
    cron, tz = parse_schedule(args, s.schedules)
    channel = channel_of(s, ctx)
    channel = replace(
        channel,
        topics=topics,
        subscribed=True,
        digest_cron=cron or channel.digest_cron or "0 8 * * *",
        timezone=tz or channel.timezone,
    )
    s.store.save_channel(channel)
    audit(
        s,
        ctx,
        "subscribe",
        f"topics={','.join(topics)} cron={channel.digest_cron} tz={channel.timezone}",
    )
    names = ", ".join(TOPIC_TITLES[t] for t in topics)
    nxt = s.schedules.next_fire(channel.digest_cron or "", channel.timezone, s.clock.now())
    when = f"; next digest {nxt:%a %d %b %H:%M %Z}" if nxt else ""
    return TextReply(
        f"Subscribed {ctx.channel_name} to {names} (cron `{channel.digest_cron}` "
        f"{channel.timezone}{when}). Alerts: {'on' if channel.alerts else 'off'}.",
        ephemeral=False,
    )


async def unsubscribe(args: list[str], ctx: CommandContext, s: Services) -> Message:
    """`unsubscribe`: no more digests or alerts here."""
    if args:
        raise CommandError("unsubscribe takes no arguments")
    channel = s.store.get_channel(ctx.channel_ref)
    if channel is None or not channel.subscribed:
        return TextReply(f"{ctx.channel_name} is not subscribed.")
    s.store.save_channel(replace(channel, subscribed=False))
    audit(s, ctx, "unsubscribe", "")
    return TextReply(
        f"Unsubscribed {ctx.channel_name}: no more digests or alerts here.", ephemeral=False
    )


async def alerts(args: list[str], ctx: CommandContext, s: Services) -> Message:
    """`alerts on|off [THRESHOLD]`."""
    if not args or args[0].lower() not in ("on", "off") or len(args) > 2:
        raise CommandError("alerts needs on or off")
    on = args[0].lower() == "on"
    channel = s.store.get_channel(ctx.channel_ref)
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
    s.store.save_channel(replace(channel, alerts=on, threshold=threshold))
    audit(s, ctx, "alerts", f"on={on} threshold={threshold}")
    return TextReply(
        f"Alerts {'on' if on else 'off'} in {ctx.channel_name}"
        + (f" (threshold {threshold:.2f})" if on else "")
        + ".",
        ephemeral=False,
    )


async def feed(args: list[str], ctx: CommandContext, s: Services) -> Message:
    """`feed add URL [NAME] | remove ID | import [--dry-run] | export`."""
    if not args or args[0].lower() not in ("add", "remove", "import", "export"):
        raise CommandError("feed needs add, remove, import or export")
    verb = args[0].lower()
    if verb in ("import", "export"):
        return await _feed_list(verb, args[1:], ctx, s)
    if verb == "add":
        return await _feed_add(args[1:], ctx, s)
    if len(args) != 2:
        raise CommandError("feed remove needs one feed ID (see `feeds`)")
    removed = s.store.remove_feed(int_arg(args[1], "ID"))
    audit(s, ctx, "feed.remove", f"#{removed.id} {removed.url}")
    return TextReply(
        f"Removed feed #{removed.id} “{removed.name}”; its items stay searchable.",
        ephemeral=False,
    )


async def _feed_add(args: list[str], ctx: CommandContext, s: Services) -> Message:
    if not args:
        raise CommandError("feed add needs a URL")
    url = args[0]
    if len(url) > 2000:
        raise CommandError("that URL is longer than 2000 characters")
    await s.url_checker.check(url)
    name = " ".join(args[1:]).strip()[:100] or url
    added = s.store.add_feed(
        FeedSpec(url=url, name=name, poll_interval_s=s.default_interval_s),
        s.clock.now(),
        added_by=ctx.user,
    )
    audit(s, ctx, "feed.add", f"#{added.id} {url}")
    return TextReply(
        f"Added feed #{added.id} “{added.name}”. Its current items are stored "
        "silently (digest only); new ones alert.",
        ephemeral=False,
    )


async def _feed_list(verb: str, args: list[str], ctx: CommandContext, s: Services) -> Message:
    if s.feed_lists is None:
        return ErrorReply("Feed lists (OPML) are not available in this set-up.")
    return await feed_list_command(
        verb,
        args,
        ctx.upload,
        user=ctx.user,
        actor=f"{ctx.user}@{ctx.channel_ref}",
        codec=s.feed_lists,
        store=s.store,
        checker=s.url_checker,
        now=s.clock.now(),
        interval_s=s.default_interval_s,
    )
