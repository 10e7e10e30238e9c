"""What every `/watch` command is given: who asked and where, and the app's services."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.digest import DigestService
from bot.core.models import Channel, Upload
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


def channel_of(s: Services, ctx: CommandContext) -> Channel:
    """The stored channel the command came from, or an unsubscribed one with its name."""
    return s.store.get_channel(ctx.channel_ref) or Channel(
        ref=ctx.channel_ref, name=ctx.channel_name, subscribed=False
    )


def audit(s: Services, ctx: CommandContext, action: str, detail: str) -> None:
    """Record who changed what, from which channel."""
    s.store.audit(f"{ctx.user}@{ctx.channel_ref}", action, detail, s.clock.now())


def admin_refusal(name: str) -> str:
    """The answer to a non-admin who ran a command that changes the set-up."""
    return (
        f"`{name}` changes this workspace's setup and is limited to admins "
        "(workspace admins or users listed in the bot's config)."
    )
