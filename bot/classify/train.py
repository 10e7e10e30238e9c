"""Training: the textcat, the calibrators (cross-fitted) and the versioned model directory.

Reproducible by construction: spaCy's and numpy's seeds are fixed before each fit, shuffling uses
its own seeded `random.Random`, feature hashing is murmurhash, and the held-out split and the
cross-fitting folds hash item ids. Same data and config → same weights, same scores.

Steps (see docs/classifier.md):
1. split the corpus by id hash: ~20% held out, never trained or calibrated on;
2. cross-fit on the training split: k textcats, each scoring the fold it did not see, give honest
   out-of-fold probabilities; a logistic calibrator per label is fitted on them together with the
   rule scores, and the default thresholds are chosen there;
3. train the final textcat on the whole training split (plus feedback examples) and save it;
4. score the held-out split with the saved model, the rules and the keyword baseline.
"""

from __future__ import annotations

import random
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.training import Example
from thinc.api import Adam, Model, Optimizer, fix_random_seed  # = spacy.util.fix_random_seed

from bot.classify import calibrate
from bot.classify.calibrate import Calibrator
from bot.classify.data import LabelledItem, data_hash, fold_of, is_held_out_file_item, split
from bot.classify.features import ARCHITECTURE
from bot.classify.gazetteer import entity_patterns, load_actors
from bot.classify.modeldir import write_meta
from bot.classify.rules import RULES_VERSION, compose_text
from bot.classify.signals import TEXTCAT, analyse
from bot.core.models import TOPICS
from bot.core.ports import Progress


@dataclass(frozen=True, slots=True)
class TrainConfig:
    """Hyper-parameters. The defaults were chosen by cross-validation on the training split."""

    seed: int = 13
    epochs: int = 10
    batch_size: int = 32
    learn_rate: float = 0.002
    weight_decay: float = 2.0  # decoupled: each step shrinks weights by learn_rate × this
    folds: int = 5
    ngram_size: int = 2
    char_min: int = 3
    char_max: int = 5
    length: int = 2**18
    calibration_l2: float = 1.0
    min_precision: float = 0.95
    min_recall: float = 0.90


@dataclass(slots=True)
class TrainReport:
    """What `watchbot train` prints and what `watchbot.json` records."""

    version: str
    model_dir: Path
    trained_on: int
    feedback: int
    held_out: int
    data_hash: str
    thresholds: dict[str, float]
    calibration: dict[str, dict[str, object]]
    out_of_fold: dict[str, dict[str, float]]
    held_out_table: str = ""
    held_out_scores: list[Any] = field(default_factory=list)  # evaluate.SystemScores
    seconds: float = 0.0

    def summary(self) -> str:
        """Plain-text report."""
        lines = [
            f"model {self.version} written to {self.model_dir}",
            f"trained on {self.trained_on} items ({self.feedback} from feedback); "
            f"{self.held_out} held out; data hash {self.data_hash[:12]}; {self.seconds:.1f} s",
        ]
        for topic in TOPICS:
            oof = self.out_of_fold[topic]
            lines.append(
                f"{topic}: threshold {self.thresholds[topic]:.2f} "
                f"(out-of-fold P {oof['precision']:.3f} R {oof['recall']:.3f})"
            )
        if self.held_out_table:
            lines += ["", "held-out split:", self.held_out_table]
        return "\n".join(lines)


def build_pipeline(config: TrainConfig) -> Language:
    """blank("en") + sentencizer + textcat_multilabel (our char/word n-gram architecture)."""
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe(
        TEXTCAT,
        config={
            "threshold": 0.5,
            "model": {
                "@architectures": ARCHITECTURE,
                "ngram_size": config.ngram_size,
                "char_min": config.char_min,
                "char_max": config.char_max,
                "length": config.length,
            },
        },
    )
    return nlp


def _add_actor_ruler(nlp: Language) -> None:
    # Added after initialize(): EntityRuler.initialize() clears its patterns.
    ruler = nlp.add_pipe("entity_ruler", before=TEXTCAT, config={"phrase_matcher_attr": "LOWER"})
    ruler.add_patterns(entity_patterns(load_actors()))  # type: ignore[attr-defined]


def _apply_averages(model: Model[Any, Any], optimizer: Optimizer) -> None:
    """Keep the averaged weights (what `use_params(averages)` does, made permanent)."""
    averages = optimizer.averages
    if averages is None:
        return
    for node in model.walk():
        for name in node.param_names:
            key = (node.id, name)
            if key in averages:
                node.set_param(name, averages[key].copy())


def train_textcat(
    items: Sequence[LabelledItem],
    config: TrainConfig,
    seed: int,
    progress: Progress | None = None,
) -> Language:
    """A fitted pipeline (textcat disabled in the pipe run; see signals.analyse); each epoch
    done is counted on `progress`."""
    fix_random_seed(seed)
    nlp = build_pipeline(config)
    examples = [
        Example.from_dict(
            nlp.make_doc(compose_text(i.title, i.text)),
            {"cats": {t: float(v) for t, v in i.labels.items() if t in TOPICS}},
        )
        for i in sorted(items, key=lambda i: i.id)
    ]
    nlp.initialize(lambda: examples)
    textcat = nlp.get_pipe(TEXTCAT)
    labels = list(textcat.labels)  # type: ignore[attr-defined]
    if labels != list(TOPICS):
        raise RuntimeError(f"textcat labels {labels} != {list(TOPICS)}")
    optimizer = Adam(
        config.learn_rate,
        L2=config.weight_decay,
        L2_is_weight_decay=True,
        use_averages=True,
        grad_clip=1.0,
    )
    rng = random.Random(seed)
    for _ in range(config.epochs):
        order = list(examples)
        rng.shuffle(order)
        for start in range(0, len(order), config.batch_size):
            textcat.update(order[start : start + config.batch_size], sgd=optimizer)  # type: ignore[attr-defined]
        if progress is not None:
            progress.advance(1)
    _apply_averages(textcat.model, optimizer)  # type: ignore[attr-defined]
    _add_actor_ruler(nlp)
    nlp.disable_pipe(TEXTCAT)
    return nlp


@dataclass(slots=True)
class _Fold:
    model_p: dict[str, list[float]] = field(default_factory=lambda: {t: [] for t in TOPICS})
    rule: dict[str, list[float]] = field(default_factory=lambda: {t: [] for t in TOPICS})
    false_friend: dict[str, list[bool]] = field(default_factory=lambda: {t: [] for t in TOPICS})
    gold: dict[str, list[bool]] = field(default_factory=lambda: {t: [] for t in TOPICS})


def out_of_fold(
    train_items: Sequence[LabelledItem],
    extra: Sequence[LabelledItem],
    config: TrainConfig,
    progress: Progress | None = None,
) -> _Fold:
    """Model and rule signals for every training item, each from a textcat that never saw it."""
    oof = _Fold()
    for k in range(config.folds):
        held = [i for i in train_items if fold_of(i.id, config.folds) == k]
        fit = [i for i in train_items if fold_of(i.id, config.folds) != k] + list(extra)
        nlp = train_textcat(fit, config, seed=config.seed + k + 1, progress=progress)
        for item, sig in zip(held, analyse(nlp, [(i.title, i.text) for i in held]), strict=True):
            if len(sig.views[TOPICS[0]]) > 1:
                continue  # a long article: its views are scored by the calibrator, not fitted on
            for t in TOPICS:
                if t in item.labels:
                    oof.model_p[t].append(sig.model[t])
                    oof.rule[t].append(sig.rule[t])
                    oof.false_friend[t].append(bool(sig.lookalikes[t]))
                    oof.gold[t].append(item.labels[t])
    return oof


def _calibrate(
    oof: _Fold, config: TrainConfig
) -> tuple[dict[str, Calibrator], dict[str, float], dict[str, dict[str, float]]]:
    """Per topic: the calibrator fitted on out-of-fold signals, its threshold and its figures."""
    calibrators: dict[str, Calibrator] = {}
    thresholds: dict[str, float] = {}
    oof_points: dict[str, dict[str, float]] = {}
    for t in TOPICS:
        signals = (oof.model_p[t], oof.rule[t], oof.false_friend[t])
        cal = calibrate.fit(*signals, oof.gold[t], l2=config.calibration_l2)
        scores = [cal.score(p, r, f) for p, r, f in zip(*signals, strict=True)]
        point = calibrate.choose_threshold(
            scores, oof.gold[t], config.min_precision, config.min_recall
        )
        calibrators[t], thresholds[t] = cal, point.threshold
        oof_points[t] = {
            "threshold": point.threshold,
            "precision": round(point.precision, 4),
            "recall": round(point.recall, 4),
            "f1": round(point.f1, 4),
            "items": len(scores),
        }
    return calibrators, thresholds, oof_points


def model_version(today: date, training_hash: str) -> str:
    """ "textcat-<yyyymmdd>-<hash8>"."""
    return f"textcat-{today:%Y%m%d}-{training_hash[:8]}"


def train(
    items: Sequence[LabelledItem],
    out_dir: Path,
    *,
    feedback: Sequence[LabelledItem] = (),
    evaluation_only: Sequence[LabelledItem] = (),
    config: TrainConfig | None = None,
    today: date | None = None,
    evaluate_held_out: bool = True,
    progress: Progress | None = None,
) -> TrainReport:
    """Train on the corpus items' training split (+ feedback) and write the model to `out_dir`.

    `evaluation_only` (the corpus's `heldout/` items) joins the held-out figures and nothing else;
    `items` must not contain any of them (`split` raises ValueError). `progress` counts the
    epochs of every fold's textcat and of the final one.
    """
    from bot.classify import evaluate  # evaluate imports the model; keep the import one-way

    config = config or TrainConfig()
    started = time.perf_counter()
    feedback = [
        LabelledItem(f.id, f.title, f.text, f.labels, f.lang, "feedback", f.kind) for f in feedback
    ]
    train_items, held_out = split([i for i in items if i.origin != "feedback"])
    if any(not is_held_out_file_item(i) for i in evaluation_only):
        raise ValueError("evaluation_only takes items of the corpus's heldout/ folder only")
    held_out = [*evaluation_only, *held_out]
    if progress is not None:
        progress.start((config.folds + 1) * config.epochs, "epochs")
    try:
        oof = out_of_fold(train_items, feedback, config, progress)
        calibrators, thresholds, oof_points = _calibrate(oof, config)
        nlp = train_textcat([*train_items, *feedback], config, config.seed, progress)
    finally:
        if progress is not None:
            progress.close()
    training_hash = data_hash([*train_items, *feedback])
    version = model_version(today or datetime.now(UTC).date(), training_hash)
    nlp.meta.update({"name": "watchbot_textcat", "version": "1.0.0", "description": version})

    staging = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    nlp.to_disk(staging)
    meta: dict[str, Any] = {
        "version": version,
        "thresholds": thresholds,
        "calibration": {t: calibrators[t].to_dict() for t in TOPICS},
        "out_of_fold": oof_points,
        "training": {
            "data_hash": training_hash,
            "held_out_hash": data_hash(held_out),
            "items": len(train_items),
            "feedback_items": len(feedback),
            "held_out_items": len(held_out),
            "held_out_folder_items": len(evaluation_only),
            "config": {k: getattr(config, k) for k in config.__dataclass_fields__},
            "spacy": spacy.about.__version__,
            "rules": RULES_VERSION,
        },
    }
    write_meta(staging, meta)
    report = TrainReport(
        version=version,
        model_dir=out_dir,
        trained_on=len(train_items) + len(feedback),
        feedback=len(feedback),
        held_out=len(held_out),
        data_hash=training_hash,
        thresholds=thresholds,
        calibration=meta["calibration"],
        out_of_fold=oof_points,
    )
    if evaluate_held_out and held_out:
        systems = evaluate.compare(held_out, model_dir=staging)
        meta["held_out"] = [s.to_dict() for s in systems]
        write_meta(staging, meta)
        report.held_out_scores = systems
        report.held_out_table = evaluate.format_table(systems)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    staging.rename(out_dir)
    report.seconds = time.perf_counter() - started
    return report
