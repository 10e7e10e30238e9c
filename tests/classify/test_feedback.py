"""Users' verdicts become training examples."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.classify.feedback import feedback_examples
from bot.core.models import Classification, Feedback, Item

NOW = datetime(2025, 3, 1, tzinfo=UTC)


def _item(item_id: int, labels: dict[str, bool] | None) -> Item:
    classification = (
        None
        if labels is None
        else Classification(
            scores={t: float(v) for t, v in labels.items()},
            labels=labels,
            why={},
            model_version="m",
        )
    )
    return Item(
        id=item_id,
        feed_id=1,
        guid=f"g{item_id}",
        url="",
        title=f"title {item_id}",
        summary=f"summary {item_id}",
        published_at=NOW,
        first_seen_at=NOW,
        source="s",
        content_hash="h",
        classification=classification,
    )


class FakeStore:
    """Just the two Store methods feedback learning reads."""

    def __init__(self, items: list[Item], feedback: list[Feedback]) -> None:
        self.items = {i.id: i for i in items}
        self.feedback = feedback

    def list_feedback(self) -> list[Feedback]:
        return list(self.feedback)

    def get_item(self, item_id: int) -> Item | None:
        return self.items.get(item_id)


def _fb(item_id: int, verdict: str, topic: str | None = None) -> Feedback:
    return Feedback(
        item_id=item_id,
        verdict=verdict,
        user="u",
        channel_ref="console:main",  # type: ignore[arg-type]
        topic=topic,
    )


def test_verdicts_to_labels() -> None:
    both = {"guarantees": True, "troops": True}
    troops_only = {"guarantees": False, "troops": True}
    store = FakeStore(
        [
            _item(1, troops_only),
            _item(2, both),
            _item(3, both),
            _item(4, troops_only),
            _item(5, None),
        ],
        [
            _fb(1, "good"),  # confirms both labels
            _fb(2, "bad", "guarantees"),  # flips guarantees only
            _fb(3, "bad"),  # every positive label was wrong
            _fb(4, "good", "troops"),
            _fb(4, "bad", "troops"),  # the later verdict wins
            _fb(5, "good"),  # never classified: skipped
            _fb(99, "bad"),  # gone from the store: skipped
        ],
    )
    examples = {e.id: e for e in feedback_examples(store)}  # type: ignore[arg-type]
    assert set(examples) == {"feedback:1", "feedback:2", "feedback:3", "feedback:4"}
    assert examples["feedback:1"].labels == troops_only
    assert examples["feedback:2"].labels == {"guarantees": False}
    assert examples["feedback:3"].labels == {"guarantees": False, "troops": False}
    assert examples["feedback:4"].labels == {"troops": False}
    assert all(e.origin == "feedback" for e in examples.values())
    assert examples["feedback:1"].title == "title 1" and examples["feedback:1"].text == "summary 1"
