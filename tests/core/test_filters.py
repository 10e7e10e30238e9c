"""Channel filters as data: parsing, MonitoRSS semantics, any script, hostile patterns, limits."""

from __future__ import annotations

import pytest

from bot.core.filters import (
    MAX_PATTERN,
    MAX_RULES,
    ChannelFilter,
    FilterError,
    FilterRule,
    FilterSubject,
    check_rules,
    parse_rule,
    rule_from_dict,
    rule_to_dict,
    use_regex_engine,
)
from bot.patterns import Re2Engine


@pytest.fixture(autouse=True)
def re2_engine() -> None:
    """RE2, as the composition root installs it (bot.config)."""
    use_regex_engine(Re2Engine())


def verdict(
    rules: list[str], title: str, text: str = "", **feed: object
) -> tuple[bool, int | None]:
    v = ChannelFilter([parse_rule(r) for r in rules]).verdict(
        FilterSubject(title=title, text=text, **feed)  # type: ignore[arg-type]
    )
    return v.passed, v.rule


# --- parsing -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("include nato troops", FilterRule("include", "nato troops")),
        ("EXCLUDE  sport   in:TITLE", FilterRule("exclude", "sport", scope="title")),
        (
            r"include /\bUK\b|Britain/ in:text",
            FilterRule("include", r"\bUK\b|Britain", True, "text"),
        ),
        ("include /a/b/", FilterRule("include", "a/b", regex=True)),
        (
            'exclude /x/ tag:"Eastern Europe" feed:https://kyiv.example/rss/',
            FilterRule(
                "exclude", "x", True, tag="Eastern Europe", feed="https://kyiv.example/rss/"
            ),
        ),
        ("include 'quoted' words", FilterRule("include", "'quoted' words")),
    ],
)
def test_rules_parse_and_describe_themselves_back(text: str, rule: FilterRule) -> None:
    assert parse_rule(text) == rule
    assert parse_rule(rule.describe()) == rule
    assert rule_from_dict(rule_to_dict(rule)) == rule


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("allow troops", "a rule starts with include or exclude, not “allow”"),
        ("include", "a rule needs words or a /REGEX/"),
        ("include in:title", "a rule needs words or a /REGEX/"),
        ("include troops in:body", "unknown scope `in:body`; use in:title or in:text"),
        ("include troops in:title in:text", "`in:` is given twice"),
        ("include /troops", "no closing slash"),
        ("include //", "the regular expression between the slashes is empty"),
        ("include /(troops/", "/(troops/ is not a usable regular expression: missing )"),
        (r"include /(a)\1/", "is not a usable regular expression"),
        ("include /(?=x)y/", "no look-around or back-references"),
        ("include /" + "a" * (MAX_PATTERN + 1) + "/", f"{MAX_PATTERN} at most"),
        ("include " + " ".join(f"w{n}" for n in range(13)), "12 words at most"),
        ("include x tag:" + "t" * 201, "`tag:` needs a value of 1 to 200 characters"),
    ],
)
def test_bad_rules_say_precisely_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(FilterError) as caught:
        parse_rule(text)
    assert message in str(caught.value)


def test_a_channel_takes_a_bounded_number_of_rules() -> None:
    rules = [FilterRule("exclude", f"w{n}") for n in range(MAX_RULES)]
    check_rules(rules)
    with pytest.raises(FilterError, match=f"{MAX_RULES} filter rules at most"):
        check_rules([*rules, FilterRule("exclude", "one more")])


def test_without_an_engine_a_regex_rule_is_refused_and_word_rules_still_work(
    re2_engine: None,
) -> None:
    from bot.core import filters

    saved = list(filters._engine)
    filters._engine.clear()
    try:
        with pytest.raises(FilterError, match="regular expressions are not available"):
            parse_rule("include /troops?/")
        assert verdict(["include troops"], "Troops arrive") == (True, 1)
    finally:
        filters._engine[:] = saved


def test_an_expression_too_big_for_re2_s_memory_cap_is_refused() -> None:
    with pytest.raises(FilterError, match="not a usable regular expression"):
        parse_rule("include /" + "(?:[a-z]{1,100}){1,100}" + "/")


# --- semantics ------------------------------------------------------------------------------


def test_without_rules_everything_passes() -> None:
    assert verdict([], "Anything") == (True, None)


def test_exclude_wins_over_include() -> None:
    rules = ["include troops", "exclude opinion"]
    assert verdict(rules, "Opinion: troops to Ukraine") == (False, 2)
    assert verdict(rules, "Troops to Ukraine") == (True, 1)
    assert verdict(rules, "Grain exports") == (False, None)  # includes exist, none matched


def test_any_include_is_enough() -> None:
    rules = ["include troops", "include guarantees"]
    assert verdict(rules, "Security guarantees") == (True, 2)


def test_words_are_whole_all_of_them_and_case_insensitive() -> None:
    assert verdict(["include british troops"], "TROOPS, said the British") == (True, 1)
    assert verdict(["include british troops"], "British soldiers") == (False, None)
    assert verdict(["include troop"], "Troops deploy") == (False, None)  # whole words only
    assert verdict(["exclude sport"], "Transport ministers meet") == (True, None)


def test_words_in_cyrillic_and_polish_with_any_case_and_form() -> None:
    assert verdict(["include війська"], "Війська коаліції в Україні") == (True, 1)
    assert verdict(["include ВОЙСКА"], "войска НАТО") == (True, 1)
    assert verdict(["include żołnierze"], "ŻOŁNIERZE z Polski") == (True, 1)
    # The same letter composed or decomposed (ż as z + combining dot above) is one word.
    assert verdict(["include żołnierze"], "z\u0307ołnierze") == (True, 1)
    assert verdict(["include zolnierze"], "żołnierze") == (False, None)


def test_regex_is_case_insensitive_unless_asked_and_reaches_unicode() -> None:
    assert verdict(["include /troops?/"], "TROOP move") == (True, 1)
    assert verdict(["include /(?-i:NATO)/"], "nato summit") == (False, None)
    assert verdict(["include /військ\\w*/"], "ВІЙСЬКОВІ") == (True, 1)


def test_scope_looks_in_the_title_or_the_text_only() -> None:
    assert verdict(["exclude opinion in:title"], "Troops", "an opinion piece") == (True, None)
    assert verdict(["exclude opinion in:text"], "Opinion", "troops") == (True, None)
    assert verdict(["exclude opinion in:text"], "Troops", "an opinion piece") == (False, 1)
    assert verdict(["exclude opinion"], "Troops", "an opinion piece") == (False, 1)


def test_tag_and_feed_rules_apply_only_to_their_feeds() -> None:
    rules = ["include troops tag:russia", "exclude podcast feed:Kyiv Wire"]
    russian = {"tags": ("Russia",), "feed_name": "Meduza", "feed_url": "https://meduza.example/"}
    kyiv = {"feed_name": "kyiv wire", "feed_url": "https://kyiv.example/rss"}
    assert verdict(rules, "Troops", **russian) == (True, 1)
    assert verdict(rules, "Grain", **russian) == (False, None)
    assert verdict(rules, "Grain", **kyiv) == (True, None)  # the include is not for this feed
    assert verdict(["exclude podcast feed:Kyiv"], "Podcast", **kyiv) == (True, None)
    assert verdict(['exclude podcast feed:"Kyiv Wire"'], "Podcast", **kyiv) == (False, 1)
    by_url = ["exclude podcast feed:https://kyiv.example/rss/"]
    assert verdict(by_url, "Podcast", **kyiv) == (False, 1)  # a trailing slash is the same URL
    assert verdict(["exclude podcast feed:Reuters"], "Podcast", source="Reuters") == (False, 1)


def test_the_verdict_names_the_deciding_rule() -> None:
    flt = ChannelFilter([parse_rule("include troops"), parse_rule("exclude /op-?ed/ in:title")])
    held = flt.verdict(FilterSubject("Op-ed: troops", ""))
    assert held.reason == "held back by filter #2 `exclude /op-?ed/ in:title`"
    let = flt.verdict(FilterSubject("Troops", ""))
    assert let.reason == "let through by filter #1 `include troops`"
    none = flt.verdict(FilterSubject("Grain", ""))
    assert none.reason == "held back: no include filter (#1) matched"


# --- hostile input ----------------------------------------------------------------------------


def test_catastrophic_backtracking_patterns_match_in_linear_time() -> None:
    """Patterns that take exponential time with backtracking engines ((a+)+$ on aaaa…b) are
    answered at once by RE2; with stdlib `re` this input would not finish. No timing here: the
    assertion is that it finishes (the suite's timeout would fail it) with the right answer."""
    hostile = "a" * 50_000 + "!"
    for pattern in ("^(a+)+$", "^(a|aa)+$", "^(a|a?)+$", "^(.*a){20}$"):
        assert verdict([f"include /{pattern}/ in:title"], hostile) == (False, None)


def test_huge_item_text_with_many_rules() -> None:
    rules = [f"exclude /w{n}x+y/" for n in range(MAX_RULES - 1)] + ["include needle"]
    text = "word " * 200_000 + "needle"
    assert verdict(rules, "t", text) == (True, MAX_RULES)
