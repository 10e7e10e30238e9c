"""The actor matcher of story fingerprints finds what spaCy's EntityRuler of the gazetteer finds."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from bot.analysis.actors import actors_in_text
from bot.classify.nlp import base_pipeline

REPO = Path(__file__).resolve().parents[2]
TRICKY = (
    "Macron's plan, an anti-Macron rally and the Élysée's reply.",
    "L'OTAN et l'Élysée : Zelensky à Paris, Macron'un ziyareti.",
    "Multinational Force-Ukraine (MNF-U) and the Multinational Force - Ukraine.",
    "J.D. Vance met No 10; Kyivan officials and the Kremlin-backed media.",
    "#Starmer, (NATO) and NATO. KEIR STARMER said; keir starmer's team.",
)


def ruler(text: str) -> frozenset[str]:
    doc = base_pipeline()(text)
    return frozenset(e.ent_id_ for e in doc.ents if e.label_ == "ACTOR" and e.ent_id_)


def corpus_texts() -> Iterator[str]:
    for path in sorted((REPO / "corpus").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                yield from _strings(json.loads(line))


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, str) and len(value) > 40:
        yield value[:3000]


def test_tricky_cases_match_the_entity_ruler() -> None:
    for text in TRICKY:
        assert actors_in_text(text) == ruler(text), text


def test_the_corpora_match_the_entity_ruler() -> None:
    texts = list(corpus_texts())
    assert len(texts) > 1000
    differ = [t[:80] for t in texts if actors_in_text(t) != ruler(t)]
    assert differ == []
