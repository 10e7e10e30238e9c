"""The core analysis step with test doubles: story links, alert suppression, storage failures."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from bot.core.analysis import AnalysisStep
from bot.core.errors import StorageError
from bot.core.models import Candidate, Classification, Delivery, PendingDelivery
from bot.core.ports import ItemAnalysis, NewItem, Statement, StoryDoc, StoryLink, StoryMember

T0 = datetime(2025, 3, 1, tzinfo=UTC)
H = timedelta(hours=1)


def _titles(docs: Sequence[tuple[str, str]]) -> list[str]:
    return [title for title, _ in docs]


class Clusterer:
    """Links every new doc whose fingerprint names a story to the first known doc of it."""

    window = timedelta(days=3)

    def __init__(self, known: list[StoryDoc]) -> None:
        self.known = known

    @property
    def fingerprinter(self) -> Callable[[Sequence[tuple[str, str]]], list[str]]:
        return _titles

    def assign(self, new: Sequence[StoryDoc]) -> list[StoryLink | None]:
        links: list[StoryLink | None] = []
        for i, d in enumerate(new):
            stored = next((k for k in self.known if k.fingerprint == d.fingerprint), None)
            earlier = next((j for j in range(i) if new[j].fingerprint == d.fingerprint), None)
            if stored is not None:
                links.append(StoryLink(stored.item_id, stored.story_id))
            elif earlier is not None:
                links.append(StoryLink(earlier=earlier))
            else:
                links.append(None)
        return links


class Analysis:
    def __init__(self, known: list[StoryDoc], alerted: dict[int, list[str]], fail: bool = False):
        self.known, self.alerted, self.fail = known, alerted, fail
        self.windows: list[tuple[datetime, datetime]] = []

    def story_docs(self, start: datetime, end: datetime, limit: int = 5000) -> list[StoryDoc]:
        self.windows.append((start, end))
        return [d for d in self.known if start <= d.published_at <= end]

    def record_analysis(self, feed_id: int, records: Sequence[ItemAnalysis], now: datetime) -> None:
        if self.fail:
            raise StorageError("database is locked")

    def story_of(self, item_ids: Sequence[int]) -> dict[int, int]:
        return {}

    def story_members(self, story_ids: Sequence[int]) -> dict[int, list[StoryMember]]:
        return {s: [StoryMember(s, s, "wire", T0)] for s in story_ids}

    def story_alerts(self, story_ids: Sequence[int]) -> dict[int, list[Delivery]]:
        # Each stored story is its lead item alone; `alerted` says where that item alerted.
        return {
            s: [
                Delivery(n, ref, "alert", f"alert:{ref}:{s}", "sent", item_ids=[s])
                for n, ref in enumerate(self.alerted.get(s, []))
            ]
            for s in story_ids
        }

    def statements(self, **kw: Any) -> list[Statement]:
        return []

    def daily_topic_counts(self, start: datetime, end: datetime) -> dict[str, dict[date, int]]:
        return {}


def new_item(guid: str, story: str, hours: float) -> NewItem:
    c = Candidate(guid, f"https://x/{guid}", story, "", T0 + hours * H, True, guid, "src")
    cl = Classification({"troops": 0.9}, {"troops": True}, {}, "m")
    return NewItem(1, c, cl, silent=False)


def alert(ref: str) -> PendingDelivery:
    return PendingDelivery(ref, "alert", f"alert:{ref}:{{item_id}}")


def step(analysis: Analysis, alerted: dict[int, list[str]]) -> AnalysisStep:
    analysis.alerted = alerted
    return AnalysisStep(analysis, Clusterer(analysis.known))  # type: ignore[arg-type]


def test_alerts_are_kept_once_per_story_and_channel() -> None:
    known = [StoryDoc(T0, "summit", item_id=7, story_id=7)]
    analysis = Analysis(known, {})
    s = step(analysis, {7: ["slack:C1"]})  # the stored story alerted slack:C1 only
    items = [new_item("b", "summit", 2), new_item("c", "other", 3), new_item("d", "other", 1)]
    prepared = s.prepare(items)
    assert [(r.story_id, r.story_lead) for r in prepared.records] == [
        (7, None),
        (None, "d"),
        (None, "d"),
    ]
    assert prepared.later_sources == 1
    kept = s.without_repeats(prepared, [[alert("slack:C1"), alert("discord:9")]] * 3)
    refs = [[(d.kind, d.channel_ref) for d in ds] for ds in kept]
    # "b" joins the summit story: an alert only where the story has none, a follow-up where it
    # has; "d" (earlier) leads "other", so "c" follows up on it in both channels.
    assert refs == [
        [("followup", "slack:C1"), ("alert", "discord:9")],
        [("followup", "slack:C1"), ("followup", "discord:9")],
        [("alert", "slack:C1"), ("alert", "discord:9")],
    ]
    assert kept[0][0].dedupe_key == "followup:slack:C1:{item_id}"
    assert kept[0][0].payload == alert("slack:C1").payload  # routed for the same topics


def test_a_storage_failure_after_the_poll_is_logged_not_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    analysis = Analysis([], {}, fail=True)
    s = step(analysis, {})
    prepared = s.prepare([new_item("a", "x", 0)])
    with caplog.at_level(logging.WARNING, logger="watchbot.analysis"):
        s.record(1, prepared, T0)
    assert "analysis.not_recorded" in caplog.text
