"""Stance timelines: `timeline [ACTOR or COUNTRY] [TOPIC]`, and the "who moved" of weekly digests."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from itertools import pairwise

from bot.core.errors import CommandError
from bot.core.messages import StanceChange, TableReply
from bot.core.models import TOPIC_TITLES, TOPICS
from bot.core.ports import ActorQuery, AnalysisStore, StanceExtractor, Statement

TIMELINE_LIMIT = 60
SENTENCE_CHARS = 140


def parse_timeline_args(args: Sequence[str]) -> tuple[str, str | None]:
    """`[ACTOR OR COUNTRY WORDS...] [TOPIC]` → (actor words, topic or None)."""
    words = list(args)
    topic = None
    if words and words[-1].lower() in TOPICS:
        topic = words.pop().lower()
    elif words and words[-1].lower() == "all":
        words.pop()
    return " ".join(words).strip(), topic


def resolve_actor(resolver: StanceExtractor, words: str) -> ActorQuery | None:
    """None for no words (everyone); CommandError when the words name no actor or country."""
    if not words:
        return None
    query = resolver.resolve(words)
    if query.empty:
        raise CommandError(
            f"“{words}” names no actor or country I know; try e.g. Macron, the Kremlin, "
            "Starmer, United States or UK"
        )
    return query


def find_statements(
    analysis: AnalysisStore,
    resolver: StanceExtractor,
    actor: str | None,
    topic: str | None,
    limit: int = 500,
) -> list[Statement]:
    """Statements (oldest first) of an actor or country (None: everyone) on a topic (or both)."""
    if topic is not None and topic not in TOPICS:
        raise CommandError(f"unknown topic “{topic}” (topics: {', '.join(TOPICS)})")
    query = resolve_actor(resolver, actor or "")
    return analysis.statements(
        speakers=query.speakers if query else None,
        countries=query.countries if query else None,
        topic=topic,
        limit=limit,
    )


def speaker_label(s: Statement) -> str:
    """`John Kirby (for Joe Biden)`, `Emmanuel Macron (an Elysee official)`."""
    if s.on_behalf_of:
        return f"{s.speaker} (for {s.on_behalf_of})"
    return f"{s.speaker} ({s.via})" if s.via else s.speaker


def timeline_reply(statements: Sequence[Statement], words: str, topic: str | None) -> TableReply:
    """A dated list of statements, oldest first."""
    shown = list(statements)[-TIMELINE_LIMIT:]
    rows = tuple(
        (
            f"{s.said_at:%Y-%m-%d}",
            speaker_label(s),
            s.stance,
            s.topic,
            f"#{s.item_id}",
            s.sentence
            if len(s.sentence) <= SENTENCE_CHARS
            else s.sentence[: SENTENCE_CHARS - 1] + "…",
        )
        for s in shown
    )
    about = " · ".join(
        p for p in (words or "everyone", TOPIC_TITLES.get(topic, "") if topic else "") if p
    )
    more = len(statements) - len(shown)
    return TableReply(
        title=f"Timeline: {about} ({len(statements)} statement(s))",
        headers=("date", "speaker", "stance", "topic", "item", "sentence"),
        rows=rows,
        footer=(f"{more} older statement(s) not shown. " if more else "")
        + ("`why ITEM` explains an item." if rows else "No statements stored yet."),
        keep="last",
    )


def who_moved(
    analysis: AnalysisStore, since: datetime | None, until: datetime
) -> tuple[StanceChange, ...]:
    """Per speaker and topic, the latest change of stance reported by items seen in the window.

    A speaker's positions are read day by day (the first statement of a day stands for it);
    a change is a day whose stance differs from the speaker's previous day on the topic.
    """
    recent = analysis.statements(seen_after=since, seen_until=until, limit=2000)
    if not recent:
        return ()
    fresh = {(s.item_id, s.speaker, s.topic) for s in recent}
    speakers = sorted({s.speaker for s in recent})
    days: dict[tuple[str, str], dict[date, Statement]] = defaultdict(dict)
    for s in analysis.statements(speakers=speakers, limit=10_000):
        if s.speaker in speakers:
            days[(s.speaker, s.topic)].setdefault(s.said_at.date(), s)
    moves: list[StanceChange] = []
    for (speaker, topic), by_day in days.items():
        line = [by_day[d] for d in sorted(by_day)]
        changes = [
            (before, after)
            for before, after in pairwise(line)
            if after.stance != before.stance and (after.item_id, speaker, topic) in fresh
        ]
        if changes:
            before, after = changes[-1]
            moves.append(
                StanceChange(
                    speaker=speaker,
                    topic=topic,
                    stance=after.stance,
                    said_at=after.said_at,
                    item_id=after.item_id,
                    previous=before.stance,
                    previous_at=before.said_at,
                )
            )
    return tuple(sorted(moves, key=lambda m: (m.said_at, m.speaker), reverse=True))
