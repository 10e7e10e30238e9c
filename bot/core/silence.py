"""Silent feeds: a feed that still answers but has published nothing for far longer than usual.

A feed's rhythm is the median gap between its latest items' publication times; it is silent when
nothing new came for SILENCE_FACTOR times that, and never sooner than SILENCE_FLOOR (a feed that
publishes hourly is not "silent" after a quiet night). Too little history gives no rhythm and no
verdict. The announcement goes once: the feed's `silent_since` is set with it and cleared when
the feed publishes again.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.core.models import Channel, Feed, PendingDelivery
from bot.core.notices import feed_notices

SILENCE_FACTOR = 5
SILENCE_FLOOR = timedelta(days=2)
MIN_HISTORY = 5  # items needed before a rhythm means anything
RHYTHM_ITEMS = 20  # the latest items the rhythm is taken from


def rhythm(published: Sequence[datetime]) -> timedelta | None:
    """Median gap between consecutive publication times; None with too little history."""
    times = sorted(published)
    if len(times) < MIN_HISTORY:
        return None
    gaps = [b - a for a, b in itertools.pairwise(times) if b > a]
    if len(gaps) < MIN_HISTORY - 1:
        return None  # mostly same-instant items (a backfill): no rhythm to read
    gaps.sort()
    mid = len(gaps) // 2
    return gaps[mid] if len(gaps) % 2 else (gaps[mid - 1] + gaps[mid]) / 2


def silence_threshold(usual: timedelta) -> timedelta:
    """How long without news makes a feed of this rhythm silent."""
    return max(SILENCE_FLOOR, usual * SILENCE_FACTOR)


def silent_rhythm(feed: Feed, published: Sequence[datetime], now: datetime) -> timedelta | None:
    """The feed's usual gap when it is silent at `now`; None when it is not (or no rhythm)."""
    usual = rhythm(published)
    if usual is None or feed.last_new_at is None:
        return None
    return usual if now - feed.last_new_at >= silence_threshold(usual) else None


def may_be_silent(feed: Feed, now: datetime) -> bool:
    """Cheap pre-check before reading the feed's history: a web feed (a seed folder is
    static by nature), primed, not yet announced, and nothing new for at least the floor."""
    return (
        feed.kind == "rss"
        and feed.primed
        and feed.silent_since is None
        and feed.last_new_at is not None
        and now - feed.last_new_at >= SILENCE_FLOOR
    )


def _span(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    if hours < 2:
        return f"{max(1, round(hours * 60))} minutes"
    return f"{hours:.0f} hours" if hours < 48 else f"{hours / 24:.0f} days"


def silence_notices(
    feed: Feed, channels: Sequence[Channel], usual: timedelta, now: datetime
) -> list[PendingDelivery]:
    """One notice per subscribed channel; keyed by the feed's last news, so recording it again
    (a crash before the feed was marked) is a no-op and a later silence is a new notice."""
    assert feed.last_new_at is not None
    text = (
        f"Feed #{feed.id} “{feed.name}” still answers but has published nothing new for "
        f"{_span(now - feed.last_new_at)} (it usually publishes every {_span(usual)}). "
        "Check that its URL still points at the live feed; `/watch feeds` shows its health."
    )
    return feed_notices(feed, channels, "silent", feed.last_new_at, text)
