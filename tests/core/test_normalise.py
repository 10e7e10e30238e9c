from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.core.models import ParsedEntry
from bot.core.normalise import canonical_url, clean_text, content_hash, normalise, url_key

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)


def entry(**kw: object) -> ParsedEntry:
    base: dict[str, object] = {
        "guid": None,
        "link": None,
        "title": "T",
        "summary": "",
        "published": None,
    }
    base.update(kw)
    return ParsedEntry(**base)  # type: ignore[arg-type]


def test_canonical_url_drops_tracking_fragment_and_default_port() -> None:
    url = "HTTPS://Example.COM:443/a/b?utm_source=x&id=3&fbclid=y&b=1#frag"
    assert canonical_url(url) == "https://example.com/a/b?b=1&id=3"


def test_relative_links_resolve_against_feed_url() -> None:
    assert canonical_url("/news/1", "https://site.org/feed.xml") == "https://site.org/news/1"


def test_unsafe_schemes_are_never_links() -> None:
    for bad in ("javascript:alert(1)", "data:text/html;base64,xx", "ftp://x/y", "  JaVaScRiPt:x"):
        assert canonical_url(bad) == ""


def test_http_and_https_share_a_key() -> None:
    assert url_key("http://www.a.org/x") == url_key("https://a.org/x")


def test_clean_text_strips_html_scripts_entities_and_controls() -> None:
    html = "<p>Macron &amp; Starmer</p><script>alert(1)</script>\x00 say&nbsp;<b>yes</b>"
    assert clean_text(html) == "Macron & Starmer say yes"
    assert clean_text("&amp;amp; double") == "& double"


def test_guid_fallbacks_link_then_hash() -> None:
    with_link = normalise(
        entry(link="https://a.org/x?utm_medium=rss"), feed_url="", source="s", now=NOW
    )
    assert with_link.guid == "url:a.org/x"
    bare = normalise(entry(title="Only a title"), feed_url="", source="s", now=NOW)
    assert bare.guid.startswith("hash:")
    assert bare.url == ""


def test_missing_or_future_dates_fall_back_to_first_seen() -> None:
    missing = normalise(entry(), feed_url="", source="s", now=NOW)
    assert missing.published_at == NOW and not missing.published_known
    future = normalise(entry(published=NOW + timedelta(days=30)), feed_url="", source="s", now=NOW)
    assert future.published_at == NOW and not future.published_known
    naive = normalise(entry(published=datetime(2025, 2, 1, 8)), feed_url="", source="s", now=NOW)
    assert naive.published_at == datetime(2025, 2, 1, 8, tzinfo=UTC) and naive.published_known


def test_content_hash_ignores_case_and_punctuation() -> None:
    assert content_hash("Macron: troops!", "x") == content_hash("macron troops", "X")


@given(
    guid=st.one_of(st.none(), st.text(max_size=50)),
    link=st.one_of(st.none(), st.text(max_size=80)),
    title=st.text(max_size=200),
    summary=st.text(max_size=500),
)
def test_normalise_never_raises_and_always_has_a_guid(
    guid: str | None, link: str | None, title: str, summary: str
) -> None:
    cand = normalise(
        entry(guid=guid, link=link, title=title, summary=summary),
        feed_url="https://feed.example/rss",
        source="s",
        now=NOW,
    )
    assert cand.guid and cand.title
    assert cand.url == "" or cand.url.startswith(("http://", "https://"))
