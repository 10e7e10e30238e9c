"""FeedparserParser: the FeedParser port over feedparser, with the DOCTYPE screen in front.

The document is decoded exactly once, by feedparser's own algorithm (BOM, HTTP charset, XML
declaration, chardet — RFC 3023 precedence, so the HTTP charset wins), then screened as UTF-8
text, then parsed. feedparser only ever sees a byte stream: given a str or bytes that looks like a
path or URL it would open it.
"""

from __future__ import annotations

import codecs
import dataclasses
import html
import io
import xml.sax
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser
from feedparser.encodings import convert_to_utf8
from feedparser.exceptions import CharacterEncodingOverride, NonXMLContentType

from bot.core.errors import ParseError
from bot.core.models import ParsedEntry, ParsedFeed
from bot.ingest.budget import bound
from bot.ingest.limits import RAW_TEXT_CHARS, RAW_TITLE_CHARS
from bot.ingest.prolog import Prolog, screen

# Recoverable complaints: the document was read, only its labelling was wrong.
SOFT_BOZO = (CharacterEncodingOverride, NonXMLContentType)
_BOMS = (
    codecs.BOM_UTF32_BE,
    codecs.BOM_UTF32_LE,
    codecs.BOM_UTF16_BE,
    codecs.BOM_UTF16_LE,
    codecs.BOM_UTF8,
)
_WIDE_BOMS = (  # UTF-32 first: its little-endian BOM begins with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32le"),
    (codecs.BOM_UTF32_BE, "utf-32be"),
    (codecs.BOM_UTF16_LE, "utf-16le"),
    (codecs.BOM_UTF16_BE, "utf-16be"),
)
# What feedparser is told about the text it gets from us: UTF-8, already decoded once.
_UTF8_XML = "application/xml; charset=utf-8"


class FeedparserParser:
    """Turns fetched bytes into a ParsedFeed; raises ParseError for unusable documents.

    Entries that carry neither a title, a summary nor a link are dropped: nothing to show. An
    entry without a title keeps title "" (the normaliser derives one from the summary). At most
    `max_entries` entries are read (the newest ones), within a markup budget; what was left out
    is said in `bozo_reason` (see budget.py).
    """

    def __init__(self, max_entries: int = 1000) -> None:
        self.max_entries = max_entries

    def parse(self, body: bytes, *, url: str, headers: Mapping[str, str]) -> ParsedFeed:
        """Parse `body` fetched from `url`; relative links resolve against the feed URL.

        `headers` are the response headers (any case); their charset overrides the XML
        declaration and their Content-Location, if any, is the document's base.
        """
        lowered = {name.lower(): value for name, value in headers.items()}
        if not body.strip():
            raise ParseError("empty document")
        # Without a content type feedparser falls back to ISO-8859-1 and flags the document; a
        # file on disk or a bare server is better served by the XML default (declaration/UTF-8).
        lowered.setdefault("content-type", "application/xml")
        _charset_from_bom(lowered, body)
        base = urljoin(url, lowered["content-location"]) if lowered.get("content-location") else url
        decoding: dict[str, Any] = {}
        data = convert_to_utf8(lowered, body, decoding)
        if not decoding.get("encoding"):
            raise ParseError(f"could not decode the document: {decoding.get('bozo_exception')}")
        prolog = screen(data)
        del data  # a copy of the document: only the one feedparser reads is kept alive
        if prolog.kind == "empty":
            raise ParseError("empty document: no XML element in it")
        bounded = bound(prolog.data, max_entries=self.max_entries)
        prolog = dataclasses.replace(prolog, data=b"")  # its facts are kept, not its full copy
        parsed = feedparser.parse(
            io.BytesIO(bounded.data),
            response_headers={**lowered, "content-type": _UTF8_XML, "content-location": base},
            sanitize_html=True,
            resolve_relative_uris=True,
        )
        entries = tuple(e for e in (_entry(raw) for raw in parsed.entries) if e is not None)
        # SAX line numbers are in the text feedparser parsed; errors quote the original's.
        line_shift = prolog.lines_removed - int(_declaration_inserted(body, decoding["encoding"]))
        hard = parsed.get("bozo_exception") if parsed.get("bozo") else None
        soft = decoding.get("bozo_exception")
        if not entries:
            _explain_empty(prolog, parsed, hard, line_shift, lowered.get("content-type", ""))
        complaint = _describe(hard, line_shift) if hard is not None else None
        if complaint is None and soft is not None:
            complaint = str(soft)
        reason = "; ".join(part for part in (complaint, bounded.note) if part) or None
        return ParsedFeed(
            title=str(parsed.feed.get("title", "")).strip(),
            entries=entries,
            bozo=reason is not None,
            bozo_reason=reason,
        )


def _explain_empty(
    prolog: Prolog, parsed: Any, hard: BaseException | None, line_shift: int, content_type: str
) -> None:
    """Raise the ParseError that says why a document without entries is not a feed.

    Returns quietly for a well-formed feed that simply has no items right now.
    """
    if prolog.kind == "json":
        raise ParseError("not a feed: JSON document (JSON Feed is not supported)")
    if prolog.kind == "html" or (
        not parsed.get("version") and content_type.lower().startswith("text/html")
    ):
        raise ParseError("not a feed: the server returned an HTML page")
    if prolog.kind == "text":
        raise ParseError(f"not a feed: the document is not XML (it starts with {prolog.opening!r})")
    if hard is not None and not isinstance(hard, SOFT_BOZO):
        raise ParseError(_describe(hard, line_shift))
    if not parsed.get("version"):
        found = f" (the root element is <{prolog.root}>)" if prolog.root else ""
        raise ParseError(f"not a feed: no <rss>, <feed> or <rdf:RDF> root{found}")


def _describe(exc: BaseException, line_shift: int) -> str:
    """A one-line account of a parser complaint; `line_shift` maps its line to the original's."""
    if isinstance(exc, xml.sax.SAXParseException):
        line = max(1, (exc.getLineNumber() or 1) + line_shift)
        return f"truncated or malformed XML at line {line}: {exc.getMessage()}"
    if isinstance(exc, SOFT_BOZO):
        return str(exc)
    return f"malformed XML: {exc}"


def _charset_from_bom(headers: dict[str, str], body: bytes) -> None:
    """Name a UTF-16/32 byte-order mark as the charset when the server gave none.

    feedparser lets a charset-less application/xml default to UTF-8 even over a UTF-16 BOM, and
    UTF-16 text "decodes" as UTF-8 into NUL-riddled garbage. The BOM is the document's own word.
    """
    if "charset=" in headers["content-type"].lower().replace(" ", ""):
        return
    for bom, charset in _WIDE_BOMS:
        if body.startswith(bom):
            headers["content-type"] = f"{headers['content-type']}; charset={charset}"
            return


def _declaration_inserted(body: bytes, encoding: str) -> bool:
    """Whether feedparser prepended an XML declaration line (it does when there was none)."""
    head = body[:512]
    for bom in _BOMS:
        if head.startswith(bom):
            head = head[len(bom) :]
            break
    try:
        return not head.decode(encoding, errors="ignore").startswith("<?xml")
    except LookupError:
        return False


def _capped(value: str, limit: int) -> str:
    """`value` cut to `limit` characters, before a tag the cut would split (HTML summaries)."""
    if len(value) <= limit:
        return value
    value = value[:limit]
    opened = value.rfind("<")
    return value[:opened] if opened > value.rfind(">") else value


def _entry(raw: Any) -> ParsedEntry | None:
    """A ParsedEntry from a feedparser entry, or None if it carries nothing usable."""
    title = _capped(str(raw.get("title") or ""), RAW_TITLE_CHARS).strip()
    summary = _capped(_summary(raw), RAW_TEXT_CHARS)
    link = _link(raw)
    if not (title or summary.strip() or link):
        return None
    guid = str(raw.get("id") or "").strip() or None
    author = str(raw.get("author") or "").strip() or None
    # dict.get, not raw.get: FeedParserDict maps a missing updated_parsed onto published_parsed
    # with a DeprecationWarning; the raw keys say what the feed really had.
    published = _datetime(dict.get(raw, "published_parsed")) or _datetime(
        dict.get(raw, "updated_parsed")
    )
    return ParsedEntry(
        guid=guid, link=link, title=title, summary=summary, published=published, author=author
    )


def _as_html(value: str, detail: Any) -> str:
    """Plain-text values are escaped so the summary is always HTML for the normaliser."""
    if detail and detail.get("type") == "text/plain":
        return html.escape(value, quote=False)
    return value


def _summary(raw: Any) -> str:
    """The longer of summary and the longest content block (full text beats a teaser)."""
    summary = _as_html(str(raw.get("summary") or ""), raw.get("summary_detail"))
    best = ""
    for content in raw.get("content") or ():
        value = _as_html(str(content.get("value") or ""), content)
        if len(value) > len(best):
            best = value
    return best if len(best) > len(summary) else summary


def _link(raw: Any) -> str | None:
    """The entry's alternate (HTML) link, already resolved against xml:base or the feed URL."""
    alternates = [
        link
        for link in raw.get("links") or ()
        if link.get("href") and link.get("rel", "alternate") == "alternate"
    ]
    for link in alternates:
        if link.get("type") in (None, "", "text/html", "application/xhtml+xml"):
            return str(link["href"]).strip()
    if alternates:
        return str(alternates[0]["href"]).strip()
    # Without a <link>, feedparser copies a permalink guid into `link` unresolved; only an
    # absolute http(s) one is a usable link.
    fallback = str(raw.get("link") or "").strip()
    return fallback if fallback.lower().startswith(("http://", "https://")) else None


def _datetime(value: Any) -> datetime | None:
    """feedparser's UTC struct_time as an aware datetime; None when missing or impossible."""
    if not value:
        return None
    try:
        year, month, day, hour, minute, second = (int(part) for part in tuple(value)[:6])
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        return None
