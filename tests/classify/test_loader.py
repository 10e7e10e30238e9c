"""Choosing the classifier from the configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.classify.loader import LazyClassifier, load_classifier
from bot.classify.model import TrainedClassifier
from bot.classify.modeldir import MODEL_DIR
from bot.classify.rules import RULES_VERSION, RuleClassifier
from bot.core.errors import ConfigError

THRESHOLDS = {"guarantees": 0.5, "troops": 0.5}


def test_auto_uses_the_shipped_model() -> None:
    classifier = load_classifier("auto", THRESHOLDS)
    assert isinstance(classifier, TrainedClassifier)
    assert classifier.version.startswith("textcat-")


def test_rules_on_request() -> None:
    classifier = load_classifier("rules", {"guarantees": 0.4, "troops": 0.6})
    assert isinstance(classifier, RuleClassifier) and classifier.version == RULES_VERSION
    assert classifier.thresholds == {"guarantees": 0.4, "troops": 0.6}


def test_a_model_directory_with_config_thresholds() -> None:
    classifier = load_classifier(str(MODEL_DIR), {"guarantees": 0.7, "troops": 0.3})
    assert isinstance(classifier, TrainedClassifier)
    assert classifier.thresholds == {"guarantees": 0.7, "troops": 0.3}


def test_not_a_model_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a Watchbot model directory"):
        load_classifier(str(tmp_path), THRESHOLDS)
    with pytest.raises(ConfigError, match="not a directory"):
        load_classifier(str(tmp_path / "nope"), THRESHOLDS)
    (tmp_path / "config.cfg").write_text("[nlp]\n")
    (tmp_path / "watchbot.json").write_text("{not json")
    with pytest.raises(ConfigError, match="cannot read"):
        load_classifier(str(tmp_path), THRESHOLDS)


def test_lazy_loads_the_model_when_it_first_classifies() -> None:
    classifier = load_classifier("auto", THRESHOLDS, lazy=True)
    assert isinstance(classifier, LazyClassifier)
    assert classifier.version == TrainedClassifier(MODEL_DIR).version  # from the meta alone
    assert classifier._loaded is None
    result = classifier.classify("Macron: sending troops to Ukraine not ruled out", "")
    assert result.labels["troops"] and classifier._loaded is not None


def test_lazy_still_refuses_a_wrong_folder_at_once(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a Watchbot model directory"):
        load_classifier(str(tmp_path), THRESHOLDS, lazy=True)
