"""Evaluations of story pairing and stance extraction on the labelled sets in corpus/.

`python -m bot.analysis.evaluate [--split dev|test|all] [--errors]` prints precision and recall
of story pairing (corpus/pairs.jsonl) and the accuracy of speaker and stance
(corpus/statements.jsonl). The sets were written for the project; see docs/analysis.md.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.analysis.stances import RuleStanceExtractor
from bot.analysis.stories import MinHashStoryClusterer, assign_among
from bot.core.ports import Statement, StoryDoc

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
PAIRS = CORPUS / "pairs.jsonl"
STATEMENTS = CORPUS / "statements.jsonl"


def _rows(path: Path, split: str) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                row = json.loads(line)
                if split == "all" or row.get("split") == split:
                    yield row


def _when(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass
class PairReport:
    """Confusion counts of story pairing; a "positive" is "same story"."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        """Of the pairs put in one story, the share that report the same event."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        """Of the pairs that report the same event, the share put in one story."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def summary(self) -> str:
        """One line of figures."""
        n = self.tp + self.fp + self.fn + self.tn
        return (
            f"pairs={n} precision={self.precision:.3f} recall={self.recall:.3f} f1={self.f1:.3f} "
            f"(tp={self.tp} fp={self.fp} fn={self.fn} tn={self.tn})"
        )


def evaluate_pairs(path: Path = PAIRS, split: str = "all") -> PairReport:
    """Cluster each labelled pair (the earlier item known, the later new) and count."""
    clusterer = MinHashStoryClusterer()
    report = PairReport()
    for row in _rows(path, split):
        a, b = sorted((row["a"], row["b"]), key=lambda d: _when(d["date"]))
        known = StoryDoc(_when(a["date"]), clusterer.fingerprint(a["title"], a["text"]), 1, 1)
        new = StoryDoc(_when(b["date"]), clusterer.fingerprint(b["title"], b["text"]))
        linked = assign_among([new], [known]) == [0]
        same = bool(row["same_story"])
        if linked and same:
            report.tp += 1
        elif linked:
            report.fp += 1
            report.errors.append(f"{row['id']} joined, different events: {a['key']} {b['key']}")
        elif same:
            report.fn += 1
            report.errors.append(f"{row['id']} apart, same event: {a['key']} {b['key']}")
        else:
            report.tn += 1
    return report


@dataclass
class StatementReport:
    """Accuracy of the extracted statement against the labelled one, per labelled statement."""

    total: int = 0
    found: int = 0
    speaker: int = 0
    stance: int = 0
    topic: int = 0
    both: int = 0
    behalf_total: int = 0
    behalf: int = 0
    negatives: int = 0
    false_alarms: int = 0
    errors: list[str] = field(default_factory=list)

    def share(self, count: int, of: int | None = None) -> float:
        """count / of (default: the labelled statements)."""
        whole = self.total if of is None else of
        return count / whole if whole else 0.0

    def summary(self) -> str:
        """Two lines of figures."""
        return (
            f"statements={self.total} found={self.share(self.found):.3f} "
            f"speaker_accuracy={self.share(self.speaker):.3f} "
            f"stance_accuracy={self.share(self.stance):.3f} "
            f"speaker+stance={self.share(self.both):.3f} topic={self.share(self.topic):.3f} "
            f"on_behalf_of={self.behalf}/{self.behalf_total}\n"
            f"no-statement passages={self.negatives} with a statement extracted="
            f"{self.false_alarms}"
        )


def _pick(found: list[Statement], topic: str) -> Statement | None:
    return next((s for s in found if s.topic == topic), found[0] if found else None)


def evaluate_statements(path: Path = STATEMENTS, split: str = "all") -> StatementReport:
    """Extract from each labelled passage and compare with its labelled statement.

    A passage without a statement counts as wrong for speaker and stance; when several are
    extracted, the one on the labelled topic is compared (the first one otherwise).
    """
    extractor = RuleStanceExtractor()
    report = StatementReport()
    for row in _rows(path, split):
        found = extractor.extract("", row["text"], _when(row["date"]))
        gold = row["gold"]
        if gold is None:
            report.negatives += 1
            if found:
                report.false_alarms += 1
                report.errors.append(f"{row['id']} nothing to find, found {_show(found[0])}")
            continue
        report.total += 1
        got = _pick(found, gold["topic"])
        if got is None:
            report.errors.append(f"{row['id']} missed {gold['speaker']} {gold['stance']}")
            continue
        report.found += 1
        ok_speaker = got.speaker == gold["speaker"]
        ok_stance = got.stance == gold["stance"]
        report.speaker += ok_speaker
        report.stance += ok_stance
        report.both += ok_speaker and ok_stance
        report.topic += got.topic == gold["topic"]
        if gold.get("on_behalf_of"):
            report.behalf_total += 1
            report.behalf += got.on_behalf_of == gold["on_behalf_of"]
        if not (ok_speaker and ok_stance):
            report.errors.append(
                f"{row['id']} want {gold['speaker']} {gold['stance']}, got {_show(got)}"
            )
    return report


def _show(s: Statement) -> str:
    return f"{s.speaker} {s.stance} {s.topic}"


def main(argv: list[str] | None = None) -> int:
    """Print both evaluations (and, with --errors, every mistake)."""
    parser = argparse.ArgumentParser(prog="python -m bot.analysis.evaluate")
    parser.add_argument("--split", choices=("dev", "test", "holdout", "all"), default="all")
    parser.add_argument("--errors", action="store_true", help="list every mistake")
    args = parser.parse_args(argv)
    pairs = evaluate_pairs(split=args.split)
    print(f"story pairing [{args.split}] ({PAIRS.name}): {pairs.summary()}")
    if args.errors:
        print("\n".join(f"  {e}" for e in pairs.errors))
    statements = evaluate_statements(split=args.split)
    print(f"stances [{args.split}] ({STATEMENTS.name}): {statements.summary()}")
    if args.errors:
        print("\n".join(f"  {e}" for e in statements.errors))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
