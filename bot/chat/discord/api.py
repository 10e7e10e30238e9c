"""The Discord REST endpoint and how we talk to it: base URL, fail-fast hooks, token redaction.

discord.py reads its REST base from the class attribute `discord.http.Route.BASE` (one per
process, shared by bot requests, webhooks and interaction responses); WATCHBOT_DISCORD_API_URL
replaces it for proxies and tests.

discord.py sleeps through 429s (good: it knows the buckets) and also retries 5xx answers five
times with 1–9 s sleeps (bad for an outbox: a flush would stall for 25 s per message and the
attempt would not be recorded). While a delivery is in flight, an aiohttp trace hook turns a 5xx
answer, or a 429 asking to wait longer than we accept, into an exception at once; the dispatcher
then records the attempt and retries with its own backoff. Other requests (login, command sync,
interaction replies) keep discord.py's behaviour.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from collections.abc import Iterator
from contextvars import ContextVar
from types import SimpleNamespace

import aiohttp
import discord.http

DEFAULT_API_BASE = "https://discord.com/api/v10"
DISCORD_HOSTS = frozenset(
    {
        "discord.com",
        "discordapp.com",
        "ptb.discord.com",
        "canary.discord.com",
        "ptb.discordapp.com",
        "canary.discordapp.com",
    }
)
_fail_fast: ContextVar[bool] = ContextVar("watchbot_discord_fail_fast", default=False)
_SECRET_PATH = re.compile(r"/(webhooks|interactions)/(\d+)/[\w.-]+")


class ServerSideError(Exception):
    """Discord (or the proxy in front of it) answered 5xx while a delivery was in flight."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


class LongRateLimit(Exception):
    """A 429 asked to wait longer than a delivery may block; retry later instead."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited for {retry_after:.1f}s")
        self.retry_after = retry_after


def normalise_base(url: str | None) -> str:
    """The REST base: the default, or `url` with `/api/v10` added when it has no path."""
    if not url:
        return DEFAULT_API_BASE
    url = url.rstrip("/")
    path = url.split("://", 1)[-1].partition("/")[2]
    return url if path else f"{url}/api/v10"


def use_api_base(url: str | None) -> str:
    """Point discord.py's REST base at `url` (or the default); returns the base now in use."""
    base = normalise_base(url)
    discord.http.Route.BASE = base
    return base


@contextlib.contextmanager
def fail_fast() -> Iterator[None]:
    """Within this block (one task), 5xx and long 429 answers raise instead of being slept on."""
    token = _fail_fast.set(True)
    try:
        yield
    finally:
        _fail_fast.reset(token)


async def _retry_after(response: aiohttp.ClientResponse) -> float:
    try:
        body = json.loads(await response.read())
        return float(body["retry_after"])
    except (ValueError, KeyError, TypeError, aiohttp.ClientError):
        try:
            return float(response.headers.get("Retry-After", "0"))
        except ValueError:
            return 0.0


def fail_fast_trace(max_wait_s: float) -> aiohttp.TraceConfig:
    """The trace config that enforces `fail_fast` blocks (see the module docstring)."""

    async def on_request_end(
        session: aiohttp.ClientSession,
        context: SimpleNamespace,
        params: aiohttp.TraceRequestEndParams,
    ) -> None:
        if not _fail_fast.get():
            return
        status = params.response.status
        if status >= 500:
            raise ServerSideError(status)
        if status == 429:
            wait = await _retry_after(params.response)
            if wait > max_wait_s:
                raise LongRateLimit(wait)

    trace = aiohttp.TraceConfig()
    trace.on_request_end.append(on_request_end)
    return trace


def redact(text: str) -> str:
    """Remove webhook and interaction tokens from a URL or log line."""
    return _SECRET_PATH.sub(r"/\1/\2/***", text)


class TokenRedactor(logging.Filter):
    """Drops webhook and interaction tokens from discord.py's own log records (it logs URLs)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install_redaction() -> None:
    """Attach the redactor to the discord.py loggers that print request URLs (idempotent)."""
    for name in ("discord.http", "discord.webhook.async_", "discord.client", "discord.gateway"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, TokenRedactor) for f in logger.filters):
            logger.addFilter(TokenRedactor())
