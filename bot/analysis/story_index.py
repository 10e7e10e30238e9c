"""The in-memory story index: stored items' signatures, LSH band keys and actors, in numpy arrays.

Built once from the persisted fingerprints, then grown as items are stored and shrunk as the
window moves on, so that linking a poll's items costs a lookup per key instead of rebuilding an
LSH index over the whole window (which made a cold start quadratic). Candidates are the stored
items that share an LSH band (any similarity above about 0.2 is likely found) or an actor with
a new item; their similarities are computed for all pairs at once, then `same_story` decides.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from bot.analysis.signatures import NUM_PERM, U32, U64, actor_key, band_keys

I64 = npt.NDArray[np.int64]


class Rule(Protocol):
    """The story rule in numpy form (bot.analysis.stories.StoryRule): which pairs it accepts on
    similarity and distance in time alone, and which also need `shared_actors` actors."""

    @property
    def widest_us(self) -> int: ...
    @property
    def shared_actors(self) -> int: ...
    def decide(
        self, similarity: npt.NDArray[np.float64], apart_us: I64
    ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]: ...


@dataclass(frozen=True, slots=True)
class Entry:
    """A stored item as the index keeps it (times in microseconds since the epoch)."""

    item_id: int
    story_id: int  # the story's first item; the item itself when it leads one
    published_us: int
    signature: U32
    actors: frozenset[str]


@dataclass(frozen=True, slots=True)
class Probe:
    """A new item to link: its publication time and its signature and actors."""

    published_us: int
    signature: U32
    actors: frozenset[str]


@dataclass(frozen=True, slots=True)
class Match:
    """The best earlier item of a probe's story: a stored entry or an earlier probe."""

    similarity: float
    item_id: int | None = None
    story_id: int | None = None
    earlier: int | None = None  # index of the probe in the batch


class KeyTable:
    """(key, slot) pairs in sorted runs that merge geometrically (like an LSM tree): adding n
    pairs costs O(n log n) amortised, looking a batch of keys up one searchsorted per run."""

    def __init__(self) -> None:
        self.runs: list[tuple[U64, I64]] = []

    def __len__(self) -> int:
        return sum(len(keys) for keys, _ in self.runs)

    def add(self, keys: U64, slots: I64) -> None:
        """Index `slots[i]` under `keys[i]`."""
        if not len(keys):
            return
        order = np.argsort(keys, kind="stable")
        self.runs.append((keys[order], slots[order]))
        while len(self.runs) > 1 and len(self.runs[-2][0]) <= 2 * len(self.runs[-1][0]):
            (k1, s1), (k2, s2) = self.runs.pop(), self.runs.pop()
            keys, slots = np.concatenate([k2, k1]), np.concatenate([s2, s1])
            order = np.argsort(keys, kind="stable")
            self.runs.append((keys[order], slots[order]))

    def counts(self, keys: U64) -> I64:
        """How many indexed pairs each of `keys` has."""
        total = np.zeros(len(keys), dtype=np.int64)
        for run_keys, _ in self.runs:
            total += np.searchsorted(run_keys, keys, "right") - np.searchsorted(run_keys, keys)
        return total

    def lookup(self, keys: U64) -> tuple[I64, I64]:
        """(position in `keys`, slot) of every indexed pair whose key is one of `keys`."""
        found_q: list[I64] = []
        found_s: list[I64] = []
        for run_keys, run_slots in self.runs:
            lo = np.searchsorted(run_keys, keys, "left")
            counts = np.searchsorted(run_keys, keys, "right") - lo
            total = int(counts.sum())
            if not total:
                continue
            # Expand each [lo, lo + count) range without a Python loop.
            starts = np.repeat(lo - np.cumsum(counts) + counts, counts)
            found_q.append(np.repeat(np.arange(len(keys), dtype=np.int64), counts))
            found_s.append(run_slots[starts + np.arange(total)])
        if not found_q:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty
        return np.concatenate(found_q), np.concatenate(found_s)


def _keys_of(signatures: U32, actors: Sequence[frozenset[str]]) -> tuple[U64, I64]:
    """Every key of each item (its bands, its actors) and the row it belongs to."""
    bands = band_keys(signatures)
    rows = np.repeat(np.arange(len(actors), dtype=np.int64), bands.shape[1])
    named = [(row, actor_key(a)) for row, names in enumerate(actors) for a in sorted(names)]
    if not named:
        return bands.ravel(), rows
    actor_rows = np.array([r for r, _ in named], dtype=np.int64)
    actor_keys = np.array([k for _, k in named], dtype=np.uint64)
    return np.concatenate([bands.ravel(), actor_keys]), np.concatenate([rows, actor_rows])


class StoryIndex:
    """Stored items within the window, findable by LSH band and actor."""

    def __init__(self) -> None:
        self._clear()

    def _clear(self) -> None:
        self.size = 0
        self.signatures: U32 = np.empty((0, NUM_PERM), dtype=np.uint32)
        self.published: I64 = np.empty(0, dtype=np.int64)
        self.item_ids: I64 = np.empty(0, dtype=np.int64)
        self.story_ids: I64 = np.empty(0, dtype=np.int64)
        self.alive = np.empty(0, dtype=bool)
        self.actors: list[frozenset[str]] = []
        self.slot_of: dict[int, int] = {}
        self.table = KeyTable()

    def __len__(self) -> int:
        return len(self.slot_of)

    def __contains__(self, item_id: int) -> bool:
        return item_id in self.slot_of

    def add(self, entries: Sequence[Entry]) -> None:
        """Index stored items (those already indexed are skipped)."""
        fresh = {e.item_id: e for e in entries if e.item_id not in self.slot_of}
        if not fresh:
            return
        new = list(fresh.values())
        start, end = self.size, self.size + len(new)
        self._reserve(end)
        self.signatures[start:end] = np.stack([e.signature for e in new])
        self.published[start:end] = [e.published_us for e in new]
        self.item_ids[start:end] = [e.item_id for e in new]
        self.story_ids[start:end] = [e.story_id for e in new]
        self.alive[start:end] = True
        self.actors.extend(e.actors for e in new)
        for offset, e in enumerate(new):
            self.slot_of[e.item_id] = start + offset
        self.size = end
        keys, rows = _keys_of(self.signatures[start:end], self.actors[start:end])
        self.table.add(keys, rows + start)

    def _reserve(self, needed: int) -> None:
        capacity = len(self.published)
        if needed <= capacity:
            return
        grown = max(needed, 2 * capacity, 1024)
        self.signatures = np.resize(self.signatures, (grown, NUM_PERM))
        self.published = np.resize(self.published, grown)
        self.item_ids = np.resize(self.item_ids, grown)
        self.story_ids = np.resize(self.story_ids, grown)
        self.alive = np.resize(self.alive, grown)
        self.alive[self.size :] = False

    def expire(self, before_us: int) -> None:
        """Forget items published before `before_us`; compact once most slots are dead."""
        old = self.alive[: self.size] & (self.published[: self.size] < before_us)
        for slot in np.flatnonzero(old):
            del self.slot_of[int(self.item_ids[slot])]
        self.alive[: self.size][old] = False
        if self.size > 1024 and 2 * len(self.slot_of) < self.size:
            self._compact()

    def _compact(self) -> None:
        keep = np.flatnonzero(self.alive[: self.size])
        entries = [
            Entry(
                int(self.item_ids[s]),
                int(self.story_ids[s]),
                int(self.published[s]),
                self.signatures[s],
                self.actors[s],
            )
            for s in keep
        ]
        self._clear()
        self.add(entries)

    def link(self, probes: Sequence[Probe], rule: Rule) -> list[Match | None]:
        """For each probe, the most similar stored item or earlier probe of the same story.

        All candidate pairs of the batch are scored and decided at once in numpy; only pairs
        whose fate hangs on shared actors are looked at one by one. Ties go to the earliest
        stored item (by publication, then id), then to the earliest probe: the order in which
        the previous design applied the rule, one pair at a time.
        """
        if not probes:
            return []
        sigs = np.stack([p.signature for p in probes])
        times = np.array([p.published_us for p in probes], dtype=np.int64)
        actors = [p.actors for p in probes]
        keys, rows = _keys_of(sigs, actors)
        best: list[Match | None] = [None] * len(probes)
        mine: Side = (sigs, times, actors)
        stored: Side = (self.signatures, self.published, self.actors)
        # The best stored match of each probe: most similar, then earliest, then lowest id.
        pairs, similarity = _in_chunks(
            self.table,
            (keys, rows, len(probes)),
            (mine, stored, self.size),
            rule,
            lambda p: (self.item_ids[p[:, 1]], self.published[p[:, 1]]),
            alive=self.alive,
        )
        for k, probe in enumerate(pairs[:, 0].tolist()):
            slot = int(pairs[k, 1])
            best[probe] = Match(
                float(similarity[k]), int(self.item_ids[slot]), int(self.story_ids[slot])
            )
        # Earlier probes of the same batch; a stored match of equal similarity comes first.
        batch = KeyTable()
        batch.add(keys, rows)
        inner, similarity = _in_chunks(
            batch, (keys, rows, len(probes)), (mine, mine, len(probes)), rule, lambda p: (p[:, 1],)
        )
        for k, probe in enumerate(inner[:, 0].tolist()):
            current = best[probe]
            if current is None or similarity[k] > current.similarity:
                best[probe] = Match(float(similarity[k]), earlier=int(inner[k, 1]))
        return best


# Pairs found per lookup, at most (about 32 MB): a near-duplicate matches on every band, so a
# batch of copies of one story would otherwise expand into tens of millions of pairs at once.
PAIRS_AT_ONCE = 2_000_000


def _in_chunks(
    table: KeyTable,
    probe_keys: tuple[U64, I64, int],
    sides: tuple[Side, Side, int],
    rule: Rule,
    tiebreak: Callable[[I64], tuple[npt.NDArray[np.int64], ...]],
    alive: npt.NDArray[np.bool_] | None = None,
) -> tuple[I64, npt.NDArray[np.float64]]:
    """The best accepted (probe, other) pair of each probe that has one, among what `table`
    returns for its keys, and its similarity: the most similar, ties broken by `tiebreak`'s
    arrays (most significant last). Probes go a few at a time, so that memory stays bounded
    however many near-duplicates match. Without `alive` the table holds the probes themselves
    (`others` is the batch), and only earlier probes count."""
    keys, rows, probes = probe_keys
    mine, others, bound = sides
    found: list[I64] = []
    similarities: list[npt.NDArray[np.float64]] = []
    per_probe = np.bincount(rows, weights=table.counts(keys), minlength=probes)
    for start, stop in _spans(per_probe, PAIRS_AT_ONCE):
        chosen = (rows >= start) & (rows < stop)
        position, others_found = table.lookup(keys[chosen])
        pairs = _unique_pairs(rows[chosen][position], others_found, bound)
        keep = pairs[:, 1] < pairs[:, 0] if alive is None else alive[pairs[:, 1]]
        pairs = pairs[keep]
        pairs, similarity = _decided(pairs, mine, others, rule)
        order = np.lexsort((*tiebreak(pairs), -similarity, pairs[:, 0]))
        _, first = np.unique(pairs[order, 0], return_index=True)
        found.append(pairs[order[first]])
        similarities.append(similarity[order[first]])
    if not found:
        return np.empty((0, 2), dtype=np.int64), np.empty(0, dtype=np.float64)
    return np.concatenate(found), np.concatenate(similarities)


def _spans(sizes: npt.NDArray[np.float64] | I64, limit: float) -> list[tuple[int, int]]:
    """Consecutive [start, stop) ranges of `sizes` summing to `limit` at most (or one item)."""
    spans: list[tuple[int, int]] = []
    start, total = 0, 0.0
    for i, size in enumerate(sizes.tolist()):
        if i > start and total + size > limit:
            spans.append((start, i))
            start, total = i, 0.0
        total += size
    if start < len(sizes):
        spans.append((start, len(sizes)))
    return spans


def _unique_pairs(firsts: I64, seconds: I64, bound: int) -> I64:
    """The distinct (first, second) pairs, sorted, as rows of a two-column array
    (`seconds` < `bound`): one 1-d unique instead of numpy's slower row-wise one."""
    codes = np.unique(firsts * (bound + 1) + seconds)
    pairs: I64 = np.stack([codes // (bound + 1), codes % (bound + 1)], axis=1)
    return pairs


Side = tuple[U32, I64, Sequence[frozenset[str]]]  # signatures, times, actors


def _decided(
    pairs: I64, probes: Side, others: Side, rule: Rule
) -> tuple[I64, npt.NDArray[np.float64]]:
    """The pairs the rule accepts, and their similarities (the share of equal signature
    values, as MinHash.jaccard), computed for chunks of pairs at once."""
    (sigs, times, actors), (other_sigs, other_times, other_actors) = probes, others
    apart = np.abs(times[pairs[:, 0]] - other_times[pairs[:, 1]])
    pairs, apart = pairs[apart <= rule.widest_us], apart[apart <= rule.widest_us]
    similarity = np.empty(len(pairs), dtype=np.float64)
    for start in range(0, len(pairs), 4096):
        chunk = pairs[start : start + 4096]
        equal = np.count_nonzero(sigs[chunk[:, 0]] == other_sigs[chunk[:, 1]], axis=1)
        similarity[start : start + 4096] = equal / float(NUM_PERM)
    accepted, on_actors = rule.decide(similarity, apart)
    for k in np.flatnonzero(on_actors):
        shared = len(actors[pairs[k, 0]] & other_actors[pairs[k, 1]])
        accepted[k] = shared >= rule.shared_actors
    return pairs[accepted], similarity[accepted]
