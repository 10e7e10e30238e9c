"""Feedback learning: users' good/bad verdicts on stored items become training examples.

A "good" verdict confirms the item's labels as classified (only `topic`'s when one is named); a
"bad" verdict flips `topic`, or turns every positive label negative when no topic is named. Labels
the verdict says nothing about are left out, and textcat_multilabel treats them as missing rather
than negative. When one item has several verdicts, the later one wins per topic. Feedback only
ever joins the training data; the held-out evaluation never contains it.
"""

from __future__ import annotations

from bot.classify.data import LabelledItem
from bot.core.models import TOPICS, Feedback, Item
from bot.core.ports import Store


def _verdict_labels(item: Item, feedback: Feedback) -> dict[str, bool]:
    assert item.classification is not None
    current = item.classification.labels
    topics = [feedback.topic] if feedback.topic in TOPICS else list(TOPICS)
    if feedback.verdict == "good":
        return {t: bool(current.get(t, False)) for t in topics}
    if feedback.topic in TOPICS:
        return {feedback.topic: not current.get(feedback.topic, False)}
    return {t: False for t in TOPICS if current.get(t, False)}


def feedback_examples(store: Store) -> list[LabelledItem]:
    """Training examples from the store's feedback (items without a classification are skipped)."""
    merged: dict[int, dict[str, bool]] = {}
    items: dict[int, Item] = {}
    for fb in store.list_feedback():
        item = items.get(fb.item_id) or store.get_item(fb.item_id)
        if item is None or item.classification is None:
            continue
        items[fb.item_id] = item
        merged.setdefault(fb.item_id, {}).update(_verdict_labels(item, fb))
    return [
        LabelledItem(
            id=f"feedback:{item_id}",
            title=items[item_id].title,
            text=items[item_id].summary,
            labels=labels,
            origin="feedback",
        )
        for item_id, labels in sorted(merged.items())
        if labels
    ]
