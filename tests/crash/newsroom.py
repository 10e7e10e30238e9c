"""Feeds that change while the bot runs: new stories appear, old ones get edited.

Every story is on-topic (the rule classifier alerts on it) and worded apart from all others with
made-up words, so the story clusterer never takes two of them for one event and every story
alerts on its own.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime

from tests.ingest.feedserver import FeedServer

_SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]


@dataclass
class Story:
    guid: str
    title: str
    text: str
    published: datetime


class Newsroom:
    """`feeds` feeds on `server`; `publish()` adds a story somewhere, `edit()` retitles one."""

    def __init__(self, server: FeedServer, rng: random.Random, feeds: int = 8) -> None:
        self.server = server
        self.rng = rng
        self.feeds: dict[str, list[Story]] = {f"/feed{n}.xml": [] for n in range(feeds)}
        self.urls = {path: server.url(path) for path in self.feeds}
        self._used: set[str] = set()
        self._count = 0
        self.edits = 0
        for path in self.feeds:
            self._add(path)
            self._serve(path)

    @property
    def guids(self) -> set[str]:
        return {s.guid for stories in self.feeds.values() for s in stories}

    def _word(self) -> str:
        while True:
            word = "".join(self.rng.choice(_SYLLABLES) for _ in range(4))
            if word[:6] not in self._used:
                self._used.add(word[:6])
                return word

    def _add(self, path: str) -> Story:
        self._count += 1
        words = [self._word() for _ in range(24)]
        story = Story(
            guid=f"urn:newsroom:{self._count}",
            title=f"British troops could deploy to Ukraine, says {words[0].title()} "
            f"{words[1].title()} ({self._count})",
            text=f"The prime minister said British soldiers would join a European reassurance "
            f"force in Ukraine. {' '.join(words[2:])}.",
            published=datetime.now(UTC).replace(microsecond=0),
        )
        self.feeds[path].append(story)
        return story

    def _serve(self, path: str) -> None:
        items = "".join(
            f"<item><guid>{s.guid}</guid><title>{s.title}</title>"
            f"<link>https://newsroom.example/{s.guid.rsplit(':', 1)[1]}</link>"
            f"<description>{s.text}</description>"
            f"<pubDate>{format_datetime(s.published, usegmt=True)}</pubDate></item>"
            for s in reversed(self.feeds[path])
        )
        body = (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Newsroom {path}</title><link>https://newsroom.example/</link>{items}"
            "</channel></rss>"
        ).encode()
        self.server.serve(path, body, etag=f'"{len(items)}-{self.edits}"')

    def publish(self) -> Story:
        path = self.rng.choice(list(self.feeds))
        story = self._add(path)
        self._serve(path)
        return story

    def edit(self) -> None:
        """Retitle a story upstream: stored in place, never alerted again."""
        path = self.rng.choice(list(self.feeds))
        story = self.rng.choice(self.feeds[path])
        story.title += " (updated)"
        self.edits += 1
        self._serve(path)

    def step(self) -> None:
        """What happens in the newsroom between two looks: mostly new stories, some edits."""
        if self.rng.random() < 0.8:
            self.publish()
        else:
            self.edit()
