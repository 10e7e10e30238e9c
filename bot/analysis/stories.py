"""Stories: items that report the same event, across outlets, syndication and rewrites.

Two items are one story when they were published close together and either share most of their
wording (MinHash estimate of the Jaccard similarity of their content words) or share some wording
and at least two actors of the gazetteer. LSH bands find the near-duplicates among the stored
items; actors find the rewrites that share little wording. The figures come from the labelled
pairs in corpus/pairs.jsonl (see docs/analysis.md).

The stored items live in one in-memory `StoryIndex` per process (bot/analysis/story_index.py):
loaded once from the persisted fingerprints, brought up to date before each poll is linked by
reading only the fingerprints stored since (by this replica or another on the same database),
and expired as the window moves on. numpy and spaCy are imported when first needed, so that
commands which never cluster do not pay for them.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.analysis.text import actors_in_many, content_words
from bot.core.ports import AnalysisStore, StoryDoc, StoryLink

if TYPE_CHECKING:
    from bot.analysis.signatures import U32
    from bot.analysis.story_index import Entry, Probe, StoryIndex

NUM_PERM = 256  # as bot.analysis.signatures (kept here so that importing this stays light)
SCHEME = "affine32"  # datasketch's hashing scheme that the signatures reproduce
LEDE_WORDS = 250  # rewrites keep the lede; later paragraphs drift into background and analysis
ACTOR_CHARS = 3000  # the actors of an event are named early

WINDOW = timedelta(hours=72)  # reports of one event are published within three days
COPY_WINDOW = timedelta(days=7)  # reposts of one article can trail by a week
COPY_SIMILARITY = 0.5  # syndicated copies and light edits
TEXT_SIMILARITY = 0.25  # rewrites of one report
ACTOR_SIMILARITY = 0.10  # other outlets' reports of the event: some wording, same actors
SHARED_ACTORS = 2
KEEP = 2 * max(WINDOW, COPY_WINDOW)  # how far behind the newest item the index keeps items
HOLE_TTL_S = 300.0  # how long an unseen id below the newest seen may still be committed

FORMAT = 1
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
END_OF_TIME = datetime(9999, 1, 1, tzinfo=UTC)


def _us(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What clustering keeps of an item: the MinHash signature of its content words, its actors."""

    values: U32
    actors: frozenset[str]

    def dumps(self) -> str:
        """Compact JSON: the signature as base64 little-endian uint32, the actors sorted."""
        values = self.values.astype("<u4").tobytes()
        return json.dumps(
            {"v": FORMAT, "m": base64.b64encode(values).decode(), "a": sorted(self.actors)},
            separators=(",", ":"),
        )

    @classmethod
    def loads(cls, text: str) -> Fingerprint | None:
        """The fingerprint serialised by `dumps`; None for anything else (an older format)."""
        import numpy as np

        try:
            data = json.loads(text)
            if data.get("v") != FORMAT or data.get("s", SCHEME) != SCHEME:
                return None
            values = np.frombuffer(base64.b64decode(data["m"]), dtype="<u4").astype(np.uint32)
            if len(values) != NUM_PERM:
                return None
            return cls(values, frozenset(str(a) for a in data.get("a", [])))
        except (ValueError, TypeError, KeyError, AttributeError):
            return None


def fingerprints_of(docs: Sequence[tuple[str, str]]) -> list[Fingerprint]:
    """The fingerprints of (title, text) pairs; spaCy runs once over the batch."""
    from bot.analysis.signatures import signature

    wholes = [f"{title}.\n{text}" for title, text in docs]
    actors = actors_in_many([whole[:ACTOR_CHARS] for whole in wholes])
    return [
        Fingerprint(signature(content_words(whole)[:LEDE_WORDS]), found)
        for whole, found in zip(wholes, actors, strict=True)
    ]


def serialised_fingerprints(docs: Sequence[tuple[str, str]]) -> list[str]:
    """The serialised fingerprints of (title, text) pairs (the StoryClusterer's fingerprinter)."""
    return [fp.dumps() for fp in fingerprints_of(docs)]


def fingerprint_of(title: str, text: str) -> Fingerprint:
    """The fingerprint of an item's title and text."""
    return fingerprints_of([(title, text)])[0]


@dataclass(frozen=True, slots=True)
class StoryRule:
    """The decision rule for pairs of items, written once for a pair (`same_story`) and for the
    story index's arrays of pairs (`decide`: the same operators on numpy arrays)."""

    copy_window: timedelta = COPY_WINDOW
    window: timedelta = WINDOW
    copy_similarity: float = COPY_SIMILARITY
    text_similarity: float = TEXT_SIMILARITY
    actor_similarity: float = ACTOR_SIMILARITY
    shared_actors: int = SHARED_ACTORS

    @property
    def widest_us(self) -> int:
        """The widest distance in time of a pair of one story, in microseconds."""
        return max(self.window, self.copy_window) // timedelta(microseconds=1)

    def decide(self, similarity: Any, apart_us: Any) -> tuple[Any, Any]:
        """(accepted, accepted if they share `shared_actors` actors) for pairs of similarity
        and distance in microseconds: floats and ints, or numpy arrays of them."""
        copies = (apart_us <= self.copy_window // _US) & (similarity >= self.copy_similarity)
        near = apart_us <= self.window // _US
        accepted = copies | (near & (similarity >= self.text_similarity))
        on_actors = near & (similarity >= self.actor_similarity) & (accepted ^ True)
        return accepted, on_actors

    def same_story(self, similarity: float, apart: timedelta, shared_actors: int) -> bool:
        """The decision for one pair of items."""
        accepted, on_actors = self.decide(similarity, apart // _US)
        return bool(accepted or (on_actors and shared_actors >= self.shared_actors))


RULE = StoryRule()
_US = timedelta(microseconds=1)


def same_story(similarity: float, apart: timedelta, shared_actors: int) -> bool:
    """The decision rule for one pair of items (see StoryRule)."""
    return RULE.same_story(similarity, apart, shared_actors)


def _entry(doc: StoryDoc) -> Entry | None:
    from bot.analysis.story_index import Entry

    fp = Fingerprint.loads(doc.fingerprint)
    if fp is None or doc.item_id is None:
        return None
    story = doc.story_id or doc.item_id
    return Entry(doc.item_id, story, _us(doc.published_at), fp.values, fp.actors)


def _probes(docs: Sequence[StoryDoc]) -> tuple[list[Probe], list[int]]:
    """The decodable docs as probes, and their positions in `docs`."""
    from bot.analysis.story_index import Probe

    probes, positions = [], []
    for position, doc in enumerate(docs):
        fp = Fingerprint.loads(doc.fingerprint)
        if fp is not None:
            probes.append(Probe(_us(doc.published_at), fp.values, fp.actors))
            positions.append(position)
    return probes, positions


def _link(index: StoryIndex, new: Sequence[StoryDoc]) -> list[StoryLink | None]:
    probes, positions = _probes(new)
    links: list[StoryLink | None] = [None] * len(new)
    for position, match in zip(positions, index.link(probes, RULE), strict=True):
        if match is None:
            continue
        if match.earlier is not None:
            links[position] = StoryLink(earlier=positions[match.earlier])
        else:
            links[position] = StoryLink(item_id=match.item_id, story_id=match.story_id)
    return links


def assign_among(new: Sequence[StoryDoc], known: Sequence[StoryDoc]) -> list[int | None]:
    """Without a store: for each doc of `new`, the index in `[*known, *new]` of the earlier doc
    it joins, or None (evaluations and benchmarks; `known` docs need distinct item ids)."""
    from bot.analysis.story_index import StoryIndex

    index = StoryIndex()
    index.add([e for e in map(_entry, known) if e is not None])
    at = {doc.item_id: i for i, doc in enumerate(known)}
    return [
        None
        if link is None
        else len(known) + link.earlier
        if link.earlier is not None
        else at[link.item_id]
        for link in _link(index, new)
    ]


class MinHashStoryClusterer:
    """The StoryClusterer port: MinHash LSH bands, time proximity and shared actors over one
    in-memory index of the stored items, kept up to date from `store`."""

    def __init__(self, store: AnalysisStore | None = None) -> None:
        self.store = store
        self._index: StoryIndex | None = None
        self._floor: datetime | None = None  # the index holds every stored item published since
        self._newest = EPOCH
        self._seen = 0  # the highest fingerprinted item id read from the store
        self._holes: dict[int, float] = {}  # ids below `_seen` not read yet: when first missed

    @property
    def window(self) -> timedelta:
        """The widest distance in time at which two items can still be one story."""
        return max(WINDOW, COPY_WINDOW)

    @property
    def fingerprinter(self) -> Callable[[Sequence[tuple[str, str]]], list[str]]:
        """The serialised fingerprints of (title, text) pairs: a module-level function, which
        pickles, so that the poller may run it in a worker process."""
        return serialised_fingerprints

    def fingerprint(self, title: str, text: str) -> str:
        """The serialised fingerprint of one item."""
        return serialised_fingerprints([(title, text)])[0]

    def assign(self, new: Sequence[StoryDoc]) -> list[StoryLink | None]:
        """For each new doc (in order), the stored story or the earlier new doc it joins."""
        if not new:
            return []
        return _link(self._current([d.published_at for d in new]), new)

    def _current(self, moments: Sequence[datetime]) -> StoryIndex:
        """The index, holding every stored item that a doc published at `moments` may join."""
        from bot.analysis.story_index import StoryIndex

        if self._index is None:
            self._index = StoryIndex()
        if self.store is None:
            return self._index
        floor = min(moments) - self.window
        if self._floor is None:
            # Loaded once: the last id first, so that nothing stored meanwhile is missed.
            self._seen = self.store.last_story_doc_id()
            self._load(self.store.story_docs(floor, END_OF_TIME, limit=None))
            self._floor = floor
        elif floor < self._floor:  # an old item: fill in the part of the window not held
            self._load(self.store.story_docs(floor, self._floor, limit=None))
            self._floor = floor
        self._catch_up(self._floor)
        self._newest = max(self._newest, *moments)
        if self._newest - KEEP > self._floor:
            self._floor = self._newest - KEEP
            self._index.expire(_us(self._floor))
        return self._index

    def _catch_up(self, floor: datetime) -> None:
        """Read the fingerprints stored since the last read, by this process or another.

        Ids come from one sequence but commit in any order on PostgreSQL: an id below the
        highest seen that was not read yet is retried for HOLE_TTL_S (an item stored without
        a fingerprint stays a hole until then).
        """
        assert self.store is not None
        now = time.monotonic()
        self._holes = {i: t for i, t in self._holes.items() if now - t < HOLE_TTL_S}
        docs = self.store.story_docs_after(self._seen, sorted(self._holes))
        ids = {d.item_id for d in docs if d.item_id is not None}
        highest = max(ids, default=self._seen)
        if highest - self._seen <= 10_000:
            self._holes.update(dict.fromkeys(set(range(self._seen + 1, highest)) - ids, now))
        for found in ids:
            self._holes.pop(found, None)
        self._seen = max(self._seen, highest)
        self._load(d for d in docs if d.published_at >= floor)

    def _load(self, docs: Iterable[StoryDoc]) -> None:
        assert self._index is not None
        self._index.add([e for e in map(_entry, docs) if e is not None])
