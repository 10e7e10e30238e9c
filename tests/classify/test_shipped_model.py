"""The shipped model: loads fast, reads real articles sensibly, explains itself, resists look-alikes."""

from __future__ import annotations

import tomllib

import pytest

from bot.classify.model import TrainedClassifier
from bot.classify.modeldir import MODEL_DIR, read_meta
from bot.core.models import TOPICS
from bot.core.ports import Classifier
from tests.fakes import REPO

SEEDS = REPO / "seeds"


def _seed(prefix: str) -> tuple[str, str]:
    """(title, text) as the seed ingester reads it: title from index.toml, the file as text."""
    path = next(SEEDS.glob(f"{prefix}_*.txt"))
    index = tomllib.loads((SEEDS / "index.toml").read_text(encoding="utf-8"))["documents"]
    return index[path.name]["title"], path.read_text(encoding="utf-8")


def test_meta_version_and_protocol(shipped: TrainedClassifier) -> None:
    meta = read_meta(MODEL_DIR)
    assert isinstance(shipped, Classifier)
    assert shipped.version == meta["version"]
    assert shipped.version.startswith("textcat-") and len(shipped.version.split("-")[2]) == 8
    assert set(meta["thresholds"]) == set(TOPICS)
    assert meta["training"]["held_out_items"] > 200
    assert sum(p.stat().st_size for p in MODEL_DIR.rglob("*") if p.is_file()) < 5_000_000


def test_loads_quickly() -> None:
    classifier = TrainedClassifier(MODEL_DIR)
    assert classifier.load_seconds < 2.0


@pytest.mark.parametrize(
    ("prefix", "guarantees", "troops"),
    [("001", True, True), ("002", True, True), ("003", False, True), ("004", False, True)],
)
def test_seed_articles(
    shipped: TrainedClassifier, prefix: str, guarantees: bool, troops: bool
) -> None:
    result = shipped.classify(*_seed(prefix))
    assert result.labels == {"guarantees": guarantees, "troops": troops}, result.scores


def test_seed_article_about_general_support_is_neither(shipped: TrainedClassifier) -> None:
    # Biden and Macron reaffirm support; trainers are mentioned once, deep in the analysis.
    result = shipped.classify(*_seed("000"))
    assert result.labels == {"guarantees": False, "troops": False}, result.scores


def test_explanation_names_sentence_and_actors(shipped: TrainedClassifier) -> None:
    result = shipped.classify(*_seed("004"))
    reason = result.reason("troops")
    assert reason.startswith("“") and "”" in reason
    assert "Western troops" in reason
    assert "actors: Emmanuel Macron" in reason
    assert result.why["troops"][-1].startswith("score ")


def test_short_item_explanation(shipped: TrainedClassifier) -> None:
    result = shipped.classify(
        "Starmer ready to put British boots on the ground in Ukraine",
        "The prime minister said UK troops could deploy as part of a reassurance force.",
    )
    assert result.labels["troops"]
    assert "Keir Starmer" in result.reason("troops")
    assert "boots on the ground" in result.reason("troops")


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (
            "US to keep 20,000 troops in Poland",
            "The Pentagon said the extra brigades sent in 2022 "
            "would stay on NATO's eastern flank for the foreseeable future.",
        ),
        (
            "North Korean troops fight in Kursk",
            "Ukrainian intelligence says thousands of soldiers "
            "sent by Pyongyang have joined Russian units in the border region.",
        ),
        (
            "EU agrees loan guarantees for Ukrainian energy firms",
            "The European Investment Bank "
            "will back credit lines for companies repairing power plants damaged by Russian strikes.",
        ),
        (
            "Russia demands security guarantees from NATO",
            "Moscow published draft treaties that "
            "would bar Ukraine from the alliance and pull allied forces back from eastern Europe.",
        ),
        (
            "Ukraine lowers mobilisation age to 25",
            "The law signed by Zelensky aims to replenish front-line units.",
        ),
        (
            "First F-16 jets arrive in Ukraine",
            "The Danish and Dutch aircraft will be flown by "
            "Ukrainian pilots trained in Romania and the United States.",
        ),
    ],
)
def test_hard_negatives(shipped: TrainedClassifier, title: str, text: str) -> None:
    result = shipped.classify(title, text)
    assert not any(result.labels.values()), result.scores


@pytest.mark.parametrize(
    ("title", "text", "topic"),
    [
        (
            "Paris prêt à envoyer des troupes en Ukraine après un cessez-le-feu",
            "Le ministre des Armées a confirmé que des soldats français pourraient être déployés "
            "sur le sol ukrainien dans le cadre d'une force multinationale.",
            "troops",
        ),
        (
            "Merz: Europa muss der Ukraine verlässliche Sicherheitsgarantien geben",
            "Der Kanzler forderte, dass die USA sich an den Garantien für Kiew beteiligen.",
            "guarantees",
        ),
        (
            "Польща не направить своїх військових в Україну, заявив Туск",
            "Прем'єр наголосив, що Варшава підтримає місію союзників логістично.",
            "troops",
        ),
        (
            "Захарова: гарантии безопасности Украине без учёта интересов России невозможны",
            "В МИД заявили, что Москва не примет схем, направленных против её безопасности.",
            "guarantees",
        ),
        (
            "Sikorski: gwarancje bezpieczeństwa dla Ukrainy muszą obejmować Amerykanów",
            "Minister spraw zagranicznych powiedział, że bez USA europejskie zobowiązania nie "
            "odstraszą Rosji.",
            "guarantees",
        ),
    ],
)
def test_foreign_language_positives(
    shipped: TrainedClassifier, title: str, text: str, topic: str
) -> None:
    result = shipped.classify(title, text)
    assert result.labels[topic], result.scores
    assert result.reason(topic).startswith("“")


def test_classify_many_matches_classify(shipped: TrainedClassifier) -> None:
    docs = [
        _seed("003"),
        ("Zelensky: only NATO membership is a real security guarantee", ""),
        ("Russian drones hit Odesa port", "Grain terminals were damaged."),
    ]
    batch = shipped.classify_many(docs)
    assert [c.scores for c in batch] == [shipped.classify(*d).scores for d in docs]
    assert batch[1].labels["guarantees"] and not any(batch[2].labels.values())


def test_config_thresholds_override_defaults() -> None:
    strict = TrainedClassifier(MODEL_DIR, {"troops": 0.999, "guarantees": 0.999})
    result = strict.classify(*_seed("003"))
    assert not result.labels["troops"] and result.scores["troops"] > 0.5
    assert "below 1.00" in result.why["troops"][-1]
