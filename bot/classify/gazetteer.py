"""The actors of the story, loaded from resources/gazetteer.toml, as spaCy EntityRuler patterns."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

GAZETTEER_PATH = Path(__file__).with_name("resources") / "gazetteer.toml"


@dataclass(frozen=True, slots=True)
class Actor:
    """A speaker or party of the story."""

    name: str
    kind: str
    country: str
    aliases: tuple[str, ...]


@lru_cache(maxsize=4)
def load_actors(path: Path = GAZETTEER_PATH) -> tuple[Actor, ...]:
    """All actors of the gazetteer file."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return tuple(
        Actor(
            name=a["name"],
            kind=a.get("kind", "person"),
            country=a.get("country", ""),
            aliases=tuple(a.get("aliases", [])) or (a["name"],),
        )
        for a in data.get("actor", [])
    )


def entity_patterns(actors: tuple[Actor, ...]) -> list[dict[str, object]]:
    """EntityRuler phrase patterns (matched on LOWER) labelled ACTOR, id = canonical name."""
    patterns: list[dict[str, object]] = []
    for actor in actors:
        for alias in {actor.name, *actor.aliases}:
            patterns.append({"label": "ACTOR", "pattern": alias, "id": actor.name})
    return patterns


def actor_by_name(name: str) -> Actor | None:
    """The actor with this canonical name."""
    return next((a for a in load_actors() if a.name == name), None)
