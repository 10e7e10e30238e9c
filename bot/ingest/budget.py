"""A work budget for feedparser: how much markup, how many entries, attributes and namespaces.

feedparser spends 10–20 µs of pure Python on every tag and entity, and more where it is
quadratic (the attributes of one element, distinct namespace declarations): a 5 MB document of
nothing but tags holds it for a minute, with the event loop blocked. The size cap alone does not
bound that, so the document is measured here first, in linear time, and

- entries beyond `max_entries`, or beyond the markup budget, are cut out (the first ones are kept,
  with the document's tail, so it stays well-formed); a feed of 30 000 entries is read as its
  first 1000, in a second;
- a document whose markup outside its entries is already over budget, an element with hundreds
  of attributes, or hundreds of namespace declarations, is refused with a ParseError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.errors import ParseError

MAX_MARKUP = 100_000  # tags plus entity references ("<" and "&"): about 2 s of feedparser
MAX_ATTRIBUTES = 256  # per element; xml.sax looks each one up by a linear scan
MAX_NAMESPACES = 256  # distinct declarations; feedparser's bookkeeping is quadratic in them

_ENTRY_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?(?:item|entry)\s*>", re.IGNORECASE)
_ATTRIBUTE = rb"\s+[^\s=<>/]+\s*=\s*(?:\"[^\"<]*\"|'[^'<]*')"
_MANY_ATTRIBUTES = re.compile(rb"<[A-Za-z_][^\s<>/]*(?:%s){%d}" % (_ATTRIBUTE, MAX_ATTRIBUTES + 1))
_NAMESPACE = re.compile(rb"xmlns(?::[^\s=<>]+)?\s*=\s*(?:\"[^\"<]*\"|'[^'<]*')")


@dataclass(frozen=True, slots=True)
class Bounded:
    """The document to parse, and how many entries it had and keeps."""

    data: bytes
    entries: int
    kept: int

    @property
    def cut(self) -> bool:
        """True when entries were left out."""
        return self.kept < self.entries


def _markup(data: bytes, start: int = 0, end: int | None = None) -> int:
    stop = len(data) if end is None else end
    return data.count(b"<", start, stop) + data.count(b"&", start, stop)


def _too_much(what: str) -> ParseError:
    return ParseError(f"refused: document has {what} (possible parser-exhaustion attack)")


def bound(data: bytes, *, max_entries: int = 1000, max_markup: int = MAX_MARKUP) -> Bounded:
    """Measure `data` (UTF-8, as feedparser will see it) and cut it down to budget.

    Raises ParseError when even the first entry, or the markup around the entries, does not fit,
    or when an element has more than MAX_ATTRIBUTES attributes or the document more than
    MAX_NAMESPACES namespace declarations.
    """
    if _MANY_ATTRIBUTES.search(data):
        raise _too_much(f"an element with more than {MAX_ATTRIBUTES} attributes")
    namespaces: set[bytes] = set()
    for match in _NAMESPACE.finditer(data):
        namespaces.add(match.group())
        if len(namespaces) > MAX_NAMESPACES:
            raise _too_much(f"more than {MAX_NAMESPACES} XML namespace declarations")
    total = 0
    kept: list[tuple[int, int]] = []  # (where a kept entry ends, markup up to there)
    full = False  # an entry did not fit: the ones after it are left out
    last_end = 0
    for match in _ENTRY_END.finditer(data):
        total += 1
        last_end = match.end()
        if full:
            continue
        start, used = kept[-1] if kept else (0, 0)
        cost = _markup(data, start, last_end)
        if len(kept) < max_entries and used + cost <= max_markup:
            kept.append((last_end, used + cost))
        else:
            full = True
    if total == 0:
        if _markup(data) > max_markup:
            raise _too_much(f"more than {max_markup} tags and entity references")
        return Bounded(data, 0, 0)
    tail = _markup(data, last_end)  # what follows the last entry is always kept
    if tail > max_markup:
        raise _too_much(f"more than {max_markup} tags and entity references after its entries")
    while kept and kept[-1][1] + tail > max_markup:
        kept.pop()
    if not kept:
        raise _too_much(f"more than {max_markup} tags and entity references in its first entry")
    if len(kept) == total:
        return Bounded(data, total, total)
    return Bounded(data[: kept[-1][0]] + data[last_end:], total, len(kept))
