"""Slack mrkdwn text helpers: escaping, clipping, safe links, localised dates, topic badges.

Slack parses `<…>` in message text as mentions (`<!channel>`, `<@U123>`) and links (`<url|label>`),
so every string that comes from a feed goes through `escape` (Slack's own rule: encode `&`, `<` and
`>` and nothing else) before it is put into a message.
"""

from __future__ import annotations

import re
from datetime import datetime

from bot.chat.markdown import when
from bot.core.models import TOPIC_TITLES

_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,3}$")
_WHITESPACE = re.compile(r"\s+")
MAX_URL_CHARS = 1000  # longer links are shown as plain titles rather than eat a block's budget


def escape(text: str) -> str:
    """Encode the three characters Slack treats as control characters in message text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def one_line(text: str) -> str:
    """Collapse newlines and runs of whitespace (titles and reasons render on one line)."""
    return _WHITESPACE.sub(" ", text).strip()


def clip(text: str, limit: int) -> str:
    """Escaped `text` of at most `limit` characters, cut with `…` and never inside an entity."""
    out = escape(text)
    if len(out) <= limit:
        return out
    cut = _PARTIAL_ENTITY.sub("", out[: max(limit - 1, 0)])
    return cut + "…"


def safe_url(url: str) -> str | None:
    """A URL usable inside `<url|label>`: http(s) only, `|` and spaces percent-encoded, `&<>`
    escaped; None when there is no usable link."""
    url = url.strip()
    if not url.lower().startswith(("http://", "https://")):
        return None
    url = url.replace("|", "%7C").replace(" ", "%20").replace("\n", "").replace("\r", "")
    out = escape(url)
    return out if len(out) <= MAX_URL_CHARS else None


def link(url: str, title: str, limit: int = 600) -> str:
    """`<url|title>` when the URL is usable, otherwise the escaped title as plain text."""
    label = clip(one_line(title) or "(untitled)", limit)
    target = safe_url(url) if url else None
    return f"<{target}|{label}>" if target else label


def date(moment: datetime | None, tz: str = "UTC") -> str:
    """A date Slack shows in each reader's own time zone; the fallback uses `tz`."""
    if moment is None:
        return "the beginning"
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{when(moment, tz)}>"


def badges(topics: tuple[str, ...]) -> str:
    """Topic badges as inline code, e.g. `` `Troop deployment` ``."""
    return " ".join(f"`{TOPIC_TITLES.get(t, t)}`" for t in topics)
