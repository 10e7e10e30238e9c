"""Commands that tune what one channel gets: its filters and its digest cap."""

from __future__ import annotations

from dataclasses import replace

from bot.core.command_args import int_arg, parse_cap
from bot.core.command_context import CommandContext, Services, audit, channel_of
from bot.core.errors import CommandError
from bot.core.filters import MAX_RULES, check_rules, parse_rule
from bot.core.messages import Message, TextReply

FILTER_ADMIN_VERBS = frozenset({"add", "remove", "clear"})
_SEMANTICS = (
    "An item goes here when no exclude filter matches it and, if include filters apply to it, "
    "at least one matches; tag: and feed: limit a filter to those feeds."
)


def filter_verb(text: str) -> str:
    """The verb of a `filter` command line's rest (`add`, `list`...), lower-cased; "" if none."""
    words = text.split(maxsplit=1)
    return words[0].lower() if words else ""


async def filter_(text: str, ctx: CommandContext, s: Services) -> Message:
    """`filter add RULE | list | remove N | clear`; `text` is the raw line after `filter`,
    because a /REGEX/ keeps its backslashes and quotes as typed."""
    verb = filter_verb(text)
    rest = text.strip()[len(verb) :].strip()
    if verb == "add":
        return _add(rest, ctx, s)
    if verb in ("list", ""):
        return _list(ctx, s)
    if verb == "remove":
        return _remove(rest, ctx, s)
    if verb == "clear":
        return _clear(rest, ctx, s)
    raise CommandError(f"filter needs add, list, remove or clear, not “{verb}”")


def _add(rule_text: str, ctx: CommandContext, s: Services) -> Message:
    rule = parse_rule(rule_text)
    channel = channel_of(s, ctx)
    if rule in channel.filters:
        number = channel.filters.index(rule) + 1
        return TextReply(f"{ctx.channel_name} already has this filter as #{number}.")
    rules = (*channel.filters, rule)
    check_rules(rules)
    s.store.save_channel(replace(channel, filters=rules))
    audit(s, ctx, "filter.add", rule.describe())
    return TextReply(
        f"Added filter #{len(rules)} in {ctx.channel_name}: `{rule.describe()}`.",
        (_SEMANTICS,),
        ephemeral=False,
    )


def _list(ctx: CommandContext, s: Services) -> Message:
    channel = channel_of(s, ctx)
    if not channel.filters:
        return TextReply(
            f"No filters in {ctx.channel_name}: every item the classifier matches goes here. "
            "Add one with `filter add exclude WORDS` or `filter add include /REGEX/`."
        )
    lines = tuple(f"#{n} `{r.describe()}`" for n, r in enumerate(channel.filters, 1))
    return TextReply(
        f"Filters in {ctx.channel_name} ({len(lines)} of at most {MAX_RULES})",
        (*lines, _SEMANTICS),
    )


def _remove(rest: str, ctx: CommandContext, s: Services) -> Message:
    words = rest.split()
    if len(words) != 1:
        raise CommandError("filter remove needs one filter number (see `filter list`)")
    number = int_arg(words[0], "the filter number")
    channel = channel_of(s, ctx)
    if not 1 <= number <= len(channel.filters):
        have = f"#1 to #{len(channel.filters)}" if channel.filters else "none"
        raise CommandError(f"{ctx.channel_name} has no filter #{number} (it has {have})")
    removed = channel.filters[number - 1]
    rules = channel.filters[: number - 1] + channel.filters[number:]
    s.store.save_channel(replace(channel, filters=rules))
    audit(s, ctx, "filter.remove", f"#{number} {removed.describe()}")
    renumbered = " The filters after it moved up one number." if number <= len(rules) else ""
    return TextReply(
        f"Removed filter #{number} `{removed.describe()}` from {ctx.channel_name}.{renumbered}",
        ephemeral=False,
    )


def _clear(rest: str, ctx: CommandContext, s: Services) -> Message:
    if rest:
        raise CommandError("filter clear takes no arguments")
    channel = channel_of(s, ctx)
    if not channel.filters:
        return TextReply(f"{ctx.channel_name} has no filters.")
    s.store.save_channel(replace(channel, filters=()))
    audit(s, ctx, "filter.clear", f"{len(channel.filters)} filter(s)")
    return TextReply(
        f"Removed all {len(channel.filters)} filter(s) from {ctx.channel_name}.", ephemeral=False
    )


async def digest_cap(args: list[str], ctx: CommandContext, s: Services) -> Message:
    """`digest-cap N|default`: at most N stories a topic in this channel's digests."""
    if len(args) != 1:
        raise CommandError("digest-cap needs a number of stories or `default`")
    cap = None if args[0].lower() == "default" else parse_cap(args[0])
    channel = replace(channel_of(s, ctx), digest_max_stories=cap)
    s.store.save_channel(channel)
    audit(s, ctx, "digest-cap", str(cap or "default"))
    shown = s.digests.cap_for(channel)
    return TextReply(
        f"Digests in {ctx.channel_name} show at most {shown or 'all'} stories a topic"
        + (" (the default)" if cap is None else "")
        + "; the rest are counted. `digest --all` lifts the cap for one digest.",
        ephemeral=False,
    )
