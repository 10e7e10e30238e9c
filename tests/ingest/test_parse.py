"""FeedparserParser on our own fixtures (golden expectations) and on synthetic edge cases."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core.errors import ParseError
from bot.core.models import ParsedEntry
from bot.ingest.parse import FeedparserParser

DATA = Path(__file__).resolve().parents[1] / "data" / "feeds"
XML = {"content-type": "application/xml"}


def parse(body: bytes, url: str = "https://news.example/feeds/rss.xml", headers=None):  # type: ignore[no-untyped-def]
    return FeedparserParser().parse(body, url=url, headers=XML if headers is None else headers)


def refusal(body: bytes, headers: dict[str, str] | None = None) -> str:
    with pytest.raises(ParseError) as caught:
        parse(body, headers=headers)
    return str(caught.value)


def rss(items: str, prolog: str = '<?xml version="1.0" encoding="utf-8"?>\n') -> bytes:
    return (
        f'{prolog}<rss version="2.0"><channel><title>T</title>'
        f"<link>https://news.example/</link>{items}</channel></rss>"
    ).encode()


ONE_ITEM = "<item><title>Troops</title><link>https://news.example/a</link></item>"


# -- golden: our three fixtures -------------------------------------------------------------


def test_rss2_golden() -> None:
    body = (DATA / "ukraine_rss2.xml").read_bytes()
    feed = parse(body, url="https://kyivwire.example/security/rss.xml")
    assert feed.title == "Kyiv Wire — Security"
    assert not feed.bozo and feed.bozo_reason is None
    first, second, third = feed.entries
    assert first == ParsedEntry(
        guid="kyivwire-2025-0312-001",
        link="https://kyivwire.example/security/2025/03/guarantees-draft?utm_source=rss",
        title="Coalition of the willing drafts security guarantees for Ukraine",
        # content:encoded is longer than the description, so it wins; the sanitizer removed the
        # script and the relative link is now absolute.
        summary=(
            "<p>Ministers from twelve countries met in Paris to <b>draft</b> guarantees.</p>\n"
            "<p>The text, seen by Kyiv Wire, describes air defence support and a\n"
            '<a href="https://kyivwire.example/security/2025/03/annex">published annex</a>.</p>'
        ),
        published=datetime(2025, 3, 12, 6, 30, tzinfo=UTC),
        author="Olena Kovalenko",
    )
    assert second.link == "https://kyivwire.example/security/2025/03/trainers"  # was relative
    assert second.guid == "https://kyivwire.example/security/2025/03/trainers"
    assert second.summary == (
        "Deputies asked how many <em>foreign instructors</em> would arrive & where."
    )
    assert second.published == datetime(2025, 3, 11, 17, 5, tzinfo=UTC)
    assert third.guid is None and third.published is None and third.author is None
    assert third.title == "Зеленський: гарантії безпеки мають бути юридично обов'язковими"


def test_atom_golden() -> None:
    body = (DATA / "ukraine_atom.xml").read_bytes()
    feed = parse(body, url="https://dnipro-monitor.example/atom.xml")
    assert feed.title == "Dnipro Monitor"
    first, second = feed.entries
    assert first == ParsedEntry(
        guid="tag:dnipro-monitor.example,2025:entry-42",
        link="https://dnipro-monitor.example/articles/peacekeepers-west",  # rel=alternate, xml:base
        title="Peacekeepers <em>could</em> be stationed west of the Dnipro",
        # type="text": escaped, so the normaliser's HTML stripping keeps the literal "<".
        summary="Officials say a reassurance force &lt; 10,000 troops is under discussion.",
        published=datetime(2025, 3, 12, 7, 15, tzinfo=UTC),  # published beats updated
        author="Taras Melnyk",
    )
    assert second.link == "https://dnipro-monitor.example/articles/memorandum"
    assert second.published == datetime(2025, 3, 11, 18, 0, tzinfo=UTC)  # from <updated>
    assert second.summary.startswith("<p>The memorandum lists three layers")  # content > teaser
    assert 'href="https://dnipro-monitor.example/annex.html"' in second.summary


def test_rdf_golden() -> None:
    body = (DATA / "ukraine_rdf.xml").read_bytes()
    feed = parse(body, url="https://lviv-herald.example/rss")
    assert feed.title == "Lviv Herald"
    assert [e.title for e in feed.entries] == [
        "Allied troops will not be deployed to the front line, ministers say",
        "Air policing mission over western Ukraine proposed",
    ]
    first, second = feed.entries
    assert first.guid == first.link == "https://lviv-herald.example/news/troops-border"
    assert first.published == datetime(2025, 3, 10, 5, 0, tzinfo=UTC)
    assert first.author == "Iryna Shevchuk"
    assert second.published is None  # "not a date"


# -- what is not a feed ----------------------------------------------------------------------


@pytest.mark.parametrize("body", [b"", b"   \n\t ", b"<!-- nothing -->", b"<?xml version='1.0'?>"])
def test_empty_documents(body: bytes) -> None:
    assert refusal(body).startswith("empty document")


def test_html_page() -> None:
    page = b"<!DOCTYPE html>\n<html><head><title>Hi</title></head><body><p>x</p></body></html>"
    assert refusal(page, {"content-type": "text/html"}) == (
        "not a feed: the server returned an HTML page"
    )


def test_xhtml_page_with_public_dtd_is_html_not_xxe() -> None:
    page = (
        b'<?xml version="1.0"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
        b'"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n'
        b'<html xmlns="http://www.w3.org/1999/xhtml"><body/></html>'
    )
    assert refusal(page) == "not a feed: the server returned an HTML page"


def test_json_document() -> None:
    message = refusal(
        b'{"version": "https://jsonfeed.org/version/1.1", "items": []}',
        {"content-type": "application/feed+json"},
    )
    assert message.startswith("not a feed: JSON document")


def test_xml_that_is_not_a_feed() -> None:
    assert refusal(b"<?xml version='1.0'?><catalog><book/></catalog>") == (
        "not a feed: no <rss>, <feed> or <rdf:RDF> root (the root element is <catalog>)"
    )


def test_truncated_feed_names_the_line() -> None:
    body = rss("").replace(b"</channel></rss>", b"\n\n<item><title>cut")
    assert refusal(body).startswith("truncated or malformed XML at line 4: ")


def test_path_or_url_strings_are_never_opened() -> None:
    # Given bytes like these, feedparser.parse would open the file or fetch the URL.
    assert refusal(b"/etc/passwd") == (
        "not a feed: the document is not XML (it starts with '/etc/passwd')"
    )
    started = time.monotonic()
    assert refusal(b"http://127.0.0.1:9/feed.xml").startswith("not a feed")
    assert time.monotonic() - started < 1


def test_valid_feed_with_no_items_is_not_an_error() -> None:
    feed = parse(rss(""))
    assert feed.entries == () and feed.title == "T" and not feed.bozo


def test_bozo_feed_with_entries_is_kept() -> None:
    body = rss(
        ONE_ITEM + "<item><title>A &nbsp; B</title><link>https://news.example/b</link></item>"
    )
    feed = parse(body)
    assert [e.title for e in feed.entries] == ["Troops", "A \u00a0 B"]
    assert feed.bozo and feed.bozo_reason is not None
    assert feed.bozo_reason.startswith("truncated or malformed XML at line 2: undefined entity")


def test_entries_without_anything_to_show_are_dropped() -> None:
    feed = parse(rss('<item><guid isPermaLink="false">x</guid></item>' + ONE_ITEM))
    assert [e.title for e in feed.entries] == ["Troops"]


def test_entry_without_title_keeps_empty_title() -> None:
    feed = parse(rss("<item><description>Only text</description></item>"))
    assert feed.entries[0].title == "" and feed.entries[0].summary == "Only text"


def test_non_permalink_guid_is_not_a_link() -> None:
    feed = parse(rss('<item><title>x</title><guid isPermaLink="false">abc-123</guid></item>'))
    assert feed.entries[0].link is None and feed.entries[0].guid == "abc-123"


def test_permalink_guid_is_resolved_like_a_link() -> None:
    # feedparser's reading of RSS: a guid without isPermaLink="false" is a URL, so a relative
    # one is resolved against the base and doubles as the link when there is no <link>.
    feed = parse(rss("<item><title>x</title><guid>abc-123</guid></item>"))
    assert feed.entries[0].guid == feed.entries[0].link == "https://news.example/feeds/abc-123"


# -- encodings and base URLs ------------------------------------------------------------------


def test_http_charset_wins_over_xml_declaration() -> None:
    body = rss(
        "<item><title>Kyiv \u2014 \u041a\u0438\u0457\u0432</title></item>",
        prolog='<?xml version="1.0" encoding="iso-8859-1"?>\n',
    )
    feed = parse(body, headers={"Content-Type": "application/rss+xml; charset=utf-8"})
    assert feed.entries[0].title == "Kyiv — Київ"


def test_missing_content_type_defaults_to_the_xml_rules() -> None:
    body = rss("<item><title>Київ</title></item>", prolog="")  # UTF-8, no declaration
    assert parse(body, headers={}).entries[0].title == "Київ"


def test_content_location_header_sets_the_base() -> None:
    body = rss("<item><title>x</title><link>story/1</link></item>")
    feed = parse(body, headers={"Content-Location": "https://mirror.example/feeds/"})
    assert feed.entries[0].link == "https://mirror.example/feeds/story/1"
    relative = parse(body, headers={"content-location": "/other/"})
    assert relative.entries[0].link == "https://news.example/other/story/1"


def test_windows_1251_without_declaration_is_detected() -> None:
    title = "Гарантії безпеки для України обговорили в Парижі сьогодні ввечері"
    body = (
        rss(
            f"<item><title>{title}</title><description>{title} " * 3 + "</description></item>",
            prolog="",
        )
        .decode()
        .encode("windows-1251")
    )
    assert parse(body).entries[0].title == title
