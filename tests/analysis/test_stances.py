"""Stance extraction: the four positions the seed corpus must yield, and attribution rules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.analysis.stances import RuleStanceExtractor
from bot.core.ports import Statement
from tests.analysis.seeds import seed_candidates

WHEN = datetime(2025, 3, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def extractor() -> RuleStanceExtractor:
    return RuleStanceExtractor()


def seed_statements(extractor: RuleStanceExtractor, key: str) -> list[Statement]:
    c = seed_candidates()[key]
    return extractor.extract(c.title, c.text, c.published_at)


def find(found: list[Statement], speaker: str, stance: str, topic: str) -> Statement:
    hits = [s for s in found if (s.speaker, s.stance, s.topic) == (speaker, stance, topic)]
    assert hits, [(s.speaker, s.stance, s.topic) for s in found]
    return hits[0]


def test_macron_keeps_western_troops_open_feb_2024(extractor: RuleStanceExtractor) -> None:
    s = find(seed_statements(extractor, "004"), "Emmanuel Macron", "keeps_open", "troops")
    assert s.said_at.date().isoformat() == "2024-02-26"
    assert "not ruled out" in s.sentence and s.country == "France"


def test_us_via_kirby_rules_out_us_soldiers_june_2024(extractor: RuleStanceExtractor) -> None:
    s = find(seed_statements(extractor, "003"), "John Kirby", "rules_out", "troops")
    assert s.said_at.date().isoformat() == "2024-06-07"
    assert s.on_behalf_of == "Joe Biden" and s.country == "United States"
    assert "never send American soldiers" in s.sentence


def test_starmer_requires_a_us_guarantee_feb_2025(extractor: RuleStanceExtractor) -> None:
    s = find(seed_statements(extractor, "002"), "Keir Starmer", "conditional", "guarantees")
    assert s.said_at.date().isoformat() == "2025-02-24" and "U.S. guarantee" in s.sentence


def test_kremlin_opposes_nato_troops(extractor: RuleStanceExtractor) -> None:
    s = find(seed_statements(extractor, "002"), "the Kremlin", "opposes", "troops")
    assert "objects to NATO troops" in s.sentence and s.country == "Russia"


def test_an_elysee_official_speaks_for_macron(extractor: RuleStanceExtractor) -> None:
    s = find(seed_statements(extractor, "001"), "Emmanuel Macron", "conditional", "guarantees")
    assert s.via == "An Elysee official"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # quote first, attribution last
        ("“We are not sending troops to Ukraine,” Sunak said.", ("Rishi Sunak", "rules_out")),
        # "he" continues the person of the sentence before
        (
            "Macron met army chiefs in Paris. He said France will send trainers to Ukraine.",
            ("Emmanuel Macron", "supports"),
        ),
        # a spokesperson by title: the person, not the institution
        (
            "Kremlin spokesman Dmitry Peskov said European soldiers in Ukraine would be unacceptable.",
            ("Dmitry Peskov", "opposes"),
        ),
        (
            "According to Tusk, Poland would send troops only as part of a NATO mission.",
            ("Donald Tusk", "conditional"),
        ),
        # the condition wins over the refusal it qualifies
        (
            "Tusk said Poland would not send soldiers to Ukraine unless NATO agreed.",
            ("Donald Tusk", "conditional"),
        ),
        (
            "Macron said Western troops in Ukraine could not be ruled out.",
            ("Emmanuel Macron", "keeps_open"),
        ),
    ],
)
def test_attribution_and_stance(
    extractor: RuleStanceExtractor, text: str, expected: tuple[str, str]
) -> None:
    found = extractor.extract("", text, WHEN)
    assert [(s.speaker, s.stance) for s in found][:1] == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "European leaders discussed a reassurance force for Ukraine in London.",  # nobody speaks
        "Starmer said the economy grew faster than expected.",  # off topic
        # who holds the position is unclear: Trump reports what Putin told him
        "Trump claimed that Putin told him that he would be willing to accept European troops.",
        # a narrative clause does not borrow the speaker of the next one
        "Macron is closer to a victory against the US by announcing a mission of trainers.",
    ],
)
def test_no_statement(extractor: RuleStanceExtractor, text: str) -> None:
    assert extractor.extract("", text, WHEN) == []


def test_resolve_actor_and_country_words(extractor: RuleStanceExtractor) -> None:
    assert extractor.resolve("Kirby").speakers == ("John Kirby",)
    assert extractor.resolve("the Kremlin").speakers == ("the Kremlin",)
    assert extractor.resolve("US").countries == ("United States",)
    assert extractor.resolve("United Kingdom").countries == ("United Kingdom",)
    assert extractor.resolve("France").countries == ("France",)
    assert extractor.resolve("Atlantis").empty
