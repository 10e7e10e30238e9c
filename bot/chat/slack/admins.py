"""Who may change the setup from Slack: user IDs from the config, or workspace admins and owners."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.slack.errors import NETWORK_ERRORS, error_code

log = logging.getLogger("watchbot.slack")


class AdminCheck:
    """`is_admin(user)`: listed in `[slack] admins`, or users.info says admin/owner.

    Answers from users.info are cached for `ttl_s` seconds (a demoted admin loses the right
    within that time); a failed lookup refuses and is not cached.
    """

    def __init__(
        self,
        client: AsyncWebClient,
        admins: Iterable[str] = (),
        *,
        ttl_s: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.admins = frozenset(admins)
        self.ttl_s = ttl_s
        self._clock = clock
        self._cache: dict[str, tuple[bool, float]] = {}

    async def is_admin(self, user_id: str) -> bool:
        """True when `user_id` may run admin commands."""
        if user_id in self.admins:
            return True
        now = self._clock()
        cached = self._cache.get(user_id)
        if cached is not None and cached[1] > now:
            return cached[0]
        try:
            resp = await self.client.users_info(user=user_id)
        except SlackApiError as exc:
            log.warning(
                "slack.users_info_failed", extra={"user": user_id, "error": error_code(exc)}
            )
            return False
        except NETWORK_ERRORS as exc:
            log.warning(
                "slack.users_info_failed", extra={"user": user_id, "error": type(exc).__name__}
            )
            return False
        user = resp.get("user") or {}
        allowed = bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
        self._cache[user_id] = (allowed, now + self.ttl_s)
        return allowed
