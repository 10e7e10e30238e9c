"""Labelled examples: reading the corpus, the held-out data and the data hash.

Two kinds of held-out data, neither ever trained or calibrated on:

* the `heldout/` subfolder of the corpus: items written to be evaluation-only (e.g. the R2 set of
  unseen-style items in six languages). `read_corpus` never looks into it, and `split` refuses
  items that come from it, so training cannot see them even when handed them by mistake;
* the hash split of the training files: ~20% of ids, by a hash of the id alone (no shuffling, no
  dependence on the other items), so adding items never moves an existing one between sides.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from bot.core.errors import ConfigError
from bot.core.models import TOPICS

HELD_OUT_PERCENT = 20
_SPLIT_SALT = "watchbot-heldout-v1"
_FOLD_SALT = "watchbot-fold-v1"
HELDOUT_DIR = "heldout"  # corpus subfolder read only by evaluation
HELDOUT_ORIGIN = "heldout/"  # origin prefix of the items read from it


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


def is_held_out_file_item(item: LabelledItem) -> bool:
    """True for an item read from the corpus's evaluation-only `heldout/` folder."""
    return item.origin.startswith(HELDOUT_ORIGIN)


def split(items: Sequence[LabelledItem]) -> tuple[list[LabelledItem], list[LabelledItem]]:
    """(training, held_out) of training-file items. Feedback examples are always training.

    Raises ValueError for an item of the `heldout/` folder: those are evaluation-only, and
    putting one here would let training see it.
    """
    leaked = [i.id for i in items if is_held_out_file_item(i)]
    if leaked:
        raise ValueError(f"held-out items must never reach training: {', '.join(leaked[:5])}")
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


def _unique(items: list[LabelledItem], where: Path) -> list[LabelledItem]:
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise ConfigError(f"{where}: duplicate item id {item.id!r}")
        seen.add(item.id)
    return items


def read_corpus(corpus_dir: Path) -> list[LabelledItem]:
    """The training files: every labelled `*.jsonl` directly in the corpus folder, in name order.

    Subfolders (`heldout/`, `incoming/`) are not read. Ids must be unique.
    """
    files = [p for p in sorted(corpus_dir.glob("*.jsonl")) if is_labelled_file(p)]
    if not files:
        raise ConfigError(f"{corpus_dir}: no *.jsonl files with labelled items found")
    return _unique([item for path in files for item in read_jsonl(path)], corpus_dir)


def read_heldout(corpus_dir: Path) -> list[LabelledItem]:
    """The evaluation-only items of `corpus_dir/heldout/*.jsonl` (none when there is no folder).

    Their origin is "heldout/<file stem>", which `split` (and so training) refuses. Ids must be
    unique across the held-out files and the training files.
    """
    files = sorted((corpus_dir / HELDOUT_DIR).glob("*.jsonl"))
    items = [
        replace(item, origin=HELDOUT_ORIGIN + item.origin)
        for path in files
        for item in read_jsonl(path)
    ]
    if items and any(corpus_dir.glob("*.jsonl")):
        _unique([*read_corpus(corpus_dir), *items], corpus_dir)
    return _unique(items, corpus_dir / HELDOUT_DIR)


def data_hash(items: Iterable[LabelledItem]) -> str:
    """SHA-256 over the examples' ids, texts and labels (order-independent)."""
    rows = sorted(
        json.dumps([i.id, i.title, i.text, sorted(i.labels.items())], ensure_ascii=False)
        for i in items
    )
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()
