"""Channel-filter benchmark: what per-channel filters add to routing each new item.

    python bench/filters.py [--channels 20] [--rules 50] [--items 2000] [--runs 5]

`--channels` channels with `--rules` rules each (four in five word rules, one in five /REGEX/
rules; a quarter restricted to a tag or a feed, as people write them), against items whose title
and ~600-character text mix English, Ukrainian and Polish. Side by side in one run:

* route, no filters  `alert_deliveries` for every item over channels without filters;
* route, filters     the same over the filtered channels (every rule of every channel checked,
                     as it is for items no exclude catches);
* every rule tried   filters whose rules match nothing: every rule of every channel is
                     looked at for every item (the worst case);
* compile            building the 20 channels' compiled filters from scratch (the first poll
                     after a change; later polls find them cached).

Prints per-item figures (medians of the runs), then one JSON line. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import random
import time

import _support  # noqa: F401  (puts the repository on sys.path)
from _support import machine, median

from bot.core.filters import (
    FilterRule,
    FilterSubject,
    channel_filter,
    clear_filter_cache,
    parse_rule,
)
from bot.core.models import Channel, Classification
from bot.core.routing import alert_deliveries

WORDS = tuple(
    [
        "troops",
        "ukraine",
        "security",
        "guarantees",
        "reassurance",
        "force",
        "ceasefire",
        "brigade",
        "coalition",
        "willing",
        "deployment",
        "border",
        "kyiv",
        "warsaw",
        "war",
        "peace",
        "talks",
        "minister",
        "summit",
        "nato",
        "sanctions",
        "drone",
        "army",
        "військ",
        "україна",
        "гарантії",
        "безпеки",
        "перемир'я",
        "коаліція",
        "міністр",
        "саміт",
        "żołnierze",
        "ukraina",
        "gwarancje",
        "bezpieczeństwa",
        "rozejm",
        "koalicja",
        "minister",
        "szczyt",
    ]
)
TAGS = ("Ukraine", "Russia", "Europe", "Poland")


def rules_for(
    channel: int, count: int, rng: random.Random, *, never: bool = False
) -> tuple[FilterRule, ...]:
    """`count` rules: four in five words (one to three), one in five a regex; some restricted.
    Word rules carry a word no item has; with `never`, regexes match nothing either, so every
    rule is tried (the worst case: an item no exclude catches)."""
    out = []
    for n in range(count):
        action = "include" if n % 7 == 0 else "exclude"
        if n % 5 == 4:
            miss = f"z{channel}q{n}" if never else ""
            body = f"/{rng.choice(WORDS)}\\w*{miss}|{rng.choice(WORDS)}s?{miss}\\b/"
        else:
            body = " ".join(rng.sample(WORDS, rng.randint(1, 3))) + f" z{channel}x{n}"
        scope = rng.choice(("", "", " in:title", " in:text"))
        where = rng.choice(("", "", "", f" tag:{rng.choice(TAGS)}", f' feed:"Feed {n % 9}"'))
        out.append(parse_rule(f"{action} {body}{scope}{where}"))
    return tuple(out)


def subjects(count: int, rng: random.Random) -> list[FilterSubject]:
    """Items with a 10-word title and a ~600-character text."""
    return [
        FilterSubject(
            title=" ".join(rng.choices(WORDS, k=10)).capitalize(),
            text=" ".join(rng.choices(WORDS, k=75)),
            source=f"Outlet {k % 13}",
            feed_name=f"Feed {k % 9}",
            feed_url=f"https://feed{k % 9}.example/rss",
            tags=(TAGS[k % len(TAGS)],),
        )
        for k in range(count)
    ]


def per_item_us(items: list[FilterSubject], channels: list[Channel], cls: Classification) -> float:
    start = time.perf_counter()
    for subject in items:
        alert_deliveries(cls, channels, silent=False, subject=subject)
    return (time.perf_counter() - start) / len(items) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--channels", type=int, default=20)
    parser.add_argument("--rules", type=int, default=50)
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(7)
    cls = Classification(
        scores={"guarantees": 0.9, "troops": 0.9},
        labels={"guarantees": True, "troops": True},
        why={},
        model_version="bench",
    )
    plain = [Channel(f"console:c{n}", f"c{n}", threshold=0.5) for n in range(args.channels)]
    filtered = [
        Channel(f"console:c{n}", f"c{n}", threshold=0.5, filters=rules_for(n, args.rules, rng))
        for n in range(args.channels)
    ]
    worst = [
        Channel(
            f"console:c{n}",
            f"c{n}",
            threshold=0.5,
            filters=rules_for(n, args.rules, rng, never=True),
        )
        for n in range(args.channels)
    ]
    items = subjects(args.items, rng)
    compile_s, bare, with_filters, every_rule = [], [], [], []
    for _ in range(args.runs):
        clear_filter_cache()
        start = time.perf_counter()
        for ch in filtered:
            channel_filter(ch.filters)
        compile_s.append(time.perf_counter() - start)
        bare.append(per_item_us(items, plain, cls))
        with_filters.append(per_item_us(items, filtered, cls))
        every_rule.append(per_item_us(items, worst, cls))
    passed = sum(len(alert_deliveries(cls, filtered, silent=False, subject=s)) for s in items) / (
        len(items) * len(filtered)
    )
    figures = {
        "channels": args.channels,
        "rules_per_channel": args.rules,
        "items": args.items,
        "route_no_filters_us_per_item": round(median(bare), 1),
        "route_filters_us_per_item": round(median(with_filters), 1),
        "filters_us_per_item_per_channel": round(
            (median(with_filters) - median(bare)) / args.channels, 2
        ),
        "ratio": round(median(with_filters) / median(bare), 1),
        "route_every_rule_tried_us_per_item": round(median(every_rule), 1),
        "every_rule_ratio": round(median(every_rule) / median(bare), 1),
        "compile_all_channels_ms": round(median(compile_s) * 1000, 2),
        "share_passed": round(passed, 3),
        **machine(),
    }
    print(f"{args.channels} channels × {args.rules} rules, {args.items} items, {args.runs} runs")
    print(f"route, no filters: {figures['route_no_filters_us_per_item']} µs per item")
    print(
        f"route, filters:    {figures['route_filters_us_per_item']} µs per item "
        f"({figures['filters_us_per_item_per_channel']} µs per item per channel, "
        f"×{figures['ratio']})"
    )
    print(
        f"route, filters, no rule matches (every rule tried): "
        f"{figures['route_every_rule_tried_us_per_item']} µs per item (×{figures['every_rule_ratio']})"
    )
    print(f"compile every channel's filters: {figures['compile_all_channels_ms']} ms")
    print(f"share of (item, channel) pairs let through: {figures['share_passed']}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
