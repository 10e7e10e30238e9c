"""Realistic generated feeds: many events, each reported by 1–30 outlets in their own words.

Deterministic for a seed. About a fifth of the events are on the project's topics (security
guarantees for Ukraine, foreign troops in Ukraine), the rest are other news: other wars, the
economy, sport, NATO business unrelated to Ukraine, science, weather. Each event has its own
people, places, organisations and vocabulary (pseudo-words from a large syllable space), so
reports of unrelated events share little wording, as real ones do; reports of one event are

- syndicated copies (the same text, another byline),
- rewrites (synonyms, sentences reordered and dropped, another headline),
- translations of the lede into French, German, Polish, Ukrainian or Russian (word by word from
  small dictionaries: names and the event's own vocabulary pass through, as they do in real
  translations).

Items are 60–400 words under a headline and published over several days. The documents are the
same RSS 2.0 / Atom shapes as `feedgen` (the worst case: a handful of templates).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime

from feedgen import BASE_TIME, atom, rss

_SYLLABLES = (
    "ba be bi bo bu da de di do du fa fe fi fo ga ge gi go ka ke ki ko ku la le li lo lu ma me "
    "mi mo mu na ne ni no nu pa pe pi po ra re ri ro ru sa se si so ta te ti to va ve vi vo za "
    "zo bran dor fel gar hol kor lan mar nor por ran sel tor val ver wen"
)
SYLLABLES = tuple(_SYLLABLES.split())

ACTORS = tuple(
    " ".join(p)
    for p in (
        ("Emmanuel", "Macron"),
        ("Keir", "Starmer"),
        ("Friedrich", "Merz"),
        ("Volodymyr", "Zelensky"),
        ("Giorgia", "Meloni"),
        ("Donald", "Tusk"),
        ("Mark", "Rutte"),
        ("Donald", "Trump"),
        ("Vladimir", "Putin"),
        ("Marco", "Rubio"),
        ("Pete", "Hegseth"),
        ("Kaja", "Kallas"),
    )
)

# The long tail of news vocabulary: what a report says beyond its beat's stock phrases.
_VOCAB_RNG = random.Random(11)
VOCABULARY = tuple(
    "".join(_VOCAB_RNG.choice(SYLLABLES) for _ in range(_VOCAB_RNG.choice((2, 3, 3, 4))))
    for _ in range(30000)
)
COMMON = VOCABULARY[:1500]  # drawn half the time: the words many reports share by chance
DETAILS = (
    "{G} {g} the {k} {g} of {g} {g} and {g}.",
    "In {g} {g}, the {g} {k} {g} to {g} {g}.",
    "{G} and {g} {g} were {g} by the {k} {g}.",
    "The {g} {g} {g} {k} {g}, with {g} {g} {g}.",
)

# Sentence frames per beat: {a} {b} people, {p} a place, {o} an organisation, {k} the event's
# own words, {n} a number, {d} a weekday.
FRAMES: dict[str, tuple[str, ...]] = {
    "on": (
        "{a} said on {d} that European troops could deploy to Ukraine as part of a reassurance "
        "force once a ceasefire holds, with a base near {p} for the {k} {k}.",
        "Security guarantees for Ukraine would rest on an American backstop, {a} told "
        "reporters in {p} after talks on the {k} plan.",
        "{b} warned that foreign soldiers in Ukraine would be a legitimate target and dismissed "
        "the {k} proposal as a provocation.",
        "The coalition of the willing is weighing {n} peacekeepers for Ukraine, officials "
        "briefed on the {k} {k} talks said.",
        "{a} and {b} discussed Article 5-style guarantees, air defence over {p} and the {k} "
        "training mission for Ukrainian brigades.",
        "Defence ministers meeting at {o} in {p} agreed to draw up plans for the {k} force, "
        "which would not be deployed on the front line.",
        "A multinational force of up to {n} troops would secure the skies and the sea, "
        "according to a {o} document on the {k} guarantees.",
        "{b} said any deployment of troops to Ukraine needs a parliamentary mandate and "
        "support from Washington, and called the {k} talks premature.",
        "Kyiv wants guarantees that cannot be broken, {a} said, citing the failed {k} "
        "memorandum and the {k} accords.",
        "Officials in {p} said the {k} {k} would monitor a ceasefire line of {n} kilometres.",
    ),
    "war": (
        "Fighting between the army and rebel forces spread to {p} on {d}, the {o} said, "
        "forcing {n} families from the {k} district.",
        "Aid convoys carrying {k} and medicine were stuck at checkpoints outside {p}, "
        "according to {a} of the {o}.",
        "Shelling destroyed the {k} bridge near {p}, cutting the last road to the {k} valley.",
        "{a}, a commander of the {k} militia, said his fighters had taken {n} villages.",
        "The {o} called for a humanitarian pause and access to the {k} camps around {p}.",
        "Drone strikes hit a fuel depot in {p} overnight, {b} told local radio.",
    ),
    "economy": (
        "The {o} kept its key rate at {n} percent on {d}, citing easing {k} prices in {p}.",
        "Shares of {o} rose {n} percent after the {k} division reported record orders.",
        "{a}, chief economist at {o}, said the {k} slowdown would weigh on growth in {p}.",
        "Exports of {k} through the port of {p} climbed to {n} tonnes last month.",
        "Unions at the {k} plant in {p} voted to strike over pay, {b} said.",
        "The government in {p} will subsidise {k} {k} with {n} million euros, {a} announced.",
    ),
    "sport": (
        "{a} scored twice as {o} beat the {k} side {n}-1 in {p} on {d}.",
        "{b} won the {k} stage in {p}, taking the lead by {n} seconds.",
        "The {o} coach {a} praised the {k} defence after a goalless draw.",
        "Tickets for the {k} final in {p} sold out within {n} minutes.",
        "{a} withdrew from the {k} open in {p} with a wrist injury.",
        "{b} broke the {k} record in {p} with a time of {n} seconds.",
    ),
    "alliance": (
        "NATO jets scrambled {n} times over the {k} sea near {p} this month, the {o} said.",
        "Allies agreed to raise the common budget for the {k} headquarters in {p}, {a} said.",
        "The alliance will hold its {k} exercise off {p} with {n} ships, {b} announced.",
        "{a} visited the {k} air base near {p} and met crews of the {o}.",
        "Procurement of {k} radars for the {o} was delayed by {n} months, {b} said.",
    ),
    "science": (
        "Researchers at the {o} in {p} found that {k} cells respond to {k} signals.",
        "The {k} telescope near {p} recorded {n} bursts from the {k} cluster, {a} said.",
        "{a} and {b} published a study of {k} soils in {p} covering {n} sites.",
        "A trial of the {k} vaccine at {o} enrolled {n} volunteers in {p}.",
        "Engineers at {o} tested a {k} battery that charges in {n} minutes.",
    ),
    "weather": (
        "Storms brought down power lines near {p} on {d}, leaving {n} homes without power.",
        "Floods on the {k} river forced the evacuation of {p}, {a} of the {o} said.",
        "Temperatures in {p} reached {n} degrees, a record for the {k} season.",
        "The {o} issued a warning for the {k} coast as gusts reached {n} km/h near {p}.",
        "Snow closed the {k} pass above {p} for the third time this week.",
    ),
}
TITLES: dict[str, tuple[str, ...]] = {
    "on": (
        "{a} says troops could deploy to Ukraine under the {k} plan",
        "Security guarantees for Ukraine: {k} talks in {p}",
        "{b} rejects foreign troops in Ukraine",
        "Coalition of the willing weighs peacekeepers after {k} talks",
        "Europe drafts guarantees for Kyiv with a US backstop in {p}",
    ),
    "war": ("Fighting spreads to {p}", "Aid stuck outside {p} as {k} fighting rages"),
    "economy": ("{o} holds rates as {k} prices ease", "{k} exports from {p} climb"),
    "sport": ("{a} leads {o} past the {k} side", "{b} wins in {p}"),
    "alliance": ("NATO jets scrambled over the {k} sea", "Allies fund {k} headquarters in {p}"),
    "science": ("{o} study finds {k} signal", "{k} telescope records bursts"),
    "weather": ("Storms cut power near {p}", "Floods on the {k} river"),
}
BEATS_OFF = ("war", "economy", "economy", "sport", "sport", "alliance", "science", "weather")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# Rewrites swap these for one another; translations replace the ones they know.
SYNONYMS = {
    "said": "stated",
    "told": "informed",
    "warned": "cautioned",
    "agreed": "decided",
    "officials": "sources",
    "spread": "extended",
    "rose": "climbed",
    "climbed": "rose",
    "announced": "declared",
    "found": "discovered",
    "destroyed": "wrecked",
    "record": "best",
    "near": "close to",
    "after": "following",
    "reported": "said",
}
LEXICON = {
    "fr": "the:le and:et said:a_déclaré on:le that:que troops:troupes could:pourraient to:vers "
    "Ukraine:l'Ukraine as:comme part:partie of:de a:un force:force once:une ceasefire:cessez-le-feu "
    "with:avec security:sécurité guarantees:garanties for:pour would:serait after:après in:à "
    "talks:pourparlers warned:a_averti soldiers:soldats officials:responsables",
    "de": "the:die and:und said:sagte on:am that:dass troops:Truppen could:könnten to:in "
    "Ukraine:Ukraine as:als part:Teil of:der a:eine force:Truppe once:sobald ceasefire:Waffenruhe "
    "with:mit security:Sicherheits guarantees:garantien for:für would:würde after:nach in:in "
    "talks:Gespräche warned:warnte soldiers:Soldaten officials:Beamte",
    "pl": "the:ten and:i said:powiedział on:w that:że troops:wojska could:mogłyby to:do "
    "Ukraine:Ukrainy as:jako part:część of:z a:jeden force:siły once:gdy ceasefire:rozejm "
    "with:z security:bezpieczeństwa guarantees:gwarancje for:dla would:by after:po in:w "
    "talks:rozmowy warned:ostrzegł soldiers:żołnierze officials:urzędnicy",
    "uk": "the:це and:і said:заявив on:у that:що troops:війська could:могли to:в "
    "Ukraine:Україну as:як part:частина of:з a:один force:сили once:коли ceasefire:перемир'я "
    "with:з security:безпеки guarantees:гарантії for:для would:б after:після in:у "
    "talks:переговори warned:попередив soldiers:солдати officials:посадовці",
    "ru": "the:это and:и said:заявил on:в that:что troops:войска could:могли to:в "
    "Ukraine:Украину as:как part:часть of:из a:один force:силы once:когда ceasefire:перемирие "
    "with:с security:безопасности guarantees:гарантии for:для would:бы after:после in:в "
    "talks:переговоры warned:предупредил soldiers:солдаты officials:чиновники",
}
DICTIONARIES = {
    lang: {e: f.replace("_", " ") for e, f in (pair.split(":", 1) for pair in words.split())}
    for lang, words in LEXICON.items()
}


@dataclass
class Event:
    """One event: its beat, its facts (sentences in reporting order) and when it happened."""

    number: int
    beat: str
    title: str
    facts: list[str]
    at_minutes: int  # minutes before BASE_TIME


def _pseudo(rng: random.Random, syllables: int) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(syllables))


def _general(rng: random.Random) -> str:
    return rng.choice(COMMON if rng.random() < 0.5 else VOCABULARY)


def _person(rng: random.Random) -> str:
    return f"{_pseudo(rng, 2).title()} {_pseudo(rng, 3).title()}"


def make_event(number: int, rng: random.Random, on_topic: float, days: int) -> Event:
    """An event with its own people, places and words, and 20 facts to report it with."""
    beat = "on" if rng.random() < on_topic else rng.choice(BEATS_OFF)
    people = rng.sample(ACTORS, 2) if beat == "on" else [_person(rng), _person(rng)]
    words = [_pseudo(rng, rng.choice((2, 3))) for _ in range(14)]
    place = _pseudo(rng, 3).title()
    org = f"{_pseudo(rng, 2).title()} {rng.choice(('Institute', 'Group', 'Council', 'Bank'))}"

    def fill(frame: str) -> str:
        out = frame.replace("{a}", people[0]).replace("{b}", people[1])
        out = out.replace("{p}", rng.choice((place, place, _pseudo(rng, 3).title())))
        out = out.replace("{o}", org).replace("{d}", rng.choice(DAYS))
        out = out.replace("{n}", str(rng.randint(2, 5000)))
        while "{k}" in out:
            out = out.replace("{k}", rng.choice(words), 1)
        while "{g}" in out:
            out = out.replace("{g}", _general(rng), 1)
        return out.replace("{G}", _general(rng).title())

    # Each fact: a stock phrase of the beat, then what this event adds in its own words.
    facts = [f"{fill(rng.choice(FRAMES[beat]))} {fill(rng.choice(DETAILS))}" for _ in range(20)]
    return Event(number, beat, fill(rng.choice(TITLES[beat])), facts, rng.randint(0, days * 1440))


def _length(rng: random.Random) -> int:
    """Words in an article: most are short news items, a few long reads (60–400)."""
    return min(400, max(60, int(rng.lognormvariate(4.9, 0.5))))


def _words_until(sentences: list[str], limit: int) -> list[str]:
    kept, count = [], 0
    for s in sentences:
        if count >= limit:
            break
        kept.append(s)
        count += len(s.split())
    return kept


def _swap(sentence: str, table: dict[str, str]) -> str:
    return " ".join(table.get(w, w) for w in sentence.split())


def report(event: Event, rng: random.Random, kind: str) -> tuple[str, list[str], int]:
    """(title, sentences, minutes after the event) of one outlet's report."""
    length = _length(rng)
    if kind == "original" or kind == "copy":
        title, body = event.title, _words_until(event.facts, length)
        if kind == "copy":
            body = [*body, f"(Reporting by {_person(rng)}; editing by {_person(rng)})"]
    elif kind == "rewrite":
        lede, rest = event.facts[:2], event.facts[2:]
        rng.shuffle(rest)
        rest = [s for s in rest if rng.random() < 0.7]
        body = [_swap(s, SYNONYMS) for s in _words_until([*lede, *rest], length)]
        title = _swap(event.title, SYNONYMS)
        if rng.random() < 0.5:
            title = f"{title}: {rng.choice(('what we know', 'analysis', 'live', 'update'))}"
    else:  # a translation of the lede
        table = DICTIONARIES[kind]
        title = _swap(event.title, table)
        body = [_swap(s, table) for s in event.facts[:3]]
    return title, body, rng.randint(0, 36 * 60)


def _outlets(rng: random.Random) -> int:
    """How many outlets report an event: mostly a few, sometimes 20–30."""
    return min(30, max(1, int(rng.paretovariate(1.1))))


@dataclass(frozen=True)
class Report:
    """One outlet's report of an event."""

    outlet: int
    event: Event
    title: str
    sentences: list[str]
    published: datetime


def reports(
    slots: dict[int, int], rng: random.Random, *, on_topic: float = 0.2, days: int = 5
) -> Iterator[Report]:
    """Reports of one event after another, each by 1–30 of the outlets, until every outlet has
    filled its `slots` (outlet → reports it publishes); consumes `slots`. The caller may draw
    from `rng` between reports (the sequence stays deterministic for a seed)."""
    number = 0
    while slots:
        event = make_event(number, rng, on_topic, days)
        outlets = rng.sample(sorted(slots), min(len(slots), _outlets(rng)))
        for position, outlet in enumerate(outlets):
            kind = "original" if position == 0 else _kind(rng)
            title, sentences, after = report(event, rng, kind)
            when = BASE_TIME - timedelta(minutes=event.at_minutes) + timedelta(minutes=after)
            yield Report(outlet, event, title, sentences, when)
            slots[outlet] -= 1
            if not slots[outlet]:
                del slots[outlet]
        number += 1


def generate(
    feeds: int, entries: int, *, on_topic: float = 0.2, seed: int = 7, days: int = 5
) -> list[bytes]:
    """`feeds` documents of `entries` entries each, newest first; one in five is Atom."""
    rng = random.Random(seed)
    per_feed: dict[int, list[dict[str, str]]] = {f: [] for f in range(feeds)}
    slots = dict.fromkeys(range(feeds), entries)
    for r in reports(slots, rng, on_topic=on_topic, days=days):
        slug = f"{r.outlet}-{r.event.number}-{rng.getrandbits(32):08x}"
        per_feed[r.outlet].append(
            {
                "guid": f"https://outlet{r.outlet}.example/news/{slug}",
                "link": f"https://outlet{r.outlet}.example/news/{slug}?utm_source=rss",
                "title": r.title,
                "description": "".join(f"<p>{s}</p>" for s in r.sentences),
                "when": r.published.isoformat(),
                "author": f"Reporter {rng.randint(1, 40)}",
                "category": r.event.beat,
            }
        )
    return [_document(f, per_feed[f]) for f in range(feeds)]


def _kind(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.3:
        return "copy"
    if roll < 0.85:
        return "rewrite"
    return rng.choice(tuple(DICTIONARIES))


def _document(feed_no: int, entries: list[dict[str, str]]) -> bytes:
    for e in entries:
        moment = datetime.fromisoformat(e["when"])
        e["published"], e["iso"] = format_datetime(moment), moment.isoformat()
    entries.sort(key=lambda e: e["when"], reverse=True)
    return atom(feed_no, entries) if feed_no % 5 == 4 else rss(feed_no, entries)
