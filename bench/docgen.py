"""Generated text documents for the ingest benchmark: news articles of realistic length.

Deterministic for a given seed. About `on_topic` of the documents report one of a few hundred
events about the two topics (several documents per event, each worded its own way: the sentences
are drawn from a pool and shuffled); the rest are ordinary news of the region and elsewhere. A
document is a title line, a blank line and 3–25 sentences (≈ 400–4,000 characters), like an
archived article saved as text.
"""

from __future__ import annotations

import random
from pathlib import Path

WHO = (
    "the French president",
    "the British prime minister",
    "Germany's chancellor",
    "Poland's defence minister",
    "NATO's secretary general",
    "the EU's foreign policy chief",
    "Ukraine's foreign minister",
    "a Kremlin spokesman",
)
CITY = ("Paris", "London", "Berlin", "Warsaw", "Brussels", "Kyiv", "Rome", "Vilnius", "Oslo")
DAY = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

ON_TOPIC_TITLES = (
    "{who} says European troops could deploy to Ukraine after a ceasefire",
    "Allies discuss security guarantees for Ukraine in {city}",
    "Coalition of the willing weighs a reassurance force for Ukraine",
    "{who} rules out sending soldiers to Ukraine without a US backstop",
    "Kyiv presses partners for binding security guarantees",
)
ON_TOPIC = (
    "Speaking in {city} on {day}, {who} said a multinational force of {n},000 troops could be "
    "stationed in Ukraine once the fighting stops.",
    "Officials in Kyiv welcomed the plan and said security guarantees had to be legally binding.",
    "Defence ministers discussed air defence, training missions and boots on the ground as part "
    "of long-term security guarantees for Ukraine.",
    "{who} told reporters that peacekeepers would not be deployed before a ceasefire was agreed.",
    "Moscow warned that any Western troops in Ukraine would be considered a legitimate target.",
    "The proposal includes an Article 5-style commitment and a US backstop, diplomats said.",
    "Several countries have offered to contribute soldiers to a reassurance force in Ukraine.",
)
OFF_TOPIC_TITLES = (
    "Grain exports from Odesa rise as shipping corridor holds",
    "Central bank in {city} holds interest rates steady",
    "Storms disrupt rail traffic across the region",
    "{who} opens new hospital wing in {city}",
    "Film festival in {city} announces its programme",
    "Energy prices fall as gas storage fills up",
    "Drone attack damages power plant in eastern Ukraine",
    "Football: {city} side wins the cup after extra time",
)
OFF_TOPIC = (
    "Shipments through the Black Sea corridor increased this month, port officials said.",
    "The bank kept its key rate unchanged on {day}, citing easing inflation.",
    "Heavy winds brought down lines near {city}; most services would resume by the evening.",
    "The new wing will treat {n},000 patients a year and was funded by regional grants.",
    "Organisers unveiled forty feature films and a retrospective, with screenings from {day}.",
    "Wholesale gas prices dropped to their lowest level in months, traders in {city} said.",
    "Russian forces struck energy infrastructure overnight, the regional governor said.",
    "Repair crews worked through the night to restore electricity to {n},000 homes.",
    "Analysts expect growth of around {n} percent next year, according to the ministry.",
    "The match drew a record crowd, and the club said ticket sales had doubled.",
    "Local authorities said the road would reopen on {day} after the works are finished.",
    "The company reported higher quarterly profits and raised its forecast for the year.",
)


def _fill(rng: random.Random, template: str, event: dict[str, str]) -> str:
    return template.format(n=rng.randint(2, 60), **event)


def document(rng: random.Random, on_topic: bool, event: dict[str, str]) -> str:
    """One article: a title line, a blank line, then its body."""
    titles, pool = (ON_TOPIC_TITLES, ON_TOPIC) if on_topic else (OFF_TOPIC_TITLES, OFF_TOPIC)
    title = _fill(rng, rng.choice(titles), event)
    count = rng.randint(3, 25)
    # An on-topic article leads with the event, then carries on with the wider news.
    body = [
        _fill(rng, rng.choice(pool if i < 4 or not on_topic else OFF_TOPIC), event)
        for i in range(count)
    ]
    paragraphs = [" ".join(body[i : i + 3]) for i in range(0, len(body), 3)]
    return title + "\n\n" + "\n\n".join(paragraphs) + "\n"


def write_documents(
    root: Path, count: int, *, per_folder: int = 1000, on_topic: float = 0.2, seed: int = 11
) -> list[Path]:
    """`count` documents in folders of `per_folder` under `root`; the folders, in order."""
    rng = random.Random(seed)
    events = [
        {"who": rng.choice(WHO), "city": rng.choice(CITY), "day": rng.choice(DAY)}
        for _ in range(max(1, count // 100))
    ]
    folders: list[Path] = []
    for i in range(count):
        if i % per_folder == 0:
            folders.append(root / f"batch-{len(folders):04d}")
            folders[-1].mkdir(parents=True)
        text = document(rng, rng.random() < on_topic, rng.choice(events))
        (folders[-1] / f"doc-{i:06d}.txt").write_text(text, encoding="utf-8")
    return folders
