"""Calibration: a small logistic regression per label over the model and rule signals.

Features: the textcat's logit, the rules' score, and whether the rules saw a false friend (a cue in
a context the labels exclude, such as a loan guarantee or North Korean troops).

Fitted on out-of-fold predictions of the training split (never the held-out split) with Platt's
smoothed targets, so a score of 0.8 means roughly "8 in 10 such items are on topic". Newton's
method on three parameters is exact and deterministic, so no scikit-learn is needed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy

FEATURES: tuple[str, ...] = ("model_logit", "rule_score", "false_friend")
_CLIP = 1e-4


def model_logit(p: float) -> float:
    """log(p / (1 - p)) of a textcat probability, clipped to ±9.2."""
    p = min(max(p, _CLIP), 1 - _CLIP)
    return math.log(p / (1 - p))


@dataclass(frozen=True, slots=True)
class Calibrator:
    """P(topic | model probability, rule score) = sigmoid(w · features + b)."""

    weights: tuple[float, ...]
    bias: float
    features: tuple[str, ...] = FEATURES

    def score(self, model_p: float, rule_score: float, false_friend: bool = False) -> float:
        """Calibrated probability for one item (or one view of a long item)."""
        x = (model_logit(model_p), rule_score, float(false_friend))
        z = self.bias + sum(w * v for w, v in zip(self.weights, x, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def to_dict(self) -> dict[str, object]:
        """JSON-ready parameters."""
        return {"features": list(self.features), "weights": list(self.weights), "bias": self.bias}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Calibrator:
        """Parameters as stored in the model meta."""
        weights = data["weights"]
        features = data.get("features", list(FEATURES))
        assert isinstance(weights, list) and isinstance(features, list)
        if tuple(features) != FEATURES:
            raise ValueError(f"calibrator features {features} are not {list(FEATURES)}")
        bias = data["bias"]
        assert isinstance(bias, int | float)
        return cls(tuple(float(w) for w in weights), float(bias))


def fit(
    model_p: Sequence[float],
    rule: Sequence[float],
    false_friend: Sequence[bool],
    y: Sequence[bool],
    l2: float = 1.0,
) -> Calibrator:
    """Regularised logistic regression (Newton's method) with Platt's smoothed targets."""
    x = numpy.column_stack(
        [
            [model_logit(p) for p in model_p],
            list(rule),
            [float(f) for f in false_friend],
            numpy.ones(len(y)),
        ]
    )
    labels = numpy.asarray(y, dtype=bool)
    pos, neg = int(labels.sum()), int((~labels).sum())
    target = numpy.where(labels, (pos + 1) / (pos + 2), 1 / (neg + 2))
    theta = numpy.zeros(x.shape[1])
    penalty = numpy.full(x.shape[1], l2)
    penalty[-1] = 0.0  # the bias is not shrunk
    for _ in range(100):
        p = 1.0 / (1.0 + numpy.exp(-numpy.clip(x @ theta, -30, 30)))
        grad = x.T @ (p - target) + penalty * theta
        hess = (
            (x * (p * (1 - p))[:, None]).T @ x + numpy.diag(penalty) + 1e-9 * numpy.eye(len(theta))
        )
        step = numpy.linalg.solve(hess, grad)
        theta -= step
        if float(numpy.abs(step).max()) < 1e-10:
            break
    return Calibrator(tuple(round(float(w), 6) for w in theta[:-1]), round(float(theta[-1]), 6))


@dataclass(frozen=True, slots=True)
class Operating:
    """Precision and recall of one threshold."""

    threshold: float
    precision: float
    recall: float

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        total = self.precision + self.recall
        return 0.0 if total == 0 else 2 * self.precision * self.recall / total


def operating_point(scores: Sequence[float], y: Sequence[bool], threshold: float) -> Operating:
    """Precision and recall when labelling scores ≥ threshold positive."""
    tp = sum(1 for s, t in zip(scores, y, strict=True) if s >= threshold and t)
    fp = sum(1 for s, t in zip(scores, y, strict=True) if s >= threshold and not t)
    fn = sum(1 for s, t in zip(scores, y, strict=True) if s < threshold and t)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return Operating(threshold, precision, recall)


def choose_threshold(
    scores: Sequence[float],
    y: Sequence[bool],
    min_precision: float = 0.92,
    min_recall: float = 0.88,
) -> Operating:
    """The threshold to ship: best F1 among those meeting both targets (precision first).

    Near-best thresholds (within 0.01 F1) are equivalent on this data; the one closest to 0.5 is
    taken, so the shipped default and a plain 0.5 in the configuration rarely disagree. If no
    threshold meets both targets: the best recall at the precision target; failing that, the
    best F1 overall.
    """
    grid = [operating_point(scores, y, t / 100) for t in range(10, 91)]
    feasible = [o for o in grid if o.precision >= min_precision and o.recall >= min_recall]
    if not feasible:
        precise = [o for o in grid if o.precision >= min_precision]
        if precise:
            best_recall = max(o.recall for o in precise)
            feasible = [o for o in precise if o.recall >= best_recall - 0.005]
        else:
            feasible = grid
    best = max(o.f1 for o in feasible)
    near = [o for o in feasible if o.f1 >= best - 0.01]
    return min(near, key=lambda o: (abs(o.threshold - 0.5), o.threshold))
