"""Evaluation reports P/R/F1 per label for the trained model, the rules and the keyword baseline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.classify.baseline import KeywordClassifier
from bot.classify.cli import run_eval
from bot.classify.data import read_jsonl
from bot.classify.evaluate import LabelScores, compare, format_table
from bot.core.errors import ConfigError


def _table_rows(report: str) -> dict[tuple[str, str], list[float]]:
    rows = {}
    for line in report.splitlines():
        parts = line.split()
        if len(parts) == 8 and parts[0] in {"trained", "rules", "keywords"}:
            rows[(parts[0], parts[1])] = [float(x) for x in parts[2:5]]
    return rows


def test_held_out_report_has_all_systems_and_meets_targets() -> None:
    report = run_eval(None, None)
    rows = _table_rows(report)
    assert set(rows) == {
        (s, t) for s in ("trained", "rules", "keywords") for t in ("guarantees", "troops")
    }
    for topic in ("guarantees", "troops"):
        precision, recall, f1 = rows[("trained", topic)]
        assert precision >= 0.92 and recall >= 0.88, report
        assert f1 > rows[("keywords", topic)][2] + 0.1, report


def test_eval_on_a_labelled_file(tmp_path: Path) -> None:
    path = tmp_path / "gold.jsonl"
    rows = [
        {
            "id": "1",
            "title": "Macron: Western troops in Ukraine cannot be ruled out",
            "text": "",
            "labels": {"guarantees": False, "troops": True},
        },
        {
            "id": "2",
            "title": "Zelensky: NATO membership is Ukraine's only real security guarantee",
            "text": "",
            "labels": {"guarantees": True, "troops": False},
        },
        {
            "id": "3",
            "title": "EBRD extends loan guarantees to Ukrainian grain traders",
            "text": "",
            "labels": {"guarantees": False, "troops": False},
        },
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    report = run_eval(None, path)
    assert str(path) in report
    got = _table_rows(report)
    assert got[("trained", "troops")] == [1.0, 1.0, 1.0]
    assert got[("trained", "guarantees")] == [1.0, 1.0, 1.0]
    # The keyword filter falls for the loan guarantee.
    assert got[("keywords", "guarantees")][0] == 0.5


def test_eval_rejects_a_folder_that_is_not_a_model(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a Watchbot model directory"):
        run_eval(tmp_path, None)


def test_scores_and_table() -> None:
    s = LabelScores("troops", tp=8, fp=2, fn=2, tn=88)
    assert (s.precision, s.recall, round(s.f1, 3)) == (0.8, 0.8, 0.8)
    assert LabelScores("troops", 0, 0, 0, 5).precision == 1.0
    items = read_jsonl(Path(__file__).resolve().parents[2] / "corpus" / "extra.jsonl")[:20]
    scores = compare(items, model_dir=None)
    assert [s.system for s in scores] == ["rules", "keywords"]
    table = format_table(scores, title="t")
    assert table.splitlines()[0] == "t" and "keywords-1" in table


def test_keyword_baseline_is_a_plain_filter() -> None:
    kw = KeywordClassifier()
    hit = kw.classify("Troops to Ukraine?", "")
    assert hit.labels == {"guarantees": False, "troops": True}
    assert kw.classify("US troops in Poland", "").labels["troops"] is False


def test_held_out_report_is_per_language_and_per_set() -> None:
    report = run_eval(None, None)
    assert "items of heldout/" in report and "of the hash split" in report
    section = report.split("trained by language:", 1)[1]
    rows = [line.split() for line in section.splitlines() if " guarantees " in line + " "]
    rows += [line.split() for line in section.splitlines() if " troops " in line + " "]
    langs = {row[0] for row in rows}
    assert all(len(row) == 9 for row in rows)
    assert langs == {"en", "fr", "de", "pl", "uk", "ru"}
    assert "trained by held-out set:" in report
