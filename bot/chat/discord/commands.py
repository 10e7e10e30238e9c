"""The `/watch` application command group: every core command with typed Discord options.

Each handler only turns its options into the core's command line (`feed add URL NAME`) and hands
it to the CommandRunner; parsing, checks and replies stay in the core. Admin subcommands
(subscribe, unsubscribe, alerts, feed add/remove) are checked server-side: Discord ignores
`default_member_permissions` on subcommands, so it cannot hide them from members.
"""

from __future__ import annotations

import zoneinfo
from functools import cache

import discord
from discord import app_commands
from discord.app_commands import Choice

from bot.chat.discord.interactions import CommandRunner, command_line
from bot.chat.discord.text import clip
from bot.core.commands_help import COMMANDS
from bot.core.errors import StorageError
from bot.core.filters import rule_text
from bot.core.models import TOPIC_TITLES, TOPICS
from bot.core.ports import Catalogue

TOPIC_CHOICES = [Choice(name=TOPIC_TITLES[t], value=t) for t in TOPICS] + [
    Choice(name="All topics", value="all")
]
SINCE_CHOICES = [
    Choice(name=label, value=value)
    for label, value in (
        ("last 12 hours", "12h"),
        ("last 24 hours", "24h"),
        ("last 3 days", "3d"),
        ("last 7 days", "7d"),
        ("last 2 weeks", "2w"),
        ("last 4 weeks", "4w"),
    )
]
DAY_CHOICES = [
    Choice(name=d.capitalize(), value=d[:3])
    for d in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
]
SCHEDULE_CHOICES = [
    Choice(name="daily at a time", value="daily"),
    Choice(name="weekly on a day at a time", value="weekly"),
    Choice(name="cron expression", value="cron"),
]
SCOPE_CHOICES = [
    Choice(name="title only", value="title"),
    Choice(name="text only", value="text"),
]
ACTION_CHOICES = [
    Choice(name="include: only items matching (with other includes: any of them)", value="include"),
    Choice(name="exclude: never items matching", value="exclude"),
]
MAX_CHOICES = 25  # Discord shows at most 25 autocomplete choices


def _value(choice: Choice[str] | None) -> str | None:
    return choice.value if choice is not None else None


@cache
def _zones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


class Suggestions:
    """Autocomplete from the store: feed ids, item ids, time zones."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue

    def feeds(self, current: str) -> list[Choice[int]]:
        """Feeds whose id starts with, or whose name contains, what was typed."""
        typed = current.strip().lstrip("#").lower()
        try:
            feeds = self.catalogue.list_feeds()
        except StorageError:
            return []
        return [
            Choice(name=clip(f"#{f.id} {f.name}", 100), value=f.id)
            for f in feeds
            if not typed or str(f.id).startswith(typed) or typed in f.name.lower()
        ][:MAX_CHOICES]

    def items(self, current: str) -> list[Choice[int]]:
        """Newest items whose id starts with what was typed, or full-text matches for words."""
        typed = current.strip().lstrip("#")
        try:
            if typed and not typed.isdigit():
                found = self.catalogue.search(typed, limit=MAX_CHOICES) if len(typed) >= 2 else []
            else:
                found = [
                    i for i in self.catalogue.recent_items(limit=200) if str(i.id).startswith(typed)
                ]
        except StorageError:
            return []
        return [Choice(name=clip(f"#{i.id} {i.title}", 100), value=i.id) for i in found][
            :MAX_CHOICES
        ]

    def zones(self, current: str) -> list[Choice[str]]:
        """IANA time zones containing what was typed."""
        typed = current.strip().lower()
        return [Choice(name=z, value=z) for z in _zones() if typed in z.lower()][:MAX_CHOICES]


def build_watch_group(runner: CommandRunner, suggest: Suggestions) -> app_commands.Group:
    """The `/watch` group with one subcommand per core command (`feed` is a nested group)."""
    watch = app_commands.Group(
        name="watch",
        description="Watchbot: news on security guarantees and troop deployments to Ukraine",
        guild_only=True,
    )
    feed = app_commands.Group(
        name="feed", description="Add, remove, import or export feeds (admins)", parent=watch
    )
    filters = app_commands.Group(
        name="filter", description="What this channel gets beyond the classifier", parent=watch
    )
    run = runner.run

    async def feed_ids(interaction: discord.Interaction, current: str) -> list[Choice[int]]:
        return suggest.feeds(current)

    async def item_ids(interaction: discord.Interaction, current: str) -> list[Choice[int]]:
        return suggest.items(current)

    async def zones(interaction: discord.Interaction, current: str) -> list[Choice[str]]:
        return suggest.zones(current)

    @watch.command(name="help", description=COMMANDS["help"][1])
    @app_commands.describe(command="Show the usage of one command")
    @app_commands.choices(command=[Choice(name=n, value=n) for n in COMMANDS])
    async def help_(interaction: discord.Interaction, command: Choice[str] | None = None) -> None:
        await run(interaction, command_line("help", _value(command)), defer=False)

    @watch.command(name="digest", description=COMMANDS["digest"][1])
    @app_commands.describe(
        topic="Only this topic (default: the channel's topics)",
        since="The window (default: since the channel's last digest)",
        here="Post it in the channel for everyone (default: only you see it)",
        all_stories="Every story, past the channel's cap",
        limit="At most this many stories a topic, instead of the channel's cap",
    )
    @app_commands.rename(all_stories="all")
    @app_commands.choices(topic=TOPIC_CHOICES, since=SINCE_CHOICES)
    async def digest(
        interaction: discord.Interaction,
        topic: Choice[str] | None = None,
        since: Choice[str] | None = None,
        here: bool = False,
        all_stories: bool = False,
        limit: app_commands.Range[int, 1, 1000] | None = None,
    ) -> None:
        cap = "--all" if all_stories else limit
        line = command_line("digest", _value(topic), _value(since), cap, "here" if here else None)
        await run(interaction, line, public=here)

    @watch.command(name="digest-cap", description=COMMANDS["digest-cap"][1])
    @app_commands.describe(stories="Stories a topic; leave out to go back to the default")
    async def digest_cap(
        interaction: discord.Interaction,
        stories: app_commands.Range[int, 1, 1000] | None = None,
    ) -> None:
        await run(interaction, command_line("digest-cap", stories or "default"), public=True)

    @filters.command(name="add", description="Add an include or exclude filter (admins)")
    @app_commands.describe(
        action="include: only matching items get through; exclude: matching items never do",
        pattern="Words (all of them, whole words) or /REGEX/, e.g. /troops?|soldiers?/",
        scope="Where to look (default: title and text)",
        tag="Only for feeds with this tag",
        feed="Only for this feed (name or URL)",
    )
    @app_commands.rename(scope="in")
    @app_commands.choices(action=ACTION_CHOICES, scope=SCOPE_CHOICES)
    async def filter_add(
        interaction: discord.Interaction,
        action: Choice[str],
        pattern: app_commands.Range[str, 1, 300],
        scope: Choice[str] | None = None,
        tag: app_commands.Range[str, 1, 200] | None = None,
        feed: app_commands.Range[str, 1, 200] | None = None,
    ) -> None:
        # The core reads the pattern as typed (a /REGEX/ keeps its backslashes): not quoted.
        line = rule_text(action.value, pattern, scope=_value(scope), tag=tag, feed=feed)
        await run(interaction, line, public=True)

    @filters.command(name="list", description="This channel's filters, numbered")
    async def filter_list(interaction: discord.Interaction) -> None:
        await run(interaction, "filter list")

    @filters.command(name="remove", description="Remove one filter (admins)")
    @app_commands.describe(number="The filter's number (see /watch filter list)")
    async def filter_remove(
        interaction: discord.Interaction, number: app_commands.Range[int, 1, 1000]
    ) -> None:
        await run(interaction, command_line("filter", "remove", number), public=True)

    @filters.command(name="clear", description="Remove every filter of this channel (admins)")
    async def filter_clear(interaction: discord.Interaction) -> None:
        await run(interaction, "filter clear", public=True)

    @watch.command(name="subscribe", description=COMMANDS["subscribe"][1])
    @app_commands.describe(
        topics="Topics to follow (default: all)",
        schedule="When digests come (default: keep the current one, or daily 08:00)",
        time="HH:MM for daily and weekly schedules",
        day="Day for a weekly schedule",
        cron='Cron expression, e.g. "0 8 * * 1-5"',
        timezone="IANA time zone of the schedule, e.g. Europe/Kyiv (default UTC)",
    )
    @app_commands.choices(topics=TOPIC_CHOICES, schedule=SCHEDULE_CHOICES, day=DAY_CHOICES)
    @app_commands.autocomplete(timezone=zones)
    async def subscribe(
        interaction: discord.Interaction,
        topics: Choice[str] | None = None,
        schedule: Choice[str] | None = None,
        time: str | None = None,
        day: Choice[str] | None = None,
        cron: str | None = None,
        timezone: str | None = None,
    ) -> None:
        kind = _value(schedule)
        if kind is None and (time or day or cron or timezone):
            await runner.refuse(
                interaction,
                "Choose a `schedule` (daily, weekly or cron) to go with time, day, cron or "
                "timezone.",
            )
            return
        when: tuple[str | None, ...] = ()
        if kind == "daily":
            when = ("daily", time)
        elif kind == "weekly":
            when = ("weekly", _value(day), time)
        elif kind == "cron":
            when = ("cron", cron)
        line = command_line("subscribe", _value(topics), *when, timezone if kind else None)
        await run(interaction, line, public=True)

    @watch.command(name="unsubscribe", description=COMMANDS["unsubscribe"][1])
    async def unsubscribe(interaction: discord.Interaction) -> None:
        await run(interaction, "unsubscribe", public=True)

    @watch.command(name="alerts", description=COMMANDS["alerts"][1])
    @app_commands.describe(
        state="Turn immediate alerts on or off",
        threshold="Minimum score for an alert, 0 to 1 (default: keep the current one)",
    )
    @app_commands.choices(state=[Choice(name="on", value="on"), Choice(name="off", value="off")])
    async def alerts(
        interaction: discord.Interaction,
        state: Choice[str],
        threshold: app_commands.Range[float, 0.0, 1.0] | None = None,
    ) -> None:
        await run(interaction, command_line("alerts", state.value, threshold), public=True)

    @watch.command(name="feeds", description=COMMANDS["feeds"][1])
    async def feeds(interaction: discord.Interaction) -> None:
        await run(interaction, "feeds")

    @feed.command(name="add", description="Watch a new feed (admins)")
    @app_commands.describe(url="The feed's http(s) URL", name="A display name (default: the URL)")
    async def feed_add(
        interaction: discord.Interaction,
        url: app_commands.Range[str, 1, 2000],
        name: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        await run(interaction, command_line("feed", "add", url, name), public=True)

    @feed.command(name="remove", description="Stop watching a feed (admins)")
    @app_commands.describe(feed_id="The feed to remove (see /watch feeds)")
    @app_commands.rename(feed_id="id")
    @app_commands.autocomplete(feed_id=feed_ids)
    async def feed_remove(interaction: discord.Interaction, feed_id: int) -> None:
        await run(interaction, command_line("feed", "remove", feed_id), public=True)

    @feed.command(name="import", description="Import an OPML feed list (admins)")
    @app_commands.describe(
        file="The .opml file your feed reader exported (folders become tags)",
        dry_run="Only say what would be added",
    )
    async def feed_import(
        interaction: discord.Interaction, file: discord.Attachment, dry_run: bool = False
    ) -> None:
        line = command_line("feed", "import", "--dry-run" if dry_run else None)
        await run(interaction, line, public=not dry_run, attachment=file)

    @feed.command(name="export", description="Every feed as an OPML file (admins)")
    async def feed_export(interaction: discord.Interaction) -> None:
        await run(interaction, "feed export")

    @watch.command(name="search", description=COMMANDS["search"][1])
    @app_commands.describe(query="Words to look for in titles and summaries")
    async def search(
        interaction: discord.Interaction, query: app_commands.Range[str, 2, 200]
    ) -> None:
        await run(interaction, command_line("search", query))

    @watch.command(name="why", description=COMMANDS["why"][1])
    @app_commands.describe(item="The item number (type words to search)")
    @app_commands.autocomplete(item=item_ids)
    async def why(interaction: discord.Interaction, item: int) -> None:
        await run(interaction, command_line("why", item))

    @watch.command(name="timeline", description=COMMANDS["timeline"][1])
    @app_commands.describe(
        actor="A person, office or country, e.g. Macron, the Kremlin, UK (default: everyone)",
        topic="Only this topic (default: both)",
    )
    @app_commands.choices(topic=TOPIC_CHOICES[:-1])
    async def timeline(
        interaction: discord.Interaction,
        actor: app_commands.Range[str, 1, 100] | None = None,
        topic: Choice[str] | None = None,
    ) -> None:
        # The core reads `[ACTOR or COUNTRY words] [TOPIC]`: the actor goes as one quoted word.
        await run(interaction, command_line("timeline", (actor or "").strip(), _value(topic)))

    @watch.command(name="status", description=COMMANDS["status"][1])
    @app_commands.describe(chart="Attach a chart of items per day by topic")
    async def status(interaction: discord.Interaction, chart: bool = False) -> None:
        await run(interaction, command_line("status", "chart" if chart else None))

    @watch.command(name="feedback", description=COMMANDS["feedback"][1])
    @app_commands.describe(
        item="The item number (type words to search)",
        verdict="Was the classification right?",
        topic="The topic you judge (default: the item's)",
    )
    @app_commands.choices(
        verdict=[Choice(name="good", value="good"), Choice(name="bad", value="bad")],
        topic=TOPIC_CHOICES[:-1],
    )
    @app_commands.autocomplete(item=item_ids)
    async def feedback(
        interaction: discord.Interaction,
        item: int,
        verdict: Choice[str],
        topic: Choice[str] | None = None,
    ) -> None:
        await run(interaction, command_line("feedback", item, verdict.value, _value(topic)))

    return watch
