"""The trained classifier: textcat probability + rule signals → calibrated score, with reasons."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span

import bot.classify.features  # noqa: F401  (registers the textcat architecture before loading)
from bot.classify.calibrate import Calibrator
from bot.classify.gazetteer import entity_patterns, load_actors
from bot.classify.modeldir import MODEL_DIR, read_meta
from bot.classify.rules import RULES_VERSION, Evidence
from bot.classify.signals import TEXTCAT, Signals, analyse, best_sentence, combine
from bot.core.errors import ConfigError
from bot.core.models import TOPICS, Classification

_MAX_REASONS = 3
log = logging.getLogger("watchbot.classify")


def load_pipeline(model_dir: Path) -> Language:
    """The saved spaCy pipeline, its textcat disabled in the pipe run (signals calls it)."""
    try:
        nlp = spacy.load(model_dir)
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(
            f"classifier.model: cannot load the spaCy pipeline in {model_dir}: {exc}"
        ) from None
    if TEXTCAT not in nlp.component_names or "entity_ruler" not in nlp.component_names:
        raise ConfigError(f"classifier.model: {model_dir} has no {TEXTCAT} and entity_ruler")
    if TEXTCAT in nlp.pipe_names:
        nlp.disable_pipe(TEXTCAT)
    # Actors come from the gazetteer as it is now, so aliases added there show up in reasons
    # without retraining (they never change a score).
    ruler = nlp.get_pipe("entity_ruler")
    ruler.clear()  # type: ignore[attr-defined]
    ruler.add_patterns(entity_patterns(load_actors()))  # type: ignore[attr-defined]
    return nlp


class TrainedClassifier:
    """Calibrated per-label scores from the trained textcat and the rules; reasons per topic."""

    def __init__(
        self,
        model_dir: Path = MODEL_DIR,
        thresholds: dict[str, float] | None = None,
        *,
        ner_model: str | None = None,
    ) -> None:
        started = time.perf_counter()
        self.model_dir = model_dir
        self.meta: dict[str, Any] = read_meta(model_dir)
        self.nlp = load_pipeline(model_dir)
        try:
            self.calibrators = {
                t: Calibrator.from_dict(self.meta["calibration"][t]) for t in TOPICS
            }
        except (KeyError, ValueError, AssertionError) as exc:
            raise ConfigError(f"classifier.model: bad calibration in {model_dir}: {exc}") from None
        self.default_thresholds = {t: float(self.meta["thresholds"][t]) for t in TOPICS}
        self.thresholds = {**self.default_thresholds, **(thresholds or {})}
        self.ner = _optional_ner(ner_model)
        trained_with = self.meta.get("training", {}).get("rules")
        if trained_with and trained_with != RULES_VERSION:
            # The calibrators weigh rule scores as they were at training time.
            log.warning(
                "classifier.rules_changed",
                extra={"model": self.version, "trained_with": trained_with, "now": RULES_VERSION},
            )
        self.load_seconds = time.perf_counter() - started

    @property
    def version(self) -> str:
        """Model version recorded with every classification, e.g. textcat-20260123-1a2b3c4d."""
        return str(self.meta["version"])

    def classify(self, title: str, text: str) -> Classification:
        """Classify one item."""
        return self.classify_many([(title, text)])[0]

    def classify_many(self, docs: Sequence[tuple[str, str]]) -> list[Classification]:
        """Classify items in one batch."""
        return [self._classification(s) for s in analyse(self.nlp, docs)]

    def score(self, signals: Signals, topic: str) -> float:
        """Calibrated probability that the item is on `topic` (views combined for long items)."""
        cal = self.calibrators[topic]
        views = signals.views[topic]
        scores = [cal.score(v.model, v.rule, v.false_friend) for v in views]
        return round(combine(scores, signals.headline), 4)

    def _classification(self, signals: Signals) -> Classification:
        scores = {t: self.score(signals, t) for t in TOPICS}
        labels = {t: scores[t] >= self.thresholds[t] for t in TOPICS}
        why = {t: self._reasons(signals, t, scores[t], labels[t]) for t in TOPICS}
        return Classification(scores=scores, labels=labels, why=why, model_version=self.version)

    def _reasons(self, signals: Signals, topic: str, score: float, positive: bool) -> list[str]:
        found = list(signals.found[topic])
        if positive and not found:
            # Every positive names the sentence that carried it, quoted as the item wrote it:
            # the rules' strongest sentence, else the one the textcat scores highest, else (an
            # item too short to have sentences) the item's own text.
            best = best_sentence(self.nlp, signals.doc, topic)
            if best is not None:
                span, p = best
                found = [Evidence(p, span.text.strip(), (), _span_actors(span))]
            elif signals.doc.text.strip():
                text = signals.doc.text.strip()
                found = [Evidence(score, text, (), _span_actors(signals.doc[:]))]
        fallback = self._doc_actors(signals.doc)
        lines = [
            (replace(e, actors=fallback) if not e.actors and fallback else e).explain()
            for e in found[: _MAX_REASONS - 1]
        ]
        if not positive and signals.lookalikes[topic] and len(lines) < _MAX_REASONS - 1:
            lookalike = signals.lookalikes[topic][0]
            lookalike = lookalike if len(lookalike) <= 160 else lookalike[:157] + "…"
            lines.append(f"“{lookalike}” looks on topic but matches a known false friend")
        lines.append(self._summary(signals, topic, score, positive))
        return lines

    def _summary(self, signals: Signals, topic: str, score: float, positive: bool) -> str:
        """The numbers: calibrated score against the threshold, and the signals behind it."""
        views = signals.views[topic]
        view = max(views, key=lambda v: (v.model, v.rule))
        side = "above" if positive else "below"
        line = (
            f"score {score:.2f} ({side} {self.thresholds[topic]:.2f}): "
            f"model {view.model:.2f}, rules {view.rule:.2f}"
        )
        if len(views) > 1:
            line += f" in the strongest of {len(views)} passages"
        return line

    def _doc_actors(self, doc: Doc) -> tuple[str, ...]:
        """The item's actors (gazetteer first, then the optional NER), for sentences naming none."""
        names = [e.ent_id_ or e.text for e in doc.ents]
        if self.ner is not None and not names:
            names = [e.text for e in self.ner(doc.text[:2000]).ents if e.label_ in _NER_LABELS]
        return tuple(dict.fromkeys(names))[:3]


_NER_LABELS = frozenset({"PERSON", "ORG", "GPE", "NORP"})


def _span_actors(span: Span) -> tuple[str, ...]:
    return tuple(dict.fromkeys(e.ent_id_ or e.text for e in span.ents))[:4]


def _optional_ner(name: str | None) -> Language | None:
    """An installed pretrained spaCy model used only to name actors outside the gazetteer."""
    if name is None:
        return None
    if not spacy.util.is_package(name):
        raise ConfigError(
            f"classifier: spaCy model {name!r} is not installed; install it "
            f"(python -m spacy download {name}) or leave it out — it is optional"
        )
    return spacy.load(name, exclude=["parser", "lemmatizer", "textcat", "tagger"])
