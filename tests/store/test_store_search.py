"""Full-text search: every word required, newest first, and hostile input never raises."""

from __future__ import annotations

import pytest

from bot.store.search import fts5_query
from bot.store.sql import SqlStore
from tests.store.store_builders import add_feed, at, candidate, poll

HOSTILE = [
    '"foo AND (',
    "NEAR/",
    "NEAR/3 foo",
    "foo NEAR(bar",
    '"',
    '""',
    "(",
    ")",
    "*",
    "foo*",
    "^foo",
    "AND",
    "OR NOT",
    "-foo",
    "title:foo",
    "{title summary}: foo",
    "'; DROP TABLE items; --",
    "foo & | ! <-> bar",
    ":*",
    "\\",
    "%_",
    "",
    "   ",
    "Київ — 🇺🇦 «гарантії»",
]


@pytest.fixture
def corpus(store: SqlStore) -> dict[str, int]:
    feed = add_feed(store)
    texts = {
        "old": ("Foo and bar agreement", "Security guarantees for Ukraine", at(0)),
        "mid": ("Troops deployment", "Foo troops to the border", at(10)),
        "new": ("Unrelated weather", "Sunny with rain later", at(20)),
        "uk": ("Гарантії безпеки", "Київ обговорює", at(5)),
    }
    ids = poll(
        store,
        feed,
        [candidate(k, title=t, summary=s, published_at=p) for k, (t, s, p) in texts.items()],
    )
    return dict(zip(texts, ids, strict=True))


def test_search_requires_every_word_newest_first(store: SqlStore, corpus: dict[str, int]) -> None:
    assert [i.id for i in store.search("foo")] == [corpus["mid"], corpus["old"]]
    assert [i.id for i in store.search("FOO troops")] == [corpus["mid"]]
    assert [i.id for i in store.search("foo", limit=1)] == [corpus["mid"]]
    assert [i.id for i in store.search("guarantees ukraine")] == [corpus["old"]]
    assert [i.id for i in store.search("київ")] == [corpus["uk"]]
    assert store.search("absent") == []
    found = store.search("weather")
    assert found[0].classification is not None


@pytest.mark.parametrize("query", HOSTILE)
def test_search_never_raises_on_query_syntax(
    store: SqlStore, corpus: dict[str, int], query: str
) -> None:
    results = store.search(query)
    assert isinstance(results, list)
    assert store.stats().items == 4  # and certainly dropped nothing


def test_search_syntax_characters_are_plain_text(store: SqlStore, corpus: dict[str, int]) -> None:
    assert [i.id for i in store.search('"foo AND (')] == [corpus["old"]]
    assert [i.id for i in store.search("foo*")] == [corpus["mid"], corpus["old"]]


def test_fts5_query_quotes_every_term() -> None:
    assert fts5_query('"foo AND (') == '"""foo" "AND"'
    assert fts5_query("NEAR/3 x") == '"NEAR/3" "x"'
    assert fts5_query("( ) *") is None
