"""Long articles become headline-sized views; a passing mention does not carry an article."""

from __future__ import annotations

import pytest

from bot.classify.calibrate import Calibrator, choose_threshold, fit, operating_point
from bot.classify.model import TrainedClassifier
from bot.classify.signals import PASSAGE_CHARS, SHORT_CHARS, analyse, best_sentence, combine

FILLER = [
    "Officials met in the capital on Tuesday to discuss the budget for next year.",
    "The finance minister said revenues had held up better than expected.",
    "Opposition deputies criticised the spending plans as unrealistic.",
    "Analysts expect inflation to ease slowly over the coming months.",
    "The central bank left its key rate unchanged at its last meeting.",
    "Farmers complained about the cost of fuel and fertiliser.",
]


def test_combine() -> None:
    assert combine([0.8]) == 0.8
    assert combine([0.9, 0.1]) == 0.9  # the lede decides
    assert combine([0.05, 0.95]) == 0.475  # one deep passage: half
    assert combine([0.05, 0.95, 0.9]) == 0.9  # two passages agree


def test_short_items_are_one_view(shipped: TrainedClassifier) -> None:
    [sig] = analyse(
        shipped.nlp, [("Macron: troops to Ukraine not ruled out", "He spoke in Paris.")]
    )
    assert len(sig.views["troops"]) == 1 and sig.views["troops"][0].lede


def test_long_article_views(shipped: TrainedClassifier) -> None:
    body = " ".join(FILLER * 3) + (
        " Separately, Macron said Western troops could be sent to Ukraine to secure a ceasefire."
    )
    [sig] = analyse(shipped.nlp, [("Parliament debates the budget", body)])
    views = sig.views["troops"]
    assert len(body) > SHORT_CHARS and len(views) == 2
    assert views[0].lede and not views[1].lede
    assert "Western troops" in views[1].text and views[1].text.startswith("Parliament debates")
    assert all(len(v.text) <= PASSAGE_CHARS + 200 for v in views)
    # One on-topic sentence deep in a budget story is a passing mention.
    result = shipped.classify("Parliament debates the budget", body)
    assert not result.labels["troops"]
    assert 0.2 < result.scores["troops"] < 0.5
    assert "Western troops" in result.reason("troops")


def test_best_sentence_when_rules_are_silent(shipped: TrainedClassifier) -> None:
    [sig] = analyse(
        shipped.nlp,
        [
            (
                "Budget talks continue",
                "Officials met on Tuesday. Kyiv wants binding promises from partners that would "
                "survive any ceasefire, the foreign minister said.",
            )
        ],
    )
    found = best_sentence(shipped.nlp, sig.doc, "guarantees")
    assert found is not None
    span, p = found
    assert "binding promises" in span.text and 0.0 <= p <= 1.0


def test_calibrator_fit_is_monotonic_and_serialisable() -> None:
    model_p = [0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 0.9, 0.95] * 5
    rule = [0.0, 0.0, 0.3, 0.4, 0.3, 0.7, 0.9, 0.99] * 5
    gold = [False, False, False, True, False, True, True, True] * 5
    cal = fit(model_p, rule, [False] * len(gold), gold)
    assert all(w > 0 for w in cal.weights[:2])
    assert cal.score(0.9, 0.9) > cal.score(0.5, 0.5) > cal.score(0.1, 0.0)
    assert Calibrator.from_dict(cal.to_dict()) == cal
    with pytest.raises(ValueError):
        Calibrator.from_dict({"features": ["x"], "weights": [1.0], "bias": 0.0})


def test_threshold_choice_meets_targets_when_possible() -> None:
    scores = [i / 100 for i in range(100)]
    gold = [s >= 0.42 for s in scores]
    chosen = choose_threshold(scores, gold)
    point = operating_point(scores, gold, chosen.threshold)
    assert point.precision >= 0.92 and point.recall >= 0.88
    assert abs(chosen.threshold - 0.42) <= 0.05
