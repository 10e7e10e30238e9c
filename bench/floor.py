"""What the shipped classifier costs next to bare feedparser, on the same realistic items.

    python bench/floor.py [--feeds 200] [--entries 50]

Parses storygen's feeds with bare `feedparser.parse` (best of three, in a fresh interpreter,
as bench/pipeline.py measures it), then runs spaCy's
tokenizer alone over the items' composed texts (a fresh blank English pipeline: every word new
to its vocabulary, as in a cold start) and the shipped classifier over the items. The
tokenizer's ratio is a floor for any classifier that reads spaCy tokens, and so for the cold
cycle's ratio to feedparser. Prints the figures, then one JSON line.
"""

from __future__ import annotations

import argparse
import gc
import json
from datetime import UTC, datetime

import spacy
from _support import bare_feedparser, generated, machine, timed

from bot.classify.loader import load_classifier
from bot.classify.rules import compose_text
from bot.core.normalise import normalise
from bot.ingest.parse import FeedparserParser


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--entries", type=int, default=50)
    args = parser.parse_args()
    docs = generated(args.feeds, args.entries)
    classifier = load_classifier("auto", {})
    parse, now = FeedparserParser(), datetime.now(UTC)
    items = []
    for n, body in enumerate(docs):
        for entry in parse.parse(body, url=f"http://bench/{n}", headers={}).entries:
            c = normalise(entry, feed_url=f"http://bench/{n}", source="bench", now=now)
            items.append((c.title, c.text))
    texts = [compose_text(title, text) for title, text in items]
    gc.freeze()
    bare = bare_feedparser(args.feeds, args.entries, runs=3)
    blank = spacy.blank("en")
    tokenizer = timed(lambda: [blank.make_doc(t) for t in texts])
    classify = timed(lambda: classifier.classify_many(items))
    result = {
        "items": len(items),
        "feedparser_seconds": round(bare, 2),
        "tokenizer_seconds": round(tokenizer, 2),
        "tokenizer_ratio": round(tokenizer / bare, 2),
        "classifier_seconds": round(classify, 2),
        "classifier_ratio": round(classify / bare, 2),
        **machine(),
    }
    print(f"{len(items)} items; bare feedparser {bare:.2f} s (best of 3)")
    print(f"spaCy tokenizer alone: {tokenizer:.2f} s = {tokenizer / bare:.2f}x feedparser")
    print(f"shipped classifier: {classify:.2f} s = {classify / bare:.2f}x feedparser")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
