"""The parser's work budget (bot/ingest/budget.py): long feeds are cut to their first entries and
stay well-formed; documents that would hold feedparser for minutes are refused in milliseconds."""

from __future__ import annotations

import time

import pytest

from bot.core.errors import ParseError
from bot.ingest.budget import MAX_ATTRIBUTES, MAX_NAMESPACES, bound
from bot.ingest.parse import FeedparserParser

ENTRY = (
    "<entry><id>urn:{n}</id><title>Troops {n}</title><link href='https://a.example/{n}'/></entry>"
)


def atom(entries: int, tail: str = "") -> bytes:
    body = "".join(ENTRY.format(n=n) for n in range(entries))
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>T</title>{body}{tail}</feed>"
    ).encode()


def test_long_feed_keeps_its_first_entries_and_its_tail() -> None:
    started = time.monotonic()
    parsed = FeedparserParser(max_entries=50).parse(
        atom(20_000), url="https://a.example/", headers={}
    )
    assert time.monotonic() - started < 2
    assert [e.title for e in parsed.entries[:2]] == ["Troops 0", "Troops 1"]
    assert len(parsed.entries) == 50
    assert parsed.bozo_reason == "read the first 50 of 20000 entries"  # well-formed otherwise


def test_markup_budget_cuts_between_entries() -> None:
    result = bound(atom(100), max_entries=1000, max_markup=200)
    assert result.cut and 0 < result.kept < 100
    assert result.data.endswith(b"</entry></feed>")


def test_markup_after_the_entries_counts_too() -> None:
    with pytest.raises(ParseError, match="after its entries"):
        bound(atom(1, tail="<x/>" * 300), max_markup=200)


def test_short_feed_is_untouched() -> None:
    data = atom(3)
    assert bound(data).data is data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"<rss><x "
            + b" ".join(b'a%d="1"' % n for n in range(MAX_ATTRIBUTES + 1))
            + b"/></rss>",
            "attributes",
        ),
        (
            b"<rss>"
            + b"".join(b'<p%d:x xmlns:p%d="u%d"/>' % (n, n, n) for n in range(MAX_NAMESPACES + 1))
            + b"</rss>",
            "namespace",
        ),
        (b"<rss>" + b"<b/>" * 100_001 + b"</rss>", "more than 100000 tags"),
    ],
)
def test_exhausting_documents_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        bound(data)


def test_an_element_with_many_attributes_but_within_the_cap_is_read() -> None:
    attrs = " ".join(f'a{n}="1"' for n in range(MAX_ATTRIBUTES))
    assert bound(f"<rss><x {attrs}/></rss>".encode()).entries == 0
