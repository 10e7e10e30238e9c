"""OPML feed lists: the layouts feed readers export (golden files), hostile files, the export."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core.errors import ParseError
from bot.core.models import Feed
from bot.ingest.opml import MAX_BYTES, MAX_DEPTH, MAX_OUTLINES, parse_opml, render_opml

DATA = Path(__file__).parent.parent / "data" / "opml"
READERS = sorted(p.stem for p in DATA.glob("*.opml"))


@pytest.mark.parametrize("reader", READERS)
def test_reader_exports_parse_to_their_golden_feeds(reader: str) -> None:
    found = parse_opml((DATA / f"{reader}.opml").read_bytes())
    expected = json.loads((DATA / f"{reader}.expected.json").read_text())
    assert [
        {"url": f.url, "title": f.title, "tags": list(f.tags), "html_url": f.html_url}
        for f in found
    ] == expected


def test_every_reader_layout_is_covered() -> None:
    assert READERS == ["feedly", "inoreader", "miniflux", "newsblur"]


def test_nested_folders_become_tags_outermost_first() -> None:
    [london] = [f for f in parse_opml((DATA / "newsblur.opml").read_bytes()) if "london" in f.url]
    assert london.tags == ("Europe", "Coalition of the willing")


def test_category_attribute_paths_add_tags() -> None:
    doc = b"""<opml version="2.0"><head/><body><outline text="Ukraine">
      <outline type="rss" text="A" xmlUrl="https://a.example/rss"
               category="/Europe/Defence, ukraine,/Troops"/></outline></body></opml>"""
    [feed] = parse_opml(doc)
    assert feed.tags == ("Ukraine", "Europe", "Defence", "Troops")  # "ukraine" is the same tag


HOSTILE = {
    "billion laughs": b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<opml version="2.0"><head><title>&lol3;</title></head><body/></opml>""",
    "external entity": b"""<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<opml version="2.0"><body><outline text="&xxe;" xmlUrl="https://a.example/"/></body></opml>""",
    "bare doctype": b"""<!DOCTYPE opml><opml version="2.0"><body/></opml>""",
    "malformed": b"""<opml version="2.0"><body><outline text="a" xmlUrl="https://a.example/">""",
    "not opml": b"""<rss version="2.0"><channel><title>x</title></channel></rss>""",
    "no body": b"""<opml version="2.0"><head><title>x</title></head></opml>""",
    "empty": b"   \n",
    "binary": bytes(range(256)) * 4,
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_or_broken_files_get_one_clear_error(name: str) -> None:
    with pytest.raises(ParseError) as err:
        parse_opml(HOSTILE[name])
    message = str(err.value)
    assert message.startswith("not a usable OPML file: ") and "\n" not in message
    if name in ("billion laughs", "external entity", "bare doctype"):
        assert "DOCTYPE" in message
    assert "root:" not in message and "/etc/passwd" not in message


def test_a_hundred_thousand_outlines_are_refused() -> None:
    doc = b"<opml><body>" + b'<outline xmlUrl="h"/>' * 50_000 + b"<outline/>" * 50_000
    doc += b"</body></opml>"
    assert len(doc) <= MAX_BYTES  # the outline budget refuses it, not the size limit
    with pytest.raises(ParseError, match=f"more than {MAX_OUTLINES:,} outlines"):
        parse_opml(doc)


def test_deep_nesting_is_refused() -> None:
    doc = b"<opml><body>" + b'<outline text="f">' * 5000 + b"</outline>" * 5000 + b"</body></opml>"
    with pytest.raises(ParseError, match=f"nested more than {MAX_DEPTH} deep"):
        parse_opml(doc)


def test_oversized_file_is_refused_before_parsing() -> None:
    doc = b"<opml><body>" + b" " * MAX_BYTES + b"</body></opml>"
    with pytest.raises(ParseError, match="over the limit"):
        parse_opml(doc)


def _feed(i: int, url: str, name: str, tags: tuple[str, ...] = (), kind: str = "rss") -> Feed:
    return Feed(id=i, url=url, name=name, poll_interval_s=900, kind=kind, tags=tags)  # type: ignore[arg-type]


def test_export_writes_first_tag_as_folder_and_all_tags_as_category() -> None:
    feeds = [
        _feed(1, "https://a.example/rss", "A & B", ("Europe", "Defence")),
        _feed(2, "https://b.example/feed", "Plain"),
        _feed(3, "https://c.example/atom", "C", ("europe",)),
        _feed(4, "seeds", "Seeds", kind="local"),
    ]
    now = datetime(2026, 12, 5, 9, 30, tzinfo=UTC)
    data = render_opml(feeds, title="Watchbot feeds", now=now)

    root = ET.fromstring(data)
    assert root.get("version") == "2.0"
    assert root.findtext("head/title") == "Watchbot feeds"
    assert root.findtext("head/dateCreated") == "Sat, 05 Dec 2026 09:30:00 GMT"
    top = root.findall("body/outline")
    assert [o.get("text") for o in top] == ["Europe", "Plain"]  # one folder per first tag
    europe = top[0]
    assert europe.get("xmlUrl") is None
    assert [(o.get("xmlUrl"), o.get("category")) for o in europe] == [
        ("https://a.example/rss", "/Europe,/Defence"),
        ("https://c.example/atom", "/europe"),
    ]
    assert all(o.get("type") == "rss" for o in root.iter("outline") if o.get("xmlUrl"))
    assert b"seeds" not in data  # local feeds are not feeds another reader can follow

    back = parse_opml(data)  # and Watchbot reads its own export back, tags and all
    assert [(f.url, f.title, f.tags) for f in back] == [
        ("https://a.example/rss", "A & B", ("Europe", "Defence")),
        ("https://c.example/atom", "C", ("Europe",)),
        ("https://b.example/feed", "Plain", ()),
    ]
