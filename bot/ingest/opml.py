"""OPML 2.0 feed lists: read the files feed readers export, write one they all import.

Reading: parsed with defusedxml (no DOCTYPE, no entities, no external references), within a size
and an outline budget, so a hostile file costs milliseconds and is refused with one message. An
outline with `xmlUrl` is a feed; the outlines it sits in (Feedly's categories, NewsBlur's and
Miniflux's folders) become its tags, outermost first, and so do the entries of its `category`
attribute (OPML 2.0: comma-separated, slash-delimited paths such as `/Europe/Defence`).

Writing: feeds grouped by their FIRST tag as folder outlines (what every reader reads back as a
folder); a feed with tags carries them all in `category` (`/Europe,/Defence`), so nothing is lost
for readers that read categories — and Watchbot itself reads both back.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from datetime import datetime
from email.utils import format_datetime

import defusedxml
import defusedxml.ElementTree as SafeET

from bot.core.errors import ParseError
from bot.core.feedlist import MAX_FILE_BYTES
from bot.core.models import Feed, normalise_tags
from bot.core.ports import ListedFeed

MAX_BYTES = MAX_FILE_BYTES  # the size adapters read at most, plus one byte
MAX_OUTLINES = 10_000  # folders and feeds together
MAX_DEPTH = 16  # folders within folders
MAX_TEXT = 500  # characters kept of a title or a folder name


class OpmlCodec:
    """The FeedListCodec port for OPML 2.0."""

    media_type = "text/x-opml"
    extension = "opml"

    def parse(self, data: bytes) -> list[ListedFeed]:
        """The feeds of an OPML document, in document order; ParseError naming what is wrong."""
        return parse_opml(data)

    def render(self, feeds: Sequence[Feed], *, title: str, now: datetime) -> bytes:
        """An OPML 2.0 document listing `feeds` (see the module docstring for folders)."""
        return render_opml(feeds, title=title, now=now)


def _fail(reason: str) -> ParseError:
    return ParseError(f"not a usable OPML file: {reason}")


def parse_opml(data: bytes) -> list[ListedFeed]:
    """Read `data` as OPML; every problem is one ParseError, nothing is partly read."""
    if len(data) > MAX_BYTES:
        raise _fail(f"it is {len(data):,} bytes, over the limit of {MAX_BYTES:,}")
    if not data.strip():
        raise _fail("the file is empty")
    try:
        root = SafeET.fromstring(data, forbid_dtd=True)
    except defusedxml.DefusedXmlException as exc:
        raise _fail(
            f"it declares a DOCTYPE or entities, which are refused ({type(exc).__name__})"
        ) from None
    except ET.ParseError as exc:
        raise _fail(f"the XML is malformed ({exc})") from None
    if _local(root.tag) != "opml":
        raise _fail(f"its root element is <{_local(root.tag)}>, not <opml>")
    body = next((c for c in root if _local(c.tag) == "body"), None)
    if body is None:
        raise _fail("it has no <body>")
    found: list[ListedFeed] = []
    outlines = 0
    # Iterative pre-order walk (document order): a file nested thousands deep must not exhaust
    # the stack, and the depth limit stops it long before that anyway.
    stack: list[tuple[ET.Element, tuple[str, ...], int]] = [
        (c, (), 1) for c in reversed(_outlines(body))
    ]
    while stack:
        node, folders, depth = stack.pop()
        outlines += 1
        if outlines > MAX_OUTLINES:
            raise _fail(f"it has more than {MAX_OUTLINES:,} outlines")
        if depth > MAX_DEPTH:
            raise _fail(f"its folders are nested more than {MAX_DEPTH} deep")
        url = (node.get("xmlUrl") or node.get("xmlurl") or "").strip()
        label = _text(node.get("title") or node.get("text") or "")
        if url:
            found.append(
                ListedFeed(
                    url=url,
                    title=label,
                    tags=normalise_tags([*folders, *_categories(node.get("category"))]),
                    html_url=(node.get("htmlUrl") or "").strip(),
                )
            )
        inner = (*folders, label) if label and not url else folders
        stack.extend((c, inner, depth + 1) for c in reversed(_outlines(node)))
    return found


def _outlines(node: ET.Element) -> list[ET.Element]:
    return [c for c in node if _local(c.tag) == "outline"]


def _local(tag: object) -> str:
    """An element's name without its namespace (some exporters put OPML in one)."""
    text = tag if isinstance(tag, str) else ""
    return text.rsplit("}", 1)[-1].lower()


def _text(value: str) -> str:
    return " ".join(value.split())[:MAX_TEXT]


def _categories(value: str | None) -> list[str]:
    """`/Europe/Defence,Ukraine` → Europe, Defence, Ukraine (every path segment a tag)."""
    if not value:
        return []
    return [_text(seg) for part in value.split(",") for seg in part.split("/") if seg.strip()]


def render_opml(feeds: Iterable[Feed], *, title: str, now: datetime) -> bytes:
    """OPML 2.0 with a folder per first tag; local (file and folder) feeds are left out."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = format_datetime(now, usegmt=True)
    ET.SubElement(head, "docs").text = "https://opml.org/spec2.opml"
    body = ET.SubElement(root, "body")
    folders: dict[str, ET.Element] = {}
    for feed in feeds:
        if feed.kind != "rss":
            continue
        parent = body
        if feed.tags:
            key = feed.tags[0].casefold()
            if key not in folders:
                folders[key] = ET.SubElement(body, "outline", text=feed.tags[0], title=feed.tags[0])
            parent = folders[key]
        attrs = {"type": "rss", "text": feed.name, "title": feed.name, "xmlUrl": feed.url}
        if feed.tags:
            attrs["category"] = ",".join(
                "/" + t.replace("/", " ").replace(",", " ") for t in feed.tags
            )
        ET.SubElement(parent, "outline", attrs)
    ET.indent(root)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data + b"\n"
