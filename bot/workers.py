"""The process pool beside the event loop: normalising and classifying on the other cores.

Parsing already runs there (HttpSource). The poller can also send a document's normalisation and a
batch of classifications; this module adapts the pool to the core's `Offload`/`ClassifyOffload`.

The classifier is not shipped to the workers with every batch: `share` registers it before the
pool starts, and workers forked afterwards inherit it (one copy of the model in memory, shared
copy-on-write). A worker started another way loads its own from the configuration.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from typing import TypeVar

from bot.classify.loader import load_classifier
from bot.core.models import Classification
from bot.core.ports import Classifier, ClassifyOffload

T = TypeVar("T")

_shared: dict[int, Classifier] = {}
_loaded: dict[tuple[str, tuple[tuple[str, float], ...]], Classifier] = {}
_tokens = itertools.count(1)


class ProcessOffload:
    """The core's `Offload` on an executor: `await offload(fn)` runs `fn()` in the pool."""

    def __init__(self, executor: Executor) -> None:
        self.executor = executor

    def __call__(self, fn: Callable[[], T], /) -> asyncio.Future[T]:
        return asyncio.get_running_loop().run_in_executor(self.executor, fn)


def share(classifier: Classifier) -> int:
    """Register the app's classifier for workers forked from now on; returns its token."""
    token = next(_tokens)
    _shared[token] = classifier
    return token


def classify_in_worker(
    token: int, model: str, thresholds: tuple[tuple[str, float], ...], docs: list[tuple[str, str]]
) -> list[Classification]:
    """Runs in a worker: the inherited classifier if there is one, else one loaded once."""
    classifier = _shared.get(token)
    if classifier is None:
        key = (model, thresholds)
        if key not in _loaded:
            _loaded[key] = load_classifier(model, dict(thresholds))
        classifier = _loaded[key]
    return classifier.classify_many(docs)


def pooled_classify(
    executor: Executor, classifier: Classifier, model: str, thresholds: dict[str, float]
) -> ClassifyOffload:
    """Classification in the pool, with `classifier` (or the configured one) in each worker."""
    token = share(classifier)
    frozen = tuple(sorted(thresholds.items()))

    async def classify(docs: Sequence[tuple[str, str]]) -> list[Classification]:
        job = functools.partial(classify_in_worker, token, model, frozen, list(docs))
        return await asyncio.get_running_loop().run_in_executor(executor, job)

    return classify
