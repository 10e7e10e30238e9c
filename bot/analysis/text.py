"""Word-level text features shared by story clustering: content words and gazetteer actors."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.analysis.actors import actors_in_texts
from bot.classify.gazetteer import load_actors

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?|\d+")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Function words, and reporting verbs every article uses.
STOPWORDS = frozenset(
    _words(
        """a an the and or but if of to in on at by for with from as is are was were be been being it
    its this that these those he she they we you i his her their our your not no nor so than then
    there here also after before about into over under said says say told tell would could should
    will can may might must has have had do does did just more most other some any such only own
    same too very what which who whom when where why how all each both few many much one two three
    new"""
    )
)

# Words of the beat itself (stems, see `content_words`): every article on the topics shares them,
# so they say nothing about whether two articles report the same event.
BEAT_WORDS = frozenset(
    _words(
        """ukrain russia presid minist prime war troops troop soldie forces force securi europe leader
    countr nation united states us state govern offici milita defenc defens peace ceasef kyiv
    moscow washin allies ally nato"""
    )
)

STEM = 6  # crude stemming: "deploy", "deployed", "deployment" share their first six letters


def content_words(text: str) -> list[str]:
    """Lower-cased, stemmed words of `text` without function words and beat vocabulary.

    Weekday names are kept on purpose: reports of one event name the same day.
    """
    words = []
    for raw in _WORD.findall(text.casefold()):
        word = raw.replace("’", "'").removesuffix("'s")
        if len(word) < 2 or word in STOPWORDS:
            continue
        stem = word[:STEM]
        if stem not in BEAT_WORDS:
            words.append(stem)
    return words


def actors_in(text: str) -> frozenset[str]:
    """Canonical names of the gazetteer actors mentioned in `text`."""
    return actors_in_many([text])[0]


def actors_in_many(texts: Sequence[str]) -> list[frozenset[str]]:
    """`actors_in` of each text (the EntityRuler's result, without spaCy: bot.analysis.actors)."""
    return actors_in_texts(texts)


def actor_kinds() -> dict[str, str]:
    """Actor name → kind ("person", "government", "alliance", "format")."""
    return {a.name: a.kind for a in load_actors()}
