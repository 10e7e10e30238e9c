"""Speed work must not change what the classifier says: a fixed sample against recorded results.

tests/data/classify_sample.jsonl holds 195 items — corpus and held-out items, seed articles and
generated long articles (bench/docgen.py as it then was) — with the labels, scores and reasons the shipped model
gave them before the classifier's bulk-speed changes (shared sentences, the item-level lexicon
gate). Scores are rounded to four places; one unit of the last place is float noise.
"""

from __future__ import annotations

import json

import pytest

from bot.classify.model import TrainedClassifier
from tests.fakes import REPO

SAMPLE = REPO / "tests" / "data" / "classify_sample.jsonl"


def _sample() -> list[dict[str, object]]:
    return [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("batch", [1, 64, 256])
def test_same_labels_scores_and_reasons(shipped: TrainedClassifier, batch: int) -> None:
    rows = _sample()
    docs = [(str(r["title"]), str(r["text"])) for r in rows]
    got = [
        c for k in range(0, len(docs), batch) for c in shipped.classify_many(docs[k : k + batch])
    ]
    assert sum(any(r["labels"].values()) for r in rows) > 50  # type: ignore[attr-defined]
    for row, c in zip(rows, got, strict=True):
        assert c.labels == row["labels"], row["id"]
        for topic, score in row["scores"].items():  # type: ignore[attr-defined]
            assert c.scores[topic] == pytest.approx(score, abs=1e-4), (row["id"], topic)
        assert c.why == row["why"], row["id"]
