"""The corpus's heldout/ folder is evaluation-only: training cannot read it or be handed it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.classify.cli import run_train
from bot.classify.data import read_corpus, read_heldout, split
from bot.classify.modeldir import read_meta
from bot.classify.train import TrainConfig, train
from bot.core.errors import ConfigError
from tests.fakes import REPO

FAST = TrainConfig(epochs=2, folds=2, length=2**14)


def _row(item_id: str, title: str, guarantees: bool, troops: bool, lang: str = "en") -> str:
    labels = {"guarantees": guarantees, "troops": troops}
    record = {"id": item_id, "title": title, "text": "", "lang": lang, "labels": labels}
    return json.dumps(record, ensure_ascii=False) + "\n"


def _corpus(root: Path) -> Path:
    """A small corpus: training items at the top, evaluation-only items under heldout/."""
    rows = [
        ("Macron: European troops could deploy to Ukraine", False, True),
        ("Zelensky: security guarantees must be legally binding", True, False),
        ("Russian drones hit Odesa port", False, False),
        ("Starmer offers British peacekeepers as part of a security guarantee", True, True),
    ]
    (root / "heldout").mkdir(parents=True)
    (root / "train.jsonl").write_text(
        "".join(_row(f"T-{n}-{k}", t, g, x) for n in range(12) for k, (t, g, x) in enumerate(rows))
    )
    (root / "heldout" / "pl.jsonl").write_text(
        _row("H-1", "Tusk: polscy żołnierze nie pojadą na Ukrainę", False, True, "pl")
        + _row("H-2", "Gwarancje bezpieczeństwa dla Ukrainy w Paryżu", True, False, "pl")
    )
    return root


def test_training_reader_never_sees_the_heldout_folder(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "corpus")
    training = read_corpus(corpus)
    held = read_heldout(corpus)
    assert [i.id for i in held] == ["H-1", "H-2"]
    assert {i.origin for i in held} == {"heldout/pl"}
    assert not {i.id for i in training} & {i.id for i in held}
    with pytest.raises(ValueError, match="never reach training: H-1, H-2"):
        split([*training, *held])


def test_train_refuses_heldout_items_and_only_evaluates_them(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "corpus")
    training, held = read_corpus(corpus), read_heldout(corpus)
    with pytest.raises(ValueError, match="never reach training"):
        train([*training, *held], tmp_path / "bad", config=FAST, evaluate_held_out=False)
    with pytest.raises(ValueError, match="heldout/ folder only"):
        train(training, tmp_path / "bad", evaluation_only=training[:1], config=FAST)
    report = run_train(corpus, tmp_path / "model", store=None)
    meta = read_meta(tmp_path / "model")
    assert meta["training"]["held_out_folder_items"] == 2
    assert meta["training"]["items"] + len(split(training)[1]) == len(training)
    assert "pl " in report.held_out_table  # per-language rows include the held-out folder


def test_an_id_in_both_heldout_and_training_is_an_error(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "corpus")
    with (corpus / "heldout" / "pl.jsonl").open("a") as f:
        f.write(_row("T-0-0", "copy of a training item", False, True))
    with pytest.raises(ConfigError, match="duplicate item id 'T-0-0'"):
        read_heldout(corpus)


def test_shipped_corpus_keeps_heldout_apart_with_40_items_per_language() -> None:
    training = read_corpus(REPO / "corpus")
    held = read_heldout(REPO / "corpus")
    texts = {(i.title.strip(), i.text.strip()) for i in training}
    assert not [i.id for i in held if (i.title.strip(), i.text.strip()) in texts]
    per_lang = {lang: sum(1 for i in held if i.lang == lang) for lang in {i.lang for i in held}}
    assert set(per_lang) == {"en", "fr", "de", "pl", "uk", "ru"}, per_lang
    assert min(per_lang.values()) >= 40, per_lang


def _words(title: str, text: str) -> frozenset[str]:
    return frozenset(re.findall(r"\w+", f"{title} {text}".lower()))


def test_no_heldout_item_is_a_near_duplicate_of_a_training_item() -> None:
    training = [_words(i.title, i.text) for i in read_corpus(REPO / "corpus")]
    near = []
    for item in read_heldout(REPO / "corpus"):
        words = _words(item.title, item.text)
        if any(len(words & w) > 0.5 * len(words | w) for w in training):
            near.append(item.id)
    assert near == []
