"""Labelled examples: reading the corpus, the deterministic held-out split and the data hash.

The split hashes each item's id on its own (no shuffling, no dependence on the other items), so
adding items to the corpus never moves an existing item between training and held-out data.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.errors import ConfigError
from bot.core.models import TOPICS

HELD_OUT_PERCENT = 20
_SPLIT_SALT = "watchbot-heldout-v1"
_FOLD_SALT = "watchbot-fold-v1"


@dataclass(frozen=True, slots=True)
class LabelledItem:
    """One training or evaluation example. `labels` may lack a topic (feedback on one topic)."""

    id: str
    title: str
    text: str
    labels: dict[str, bool]
    lang: str = "en"
    origin: str = "corpus"  # corpus file stem, or "feedback"
    kind: str = ""
    meta: dict[str, str] = field(default_factory=dict, compare=False)


def _bucket(salt: str, item_id: str, modulo: int) -> int:
    digest = hashlib.sha256(f"{salt}:{item_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % modulo


def is_held_out(item_id: str) -> bool:
    """True for the ~20% of ids that training never sees."""
    return _bucket(_SPLIT_SALT, item_id, 100) < HELD_OUT_PERCENT


def fold_of(item_id: str, folds: int) -> int:
    """The cross-fitting fold of a training item (independent of the held-out hash)."""
    return _bucket(_FOLD_SALT, item_id, folds)


def split(items: Sequence[LabelledItem]) -> tuple[list[LabelledItem], list[LabelledItem]]:
    """(training, held_out). Feedback examples are always training."""
    train = [i for i in items if i.origin == "feedback" or not is_held_out(i.id)]
    held = [i for i in items if i.origin != "feedback" and is_held_out(i.id)]
    return train, held


def _item(row: object, where: str) -> LabelledItem:
    if not isinstance(row, dict):
        raise ConfigError(f"{where}: expected a JSON object")
    labels = row.get("labels")
    if not isinstance(labels, dict) or not all(isinstance(labels.get(t), bool) for t in TOPICS):
        raise ConfigError(f'{where}: labels must be {{"guarantees": bool, "troops": bool}}')
    if not isinstance(row.get("id"), str | int):
        raise ConfigError(f"{where}: missing id")
    return LabelledItem(
        id=str(row["id"]),
        title=str(row.get("title") or ""),
        text=str(row.get("text") or ""),
        labels={t: bool(labels[t]) for t in TOPICS},
        lang=str(row.get("lang") or "en"),
        origin=where.split(":", 1)[0].rsplit("/", 1)[-1].removesuffix(".jsonl"),
        kind=str(row.get("kind") or ""),
        meta={k: str(row[k]) for k in ("date", "register") if k in row},
    )


def read_jsonl(path: Path) -> list[LabelledItem]:
    """Labelled items of one JSON-lines file (`{"id","title","text","labels":{...}}` per line)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    items = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}:{number}: invalid JSON ({exc.msg})") from None
        items.append(_item(row, f"{path.name}:{number}"))
    return items


def is_labelled_file(path: Path) -> bool:
    """True when the file's first record carries `labels` (other datasets share the folder)."""
    try:
        with path.open(encoding="utf-8") as f:
            first = next((line for line in f if line.strip()), "")
        row = json.loads(first) if first else None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return True  # let read_jsonl report the problem with its line number
    return isinstance(row, dict) and "labels" in row


def read_corpus(corpus_dir: Path) -> list[LabelledItem]:
    """Every labelled `*.jsonl` file of the corpus folder, in name order; ids must be unique."""
    files = [p for p in sorted(corpus_dir.glob("*.jsonl")) if is_labelled_file(p)]
    if not files:
        raise ConfigError(f"{corpus_dir}: no *.jsonl files with labelled items found")
    items = [item for path in files for item in read_jsonl(path)]
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise ConfigError(f"{corpus_dir}: duplicate item id {item.id!r}")
        seen.add(item.id)
    return items


def data_hash(items: Iterable[LabelledItem]) -> str:
    """SHA-256 over the examples' ids, texts and labels (order-independent)."""
    rows = sorted(
        json.dumps([i.id, i.title, i.text, sorted(i.labels.items())], ensure_ascii=False)
        for i in items
    )
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()
