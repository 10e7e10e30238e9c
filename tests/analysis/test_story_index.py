"""The story index: numpy signatures equal datasketch's, and linking gives what the previous
design (a datasketch MinHashLSH rebuilt over the known items, pairs scored one by one) gave."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import numpy as np
from datasketch import MinHash, MinHashLSH

from bot.analysis.evaluate import PAIRS
from bot.analysis.signatures import band_keys, signature
from bot.analysis.stories import (
    RULE,
    Fingerprint,
    assign_among,
    fingerprint_of,
    fingerprints_of,
    same_story,
)
from bot.analysis.story_index import Entry, KeyTable, Probe, StoryIndex
from bot.core.ports import StoryDoc

T0 = datetime(2025, 3, 2, 12, tzinfo=UTC)


def datasketch_minhash(words: list[str]) -> MinHash:
    m = MinHash(num_perm=256, seed=7, scheme="affine32")
    m.update_batch([w.encode("utf-8") for w in set(words)])
    return m


def test_signatures_equal_datasketch() -> None:
    for words in ([], ["kyiv"], ["alpha", "beta", "alpha"], [f"w{i}" for i in range(400)]):
        assert np.array_equal(signature(words), datasketch_minhash(words).hashvalues)


def test_band_keys_match_where_bands_are_equal() -> None:
    a = signature(["troops", "kyiv", "summit"])
    b = a.copy()
    b[0] += 1  # band 0 differs, the other 84 bands are equal
    keys = band_keys(np.stack([a, b]))
    assert keys.shape == (2, 85)
    assert keys[0, 0] != keys[1, 0] and (keys[0, 1:] == keys[1, 1:]).all()


def test_key_table_finds_every_pair_across_runs() -> None:
    table = KeyTable()
    for start in range(0, 40, 5):  # several adds: runs merge as they grow
        keys = np.array([k % 7 for k in range(start, start + 5)], dtype=np.uint64)
        table.add(keys, np.arange(start, start + 5, dtype=np.int64))
    assert len(table) == 40 and len(table.runs) < 8
    position, slots = table.lookup(np.array([3, 99], dtype=np.uint64))
    assert set(position.tolist()) == {0}
    assert sorted(slots.tolist()) == [k for k in range(40) if k % 7 == 3]


def reference(new: list[StoryDoc], known: list[StoryDoc]) -> list[int | None]:
    """The previous design, kept here as the oracle: datasketch LSH plus an actor index."""
    docs = [*known, *new]
    prints = [Fingerprint.loads(d.fingerprint) for d in docs]
    hashes = [
        None if p is None else MinHash(num_perm=256, seed=7, hashvalues=p.values, scheme="affine32")
        for p in prints
    ]
    lsh = MinHashLSH(threshold=0.2, num_perm=256)
    by_actor: dict[str, list[int]] = defaultdict(list)

    def index(i: int) -> None:
        if hashes[i] is not None:
            lsh.insert(i, hashes[i])
            for actor in prints[i].actors:  # type: ignore[union-attr]
                by_actor[actor].append(i)

    for i in range(len(known)):
        index(i)
    links: list[int | None] = []
    for i in range(len(known), len(docs)):
        best: tuple[float, int] | None = None
        if hashes[i] is not None:
            fp = prints[i]
            candidates = set(lsh.query(hashes[i]))
            candidates.update(j for a in fp.actors for j in by_actor.get(a, ()))  # type: ignore[union-attr]
            for j in sorted(candidates):
                if prints[j] is None:
                    continue
                similarity = float(hashes[i].jaccard(hashes[j]))  # type: ignore[union-attr]
                apart = abs(docs[i].published_at - docs[j].published_at)
                shared = len(fp.actors & prints[j].actors)  # type: ignore[union-attr, operator]
                if same_story(similarity, apart, shared) and (best is None or similarity > best[0]):
                    best = (similarity, j)
        links.append(best[1] if best else None)
        index(i)
    return links


def test_linking_equals_the_previous_design_on_the_labelled_pairs() -> None:
    rows = [json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines() if line]
    articles = {a["key"]: a for row in rows for a in (row["a"], row["b"])}
    ordered = sorted(articles.values(), key=lambda a: (a["date"], a["key"]))
    prints = fingerprints_of([(a["title"], a["text"]) for a in ordered])
    docs = [
        StoryDoc(datetime.fromisoformat(a["date"]).replace(tzinfo=UTC), fp.dumps())
        for a, fp in zip(ordered, prints, strict=True)
    ]
    # One article in three stored, the rest one poll.
    known = [StoryDoc(d.published_at, d.fingerprint, n + 1, n + 1) for n, d in enumerate(docs[::3])]
    new = [d for n, d in enumerate(docs) if n % 3]
    known.append(StoryDoc(T0, "not a fingerprint", 999, 999))
    expected = reference(new, known)
    assert assign_among(new, known) == expected
    assert any(link is not None and link < len(known) for link in expected)  # stored matches
    assert any(link is not None and link >= len(known) for link in expected)  # within the poll


def test_expired_items_are_not_linked_and_compaction_keeps_the_rest() -> None:
    fp = fingerprint_of("Hegseth in Brussels", "Pete Hegseth told allies in Brussels on Wednesday.")
    index = StoryIndex()
    day = 86_400_000_000
    index.add([Entry(n + 1, n + 1, n * day, fp.values, fp.actors) for n in range(2000)])
    index.expire(1500 * day)  # most are gone: the index compacts
    assert len(index) == 500 and index.size == 500
    probe = Probe(1999 * day, fp.values, fp.actors)
    [match] = index.link([probe], RULE)
    assert match is not None and match.item_id == 1993  # the earliest copy within the week
    index.expire(3000 * day)
    assert index.link([probe], RULE) == [None]


def test_the_rule_on_arrays_decides_as_on_one_pair() -> None:
    similarities = np.array([s / 100 for s in range(0, 101, 5)] * 4)
    days = [0.5, 3.0, 3.5, 7.5]
    apart = np.repeat([int(d * 86_400_000_000) for d in days], 21)
    for shared in (0, 1, 2, 3):
        accepted, on_actors = RULE.decide(similarities, apart)
        vector = accepted | (on_actors & (shared >= RULE.shared_actors))
        one_by_one = [
            same_story(float(s), timedelta(microseconds=int(a)), shared)
            for s, a in zip(similarities, apart, strict=True)
        ]
        assert vector.tolist() == one_by_one
