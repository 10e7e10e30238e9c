"""Turn parsed entries into clean, comparable candidates: canonical URLs, plain text, UTC times."""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from bot.core.models import Candidate, ParsedEntry

# Query parameters that identify a campaign or a reader, never the article.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "yclid",
        "_ga",
        "_hsenc",
        "_hsmi",
        "ref",
        "ref_src",
        "ref_url",
        "referrer",
        "cmpid",
        "cmp",
        "ocid",
        "smid",
        "smtyp",
        "at_medium",
        "at_campaign",
        "at_custom1",
        "at_custom2",
        "at_custom3",
        "at_custom4",
        "ito",
        "ns_mchannel",
        "ns_source",
        "ns_campaign",
        "ns_linkname",
        "ns_fee",
        "taid",
        "xtor",
        "partner",
        "src",
        "feedtype",
        "spm",
        "share",
        "s_cid",
        "wt_mc",
        "wt.mc_id",
        "rss",
    }
)
TRACKING_PREFIXES = ("utm_", "mtm_", "pk_", "hsa_", "__twitter", "oly_")
SAFE_SCHEMES = frozenset({"http", "https"})
MAX_SUMMARY_CHARS = 1200  # what is stored and shown
MAX_BODY_CHARS = 20_000  # what the classifier reads of a long article
MAX_TITLE_CHARS = 500
MAX_URL_CHARS = 2048  # longer links are junk or an attack; the item is kept without a link
# A date more than a day ahead is a publisher's clock or timezone bug, not a scheduled article.
FUTURE_TOLERANCE = timedelta(days=1)

_CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]"
)
_SPACE = re.compile(r"\s+")
_BLOCK_TAGS = frozenset(
    {"p", "br", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "blockquote"}
)


class _TextExtractor(HTMLParser):
    """Collects visible text; drops script/style bodies; blocks become spaces."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "noscript", "iframe", "svg"):
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "noscript", "iframe", "svg"):
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def clean_text(value: str, *, limit: int = MAX_SUMMARY_CHARS, keep_lines: bool = False) -> str:
    """Plain text from HTML or text: tags stripped, entities decoded, control chars and runs of
    whitespace removed, NFC-normalised and cut at a word boundary below `limit` characters.

    With `keep_lines`, paragraph breaks survive as single newlines (sentence splitting needs them).
    """
    if not value:
        return ""
    if "<" in value or "&" in value:
        extractor = _TextExtractor()
        try:
            extractor.feed(value)
            extractor.close()
            value = "".join(extractor.parts)
        except Exception:  # HTMLParser is lenient; this guards pathological input only
            value = re.sub(r"<[^>]*>", " ", value)
        value = html.unescape(value)  # double-escaped feeds (&amp;amp;) leave one level behind
    value = unicodedata.normalize("NFC", _CONTROL.sub("", value))
    if keep_lines:
        lines = (_SPACE.sub(" ", line).strip() for line in value.splitlines())
        value = "\n".join(line for line in lines if line)
    else:
        value = _SPACE.sub(" ", value).strip()
    if len(value) > limit:
        cut = value.rfind(" ", 0, limit)
        value = value[: cut if cut > limit // 2 else limit].rstrip() + "…"
    return value


def canonical_url(link: str | None, base: str = "") -> str:
    """Absolute http(s) URL without fragment or tracking parameters; "" when unsafe or unusable.

    `javascript:`, `data:` and other schemes come back empty so they are never rendered as links,
    and so do links longer than MAX_URL_CHARS.
    """
    if not link or len(link) > MAX_URL_CHARS:
        return ""
    link = _CONTROL.sub("", link).strip()
    try:
        absolute = urljoin(base, link) if base else link
        parts = urlsplit(absolute)
    except ValueError:
        return ""
    scheme = parts.scheme.lower()
    if scheme not in SAFE_SCHEMES or not parts.hostname:
        return ""
    host = parts.hostname.lower().rstrip(".")
    try:
        port = parts.port
    except ValueError:
        return ""
    netloc = host if port in (None, 80 if scheme == "http" else 443) else f"{host}:{port}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in TRACKING_PARAMS and not k.lower().startswith(TRACKING_PREFIXES)
    ]
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, urlencode(sorted(query)), ""))


def url_key(url: str) -> str:
    """The URL with scheme and leading "www." dropped: http→https moves keep the same key."""
    if not url:
        return ""
    rest = url.split("://", 1)[-1]
    return rest[4:] if rest.startswith("www.") else rest


def url_variants(url: str) -> list[str]:
    """The spellings of one article's URL that `url_key` treats as the same (scheme, "www.")."""
    key = url_key(url)
    if not key:
        return []
    return [f"{scheme}://{www}{key}" for scheme in ("https", "http") for www in ("", "www.")]


def content_hash(title: str, summary: str) -> str:
    """Hash of the visible words of title and summary, case- and punctuation-insensitive."""
    words = re.findall(r"\w+", f"{title} {summary[:1000]}".casefold())
    return hashlib.sha1(" ".join(words).encode("utf-8")).hexdigest()


def to_utc(value: datetime | None, now: datetime) -> tuple[datetime, bool]:
    """UTC time of an entry and whether it came from the feed (False: first-seen time used)."""
    if value is None:
        return now, False
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    if value > now + FUTURE_TOLERANCE or value.year < 1990:
        return now, False
    return value, True


def normalise(entry: ParsedEntry, *, feed_url: str, source: str, now: datetime) -> Candidate:
    """A candidate from a parsed entry; guid falls back to the link, then to a hash of title+date."""
    url = canonical_url(entry.link, feed_url)
    title = clean_text(entry.title, limit=MAX_TITLE_CHARS)
    body = clean_text(entry.summary, limit=MAX_BODY_CHARS, keep_lines=True)
    summary = clean_text(body) if len(body) > MAX_SUMMARY_CHARS else body
    if not title:
        title = clean_text(summary, limit=120) or "(untitled)"
    published, known = to_utc(entry.published, now)
    guid = _CONTROL.sub("", entry.guid or "").strip()[:500]
    if not guid:
        if url:
            guid = "url:" + url_key(url)
        else:
            stamp = published.isoformat() if known else ""
            guid = "hash:" + hashlib.sha1(f"{title}|{stamp}".encode()).hexdigest()
    return Candidate(
        guid=guid,
        url=url,
        title=title,
        summary=summary,
        published_at=published,
        published_known=known,
        content_hash=content_hash(title, summary),
        source=clean_text(entry.source or "", limit=200) or source,
        author=clean_text(entry.author or "", limit=200) or None,
        body=body if len(body) > len(summary) else "",
    )
