"""Hostile and broken feed documents, written for these tests.

Each `Doc` says what the product must make of it: refused with a message naming the problem, or
read into cleaned items. `documents(canary_url, canary_path)` builds them all; the canaries are a
URL and a file holding a feed whose item says CANARY, so a document that merely *names* them
proves they were never opened. Network-only attacks (bombs, drips, loops) are in `network.py`.
"""

from __future__ import annotations

import codecs
import random
import zlib
from dataclasses import dataclass, replace

from bot.ingest.prolog import ENTITIES_REFUSED

ON_TOPIC = (
    "British troops could deploy to Ukraine as part of a European reassurance force, "
    "the prime minister said"
)
CANARY = "CANARY item that must never be read"
NOT_XML = "not a feed: the document is not XML"
EXTERNAL_DTD = "refused: document references an external DTD"
EXHAUSTION = "(possible parser-exhaustion attack)"
CONTROL_CHARS = "\x01\x07\x08\x0b\x0c\x1b\x7f\x85\x9b\u200b\u200e\u202e\u2066"
BAD_SCHEMES = ("javascript:", "data:", "vbscript:", "file:")
TAG = "@DOC@"


@dataclass(frozen=True)
class Doc:
    """One hostile document and the outcome the product owes it."""

    name: str
    body: bytes
    refused: str | None = None  # a fragment of the feed error, when the document must be refused
    items: int | None = None  # how many cleaned items, when it must be read
    content_type: str = "application/rss+xml"  # no charset: the document's own word decides

    def __post_init__(self) -> None:
        assert (self.refused is None) != (self.items is None), self.name


def rss(items: str, *, prolog: str = '<?xml version="1.0" encoding="utf-8"?>\n') -> str:
    return (
        f'{prolog}<rss version="2.0"><channel><title>Hostile</title>'
        f"<link>https://hostile.example/</link>{items}</channel></rss>\n"
    )


def item(n: int | str, title: str = "", link: str = "", description: str = "") -> str:
    """An on-topic item; TAG becomes the document's name, so no two documents share an item."""
    title = title or f"{ON_TOPIC} ({TAG} {n})"
    link = link or f"https://hostile.example/{TAG}/{n}"
    return (
        f"<item><guid>urn:hostile:{TAG}:{n}</guid><title>{title}</title><link>{link}</link>"
        f"<description>{description or ON_TOPIC}</description>"
        "<pubDate>Mon, 03 Mar 2025 10:00:00 GMT</pubDate></item>"
    )


def with_doctype(doctype: str, ref: str = "") -> bytes:
    return rss(
        item(1, title=f"Troops {ref}"), prolog=f'<?xml version="1.0"?>\n{doctype}\n'
    ).encode()


def billion_laughs() -> bytes:
    decls = '<!ENTITY a0 "lol">\n' + "".join(
        f'<!ENTITY a{i} "{("&a" + str(i - 1) + ";") * 10}">\n' for i in range(1, 10)
    )
    return with_doctype(f"<!DOCTYPE rss [\n{decls}]>", "&a9;")


def quadratic_blowup() -> bytes:
    # One 50 KB entity referenced 20 000 times: a gigabyte once expanded, 110 KB on disk.
    return with_doctype(f'<!DOCTYPE rss [<!ENTITY big "{"x" * 50_000}">]>', "&big;" * 20_000)


def parameter_entities() -> bytes:
    decls = '<!ENTITY % p0 "lol">' + "".join(
        f'<!ENTITY % p{i} "{("%p" + str(i - 1) + ";") * 10}">' for i in range(1, 8)
    )
    return with_doctype(f"<!DOCTYPE rss [{decls} %p7;]>")


def utf16_laughs() -> bytes:
    text = rss(
        item(1, title="&a3;"),
        prolog='<?xml version="1.0" encoding="utf-16"?>\n<!DOCTYPE rss [<!ENTITY a0 "lol">'
        + "".join(f'<!ENTITY a{i} "{("&a" + str(i - 1) + ";") * 10}">' for i in range(1, 4))
        + "]>\n",
    )
    return codecs.BOM_UTF16_LE + text.encode("utf-16-le")


def many_entries(count: int) -> bytes:
    # Short items so that ~5 MB holds tens of thousands of them.
    body = "".join(
        f"<item><guid>g{n}</guid><title>Troops to Ukraine {n}</title>"
        f"<link>https://hostile.example/{n}</link></item>"
        for n in range(count)
    )
    return rss(body).encode()


def gzip_bytes(size: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    return packer.compress(bytes(size)) + packer.flush()


def control_characters() -> bytes:
    # Raw C0 controls are not XML: the strict parser fails and the loose one reads the rest.
    title = f"Troops{CONTROL_CHARS} to Ukraine\x00 with a NUL and bidi \u202egnirts"
    link = "https://hostile.example/\x01ctl\x1b\u200b"
    return rss(item(1, title=title, link=link) + item(2)).encode()


def control_character_references() -> bytes:
    # Character references to C1 controls, bidi overrides and zero-width spaces are valid XML.
    refs = "&#x85;&#x9b;&#x200b;&#x202e;&#x2066;&#x7f;"
    return rss(item(1, title=f"Troops{refs} to Ukraine{refs}")).encode()


def scheme_links() -> bytes:
    links = [
        "javascript:alert(document.cookie)",
        " JaVaScRiPt:alert(1)",
        "java&#x09;script:alert(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        # Markdown injection: a real https link whose path closes the link and opens another.
        "https://hostile.example/a) [click me](javascript:alert(1)",
        "https://hostile.example/b> <javascript:alert(1)>|click",
    ]
    return rss("".join(item(f"link{n}", link=link) for n, link in enumerate(links))).encode()


def mentions() -> bytes:
    titles = ["@everyone troops to Ukraine", "<!channel> troops", "@here <@U123> <#C1> troops"]
    escaped = [t.replace("&", "&amp;").replace("<", "&lt;") for t in titles]
    return rss("".join(item(f"m{n}", title=t) for n, t in enumerate(escaped))).encode()


def _tagged(doc: Doc) -> Doc:
    body = doc.body
    for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
        body = body.replace(TAG.encode(encoding), doc.name.encode(encoding))
    return replace(doc, body=body)


def documents(canary_url: str, canary_path: str) -> list[Doc]:
    """Every hostile document (see the module docstring for the canaries)."""
    return [_tagged(doc) for doc in _documents(canary_url, canary_path)]


def _documents(canary_url: str, canary_path: str) -> list[Doc]:
    rng = random.Random(6)
    return [
        # -- entity expansion, external entities and DTDs --------------------------------------
        Doc("billion-laughs", billion_laughs(), refused=ENTITIES_REFUSED),
        Doc("quadratic-blowup", quadratic_blowup(), refused=ENTITIES_REFUSED),
        Doc("parameter-entity-laughs", parameter_entities(), refused=ENTITIES_REFUSED),
        Doc("utf16-laughs", utf16_laughs(), refused=ENTITIES_REFUSED),
        Doc(
            "utf7-hidden-entity",
            rss(
                item(1, title="&e;"),
                prolog='<?xml version="1.0" encoding="utf-7"?>\n+ADw-!DOCTYPE rss '
                '[+ADw-!ENTITY e SYSTEM "file:///etc/passwd">]>\n',
            ).encode(),
            refused=ENTITIES_REFUSED,
        ),
        Doc(
            "xxe-system-file",
            with_doctype(f'<!DOCTYPE rss [<!ENTITY x SYSTEM "file://{canary_path}">]>', "&x;"),
            refused=ENTITIES_REFUSED,
        ),
        Doc(
            "xxe-public-url",
            with_doctype(f'<!DOCTYPE rss [<!ENTITY x PUBLIC "-//X//Y" "{canary_url}">]>', "&x;"),
            refused=ENTITIES_REFUSED,
        ),
        Doc(
            "xxe-parameter-entity",
            with_doctype(f'<!DOCTYPE rss [<!ENTITY % p SYSTEM "{canary_url}"> %p;]>'),
            refused=ENTITIES_REFUSED,
        ),
        Doc(
            "external-dtd-system",
            with_doctype(f'<!DOCTYPE rss SYSTEM "{canary_url}">'),
            refused=EXTERNAL_DTD,
        ),
        Doc(
            "external-dtd-public",
            with_doctype(f'<!DOCTYPE rss PUBLIC "-//Evil//DTD//EN" "file://{canary_path}">'),
            refused=EXTERNAL_DTD,
        ),
        Doc(
            "xinclude",
            rss(
                '<item xmlns:xi="http://www.w3.org/2001/XInclude"><title>Troops to Ukraine</title>'
                f'<link>https://hostile.example/xi</link><description><xi:include href="file://'
                f'{canary_path}" parse="text"/></description></item>'
            ).encode(),
            items=1,
        ),
        # -- documents feedparser would take for a path or a URL -------------------------------
        Doc("body-is-a-path", canary_path.encode(), refused=NOT_XML),
        Doc("body-is-etc-passwd", b"/etc/passwd", refused=NOT_XML),
        Doc("body-is-a-url", canary_url.encode(), refused=NOT_XML),
        Doc("body-is-a-file-url", f"file://{canary_path}".encode(), refused=NOT_XML),
        Doc("body-is-a-loopback-url", b"http://127.0.0.1/x", refused=NOT_XML),
        # -- not feeds ------------------------------------------------------------------------
        Doc(
            "html-page",
            b"<!DOCTYPE html>\n<html><head><title>News</title></head><body><p>Hi</p></body></html>",
            refused="not a feed: the server returned an HTML page",
            content_type="text/html; charset=utf-8",
        ),
        Doc(
            "html-labelled-as-rss",
            b"<html><body><h1>Troops</h1></body></html>",
            refused="not a feed: the server returned an HTML page",
        ),
        Doc(
            "json-feed",
            b'{"version": "https://jsonfeed.org/version/1", "items": [{"id": "1"}]}',
            refused="not a feed: JSON document",
            content_type="application/json",
        ),
        Doc("empty", b"", refused="empty document"),
        Doc("whitespace-only", b" \n\t\r\n" * 1000, refused="empty document"),
        Doc("random-binary", rng.randbytes(200_000), refused="not a feed"),
        Doc("gzip-bytes-as-a-file", gzip_bytes(50_000_000), refused="not a feed"),
        Doc(
            "truncated",
            rss(item(1) + item(2)).encode()[:-60],
            items=2,
        ),
        # -- charsets -----------------------------------------------------------------------------
        Doc(
            "declared-utf8-actually-cp1251",
            rss(item(1, title="Войска в Украину: " + ON_TOPIC)).encode("cp1251"),
            items=1,
        ),
        Doc(
            "unknown-charset",
            rss(item(1), prolog='<?xml version="1.0" encoding="x-no-such-charset"?>\n').encode(),
            items=1,
        ),
        Doc(
            "header-charset-lies",
            rss(item(1, title="Війська: " + ON_TOPIC)).encode("utf-8"),
            refused=NOT_XML,  # the HTTP charset wins (RFC 3023): the lie makes it unreadable
            content_type="application/rss+xml; charset=utf-16",
        ),
        Doc(
            "invalid-utf8",
            rss(item(1, title="Troops \xff\xfe to Ukraine")).encode("latin-1"),
            items=1,
        ),
        Doc(
            "utf16-without-bom",
            rss(item(1), prolog='<?xml version="1.0" encoding="utf-16"?>\n').encode("utf-16-be"),
            items=1,
        ),
        # -- control characters, links, mentions ----------------------------------------------
        Doc("control-characters", control_characters(), items=2),
        Doc("control-character-references", control_character_references(), items=1),
        Doc("javascript-and-data-links", scheme_links(), items=8),
        Doc("mentions-in-titles", mentions(), items=3),
        Doc(
            "script-in-description",
            rss(
                item(
                    1,
                    description="&lt;script&gt;alert('x')&lt;/script&gt;&lt;img src=x "
                    "onerror=alert(1)&gt;" + ON_TOPIC,
                )
            ).encode(),
            items=1,
        ),
        Doc(
            "huge-link",
            rss(item(1, link="https://hostile.example/" + "a" * 1_000_000)).encode(),
            items=1,
        ),
        Doc("huge-title", rss(item(1, title="troops " * 600_000)).encode(), items=1),
        # -- size and parser exhaustion ----------------------------------------------------------
        Doc("tens-of-thousands-of-entries", many_entries(40_000), items=1000),
        Doc("oversized-file", b" " * 5_000_001 + rss(item(1)).encode(), refused="larger than"),
        Doc(
            "tag-flood",
            rss(item(1, description="<![CDATA[" + "<b>x</b>" * 400_000 + "]]>")).encode(),
            refused=EXHAUSTION,
        ),
        Doc(
            "entity-reference-flood",
            rss(item(1, description="&amp;" * 800_000)).encode(),
            refused=EXHAUSTION,
        ),
        Doc(
            "deep-nesting",
            rss(item(1) + "<x>" * 100_000 + "</x>" * 100_000).encode(),
            refused=EXHAUSTION,
        ),
        Doc(
            "attribute-flood",
            rss(
                f"<item><title {' '.join(f'a{n}={chr(34)}x{chr(34)}' for n in range(50_000))}>"
                "Troops</title></item>"
            ).encode(),
            refused=EXHAUSTION,
        ),
        Doc(
            "namespace-flood",
            rss(
                "<item><title>Troops</title>"
                + "".join(f'<p{n}:x xmlns:p{n}="urn:ns:{n}">y</p{n}:x>' for n in range(20_000))
                + "</item>"
            ).encode(),
            refused=EXHAUSTION,
        ),
    ]


CANARY_FEED = rss(item("canary", title=CANARY)).encode()
