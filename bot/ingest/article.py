"""Full text of an article page, for feeds that only carry a teaser (`fulltext = true`)."""

from __future__ import annotations

import logging

from bot.core.errors import FeedError
from bot.core.ports import Fetcher

log = logging.getLogger("watchbot.article")


class TrafilaturaReader:
    """Fetches the page with the guarded fetcher (same limits, SSRF guard) and extracts the
    main text with trafilatura (boilerplate, menus and comments dropped)."""

    def __init__(self, fetcher: Fetcher) -> None:
        self.fetcher = fetcher

    async def read_article(self, url: str) -> str | None:
        """The article's text, or None when the page cannot be fetched or has no article."""
        try:
            page = await self.fetcher.fetch(url)
        except FeedError as exc:
            log.info("article.unavailable", extra={"url": url, "error": str(exc)})
            return None
        if page.not_modified or not page.body:
            return None
        import trafilatura  # here, not at module level: only `fulltext` feeds need it (lxml & co)

        text = trafilatura.extract(
            page.body,
            url=page.url,
            include_comments=False,
            include_tables=False,
            favor_precision=True,
        )
        return text or None
