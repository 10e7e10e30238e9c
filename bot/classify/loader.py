"""Choose the classifier named in the configuration."""

from __future__ import annotations

from pathlib import Path

from bot.classify.modeldir import MODEL_DIR, is_model_dir
from bot.classify.rules import RuleClassifier
from bot.core.ports import Classifier


def load_classifier(model: str, thresholds: dict[str, float]) -> Classifier:
    """The configured classifier.

    "auto": the shipped trained model (bot/classify/model/) when present, else the rules;
    "rules": the rule classifier; anything else: the path of a model directory written by
    `watchbot train` (ConfigError when it is not one). `thresholds` override the model's defaults.
    """
    if model == "rules" or (model == "auto" and not is_model_dir(MODEL_DIR)):
        return RuleClassifier(thresholds)
    from bot.classify.model import TrainedClassifier  # loads spaCy model files: only when used

    if model == "auto":
        return TrainedClassifier(MODEL_DIR, thresholds)
    return TrainedClassifier(Path(model).expanduser(), thresholds)
