"""`why` names, for every positive label, the sentence that carried it, quoted from the item."""

from __future__ import annotations

import pytest

from bot.classify.evaluate import held_out_items
from bot.classify.model import TrainedClassifier
from bot.classify.rules import compose_text
from bot.core.models import TOPICS


def _quoted(line: str) -> str:
    assert line.startswith("“") and "”" in line, line
    return line[1 : line.index("”")].removesuffix("…")


def test_every_positive_on_held_out_data_quotes_its_own_sentence(
    shipped: TrainedClassifier,
) -> None:
    items = held_out_items()
    results = shipped.classify_many([(i.title, i.text) for i in items])
    checked = 0
    for item, result in zip(items, results, strict=True):
        text = " ".join(compose_text(item.title, item.text).split())
        for topic in TOPICS:
            if result.labels[topic]:
                sentence = " ".join(_quoted(result.why[topic][0]).split())
                assert sentence and sentence in text, (item.id, topic, result.why[topic])
                checked += 1
    assert checked > 150


@pytest.mark.parametrize(
    ("title", "text", "topic", "sentence"),
    [
        (
            "",
            "wynika z dokumentów, które wyciekły do sieci. Według nich na Ukrainie przebywają "
            "brytyjscy i amerykańscy komandosi z sił specjalnych. Ministerstwo obrony nie "
            "skomentowało doniesień.",
            "troops",
            "na Ukrainie przebywają brytyjscy i amerykańscy komandosi",
        ),
        (
            "Selenskyj: Die Zukunft der Ukraine liegt in der NATO",
            "Nur ein Beitritt zum Bündnis könne das Land dauerhaft vor Russland schützen, sagte "
            "der Präsident in Kiew.",
            "guarantees",
            "Zukunft der Ukraine liegt in der NATO",
        ),
    ],
)
def test_reason_is_in_the_items_language(
    shipped: TrainedClassifier, title: str, text: str, topic: str, sentence: str
) -> None:
    result = shipped.classify(title, text)
    assert result.labels[topic], result.scores
    assert sentence in _quoted(result.why[topic][0]), result.why[topic]


def test_a_positive_too_short_for_sentences_quotes_the_item(shipped: TrainedClassifier) -> None:
    result = shipped.classify("NATO troops to Ukraine?", "")
    for topic in TOPICS:
        if result.labels[topic]:
            assert _quoted(result.why[topic][0]).startswith("NATO troops"), result.why
