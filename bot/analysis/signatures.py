"""MinHash signatures and LSH keys with numpy, for story clustering.

The signatures are bit for bit those of datasketch's `MinHash(num_perm=256, seed=7,
scheme="affine32")` fed the UTF-8 words (SHA-1 word hashes, MurmurHash3 finaliser, affine
permutations modulo 2^32), so the fingerprints stored by earlier versions stay comparable;
tests/analysis/test_story_index.py checks the equality against datasketch. Computing them here
keeps datasketch (and the SciPy it imports) off the poll path and lets a batch be hashed at once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import lru_cache

import numpy as np
import numpy.typing as npt

NUM_PERM = 256  # the similarity estimate's standard error is about 0.02 at the thresholds used
SEED = 7  # fixed: stored signatures are only comparable with signatures of the same seed
BANDS, ROWS = 85, 3  # datasketch's optimal banding for threshold 0.2 at 256 permutations
EMPTY = np.uint32(0xFFFFFFFF)

U32 = npt.NDArray[np.uint32]
U64 = npt.NDArray[np.uint64]

# MurmurHash3's 32- and 64-bit finalisers: bijections that spread structured input.
_FMIX32 = (
    np.uint32(16),
    np.uint32(0x85EBCA6B),
    np.uint32(13),
    np.uint32(0xC2B2AE35),
    np.uint32(16),
)
_FMIX64 = (
    np.uint64(33),
    np.uint64(0xFF51AFD7ED558CCD),
    np.uint64(33),
    np.uint64(0xC4CEB9FE1A85EC53),
    np.uint64(33),
)
# Odd multipliers that fold a band's three values (and its number) into one 64-bit key.
_FOLD = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93],
    dtype=np.uint64,
)


def _fmix(
    values: npt.NDArray[np.unsignedinteger], c: tuple[np.unsignedinteger, ...]
) -> npt.NDArray:  # type: ignore[type-arg]
    s1, m1, s2, m2, s3 = c
    values = values ^ (values >> s1)
    values = values * m1
    values = values ^ (values >> s2)
    values = values * m2
    return values ^ (values >> s3)


@lru_cache(maxsize=1)
def _permutations() -> tuple[U32, U32]:
    """The affine permutations (a odd, b) that datasketch draws for SEED."""
    gen = np.random.RandomState(SEED)
    a = gen.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a, b


def signature(words: Iterable[str]) -> U32:
    """The MinHash signature (NUM_PERM uint32) of a set of words; all EMPTY for no words."""
    hashes = [
        int.from_bytes(hashlib.sha1(w.encode("utf-8")).digest()[:4], "little") for w in set(words)
    ]
    if not hashes:
        return np.full(NUM_PERM, EMPTY, dtype=np.uint32)
    a, b = _permutations()
    mixed = _fmix(np.array(hashes, dtype=np.uint32), _FMIX32)
    permuted = mixed[:, None] * a[None, :] + b[None, :]  # wraps modulo 2^32, as intended
    least: U32 = permuted.min(axis=0)
    return least


def band_keys(signatures: U32) -> U64:
    """One 64-bit key per LSH band of each signature (rows × BANDS): two signatures share a key
    when they agree on all ROWS values of that band (a false match has odds of about 2^-64)."""
    n = signatures.shape[0]
    rows = signatures[:, : BANDS * ROWS].astype(np.uint64).reshape(n, BANDS, ROWS)
    folded = rows[:, :, 0] * _FOLD[0] + rows[:, :, 1] * _FOLD[1] + rows[:, :, 2] * _FOLD[2]
    folded += np.arange(BANDS, dtype=np.uint64)[None, :] * _FOLD[3]
    keys: U64 = _fmix(folded, _FMIX64)
    return keys


@lru_cache(maxsize=4096)
def actor_key(actor: str) -> int:
    """The 64-bit key under which items naming `actor` are indexed."""
    return int.from_bytes(hashlib.blake2b(f"actor:{actor}".encode(), digest_size=8).digest())
