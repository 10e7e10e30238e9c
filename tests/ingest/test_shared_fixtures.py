"""FeedparserParser on the shared real-world fixtures (/work/shared/fixtures/feeds, see SOURCES.md).

Every file either parses into entries that have something to show, or raises ParseError — never
another exception. A table pins the outcome per file; specific tests check encodings, hostile
documents, bozo recovery, duplicates and relative links.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin

import pytest

from bot.core.errors import ParseError
from bot.core.models import ParsedFeed
from bot.ingest.parse import FeedparserParser
from bot.ingest.prolog import ENTITIES_REFUSED

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
FIXTURES = SHARED / "fixtures" / "feeds"
FILES = sorted(p.name for p in FIXTURES.glob("*.xml")) if FIXTURES.is_dir() else []
BASE = "https://fixtures.example/feeds/"

pytestmark = pytest.mark.skipif(not FIXTURES.is_dir(), reason=f"{FIXTURES} is absent")

TRUNCATED = "truncated or malformed XML at line "
# Entry count, or the start of the ParseError message. Counts match SOURCES.md's observations,
# except where an entry had nothing to show (dropped) or the document is refused on purpose.
EXPECTED: dict[str, int | str] = {
    "atom_github_commits_media_thumbnail.xml": 20,
    "atom_heise_developer_de.xml": 15,
    "atom_rainmeter_forum_cdata_author.xml": 10,
    "atom_the_verge.xml": 10,
    "atom_youtube_channel_media_group.xml": 15,
    "fp_bozo_empty_document.xml": "empty document",
    "fp_bozo_http_text_plain.xml": 0,  # well-formed, just mislabelled text/plain
    "fp_bozo_incomplete_cdata.xml": TRUNCATED + "5: ",  # its one entry is empty: dropped
    "fp_bozo_koi8r_no_declaration.xml": 1,
    "fp_bozo_linenoise_utf8.xml": 1,
    "fp_bozo_unclosed_root.xml": TRUNCATED + "6: ",
    "fp_bozo_undeclared_namespace.xml": TRUNCATED + "8: unbound prefix",
    "fp_bozo_windows1255_no_declaration.xml": 1,
    # Upstream expects "not bozo"; an ENTITY declaration is refused here whatever it points at.
    "fp_doctype_external_parameter_entity.xml": ENTITIES_REFUSED,
    "fp_http_charset_overrides_xml_encoding.xml": 0,
    "fp_http_content_location_relative_description.xml": 1,
    "fp_http_etag.xml": 0,
    "fp_http_high_bit_date_iso-8859-7.xml": 0,
    "fp_http_last_modified.xml": 0,
    "fp_sanitize_script_in_cdata.xml": 1,
    "fp_utf-16le_bom.xml": 0,
    "hostile_entity_expansion_xmlbomb_defusedxml.xml": ENTITIES_REFUSED,
    "hostile_external_entity_xxe_defusedxml.xml": ENTITIES_REFUSED,
    "rss091_dival_es_iso-8859-1_no_guid_link_date.xml": 1,
    "rss091_tjrs_br_iso-8859-1_cdata.xml": 1,
    "rss1_rdf_golem_de_iso-8859-1.xml": 1,
    "rss1_rdf_orf_at_bom.xml": 50,
    "rss2_aif_ru_cyrillic_no_guid_yandex_ns.xml": 1,
    "rss2_android_authority_leading_blank_lines_bozo.xml": 1,
    "rss2_bbc_in_our_time_podcast_itunes.xml": 1,
    "rss2_breakingnews_ie_bom_stylesheet_pi.xml": 10,
    "rss2_citydog_by_bom_cyrillic_media_thumbnail.xml": 10,
    "rss2_dailymail_world_no_xml_decl_no_items.xml": 0,
    "rss2_finanzen_net_declared_latin1_actually_utf8.xml": 15,
    "rss2_google_news_be_fr_nfe5_source_element.xml": 1,
    "rss2_guardian_us_media_content_escaped_html.xml": 55,
    "rss2_ilgiornale_atom_a10_prefix.xml": 1,
    "rss2_ilmessaggero_no_xml_decl_mojibake.xml": 1,
    "rss2_inovacao_tecnologica_br_iso-8859-1.xml": 1,
    "rss2_insanity_industries_item_xml_base_relative.xml": 2,
    "rss2_jn_pt_iso-8859-1_crlf_feedburner.xml": 40,
    "rss2_kryogenix_relative_enclosure_url.xml": 1,
    "rss2_lefigaro_duplicate_guid.xml": 50,
    "rss2_lemonde_une_double_encoded_utf8.xml": 18,
    "rss2_lucasdelirium_unescaped_html_elements_in_description.xml": 1,
    "rss2_mirror_world_bom_no_xml_decl.xml": 25,
    "rss2_moscow_times_bom.xml": 50,
    "rss2_nbc_newyork_cdata_empty_description.xml": 1,
    "rss2_nyt_homepage_2017.xml": 33,
    "rss2_nyt_us_news_mojibake_monitorss.xml": 20,
    "rss2_nyt_wirecutter_content_encoded.xml": 1,
    "rss2_onethingwell_tumblr_escaped_html.xml": 20,
    "rss2_qq_news_gb2312.xml": 20,
    "rss2_relative_links_script_in_content_reader.xml": 1,
    "rss2_reuters_truncated_server_error_bozo.xml": TRUNCATED + "19: no element found",
    "rss2_reuters_world_feedburner_2018.xml": 10,
    "rss2_slickdeals_feedburner_stylesheet_pi.xml": 79,
    "rss2_yandex_news_moscow_mojibake.xml": 15,
    "rss2_zeuhl_iso-8859-1_minimal.xml": 1,
    "rss_uol_noticias_latin1_no_xml_decl.xml": 15,
}
# Items that legally carry only a description: title stays "" (the normaliser derives one).
UNTITLED = {
    "fp_bozo_linenoise_utf8.xml",
    "fp_bozo_windows1255_no_declaration.xml",
    "fp_http_content_location_relative_description.xml",
    "fp_sanitize_script_in_cdata.xml",
    "rss2_relative_links_script_in_content_reader.xml",
}


def fixture_headers(body: bytes) -> dict[str, str]:
    """The `Header:` lines of a feedparser test file's leading comment, as response headers."""
    comment = re.search(rb"<!--(.*?)-->", body[:2000], re.S)
    headers = {}
    for line in comment.group(1).decode("latin-1").splitlines() if comment else []:
        if line.startswith("Header:"):
            name, value = line.removeprefix("Header:").split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return headers


def load(name: str) -> ParsedFeed:
    body = (FIXTURES / name).read_bytes()
    headers = fixture_headers(body) if name.startswith("fp_") else {}
    return FeedparserParser().parse(body, url=BASE + name, headers=headers)


@pytest.mark.parametrize("name", FILES)
def test_every_fixture_parses_or_raises_parse_error(name: str) -> None:
    expected = EXPECTED.get(name)
    try:
        feed = load(name)
    except ParseError as error:
        assert isinstance(expected, str), f"{name}: unexpected ParseError: {error}"
        assert str(error).startswith(expected)
        return
    assert not isinstance(expected, str), f"{name}: expected ParseError {expected!r}"
    if expected is not None:
        assert len(feed.entries) == expected
    for entry in feed.entries:
        if name in UNTITLED:
            assert entry.summary.strip(), f"{name}: entry with neither title nor summary"
        else:
            assert entry.title.strip(), f"{name}: entry without a title"
        assert entry.published is None or entry.published.tzinfo is UTC
        assert entry.link is None or entry.link.startswith(("http://", "https://"))


def test_every_fixture_has_an_expectation() -> None:
    assert sorted(set(FILES) - set(EXPECTED)) == []


# -- encodings -------------------------------------------------------------------------------


def test_koi8r_without_declaration_decodes_to_cyrillic() -> None:
    feed = load("fp_bozo_koi8r_no_declaration.xml")
    assert feed.entries[0].title == "Как пережить новогоднюю ночь"
    assert feed.entries[0].summary.startswith("Наверное, единственное, во что сегодня можно")
    assert feed.bozo and feed.bozo_reason == "document declared as utf-8, but parsed as KOI8-R"


def test_windows_1255_without_declaration_decodes_to_hebrew() -> None:
    feed = load("fp_bozo_windows1255_no_declaration.xml")
    assert feed.entries[0].summary.startswith("האם תדפיס נייר של אתר אינטרנט")
    assert feed.bozo_reason == "document declared as utf-8, but parsed as Windows-1255"


def test_gb2312_qq_news_decodes_chinese() -> None:
    feed = load("rss2_qq_news_gb2312.xml")
    first = feed.entries[0]
    assert first.title == "习近平为何如此强调崇尚英雄？"
    assert first.link == "http://news.qq.com/a/20180918/009846.htm"
    assert first.guid is None
    assert first.published == datetime(2018, 9, 18, 14, 38, 10, tzinfo=UTC)  # no zone: as UTC


def test_http_charset_overrides_xml_encoding() -> None:
    body = (FIXTURES / "fp_http_charset_overrides_xml_encoding.xml").read_bytes()
    headers = fixture_headers(body)
    assert headers == {"content-type": "text/xml;charset = us-ascii"}
    feed = FeedparserParser().parse(body, url=BASE, headers=headers)
    assert not feed.bozo and feed.entries == ()
    # The same bytes with a non-ASCII title: the header's charset decides, not the declaration.
    accented = body.replace(
        b'<rss version="2.0">',
        '<rss version="2.0"><channel><item><title>Kyiv — Київ</title></item></channel>'.encode(),
    )
    utf8 = {"content-type": "text/xml; charset=utf-8"}
    assert FeedparserParser().parse(accented, url=BASE, headers=utf8).entries[0].title == (
        "Kyiv — Київ"
    )


def test_iso_8859_1_and_utf8_bom_feeds() -> None:
    assert load("rss2_zeuhl_iso-8859-1_minimal.xml").entries[0].title == "Mëkanïk Zaïn"
    assert (
        load("rss2_jn_pt_iso-8859-1_crlf_feedburner.xml")
        .entries[0]
        .title.startswith("Mãe de utente")
    )
    assert (
        load("rss2_citydog_by_bom_cyrillic_media_thumbnail.xml")
        .entries[0]
        .title.startswith("Группа «Серебряная свадьба»")
    )


# -- hostile, empty, broken ------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "hostile_entity_expansion_xmlbomb_defusedxml.xml",
        "hostile_external_entity_xxe_defusedxml.xml",
        "fp_doctype_external_parameter_entity.xml",
    ],
)
def test_hostile_documents_are_refused(name: str) -> None:
    with pytest.raises(ParseError, match=re.escape(ENTITIES_REFUSED)):
        load(name)


def test_empty_document() -> None:
    with pytest.raises(ParseError, match=r"^empty document"):
        load("fp_bozo_empty_document.xml")


def test_truncated_reuters_is_a_precise_error() -> None:
    # No item survives the cut, so there is nothing to keep: the error says where it broke.
    with pytest.raises(ParseError) as caught:
        load("rss2_reuters_truncated_server_error_bozo.xml")
    assert str(caught.value) == "truncated or malformed XML at line 19: no element found"


def test_bozo_feed_with_entries_is_kept() -> None:
    feed = load("rss2_android_authority_leading_blank_lines_bozo.xml")
    assert feed.bozo and feed.bozo_reason is not None
    assert "XML or text declaration not at start of entity" in feed.bozo_reason
    assert feed.entries[0].title.startswith("Japan’s plans for 5G")


def test_lefigaro_duplicate_guids_are_all_returned() -> None:
    guids = [e.guid for e in load("rss2_lefigaro_duplicate_guid.xml").entries]
    assert len(guids) == 50
    duplicated = {g for g in guids if guids.count(g) > 1}
    assert len(duplicated) == 1  # the parser reports what the feed says; dedupe is downstream


def test_unparseable_localised_date_is_none() -> None:
    assert load("rss2_ilmessaggero_no_xml_decl_mojibake.xml").entries[0].published is None


# -- links and HTML --------------------------------------------------------------------------


def test_relative_links_resolve_against_the_feed_url() -> None:
    name = "rss2_relative_links_script_in_content_reader.xml"
    entry = load(name).entries[0]
    assert entry.link == urljoin(BASE + name, "blog/post/1")
    assert entry.summary == f'one <a href="{urljoin(BASE + name, "target")}">two</a> three'


def test_content_location_header_is_the_base() -> None:
    entry = load("fp_http_content_location_relative_description.xml").entries[0]
    assert entry.summary == '<a href="http://example.com/relative/uri">click here</a>'


def test_item_xml_base_wins() -> None:
    entries = load("rss2_insanity_industries_item_xml_base_relative.xml").entries
    assert entries[1].link == "https://insanity.industries/post/pacman-tracking-leftover-packages/"
    assert entries[0].published == datetime(2021, 3, 2, 22, 39, 15, tzinfo=UTC)


def test_script_is_sanitised() -> None:
    assert load("fp_sanitize_script_in_cdata.xml").entries[0].summary == "safe description"
