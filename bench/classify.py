"""Classifier benchmark: model load time, feed items per second on one core, memory.

    python bench/classify.py [--model DIR] [--items N] [--batch N]

Feed items are the corpus items (a headline and one to three sentences), classified in batches
the way the poller does. Long articles are the bundled seed documents. The process is pinned to
one CPU and numeric libraries to one thread. The last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _rss_mb() -> float:
    """Current resident set size (psutil when installed, else peak RSS from getrusage)."""
    try:
        import psutil

        return float(psutil.Process().memory_info().rss) / 2**20
    except ImportError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _seed_articles() -> list[tuple[str, str]]:
    import tomllib

    index = tomllib.loads((REPO / "seeds" / "index.toml").read_text(encoding="utf-8"))["documents"]
    docs = []
    for path in sorted((REPO / "seeds").glob("*.txt")):
        title = index.get(path.name, {}).get("title", path.stem)
        docs.append((title, path.read_text(encoding="utf-8")))
    return docs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="model dir (default: shipped)")
    parser.add_argument(
        "--items",
        type=int,
        default=0,
        help="feed items to classify (default: each corpus item once)",
    )
    parser.add_argument("--batch", type=int, default=64, help="items per classify_many call")
    args = parser.parse_args()

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    rss_start = _rss_mb()
    started = time.perf_counter()
    from bot.classify.data import read_corpus
    from bot.classify.model import TrainedClassifier
    from bot.classify.modeldir import MODEL_DIR

    imported = time.perf_counter()
    rss_imported = _rss_mb()
    classifier = TrainedClassifier(args.model or MODEL_DIR)
    loaded = time.perf_counter()
    rss_loaded = _rss_mb()

    corpus = read_corpus(REPO / "corpus")
    feed = [(i.title, i.text) for i in corpus]
    if args.items:  # more than the corpus holds repeats items, whose words are then cached
        feed = (feed * (args.items // len(feed) + 1))[: args.items]
    classifier.classify_many(_seed_articles())  # warm up on other text: the feed items stay unseen
    t0 = time.perf_counter()
    for start in range(0, len(feed), args.batch):
        classifier.classify_many(feed[start : start + args.batch])
    feed_s = time.perf_counter() - t0

    articles = _seed_articles() * 20
    t0 = time.perf_counter()
    for title, text in articles:
        classifier.classify(title, text)
    article_s = time.perf_counter() - t0
    rss_end = _rss_mb()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    figures = {
        "model_version": classifier.version,
        "import_s": round(imported - started, 3),
        "load_s": round(loaded - imported, 3),
        "feed_items": len(feed),
        "feed_items_per_s": round(len(feed) / feed_s, 1),
        "ms_per_feed_item": round(1000 * feed_s / len(feed), 3),
        "articles": len(articles),
        "articles_per_s": round(len(articles) / article_s, 1),
        "avg_article_chars": round(sum(len(t) + len(x) for t, x in articles) / len(articles)),
        "rss_mb_before_import": round(rss_start, 1),
        "rss_mb_after_load": round(rss_loaded, 1),
        "rss_mb_classifier": round(rss_loaded - rss_imported, 1),
        "rss_mb_end": round(rss_end, 1),
        "peak_rss_mb": round(peak, 1),
        "cpus": 1,
    }
    print(f"model {classifier.version}: import {figures['import_s']} s, load {figures['load_s']} s")
    print(
        f"feed items: {figures['feed_items_per_s']} items/s on one core "
        f"({figures['ms_per_feed_item']} ms each, batches of {args.batch})"
    )
    print(
        f"articles: {figures['articles_per_s']} /s "
        f"(seed documents, {figures['avg_article_chars']} chars on average)"
    )
    print(
        f"memory: {figures['rss_mb_after_load']} MB RSS after load "
        f"({figures['rss_mb_classifier']} MB for the model itself), {figures['rss_mb_end']} MB at "
        f"the end, peak {figures['peak_rss_mb']} MB"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
