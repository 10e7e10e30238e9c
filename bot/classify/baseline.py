"""Keyword baseline: the filter a MonitoRSS user would write, for evaluation only.

"Topic word AND Ukraine word" per label, in the corpus languages, case-insensitive, over title and
text. It shows how much the trained classifier adds over what people already do with feed filters.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.core.models import TOPICS, Classification

BASELINE_VERSION = "keywords-1"

UKRAINE_WORDS = re.compile(r"ukrain|kyiv|kiev|kijów|kijow|kiew|україн|украин|київ|киев", re.I)
TOPIC_WORDS = {
    "guarantees": re.compile(
        r"guarantee|security assurance|garantie|gwarancj|гаранті|гаранти", re.I
    ),
    "troops": re.compile(
        r"\btroops?\b|\bsoldiers\b|peacekeep|boots on the ground|troupes|soldats|truppen|soldaten"
        r"|війська|військов|миротвор|войска|wojsk|żołnierz",
        re.I,
    ),
}


class KeywordClassifier:
    """Scores 1.0 when a topic keyword and a Ukraine keyword both occur, else 0.0."""

    @property
    def version(self) -> str:
        """Baseline version."""
        return BASELINE_VERSION

    def classify(self, title: str, text: str) -> Classification:
        """Classify one item."""
        full = f"{title}\n{text}"
        ukraine = bool(UKRAINE_WORDS.search(full))
        labels = {t: ukraine and bool(TOPIC_WORDS[t].search(full)) for t in TOPICS}
        why = {
            t: [f"keywords: {TOPIC_WORDS[t].search(full).group(0)!r} + Ukraine"]  # type: ignore[union-attr]
            if labels[t]
            else []
            for t in TOPICS
        }
        scores = {t: 1.0 if labels[t] else 0.0 for t in TOPICS}
        return Classification(scores=scores, labels=labels, why=why, model_version=self.version)

    def classify_many(self, docs: Sequence[tuple[str, str]]) -> list[Classification]:
        """Classify items one by one (regexes only)."""
        return [self.classify(title, text) for title, text in docs]
