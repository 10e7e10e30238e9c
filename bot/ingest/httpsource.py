"""HTTP feeds as a Source: a conditional GET, then parsing (optionally in a process pool)."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
from concurrent.futures import Executor

from bot.core.models import Feed
from bot.core.ports import FeedParser, Fetcher, SourceResult


class HttpSource:
    """Fetches with the Fetcher and parses with the FeedParser; 304 yields no document.

    Parsing is the costly step: with an `executor` (a process pool) it runs beside the event loop
    on the other cores.
    """

    def __init__(self, fetcher: Fetcher, parser: FeedParser, executor: Executor | None = None):
        self.fetcher = fetcher
        self.parser = parser
        self.executor = executor

    async def read(self, feed: Feed) -> SourceResult:
        """Fetch and parse one feed; FeedError/ParseError propagate to the pipeline."""
        fetched = await self.fetcher.fetch(
            feed.url, etag=feed.etag, last_modified=feed.last_modified
        )
        headers = fetched.headers
        result = SourceResult(
            feed=None,
            base_url=fetched.url,
            etag=headers.get("etag") or feed.etag,
            last_modified=headers.get("last-modified") or feed.last_modified,
            cache_control=headers.get("cache-control"),
        )
        if fetched.not_modified:
            return result
        parse = functools.partial(self.parser.parse, fetched.body, url=fetched.url, headers=headers)
        if self.executor is None:
            parsed = parse()
        else:
            parsed = await asyncio.get_running_loop().run_in_executor(self.executor, parse)
        return dataclasses.replace(result, feed=parsed)
