"""Stories: items that report the same event, across outlets, syndication and rewrites.

Two items are one story when they were published close together and either share most of their
wording (MinHash estimate of the Jaccard similarity of their content words) or share some wording
and at least two actors of the gazetteer. MinHash LSH finds the near-duplicates among the stored
items; an actor index finds the rewrites that share little wording. The figures come from the
labelled pairs in corpus/pairs.jsonl (see docs/analysis.md).
"""

from __future__ import annotations

import base64
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

import numpy as np
from datasketch import MinHash, MinHashLSH

from bot.analysis.text import actors_in, content_words
from bot.core.ports import StoryDoc

NUM_PERM = 256  # the similarity estimate's standard error is about 0.02 at the thresholds used
SEED = 7  # fixed: stored signatures are only comparable with signatures of the same seed
SCHEME = "affine32"  # datasketch's hashing scheme; 32-bit values, stored as such
LEDE_WORDS = 250  # rewrites keep the lede; later paragraphs drift into background and analysis
ACTOR_CHARS = 3000  # the actors of an event are named early

WINDOW = timedelta(hours=72)  # reports of one event are published within three days
COPY_WINDOW = timedelta(days=7)  # reposts of one article can trail by a week
COPY_SIMILARITY = 0.5  # syndicated copies and light edits
TEXT_SIMILARITY = 0.25  # rewrites of one report
ACTOR_SIMILARITY = 0.10  # other outlets' reports of the event: some wording, same actors
SHARED_ACTORS = 2
LSH_THRESHOLD = 0.2  # below TEXT_SIMILARITY, so that estimate noise does not hide a candidate

FORMAT = 1


@lru_cache(maxsize=1)
def _permutations() -> object:
    """The hash permutations of (NUM_PERM, SEED): computing them is most of decoding's cost."""
    return MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME).permutations


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What clustering keeps of an item: the MinHash of its content words and its actors."""

    minhash: MinHash
    actors: frozenset[str]

    def dumps(self) -> str:
        """Compact JSON: the signature as base64 little-endian uint32, the actors sorted."""
        values = np.asarray(self.minhash.hashvalues, dtype="<u4").tobytes()
        return json.dumps(
            {"v": FORMAT, "m": base64.b64encode(values).decode(), "a": sorted(self.actors)},
            separators=(",", ":"),
        )

    @classmethod
    def loads(cls, text: str) -> Fingerprint | None:
        """The fingerprint serialised by `dumps`; None for anything else (an older format)."""
        try:
            data = json.loads(text)
            if data.get("v") != FORMAT or data.get("s", SCHEME) != SCHEME:
                return None
            values = np.frombuffer(base64.b64decode(data["m"]), dtype="<u4")
            if len(values) != NUM_PERM:
                return None
            minhash = MinHash(
                num_perm=NUM_PERM,
                seed=SEED,
                hashvalues=values,
                permutations=_permutations(),
                scheme=SCHEME,
            )
            return cls(minhash, frozenset(str(a) for a in data.get("a", [])))
        except (ValueError, TypeError, KeyError, AttributeError):
            return None


def fingerprint_of(title: str, text: str) -> Fingerprint:
    """The fingerprint of an item's title and text."""
    whole = f"{title}.\n{text}"
    words = content_words(whole)[:LEDE_WORDS]
    minhash = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME)
    minhash.update_batch([w.encode("utf-8") for w in set(words)])
    return Fingerprint(minhash, actors_in(whole[:ACTOR_CHARS]))


def same_story(similarity: float, apart: timedelta, shared_actors: int) -> bool:
    """The decision rule for one pair of items."""
    if apart <= COPY_WINDOW and similarity >= COPY_SIMILARITY:
        return True
    if apart > WINDOW:
        return False
    return similarity >= TEXT_SIMILARITY or (
        similarity >= ACTOR_SIMILARITY and shared_actors >= SHARED_ACTORS
    )


class MinHashStoryClusterer:
    """The StoryClusterer port: datasketch MinHash LSH, time proximity and shared actors."""

    @property
    def window(self) -> timedelta:
        """The widest distance in time at which two items can still be one story."""
        return max(WINDOW, COPY_WINDOW)

    def fingerprint(self, title: str, text: str) -> str:
        """The serialised fingerprint of an item."""
        return fingerprint_of(title, text).dumps()

    def assign(self, new: Sequence[StoryDoc], known: Sequence[StoryDoc]) -> list[int | None]:
        """For each new doc, the index in `[*known, *new]` of the most similar earlier doc of the
        same story, or None."""
        docs = [*known, *new]
        prints = [Fingerprint.loads(d.fingerprint) for d in docs]
        lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)
        by_actor: dict[str, list[int]] = defaultdict(list)

        def index(i: int) -> None:
            fp = prints[i]
            if fp is not None:
                lsh.insert(i, fp.minhash)
                for actor in fp.actors:
                    by_actor[actor].append(i)

        for i in range(len(known)):
            index(i)
        links: list[int | None] = []
        for i in range(len(known), len(docs)):
            links.append(self._best(i, docs, prints, lsh, by_actor))
            index(i)
        return links

    @staticmethod
    def _best(
        i: int,
        docs: Sequence[StoryDoc],
        prints: Sequence[Fingerprint | None],
        lsh: MinHashLSH,
        by_actor: dict[str, list[int]],
    ) -> int | None:
        fp = prints[i]
        if fp is None:
            return None
        candidates = set(lsh.query(fp.minhash))
        candidates.update(j for actor in fp.actors for j in by_actor.get(actor, ()))
        best: tuple[float, int] | None = None
        for j in sorted(candidates):
            other = prints[j]
            if other is None:
                continue
            apart = abs(docs[i].published_at - docs[j].published_at)
            similarity = float(fp.minhash.jaccard(other.minhash))
            if same_story(similarity, apart, len(fp.actors & other.actors)) and (
                best is None or similarity > best[0]
            ):
                best = (similarity, j)
        return best[1] if best else None
