"""The held-out split: deterministic, ~20%, stratified enough, stable when the corpus grows."""

from __future__ import annotations

import json
from pathlib import Path

from bot.classify.data import LabelledItem, is_held_out, read_corpus, split
from tests.fakes import REPO


def test_split_is_about_a_fifth_with_positives_of_each_label() -> None:
    items = read_corpus(REPO / "corpus")
    train, held = split(items)
    assert len(train) + len(held) == len(items)
    assert 0.15 < len(held) / len(items) < 0.25
    for topic in ("guarantees", "troops"):
        positives = [i for i in held if i.labels[topic]]
        negatives = [i for i in held if not i.labels[topic]]
        assert len(positives) >= 40 and len(negatives) >= 100
    assert {i.lang for i in held} >= {"en", "fr", "de", "uk", "ru", "pl"}


def test_adding_items_never_moves_existing_ones() -> None:
    items = read_corpus(REPO / "corpus")[:300]
    new = [
        LabelledItem(f"NEW-{n}", "t", "", {"guarantees": False, "troops": False}) for n in range(99)
    ]
    before = {i.id for i in split(items)[1]}
    after = {i.id for i in split([*new, *items])[1]} - {i.id for i in new}
    assert before == after
    assert [is_held_out(i.id) for i in items] == [is_held_out(i.id) for i in items]


def test_feedback_is_never_held_out() -> None:
    ids = [f"feedback:{n}" for n in range(200)]
    items = [LabelledItem(i, "t", "", {"troops": True}, origin="feedback") for i in ids]
    assert split(items)[1] == []


def test_other_datasets_in_the_folder_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text(
        json.dumps(
            {"id": "a1", "title": "t", "text": "", "labels": {"guarantees": True, "troops": False}}
        )
        + "\n"
    )
    (tmp_path / "pairs.jsonl").write_text(json.dumps({"id": "P1", "a": {}, "b": {}}) + "\n")
    assert [i.id for i in read_corpus(tmp_path)] == ["a1"]
