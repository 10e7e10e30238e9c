"""Evaluation: precision, recall and F1 per label for the trained model, the rules and keywords.

On the corpus's held-out data — the evaluation-only `heldout/` folder plus the hash split of the
training files (`data.is_held_out`), neither of which training ever sees — or on any JSON-lines
file with gold labels. Figures per label, and per language and label, since a miss in a
non-English source is the one a monitoring desk needs most.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.classify.baseline import KeywordClassifier
from bot.classify.data import (
    LabelledItem,
    is_held_out_file_item,
    read_corpus,
    read_heldout,
    read_jsonl,
    split,
)
from bot.classify.modeldir import MODEL_DIR, is_model_dir, read_meta
from bot.classify.rules import RuleClassifier
from bot.core.models import TOPICS
from bot.core.ports import Classifier

CORPUS_DIR = Path(__file__).resolve().parents[2] / "corpus"


@dataclass(frozen=True, slots=True)
class LabelScores:
    """Confusion counts of one label."""

    topic: str
    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def precision(self) -> float:
        """tp / (tp + fp); 1.0 when nothing was predicted positive."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        """tp / (tp + fn); 1.0 when there are no positives."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True, slots=True)
class SystemScores:
    """One classifier's scores on one evaluation set."""

    system: str  # "trained", "rules", "keywords"
    version: str
    items: int
    labels: tuple[LabelScores, ...]
    items_per_second: float
    by_lang: dict[str, tuple[LabelScores, ...]] = field(default_factory=dict)
    by_source: dict[str, tuple[LabelScores, ...]] = field(default_factory=dict)

    def label(self, topic: str) -> LabelScores:
        """The scores of `topic`."""
        return next(s for s in self.labels if s.topic == topic)

    def lang_label(self, lang: str, topic: str) -> LabelScores:
        """The scores of `topic` on the items in `lang`."""
        return next(s for s in self.by_lang[lang] if s.topic == topic)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready figures (for watchbot.json and benchmarks)."""
        return {
            "system": self.system,
            "version": self.version,
            "items": self.items,
            **{s.topic: _figures(s) for s in self.labels},
            "by_lang": {
                lang: {s.topic: _figures(s) for s in scores}
                for lang, scores in self.by_lang.items()
            },
        }


def _figures(s: LabelScores) -> dict[str, float | int]:
    return {
        "precision": round(s.precision, 4),
        "recall": round(s.recall, 4),
        "f1": round(s.f1, 4),
        "tp": s.tp,
        "fp": s.fp,
        "fn": s.fn,
        "tn": s.tn,
    }


def _count(pairs: Sequence[tuple[dict[str, bool], dict[str, bool]]]) -> tuple[LabelScores, ...]:
    """Confusion counts per label of (predicted labels, gold labels) pairs."""
    scores = []
    for t in TOPICS:
        hits = [(p[t], g[t]) for p, g in pairs if t in g]
        scores.append(
            LabelScores(
                topic=t,
                tp=sum(1 for p, g in hits if p and g),
                fp=sum(1 for p, g in hits if p and not g),
                fn=sum(1 for p, g in hits if not p and g),
                tn=sum(1 for p, g in hits if not p and not g),
            )
        )
    return tuple(scores)


def source_of(item: LabelledItem) -> str:
    """Which held-out set an item belongs to: the `heldout/` folder or the hash split."""
    return "heldout/" if is_held_out_file_item(item) else "split"


def score_system(name: str, classifier: Classifier, items: Sequence[LabelledItem]) -> SystemScores:
    """Run `classifier` over `items` and count hits per label, per language and per source."""
    started = time.perf_counter()
    results = classifier.classify_many([(i.title, i.text) for i in items])
    elapsed = time.perf_counter() - started
    pairs = [(r.labels, i.labels) for r, i in zip(results, items, strict=True)]

    def group(key: Callable[[LabelledItem], str]) -> dict[str, tuple[LabelScores, ...]]:
        keys = sorted({key(i) for i in items})
        return {
            k: _count([pair for pair, i in zip(pairs, items, strict=True) if key(i) == k])
            for k in keys
        }

    return SystemScores(
        system=name,
        version=classifier.version,
        items=len(items),
        labels=_count(pairs),
        items_per_second=len(items) / elapsed if elapsed > 0 else 0.0,
        by_lang=group(lambda i: i.lang),
        by_source=group(source_of),
    )


def compare(
    items: Sequence[LabelledItem],
    model_dir: Path | None = MODEL_DIR,
    thresholds: dict[str, float] | None = None,
) -> list[SystemScores]:
    """Trained model (when `model_dir` holds one), rules and keyword baseline on `items`."""
    from bot.classify.model import TrainedClassifier  # spaCy model loading only when needed

    systems: list[tuple[str, Classifier]] = []
    if model_dir is not None and is_model_dir(model_dir):
        systems.append(("trained", TrainedClassifier(model_dir, thresholds)))
    elif model_dir is not None and model_dir != MODEL_DIR:
        read_meta(model_dir)  # raises ConfigError saying what is wrong with the folder
    systems += [("rules", RuleClassifier()), ("keywords", KeywordClassifier())]
    return [score_system(name, clf, items) for name, clf in systems]


def held_out_items(corpus_dir: Path = CORPUS_DIR) -> list[LabelledItem]:
    """All held-out data: the `heldout/` folder, then the hash split of the training files."""
    return [*read_heldout(corpus_dir), *split(read_corpus(corpus_dir))[1]]


def evaluate_held_out(
    corpus_dir: Path = CORPUS_DIR, model_dir: Path | None = MODEL_DIR
) -> list[SystemScores]:
    """The three systems on the corpus's held-out data (`held_out_items`)."""
    return compare(held_out_items(corpus_dir), model_dir)


def evaluate_file(path: Path, model_dir: Path | None = MODEL_DIR) -> list[SystemScores]:
    """The three systems on a JSON-lines file of gold-labelled items."""
    return compare(read_jsonl(path), model_dir)


def format_table(scores: Sequence[SystemScores], title: str = "") -> str:
    """Plain-text table: one row per system and label with P, R, F1 and counts."""
    header = (
        f"{'system':<9} {'label':<11} {'P':>6} {'R':>6} {'F1':>6} {'tp':>4} {'fp':>4} {'fn':>4}"
    )
    lines = [title] if title else []
    lines += [header, "-" * len(header)]
    for s in scores:
        for ls in s.labels:
            lines.append(
                f"{s.system:<9} {ls.topic:<11} {ls.precision:>6.3f} {ls.recall:>6.3f} "
                f"{ls.f1:>6.3f} {ls.tp:>4} {ls.fp:>4} {ls.fn:>4}"
            )
    n = scores[0].items if scores else 0
    versions = ", ".join(f"{s.system}={s.version}" for s in scores)
    lines.append(f"{n} items; {versions}")
    first = scores[0] if scores else None
    if first is not None and len(first.by_source) > 1:
        lines += ["", f"{first.system} by held-out set:"]
        lines += _group_rows(first.by_source, "set")
    if first is not None and first.by_lang:
        lines += ["", f"{first.system} by language:"]
        lines += _group_rows(first.by_lang, "lang")
    return "\n".join(lines)


def _group_rows(groups: dict[str, tuple[LabelScores, ...]], name: str) -> list[str]:
    """Rows `<group> <label> P R F1 tp fp fn n` (n: the group's gold positives + negatives)."""
    header = (
        f"{name:<9} {'label':<11} {'P':>6} {'R':>6} {'F1':>6} {'tp':>4} {'fp':>4} {'fn':>4} "
        f"{'n':>5}"
    )
    rows = [header, "-" * len(header)]
    for key, labels in groups.items():
        for ls in labels:
            n = ls.tp + ls.fp + ls.fn + ls.tn
            rows.append(
                f"{key:<9} {ls.topic:<11} {ls.precision:>6.3f} {ls.recall:>6.3f} {ls.f1:>6.3f} "
                f"{ls.tp:>4} {ls.fp:>4} {ls.fn:>4} {n:>5}"
            )
    return rows
