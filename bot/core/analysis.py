"""Stories and stances of newly polled items: decided before a poll is stored, recorded after.

A story is one event reported by several outlets. A new item that joins a story must not alert a
channel the story already alerted, so stories are decided before the poll's transaction (which
records the alerts) and only the alerts are filtered there. Fingerprints, story membership and
statements are derived data: they are written right after that transaction, and a failure to
write them is logged, never fatal to the poll (the items simply stay outside any story).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.core.errors import StorageError
from bot.core.models import Candidate, Classification, PendingDelivery
from bot.core.ports import (
    AnalysisStore,
    ItemAnalysis,
    NewItem,
    StanceExtractor,
    Statement,
    StoryClusterer,
    StoryDoc,
)

log = logging.getLogger("watchbot.analysis")

StoryKey = tuple[str, int | str]  # ("story", id) for a stored story, ("lead", guid) for a new one


@dataclass(frozen=True, slots=True)
class PreparedAnalysis:
    """The analysis of one poll's new items, in the poll's order, before anything is stored."""

    records: tuple[ItemAnalysis, ...]
    order: tuple[int, ...]  # indexes of `records` by publication time: who came first

    @property
    def later_sources(self) -> int:
        """How many new items joined a story that was already stored."""
        return sum(1 for r in self.records if r.story_id is not None)


def story_key(record: ItemAnalysis) -> StoryKey:
    """The story a record belongs to, stored or new."""
    if record.story_id is not None:
        return ("story", record.story_id)
    return ("lead", record.story_lead or record.guid)


def followup(alert: PendingDelivery) -> PendingDelivery:
    """The follow-up that replaces an alert for a later source of an already alerted story."""
    return dataclasses.replace(
        alert, kind="followup", dedupe_key=f"followup:{alert.channel_ref}:{{item_id}}"
    )


@dataclass(frozen=True, slots=True)
class ItemText:
    """What reading an item needs: its text, when it was published, whether it is on topic."""

    title: str
    text: str
    published_at: datetime
    on_topic: bool  # the classifier matched it: only then are its statements extracted


@dataclass(frozen=True, slots=True)
class TextReading:
    """What the analysis reads from one item's text alone: its fingerprint and statements."""

    fingerprint: str
    statements: tuple[Statement, ...]


@dataclass(frozen=True, slots=True)
class TextReader:
    """Fingerprints and statements of items: a function of their texts alone, picklable when
    its parts are, so that it may run in a worker process beside the classifier."""

    fingerprints: Callable[[Sequence[tuple[str, str]]], list[str]]
    stances: StanceExtractor | None

    def __call__(self, items: Sequence[ItemText]) -> list[TextReading]:
        """The readings of `items`, in order."""
        prints = self.fingerprints([(i.title, i.text) for i in items])
        return [
            TextReading(fingerprint, self._statements(item))
            for item, fingerprint in zip(items, prints, strict=True)
        ]

    def _statements(self, item: ItemText) -> tuple[Statement, ...]:
        # Only items the classifier found relevant: a statement about troops in Niger is not ours.
        if self.stances is None or not item.on_topic:
            return ()
        return tuple(self.stances.extract(item.title, item.text, item.published_at))


def item_text(candidate: Candidate, classification: Classification) -> ItemText:
    """A classified candidate's text as the reader takes it."""
    c = candidate
    return ItemText(c.title, c.text, c.published_at, bool(classification.matched()))


class AnalysisStep:
    """Clusters new items into stories, extracts their statements, and records both."""

    def __init__(
        self,
        analysis: AnalysisStore,
        clusterer: StoryClusterer,
        stances: StanceExtractor | None = None,
    ) -> None:
        self.analysis = analysis
        self.clusterer = clusterer
        self.stances = stances

    @property
    def reader(self) -> TextReader:
        """Reads fingerprints and statements from items' texts (picklable: see TextReader)."""
        return TextReader(self.clusterer.fingerprinter, self.stances)

    def prepare(
        self, new: Sequence[NewItem], readings: Sequence[TextReading] | None = None
    ) -> PreparedAnalysis:
        """Cluster (against stored items and each other) with each item's fingerprint and
        statements: `readings` of `new` read elsewhere (a worker), or read here."""
        if not new:
            return PreparedAnalysis((), ())
        if readings is None:
            readings = self.reader([item_text(n.candidate, n.classification) for n in new])
        order = sorted(range(len(new)), key=lambda i: (new[i].candidate.published_at, i))
        docs = [StoryDoc(new[i].candidate.published_at, readings[i].fingerprint) for i in order]
        links = self.clusterer.assign(docs)
        story_ids: dict[int, int | None] = {}
        leads: dict[int, str | None] = {}
        for position, index in enumerate(order):
            link = links[position]
            if link is None:
                story_ids[index], leads[index] = None, new[index].candidate.guid
            elif link.earlier is None:
                story_ids[index], leads[index] = link.story_id or link.item_id, None
            else:
                earlier = order[link.earlier]
                story_ids[index], leads[index] = story_ids[earlier], leads[earlier]
        records = tuple(
            ItemAnalysis(
                guid=n.candidate.guid,
                fingerprint=readings[i].fingerprint,
                story_id=story_ids[i],
                story_lead=leads[i],
                statements=readings[i].statements,
                extractor_version=self.stances.version if self.stances else "",
            )
            for i, n in enumerate(new)
        )
        return PreparedAnalysis(records, tuple(order))

    def without_repeats(
        self, prepared: PreparedAnalysis, deliveries: Sequence[Sequence[PendingDelivery]]
    ) -> list[list[PendingDelivery]]:
        """Turn alerts to channels that already have one for the item's story into follow-ups
        (a later source, sent with the first alert instead of as a new one).

        Stored stories count every alert not failed for good (sent, queued or folded into a
        digest); within the poll, the earliest published item of a new story keeps its alerts.
        """
        alerted: dict[StoryKey, set[str]] = {}
        stored = sorted({r.story_id for r in prepared.records if r.story_id is not None})
        for story_id, alerts in self.analysis.story_alerts(stored).items():
            alerted[("story", story_id)] = {d.channel_ref for d in alerts if d.status != "failed"}
        kept: list[list[PendingDelivery]] = [list(d) for d in deliveries]
        for index in prepared.order:
            seen = alerted.setdefault(story_key(prepared.records[index]), set())
            kept[index] = [
                followup(d) if d.kind == "alert" and d.channel_ref in seen else d
                for d in kept[index]
            ]
            seen.update(d.channel_ref for d in kept[index] if d.kind == "alert")
        return kept

    def record(self, feed_id: int, prepared: PreparedAnalysis, now: datetime) -> None:
        """Write fingerprints, stories and statements; a storage failure is logged, not raised."""
        if not prepared.records:
            return
        try:
            self.analysis.record_analysis(feed_id, prepared.records, now)
        except StorageError as exc:
            log.warning("analysis.not_recorded", extra={"feed": feed_id, "error": str(exc)})
