"""A one-scan screen for many cue lexicons: which of them can match a text at all.

The rule classifier reads every sentence against fifteen lexicons of hundreds of stems. Python's
`re` tries an alternation branch by branch at every position, so a sentence cost ~15 searches
of ~10 µs each even when nothing matched (the rules were a third of classification time). RE2
compiles all lexicons into one automaton (`re2.Set`) and answers "which of them may match here"
in one linear scan; only the lexicons it names are then searched with their exact `re` pattern.

Exactness: each lexicon's screen expression is *widened* from its exact pattern (assertions such
as word boundaries and look-arounds dropped, Unicode classes that RE2 reads as ASCII replaced by
wider ones), so it matches wherever the exact pattern does. The screen may let through a lexicon
that the exact pattern then rejects, never the reverse; scores are exactly those of `re` alone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

import re2

# Contains Python's \s on str (str.isspace(): the separators Z* and the ASCII and C1 spacing
# controls; RE2's own \s is [\t\n\f\r ]). tests/classify/test_screen.py checks every code point.
SPACE = r"\t\n\x{0b}\f\r\x{1c}-\x{1f} \x{85}\p{Z}"
_NOT_SPACE = f"[^{SPACE}]"  # contains all of Python's \w: no word character is in SPACE
_ANY = "(?s:.)"
_LOOKAROUND = ("(?=", "(?!", "(?<=", "(?<!")
_MAX_MEM = 64 << 20  # RE2's budget for the set's automaton; far above what fifteen lexicons need


def _class_end(source: str, start: int) -> int:
    """Index just past the character class opening at `start`."""
    j = start + 1
    if j < len(source) and source[j] == "^":
        j += 1
    if j < len(source) and source[j] == "]":  # a leading "]" is a literal
        j += 1
    while source[j] != "]":
        j += 2 if source[j] == "\\" else 1
    return j + 1


def _group_end(source: str, start: int) -> int:
    """Index just past the group opening at `start`."""
    depth, j = 0, start
    while True:
        ch = source[j]
        if ch == "\\":
            j += 2
            continue
        if ch == "[":
            j = _class_end(source, j)
            continue
        depth += ch == "("
        depth -= ch == ")"
        j += 1
        if depth == 0:
            return j


def widen(source: str) -> str:
    """An RE2 expression that matches every text the Python `re` expression `source` matches.

    Zero-width assertions (\\b, \\B, \\A, \\Z, ^, $, look-arounds) are dropped; \\w and \\s get
    Unicode-wide classes, \\d every numeral; a character class holding a shorthand becomes "any
    character". ValueError for what cannot be widened (back-references).
    """
    out: list[str] = []
    i = 0
    while i < len(source):
        ch = source[i]
        if ch == "\\":
            escape = source[i + 1]
            if escape in "bBAZ":
                pass
            elif escape == "w":
                out.append(_NOT_SPACE)
            elif escape == "s":
                out.append(f"[{SPACE}]")
            elif escape == "d":
                out.append(r"\pN")
            elif escape in "WSD":
                out.append(_ANY)
            elif escape.isdigit():
                raise ValueError(f"back-reference \\{escape} has no RE2 equivalent")
            else:
                out.append(source[i : i + 2])
            i += 2
        elif ch == "[":
            end = _class_end(source, i)
            body = source[i:end]
            shorthand = re.search(r"\\[wsdWSD]", body)
            out.append(_ANY if shorthand else body)
            i = end
        elif source.startswith(_LOOKAROUND, i):
            i = _group_end(source, i)
        elif ch in "^$":
            i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


class Screened(Protocol):
    """A lexicon the screen can hold: its exact pattern's source."""

    @property
    def pattern(self) -> re.Pattern[str]: ...


class CueScreen:
    """Which of several lexicons may match a text, in one scan (see the module docstring)."""

    def __init__(self, lexicons: Sequence[Screened]) -> None:
        options = re2.Options()
        options.max_mem = _MAX_MEM
        options.log_errors = False
        self._set = re2.Set.SearchSet(options)
        for lexicon in lexicons:
            self._set.Add(widen(lexicon.pattern.pattern))
        self._set.Compile()
        self._lexicons = tuple(lexicons)
        self._none: frozenset[Screened] = frozenset()

    def candidates(self, text: str) -> frozenset[Screened]:
        """The lexicons that may match somewhere in `text` (a superset of those that do)."""
        hits = self._set.Match(text)
        if not hits:
            return self._none
        return frozenset(self._lexicons[i] for i in hits)
