"""Reading the words of `/watch` commands: windows, topics, schedules, numbers."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.core.errors import CommandError
from bot.core.models import TOPICS
from bot.core.ports import Schedules

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
MAX_DIGEST_CAP = 1000  # stories a topic one digest may be asked for


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


def int_arg(word: str, what: str) -> int:
    """A positive whole number such as `42` or `#42`; CommandError naming `what` otherwise."""
    digits = word.lstrip("#")
    if not digits.isdigit() or len(digits) > 12:
        raise CommandError(f"{what} must be a number such as 42, not “{word}”")
    return int(digits)


def parse_cap(word: str) -> int:
    """A digest cap of 1 to MAX_DIGEST_CAP stories a topic; CommandError otherwise."""
    cap = int_arg(word, "the number of stories")
    if not 1 <= cap <= MAX_DIGEST_CAP:
        raise CommandError(f"the number of stories must be between 1 and {MAX_DIGEST_CAP}")
    return cap
