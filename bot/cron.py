"""Cron arithmetic for digest schedules, on APScheduler's CronTrigger (the Schedules port)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from bot.config import check_cron, check_timezone


class CronSchedules:
    """Validates crontab expressions and computes their next fire time in a time zone."""

    def validate(self, cron: str, timezone: str) -> None:
        """ValueError with a readable reason for a bad expression or zone."""
        check_timezone(timezone)
        check_cron(cron, timezone)

    def next_fire(self, cron: str, timezone: str, now: datetime) -> datetime | None:
        """The next time the expression fires after `now`, in `timezone`."""
        if not cron:
            return None
        trigger = CronTrigger.from_crontab(cron, timezone=ZoneInfo(timezone))
        fire: datetime | None = trigger.get_next_fire_time(None, now)
        return fire
