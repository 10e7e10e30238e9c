"""Generated feeds for the benchmarks: realistic RSS 2.0 and Atom documents, 10% on-topic.

Deterministic for a given seed, so runs are comparable. Entries look like what news sites publish:
an HTML description of a few paragraphs, tracking parameters on links, categories and an author.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

ON_TOPIC = (
    (
        "{who} says British and French troops could deploy to Ukraine after a ceasefire",
        "The {who} told reporters that a European reassurance force of several thousand soldiers "
        "would be stationed in Ukraine once fighting stops. Officials in Kyiv welcomed the plan.",
    ),
    (
        "Europe offers Ukraine security guarantees with a US backstop",
        "Leaders meeting in {city} discussed Article 5-style security guarantees for Ukraine, "
        "including air defence and a multinational force, the {who} said on {day}.",
    ),
    (
        "Coalition of the willing weighs peacekeepers for Ukraine",
        "Defence ministers in {city} considered sending peacekeepers to Ukraine. The {who} said "
        "boots on the ground were not ruled out as part of long-term security guarantees.",
    ),
)
OFF_TOPIC = (
    (
        "Grain exports from Odesa rise as shipping corridor holds",
        "Shipments through the Black Sea corridor increased in {month}, port officials in {city} "
        "said, with wheat and maize leading the cargo.",
    ),
    (
        "Central bank in {city} holds interest rates steady",
        "The bank kept its key rate unchanged on {day}, citing easing inflation and a resilient "
        "labour market. Analysts had expected the decision.",
    ),
    (
        "Storms disrupt rail traffic across the region",
        "Heavy winds brought down lines near {city} on {day}; the operator said most services "
        "would resume by the evening.",
    ),
    (
        "{who} opens new hospital wing in {city}",
        "The {who} attended the opening of a cardiology wing that will treat 5,000 patients a "
        "year. Construction took two years and was funded by regional grants.",
    ),
    (
        "Film festival in {city} announces its programme",
        "Organisers unveiled forty feature films and a retrospective, with screenings starting "
        "on {day}. Tickets go on sale next week.",
    ),
    (
        "Energy prices fall as gas storage fills up",
        "Wholesale gas prices dropped to their lowest level since {month}, traders in {city} "
        "said, as storage sites reached 90 percent of capacity.",
    ),
)
WHO = ("prime minister", "defence minister", "foreign minister", "president", "mayor", "chancellor")
CITY = ("Paris", "London", "Berlin", "Warsaw", "Kyiv", "Brussels", "Rome", "Madrid", "Vilnius")
DAY = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
MONTH = ("January", "February", "March", "April", "May", "June")
FILLER = (
    "The statement followed weeks of talks between officials and was published on the "
    "government's website. Further details are expected in the coming days, a spokesperson said.",
    "Opposition politicians criticised the timing of the announcement, while business groups "
    "said they needed more clarity before committing to new investment.",
    "Reporters asked about the costs involved; officials declined to give figures but said a "
    "budget would be presented to parliament before the summer recess.",
)
BASE_TIME = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def _fill(template: str, rng: random.Random) -> str:
    return template.format(
        who=rng.choice(WHO), city=rng.choice(CITY), day=rng.choice(DAY), month=rng.choice(MONTH)
    )


def entry(feed_no: int, n: int, rng: random.Random, on_topic: bool) -> dict[str, str]:
    """One entry's fields (plain text title, HTML description)."""
    title_t, lede_t = rng.choice(ON_TOPIC if on_topic else OFF_TOPIC)
    title = _fill(title_t, rng)
    slug = f"{feed_no}-{n}-{rng.getrandbits(32):08x}"
    byline = f"Filed from {rng.choice(CITY)} by {rng.choice(WHO)} desk, report {slug}."
    paragraphs = [_fill(lede_t, rng), *rng.sample(FILLER, k=rng.randint(1, 3)), byline]
    description = "".join(f"<p>{p}</p>" for p in paragraphs)
    return {
        "guid": f"https://outlet{feed_no}.example/news/{slug}",
        "link": f"https://outlet{feed_no}.example/news/{slug}?utm_source=rss&utm_medium=feed",
        "title": title,
        "description": description,
        "published": format_datetime(BASE_TIME - timedelta(minutes=37 * n + feed_no % 60)),
        "iso": (BASE_TIME - timedelta(minutes=37 * n + feed_no % 60)).isoformat(),
        "author": f"Reporter {rng.randint(1, 40)}",
        "category": rng.choice(("World", "Europe", "Politics", "Business", "Defence")),
    }


def rss(feed_no: int, entries: list[dict[str, str]]) -> bytes:
    """An RSS 2.0 document."""
    items = "".join(
        "<item>"
        f"<title>{escape(e['title'])}</title><link>{escape(e['link'])}</link>"
        f'<guid isPermaLink="true">{escape(e["guid"])}</guid>'
        f"<description>{escape(e['description'])}</description>"
        f"<pubDate>{e['published']}</pubDate><dc:creator>{e['author']}</dc:creator>"
        f"<category>{e['category']}</category>"
        "</item>\n"
        for e in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:atom="http://www.w3.org/2005/Atom"><channel>'
        f"<title>Outlet {feed_no}</title><link>https://outlet{feed_no}.example/</link>"
        f"<description>News from outlet {feed_no}</description><language>en</language>\n"
        f"{items}</channel></rss>\n"
    ).encode()


def atom(feed_no: int, entries: list[dict[str, str]]) -> bytes:
    """An Atom 1.0 document."""
    body = "".join(
        "<entry>"
        f"<title>{escape(e['title'])}</title>"
        f'<link rel="alternate" type="text/html" href="{escape(e["link"])}"/>'
        f"<id>{escape(e['guid'])}</id><updated>{e['iso']}</updated>"
        f"<author><name>{e['author']}</name></author>"
        f'<summary type="html">{escape(e["description"])}</summary>'
        "</entry>\n"
        for e in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Outlet {feed_no}</title><id>urn:outlet:{feed_no}</id>"
        f"<updated>{BASE_TIME.isoformat()}</updated>\n{body}</feed>\n"
    ).encode()


def generate(feeds: int, entries: int, *, on_topic: float = 0.1, seed: int = 7) -> list[bytes]:
    """`feeds` documents of `entries` entries each; one in five is Atom, the rest RSS 2.0."""
    rng = random.Random(seed)
    docs = []
    for f in range(feeds):
        items = [entry(f, n, rng, rng.random() < on_topic) for n in range(entries)]
        docs.append(atom(f, items) if f % 5 == 4 else rss(f, items))
    return docs
