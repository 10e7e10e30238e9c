"""The parser's work budget (bot/ingest/budget.py): long feeds are cut to their newest entries,
stay well-formed and say what was left out; documents that would hold feedparser for minutes are
refused in milliseconds."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.errors import ParseError
from bot.core.models import Feed
from bot.ingest.budget import MAX_ATTRIBUTES, MAX_NAMESPACES, bound
from bot.ingest.limits import RAW_TEXT_CHARS, RAW_TITLE_CHARS
from bot.ingest.localfiles import LocalSource
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
    # Well-formed otherwise: the cut is the only thing said about the document.
    assert parsed.bozo_reason == (
        "read the first 50 of 20000 entries (19950 left out: polling.max_entries is 50)"
    )


def dated_rss(days: list[int]) -> bytes:
    items = "".join(
        f"<item><guid>g{day}</guid><title>Troops {day}</title>"
        f"<pubDate>{(START + timedelta(days=day)):%a, %d %b %Y %H:%M:%S} GMT</pubDate></item>"
        for day in days
    )
    return f'<rss version="2.0"><channel><title>T</title>{items}</channel></rss>'.encode()


START = datetime(2020, 1, 1, tzinfo=UTC)


def test_a_feed_listed_oldest_first_keeps_its_newest_entries() -> None:
    parsed = FeedparserParser(max_entries=10).parse(
        dated_rss(list(range(3000))), url="https://a.example/", headers={}
    )
    assert [e.title for e in parsed.entries] == [f"Troops {day}" for day in range(2990, 3000)]
    assert parsed.bozo_reason == (
        "read the last 10 of 3000 entries, the newest: the document lists oldest first "
        "(2990 left out: polling.max_entries is 10)"
    )


@pytest.mark.parametrize(
    "days", [list(range(3000, 0, -1)), [5] * 3000], ids=["newest-first", "all-one-day"]
)
def test_a_feed_not_listed_oldest_first_keeps_its_first_entries(days: list[int]) -> None:
    parsed = FeedparserParser(max_entries=10).parse(
        dated_rss(days), url="https://a.example/", headers={}
    )
    assert [e.title for e in parsed.entries] == [f"Troops {day}" for day in days[:10]]
    assert parsed.bozo_reason is not None and parsed.bozo_reason.startswith("read the first 10 ")


def test_oldest_first_cut_keeps_the_channel_and_the_tail() -> None:
    data = dated_rss(list(range(100)))
    result = bound(data, max_entries=3)
    assert result.from_end and result.kept == 3
    head = b'<rss version="2.0"><channel><title>T</title>'
    assert result.data.startswith(head + b"<item><guid>g97</guid>")
    assert result.data.endswith(data[data.index(b"<item><guid>g99<") :])


def test_markup_budget_cuts_between_entries() -> None:
    result = bound(atom(100), max_entries=1000, max_markup=200)
    assert result.cut and 0 < result.kept < 100
    assert result.data.endswith(b"</entry></feed>")
    assert result.note is not None
    assert result.note.endswith("left out: over the budget of 200 tags and entity references)")


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


def test_huge_fields_are_cut_before_the_normaliser_sees_them() -> None:
    title = "troops " * 600_000
    summary = "<p>" + "guarantees " * 100_000 + "</p>"
    data = (
        f'<rss version="2.0"><channel><title>T</title><item><title>{title}</title>'
        f"<description><![CDATA[{summary}]]></description></item></channel></rss>"
    ).encode()
    (entry,) = FeedparserParser().parse(data, url="https://a.example/", headers={}).entries
    assert len(entry.title) <= RAW_TITLE_CHARS and entry.title.startswith("troops troops")
    assert len(entry.summary) <= RAW_TEXT_CHARS and entry.summary.startswith("<p>guarantees")


def test_a_folder_says_which_file_was_cut_and_is_read_again_only_when_changed(
    tmp_path: Path,
) -> None:
    (tmp_path / "long.xml").write_bytes(atom(30))
    (tmp_path / "short.xml").write_bytes(atom(2))
    (tmp_path / "note.txt").write_text("Troops to Ukraine\nA text document.", encoding="utf-8")
    source = LocalSource(FeedparserParser(max_entries=10))
    feed = Feed(id=1, url=f"local:{tmp_path}", name="folder", poll_interval_s=60, kind="local")
    read = asyncio.run(source.read(feed))
    assert read.feed is not None and len(read.feed.entries) == 10 + 2 + 1
    assert read.feed.bozo_reason == (
        "long.xml: read the first 10 of 30 entries (20 left out: polling.max_entries is 10)"
    )
    unchanged = asyncio.run(source.read(dataclasses.replace(feed, etag=read.etag)))
    assert unchanged.feed is None and unchanged.etag == read.etag
    (tmp_path / "short.xml").write_bytes(atom(3))
    changed = asyncio.run(source.read(dataclasses.replace(feed, etag=read.etag)))
    assert changed.feed is not None and changed.etag != read.etag
