"""The rule signals the trained model leans on: cues, false friends and other armies."""

from __future__ import annotations

import pytest

from bot.classify.rules import RuleClassifier, score_guarantees, score_troops


@pytest.mark.parametrize(
    "sentence",
    [
        "britain is ready to put boots on the ground in ukraine",
        "the kremlin said european peacekeepers would be legitimate targets",
        "la france pourrait envoyer des troupes au sol en ukraine",
        "tusk: nie wyślemy polskich żołnierzy na ukrainę",
    ],
)
def test_troop_cues(sentence: str) -> None:
    assert score_troops(sentence, True)[0] >= 0.5


@pytest.mark.parametrize(
    "sentence",
    [
        "russian parliament authorises use of troops in ukraine",
        "north korean soldiers fight alongside russian units in kursk",
        "the us will keep 20,000 troops in poland on nato's eastern flank",
        "ukrainian troops withdraw from avdiivka",
    ],
)
def test_other_armies(sentence: str) -> None:
    assert score_troops(sentence, True)[0] < 0.5


def test_guarantee_cues_and_false_friends() -> None:
    assert (
        score_guarantees("zelensky: nato membership is the only real security guarantee", True)[0]
        >= 0.7
    )
    assert score_guarantees("gwarancje bezpieczeństwa dla ukrainy", True)[0] >= 0.7
    assert score_guarantees("ebrd loan guarantees for ukrainian energy firms", True)[0] < 0.3
    assert (
        score_guarantees("russia demands security guarantees from the us and nato", True)[0] < 0.5
    )


def test_rule_classifier_api() -> None:
    result = RuleClassifier().classify(
        "Starmer ready to put British boots on the ground in Ukraine", ""
    )
    assert result.labels["troops"] and result.reason("troops").startswith("“")
