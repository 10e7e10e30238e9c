"""Making text safe for Discord: escaped feed text, neutralised mentions, clipped to limits.

Feed text (titles, outlets, reasons) is escaped completely, so `**x**`, masked links and
`@everyone` show literally. Reply text written by the core keeps its inline code spans
(`digest 7d`) and has everything else escaped. Mentions are neutralised twice: in the text here
and by `allowed_mentions` none on every message the sender posts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import quote, urlsplit

from discord.utils import escape_markdown, escape_mentions

ELLIPSIS = "…"
# An already escaped pair (kept as it is), a bracket, or a `<` that would start a mention,
# channel, emoji, timestamp or command tag (`<@1>`, `<@&1>`, `<#1>`, `<:e:1>`, `<t:1>`, `</c:1>`).
_UNSAFE = re.compile(r"\\.|[\[\]]|<(?=[@#:/]|a:|t:)", re.S)
_CODE_SPAN = re.compile(r"(`[^`\n]+`)")
_WS = re.compile(r"\s+")


def _neutralise(match: re.Match[str]) -> str:
    token = match.group(0)
    return token if token.startswith("\\") else "\\" + token


def escape_feed(text: str) -> str:
    """Escape text that came from a feed: one line, no markdown, no mentions, no tags."""
    flat = _WS.sub(" ", text).strip()
    escaped = escape_markdown(flat)
    escaped = _UNSAFE.sub(_neutralise, escaped)
    return escape_mentions(escaped)


def escape_reply(text: str) -> str:
    """Escape reply text written by the core, keeping its inline code spans and line breaks."""
    out = []
    for part in _CODE_SPAN.split(text):
        if _CODE_SPAN.fullmatch(part):
            out.append(part)  # Discord renders neither markdown nor mentions inside code
        else:
            lines = [_UNSAFE.sub(_neutralise, escape_markdown(line)) for line in part.split("\n")]
            out.append(escape_mentions("\n".join(lines)))
    return "".join(out)


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters with an ellipsis, never ending inside an escape."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 0)]
    # A trailing unpaired backslash would escape the ellipsis; drop it.
    trailing = len(cut) - len(cut.rstrip("\\"))
    if trailing % 2:
        cut = cut[:-1]
    return cut + ELLIPSIS


def fit(raw: str, limit: int, escape: Callable[[str], str] = escape_feed) -> str:
    """Escape `raw` and shorten the *raw* text until the escaped result fits in `limit`.

    Cutting before escaping never splits an escape sequence or a neutralised mention.
    """
    escaped = escape(raw)
    while len(escaped) > limit and raw:
        over = len(escaped) - limit
        raw = raw[: max(len(raw) - over - 1, 0)].rstrip()
        escaped = escape(raw + ELLIPSIS) if raw else ELLIPSIS
    return escaped


def safe_url(url: str, limit: int = 1024) -> str | None:
    """The URL when it is http(s), has a host and fits Discord's limit; None otherwise.

    Spaces, brackets and angle brackets are percent-encoded so the URL cannot end a
    markdown link early.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    cleaned = quote(url, safe=":/?#@!$&'*+,;=%~-._")
    return cleaned if len(cleaned) <= limit else None
