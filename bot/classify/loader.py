"""Choose the classifier named in the configuration."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.classify.modeldir import MODEL_DIR, is_model_dir, read_meta
from bot.classify.rules import RuleClassifier
from bot.core.models import Classification
from bot.core.ports import Classifier

if TYPE_CHECKING:
    from bot.classify.model import TrainedClassifier


def load_classifier(model: str, thresholds: dict[str, float], *, lazy: bool = False) -> Classifier:
    """The configured classifier.

    "auto": the shipped trained model (bot/classify/model/) when present, else the rules;
    "rules": the rule classifier; anything else: the path of a model directory written by
    `watchbot train` (ConfigError when it is not one). `thresholds` override the model's defaults.
    `lazy`: check the model directory now, load spaCy and the model when it first classifies.
    """
    if model == "rules" or (model == "auto" and not is_model_dir(MODEL_DIR)):
        return RuleClassifier(thresholds)
    model_dir = MODEL_DIR if model == "auto" else Path(model).expanduser()
    if lazy:
        return LazyClassifier(model_dir, thresholds)
    from bot.classify.model import TrainedClassifier  # loads spaCy model files: only when used

    return TrainedClassifier(model_dir, thresholds)


class LazyClassifier:
    """The trained classifier, loaded when it first classifies.

    Commands that classify nothing (`feed add`, `status`, `why`, `digest`) answer without the
    second it takes to import spaCy and load the model; the folder and its meta are read at once,
    so a wrong `classifier.model` still fails at start-up with its one-line message.
    """

    def __init__(self, model_dir: Path, thresholds: dict[str, float]) -> None:
        self._meta: dict[str, Any] = read_meta(model_dir)
        self._model_dir = model_dir
        self._thresholds = thresholds
        self._loaded: TrainedClassifier | None = None

    @property
    def version(self) -> str:
        """The model's version, from its meta (no loading needed)."""
        return str(self._meta["version"])

    def load(self) -> TrainedClassifier:
        """The loaded classifier (loading it the first time)."""
        if self._loaded is None:
            from bot.classify.model import TrainedClassifier

            self._loaded = TrainedClassifier(self._model_dir, self._thresholds)
        return self._loaded

    def classify(self, title: str, text: str) -> Classification:
        """Classify one item."""
        return self.load().classify(title, text)

    def classify_many(self, docs: Sequence[tuple[str, str]]) -> list[Classification]:
        """Classify items in one batch."""
        return self.load().classify_many(docs)
