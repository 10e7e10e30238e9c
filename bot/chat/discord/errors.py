"""Discord failures → DeliveryError: permanent ones with what to fix, the rest retryable.

Permanent: the channel or webhook is gone (10003, 10015), the bot may not see or post there
(50001, 50013), a token was rejected (401, 50027), or Discord refused the message itself (other
4xx). Retryable: rate limits (with Discord's `retry_after`), 5xx, timeouts and network errors.
"""

from __future__ import annotations

import asyncio

import aiohttp
import discord

from bot.chat.discord.api import LongRateLimit, ServerSideError
from bot.core.errors import DeliveryError

# Discord JSON error code → what it means for us and what to do.
PERMANENT_CODES: dict[int, str] = {
    10003: "unknown channel (10003): the channel was deleted or the ID is wrong; "
    "fix the channel's target in the config",
    10015: "unknown webhook (10015): the webhook was deleted; create a new one and update the "
    "environment variable",
    50001: "missing access (50001): the bot cannot see this channel; invite it to the server and "
    "allow View Channel there",
    50013: "missing permissions (50013): give the bot Send Messages, Embed Links and Attach "
    "Files (charts) in this channel",
    50027: "invalid webhook token (50027): the webhook URL is wrong or was regenerated; update the "
    "environment variable",
    50008: "cannot send messages in a non-text channel (50008): point the channel at a text "
    "channel",
}
# A message we meant to edit cannot be: it was deleted (10008), or it is not ours to edit
# (50005: e.g. posted by the bot and now edited through the channel's webhook). Follow-ups then
# post a new message instead of failing.
CANNOT_EDIT_CODES = frozenset({10008, 50005})
# Codes Discord uses for temporary write limits (slowmode, channel write limit).
TEMPORARY_CODES = {20016: 10.0, 20028: 10.0}


def _retry_after_header(exc: discord.HTTPException) -> float | None:
    try:
        value = exc.response.headers.get("Retry-After")
        return float(value) if value is not None else None
    except (AttributeError, ValueError):
        return None


def cannot_edit(exc: BaseException) -> bool:
    """True when `exc` says the message to edit is gone or not ours (see CANNOT_EDIT_CODES)."""
    return isinstance(exc, discord.HTTPException) and exc.code in CANNOT_EDIT_CODES


def translate(exc: BaseException, where: str) -> DeliveryError:
    """The DeliveryError for `exc`, raised while posting to `where` (e.g. `channel 123`).

    `where` must not contain secrets; webhook errors name the environment variable.
    """
    if isinstance(exc, DeliveryError):
        return exc
    if isinstance(exc, LongRateLimit | discord.RateLimited):
        return DeliveryError(
            f"Discord rate limit on {where}; retrying in {exc.retry_after:.0f}s",
            retry_after=exc.retry_after,
        )
    if isinstance(exc, ServerSideError):
        return DeliveryError(f"Discord answered HTTP {exc.status} for {where}; will retry")
    if isinstance(exc, discord.DiscordServerError):
        return DeliveryError(f"Discord answered HTTP {exc.status} for {where}; will retry")
    if isinstance(exc, discord.LoginFailure):
        return DeliveryError(
            "Discord rejected DISCORD_TOKEN (401); copy the bot token again from the "
            "Developer Portal (Bot → Reset Token)",
            permanent=True,
        )
    if isinstance(exc, discord.HTTPException):
        return _http_error(exc, where)
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        return DeliveryError(f"Discord did not answer in time for {where}; will retry")
    if isinstance(exc, aiohttp.ClientError | OSError):
        return DeliveryError(f"cannot reach Discord for {where} ({type(exc).__name__}); will retry")
    raise exc  # anything else is a bug


def _http_error(exc: discord.HTTPException, where: str) -> DeliveryError:
    code, status = exc.code, exc.status
    if code in PERMANENT_CODES:
        return DeliveryError(f"Discord refused {where}: {PERMANENT_CODES[code]}", permanent=True)
    if code in TEMPORARY_CODES:
        wait = _retry_after_header(exc) or TEMPORARY_CODES[code]
        return DeliveryError(
            f"Discord write limit on {where} ({code}); retrying in {wait:.0f}s", retry_after=wait
        )
    if status == 429:  # a 429 discord.py did not handle (no Via header: Cloudflare)
        wait = _retry_after_header(exc) or 60.0
        return DeliveryError(
            f"Discord (Cloudflare) rate limit on {where}; retrying in {wait:.0f}s",
            retry_after=wait,
        )
    if status == 401:
        return DeliveryError(
            f"Discord rejected the credentials for {where} (401): check DISCORD_TOKEN or the "
            "webhook URL",
            permanent=True,
        )
    if status >= 500:
        return DeliveryError(f"Discord answered HTTP {status} for {where}; will retry")
    detail = f"{exc.text}" if exc.text else "no detail"
    return DeliveryError(
        f"Discord refused the message for {where} (HTTP {status}, code {code}: {detail[:200]})",
        permanent=True,
    )
