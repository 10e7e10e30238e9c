"""Training is reproducible, keeps the held-out split out, and writes a loadable versioned model."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from bot.classify.data import LabelledItem, data_hash, read_corpus, split
from bot.classify.model import TrainedClassifier
from bot.classify.modeldir import read_meta
from bot.classify.train import TrainConfig, train
from bot.core.errors import ConfigError
from tests.fakes import REPO

FAST = TrainConfig(epochs=3, folds=2, length=2**16)
PROBES = [
    ("Macron: European troops could deploy to Ukraine after a ceasefire", "He spoke in Paris."),
    ("Zelensky says security guarantees must be legally binding", ""),
    ("Russian drones hit Odesa port", "Grain terminals were damaged."),
]


def _subset(n: int = 150) -> list[LabelledItem]:
    """A fixed, label-balanced subset of the corpus (every 8th item by id)."""
    items = sorted(read_corpus(REPO / "corpus"), key=lambda i: i.id)
    return items[::8][:n]


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    items = _subset()
    out = tmp_path_factory.mktemp("models")
    for name in ("a", "b"):
        train(items, out / name, config=FAST, today=date(2026, 1, 2), evaluate_held_out=False)
    return out / "a", out / "b"


def test_same_data_same_model(two_runs: tuple[Path, Path]) -> None:
    a, b = two_runs
    assert (a / "textcat_multilabel" / "model").read_bytes() == (
        b / "textcat_multilabel" / "model"
    ).read_bytes()
    meta_a, meta_b = read_meta(a), read_meta(b)
    assert meta_a == meta_b
    scores_a = [c.scores for c in TrainedClassifier(a).classify_many(PROBES)]
    scores_b = [c.scores for c in TrainedClassifier(b).classify_many(PROBES)]
    assert scores_a == scores_b


def test_meta_records_version_hash_and_split(two_runs: tuple[Path, Path]) -> None:
    meta = read_meta(two_runs[0])
    train_items, held = split(_subset())
    assert meta["version"] == f"textcat-20260102-{data_hash(train_items)[:8]}"
    assert meta["training"]["data_hash"] == data_hash(train_items)
    assert meta["training"]["items"] == len(train_items)
    assert meta["training"]["held_out_items"] == len(held)
    for topic in ("guarantees", "troops"):
        assert 0.1 <= meta["thresholds"][topic] <= 0.9
        assert set(meta["calibration"][topic]) == {"features", "weights", "bias"}


def test_held_out_never_trained_on(tmp_path: Path) -> None:
    items = _subset()
    _, held = split(items)
    # Poison the held-out items' labels: the trained weights must not change.
    flipped = [
        replace(i, labels={t: not v for t, v in i.labels.items()}) if i in held else i
        for i in items
    ]
    train(items, tmp_path / "a", config=FAST, evaluate_held_out=False)
    train(flipped, tmp_path / "b", config=FAST, evaluate_held_out=False)
    assert (tmp_path / "a" / "textcat_multilabel" / "model").read_bytes() == (
        tmp_path / "b" / "textcat_multilabel" / "model"
    ).read_bytes()


def test_feedback_changes_training_only(tmp_path: Path) -> None:
    items = _subset()
    feedback = [
        LabelledItem(
            "feedback:1",
            "Estonia offers a company of soldiers for Ukraine force",
            "",
            {"troops": True},
            origin="feedback",
        ),
    ]
    report = train(items, tmp_path / "m", feedback=feedback, config=FAST, evaluate_held_out=False)
    meta = read_meta(tmp_path / "m")
    assert report.feedback == 1 and meta["training"]["feedback_items"] == 1
    assert meta["training"]["held_out_items"] == len(split(items)[1])
    assert meta["training"]["data_hash"] != data_hash(split(items)[0])


def test_train_report_and_held_out_figures(tmp_path: Path) -> None:
    report = train(_subset(), tmp_path / "m", config=FAST, today=date(2026, 1, 2))
    text = report.summary()
    assert report.version in text and "held-out split" in text
    assert {s.system for s in report.held_out_scores} == {"trained", "rules", "keywords"}
    stored = json.loads((tmp_path / "m" / "watchbot.json").read_text())["held_out"]
    assert [s["system"] for s in stored] == ["trained", "rules", "keywords"]
    assert not (tmp_path / "m.partial").exists()


def test_corpus_errors_are_config_errors(tmp_path: Path) -> None:
    (tmp_path / "bad.jsonl").write_text('{"id": "x", "title": "t", "labels": {"troops": 1}}\n')
    with pytest.raises(ConfigError, match=r"bad.jsonl:1"):
        read_corpus(tmp_path)
    with pytest.raises(ConfigError, match=r"no \*\.jsonl"):
        read_corpus(tmp_path / "missing")
