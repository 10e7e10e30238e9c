"""Shared fixtures: the shipped model is loaded once per test session."""

from __future__ import annotations

import pytest

from bot.classify.model import TrainedClassifier
from bot.classify.modeldir import MODEL_DIR, is_model_dir


@pytest.fixture(scope="session")
def shipped() -> TrainedClassifier:
    """The trained model committed in bot/classify/model/."""
    assert is_model_dir(MODEL_DIR), (
        "no shipped model: run `watchbot train` (bot/classify/cli.run_train)"
    )
    return TrainedClassifier(MODEL_DIR)
