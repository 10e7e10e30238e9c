"""The discord.py client: minimal intents, no pings, fail-fast deliveries, login once.

Intents are `guilds` (application commands need the guild cache) and `guild_reactions` (👍/👎
feedback): no message content, no members, nothing privileged.
"""

from __future__ import annotations

import asyncio
import logging

import discord
import yarl
from discord.gateway import DiscordWebSocket

from bot.chat.discord.api import fail_fast_trace

log = logging.getLogger("watchbot.discord")

# discord.py sleeps through 429s up to this long; longer waits become a scheduled retry.
MAX_RATE_LIMIT_WAIT_S = 30.0  # discord.py does not accept less


def intents() -> discord.Intents:
    """Guilds and guild reactions only."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_reactions = True
    return wanted


def build_client() -> discord.Client:
    """A client that never pings and hands long rate limits and 5xx back to the outbox."""
    return discord.Client(
        intents=intents(),
        allowed_mentions=discord.AllowedMentions.none(),
        max_ratelimit_timeout=MAX_RATE_LIMIT_WAIT_S,
        http_trace=fail_fast_trace(MAX_RATE_LIMIT_WAIT_S),
        guild_ready_timeout=1.0,
    )


class BotSession:
    """The client plus its token: logs in once, on first use (a send, or `start`)."""

    def __init__(self, client: discord.Client, token: str, *, custom_api: bool = False) -> None:
        self.client = client
        self._token = token
        self._custom_api = custom_api
        self._lock = asyncio.Lock()
        self._logged_in = False

    @property
    def logged_in(self) -> bool:
        """True once the token was accepted."""
        return self._logged_in

    async def ensure_login(self) -> discord.Client:
        """Log in (REST only: GET /users/@me and the application) unless done already.

        With a custom API base the gateway URL is asked from that API too (GET /gateway/bot),
        because discord.py otherwise connects to its built-in gateway address.
        """
        async with self._lock:
            if not self._logged_in:
                await self.client.login(self._token)
                if self._custom_api:
                    _shards, url, _limits = await self.client.http.get_bot_gateway()
                    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
                self._logged_in = True
                log.info(
                    "discord.logged_in",
                    extra={"bot": str(self.client.user), "application": self.application_id},
                )
        return self.client

    @property
    def application_id(self) -> int | None:
        """The application (bot) id once logged in."""
        return self.client.application_id

    async def close(self) -> None:
        """Close the gateway and the HTTP session."""
        if not self.client.is_closed():
            await self.client.close()
