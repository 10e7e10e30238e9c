"""Fixtures for ingest tests: a live local feed server and fetchers bound to it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.ingest.fetch import HttpFetcher
from bot.ingest.limits import HttpLimits

from .feedserver import FeedServer


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    """A running FeedServer on 127.0.0.1 with no routes yet."""
    async with FeedServer() as server:
        yield server


@pytest.fixture
async def fetcher() -> AsyncIterator[HttpFetcher]:
    """A fetcher allowed to reach the loopback feed server, with short limits."""
    limits = HttpLimits(total_timeout_s=5.0, connect_timeout_s=2.0, allow_private_networks=True)
    async with HttpFetcher(limits) as fetcher:
        yield fetcher
