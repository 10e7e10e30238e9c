"""A work budget for feedparser: how much markup, how many entries, attributes and namespaces.

feedparser spends 10–20 µs of pure Python on every tag and entity, and more where it is
quadratic (the attributes of one element, distinct namespace declarations): a 5 MB document of
nothing but tags holds it for a minute, with the event loop blocked. The size cap alone does not
bound that, so the document is measured here first, in linear time, and

- entries beyond `max_entries`, or beyond the markup budget, are cut out before feedparser sees
  them, keeping the newest: feeds list newest first, so the first entries are kept, unless the
  dates of the first and last entries show the document lists oldest first, when the last ones
  are. What precedes the entries (the channel) and what follows them stay, so the document stays
  well-formed; a feed of 40 000 entries is read as 1000 in a fraction of a second, and
  `Bounded.note` says how many were left out and why;
- a document whose markup outside its entries is already over budget, an element with hundreds
  of attributes, or hundreds of namespace declarations, is refused with a ParseError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from bot.core.errors import ParseError

MAX_MARKUP = 100_000  # tags plus entity references ("<" and "&"): about 2 s of feedparser
MAX_ATTRIBUTES = 256  # per element; xml.sax looks each one up by a linear scan
MAX_NAMESPACES = 256  # distinct declarations; feedparser's bookkeeping is quadratic in them

_ENTRY_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?(?:item|entry)\s*>", re.IGNORECASE)
_ENTRY_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:item|entry)[\s/>]", re.IGNORECASE)
# RSS pubDate, Atom published/updated, Dublin Core date: the first one in an entry dates it.
_DATE = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?(?:pubDate|published|updated|date|issued|modified)\s*>"
    rb"\s*([^<]{4,80}?)\s*</",
    re.IGNORECASE,
)
_ATTRIBUTE = rb"\s+[^\s=<>/]+\s*=\s*(?:\"[^\"<]*\"|'[^'<]*')"
_MANY_ATTRIBUTES = re.compile(rb"<[A-Za-z_][^\s<>/]*(?:%s){%d}" % (_ATTRIBUTE, MAX_ATTRIBUTES + 1))
_NAMESPACE = re.compile(rb"xmlns(?::[^\s=<>]+)?\s*=\s*(?:\"[^\"<]*\"|'[^'<]*')")


@dataclass(frozen=True, slots=True)
class Bounded:
    """The document to parse, and how many entries it had and keeps."""

    data: bytes
    entries: int
    kept: int
    from_end: bool = False  # the last entries were kept: the document lists oldest first
    why: str = ""  # which limit left entries out

    @property
    def cut(self) -> bool:
        """True when entries were left out."""
        return self.kept < self.entries

    @property
    def note(self) -> str | None:
        """What was left out and why, for the feed's record; None when nothing was."""
        if not self.cut:
            return None
        which = "last" if self.from_end else "first"
        order = ", the newest: the document lists oldest first" if self.from_end else ""
        return (
            f"read the {which} {self.kept} of {self.entries} entries{order} "
            f"({self.entries - self.kept} left out: {self.why})"
        )


def _markup(data: bytes, start: int = 0, end: int | None = None) -> int:
    stop = len(data) if end is None else end
    return data.count(b"<", start, stop) + data.count(b"&", start, stop)


def _too_much(what: str) -> ParseError:
    return ParseError(f"refused: document has {what} (possible parser-exhaustion attack)")


def _entry_date(data: bytes, start: int, end: int) -> datetime | None:
    """The first date (RFC 822 or ISO 8601) between `start` and `end`; None if none parses."""
    match = _DATE.search(data, start, end)
    if match is None:
        return None
    text = match.group(1).decode("ascii", "replace").strip()
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        try:
            when = datetime.fromisoformat(text)
        except ValueError:
            return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _oldest_first(data: bytes, first_start: int, ends: list[int]) -> bool:
    """True when the last entry is dated later than the first (a feed in chronological order)."""
    first = _entry_date(data, first_start, ends[0])
    last = _entry_date(data, ends[-2], ends[-1]) if len(ends) > 1 else None
    return first is not None and last is not None and last > first


def bound(data: bytes, *, max_entries: int = 1000, max_markup: int = MAX_MARKUP) -> Bounded:
    """Measure `data` (UTF-8, as feedparser will see it) and cut it down to budget.

    Raises ParseError when even the newest entry, or the markup around the entries, does not
    fit, or when an element has more than MAX_ATTRIBUTES attributes or the document more than
    MAX_NAMESPACES namespace declarations.
    """
    if _MANY_ATTRIBUTES.search(data):
        raise _too_much(f"an element with more than {MAX_ATTRIBUTES} attributes")
    namespaces: set[bytes] = set()
    for match in _NAMESPACE.finditer(data):
        namespaces.add(match.group())
        if len(namespaces) > MAX_NAMESPACES:
            raise _too_much(f"more than {MAX_NAMESPACES} XML namespace declarations")
    ends = [match.end() for match in _ENTRY_END.finditer(data)]
    if not ends:
        if _markup(data) > max_markup:
            raise _too_much(f"more than {max_markup} tags and entity references")
        return Bounded(data, 0, 0)
    total = len(ends)
    tail = _markup(data, ends[-1])  # what follows the last entry is always kept
    if tail > max_markup:
        raise _too_much(f"more than {max_markup} tags and entity references after its entries")
    if total <= max_entries and _markup(data, 0, ends[-1]) + tail <= max_markup:
        return Bounded(data, total, total)
    opening = _ENTRY_START.search(data, 0, ends[0])
    first_start = opening.start() if opening else 0
    from_end = opening is not None and _oldest_first(data, first_start, ends)
    # Entry i spans from the end of entry i-1 (the channel's start, for the first one) to its
    # own end; entries are taken from the newest end while they fit the budget.
    used = tail + (_markup(data, 0, first_start) if from_end else 0)
    order = range(total - 1, -1, -1) if from_end else range(total)
    kept = 0
    for i in order:
        start = ends[i - 1] if i > 0 else (first_start if from_end else 0)
        cost = _markup(data, start, ends[i])
        if kept == max_entries or used + cost > max_markup:
            break
        used += cost
        kept += 1
    if kept == 0:
        which = "last" if from_end else "first"
        raise _too_much(f"more than {max_markup} tags and entity references in its {which} entry")
    why = (
        f"polling.max_entries is {max_entries}"
        if kept == max_entries
        else f"over the budget of {max_markup} tags and entity references"
    )
    if from_end:
        cut = data[:first_start] + data[ends[total - kept - 1] :] if kept < total else data
    else:
        cut = data[: ends[kept - 1]] + data[ends[-1] :]
    return Bounded(cut, total, kept, from_end, why)
