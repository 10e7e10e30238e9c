"""The textcat architecture: a sparse linear model over word and character n-grams.

Registered with spaCy as ``watchbot.TextCatCharBOW.v1`` so that a saved pipeline loads with
`spacy.load` once this module is imported. Why not spaCy's own ``TextCatBOW``: that one hashes
case-sensitive whole words only. The corpus is small and multilingual; character n-grams inside
words (fastText-style ``<вой``, ``ойск``...) let "войска", "войсками" and "війська" share evidence,
and lower-casing keeps headline capitals from splitting a word in two. Each feature group is
L2-normalised per document, so a 2,000-character article does not score more extremely than a
headline merely for being longer.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy
from spacy.attrs import LOWER
from spacy.ml.models.textcat import resize_and_set_ref
from spacy.strings import get_string_id
from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import Logistic, Model, NumpyOps, SparseLinear_v2, chain, resizable, with_cpu
from thinc.layers.resizable import resize_linear_weighted
from thinc.types import Floats2d

ARCHITECTURE = "watchbot.TextCatCharBOW.v1"
_OPS = NumpyOps()  # murmurhash n-grams: the same keys on every run and platform
_CACHE_LIMIT = 200_000  # distinct lower-cased words whose n-gram keys are kept

FeatureBatch = tuple[Any, Any, Any]  # keys (uint64), values (float32), lengths (int32)


def _char_keys(word: str, nmin: int, nmax: int) -> numpy.ndarray:
    """Stable hashes of the character n-grams of `<word>`; empty for words too short to help."""
    if len(word) < 2 or not any(ch.isalpha() for ch in word):
        return numpy.zeros((0,), dtype="uint64")
    padded = f"<{word}>"
    grams = {padded[i : i + n] for n in range(nmin, nmax + 1) for i in range(len(padded) - n + 1)}
    # The \x01 prefix keeps n-gram keys apart from whole-word keys of the same spelling.
    return numpy.asarray(sorted(get_string_id("\x01" + g) for g in grams), dtype="uint64")


def doc_features(
    doc: Doc, ngram_size: int, char_min: int, char_max: int, cache: dict[int, numpy.ndarray]
) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Unique feature keys of one doc and their values (each group L2-normalised)."""
    lowers = doc.to_array([LOWER]).astype("uint64").reshape(-1)
    words = [lowers]
    for n in range(2, ngram_size + 1):
        if len(lowers) >= n:
            words.append(_OPS.ngrams(n, lowers))
    word_keys = numpy.unique(numpy.concatenate(words)) if len(lowers) else lowers
    char_parts = []
    strings = doc.vocab.strings
    for key in lowers.tolist():
        keys = cache.get(key)
        if keys is None:
            keys = _char_keys(strings[key], char_min, char_max)
            if len(cache) < _CACHE_LIMIT:
                cache[key] = keys
        char_parts.append(keys)
    char_keys = (
        numpy.unique(numpy.concatenate(char_parts)) if char_parts else numpy.zeros(0, "uint64")
    )
    values = numpy.concatenate(
        [
            numpy.full(len(word_keys), 1.0 / max(1.0, len(word_keys)) ** 0.5, dtype="float32"),
            numpy.full(len(char_keys), 1.0 / max(1.0, len(char_keys)) ** 0.5, dtype="float32"),
        ]
    )
    return numpy.concatenate([word_keys, char_keys]), values


def featurizer(ngram_size: int, char_min: int, char_max: int) -> Model[list[Doc], FeatureBatch]:
    """Docs → (keys, values, lengths) for SparseLinear; no parameters, no gradient."""
    cache: dict[int, numpy.ndarray] = {}
    cache_key = f"watchbot_features:{ngram_size}:{char_min}:{char_max}"

    def forward(
        model: Model[list[Doc], FeatureBatch], docs: list[Doc], is_train: bool
    ) -> tuple[FeatureBatch, Callable[[Any], list[Any]]]:
        keys, values = [], []
        for doc in docs:
            # Training revisits the same Doc objects every epoch: keep their features on them.
            cached = doc.user_data.get(cache_key)
            if cached is None:
                cached = doc_features(doc, ngram_size, char_min, char_max, cache)
                if is_train:
                    doc.user_data[cache_key] = cached
            k, v = cached
            keys.append(k)
            values.append(v)
        lengths = numpy.asarray([len(k) for k in keys], dtype="int32")
        batch = (
            numpy.concatenate(keys) if keys else numpy.zeros(0, "uint64"),
            numpy.concatenate(values) if values else numpy.zeros(0, "float32"),
            lengths,
        )
        return batch, lambda d_batch: []

    return Model("watchbot_features", forward)


def build_char_bow_textcat(
    ngram_size: int = 2,
    char_min: int = 3,
    char_max: int = 5,
    length: int = 262144,
    nO: int | None = None,
) -> Model[list[Doc], Floats2d]:
    """Multi-label text classifier: hashed word/char n-grams → sparse linear → sigmoid."""
    sparse_linear = SparseLinear_v2(nO=nO, length=length)
    fill_defaults = {"b": 0, "W": 0}
    resizable_layer: Model[Any, Floats2d] = resizable(
        sparse_linear, resize_layer=partial(resize_linear_weighted, fill_defaults=fill_defaults)
    )
    inner: Model[list[Doc], Floats2d] = chain(
        featurizer(ngram_size, char_min, char_max), resizable_layer
    )
    model: Model[list[Doc], Floats2d] = chain(with_cpu(inner, inner.ops), Logistic())
    if nO is not None:
        model.set_dim("nO", nO)
    model.set_ref("output_layer", sparse_linear)
    model.attrs["multi_label"] = True
    model.attrs["resize_output"] = partial(resize_and_set_ref, resizable_layer=resizable_layer)
    return model


registry.architectures.register(ARCHITECTURE, func=build_char_bow_textcat)
