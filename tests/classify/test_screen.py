"""The cue screen never hides a match: wherever a lexicon's exact pattern matches, the screen
names that lexicon (so the rule scores are those of `re` alone)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import re2
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.classify import lexicon, rules
from bot.classify.lexicon import Cues
from bot.classify.screen import SPACE, CueScreen, widen

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
LEXICONS: list[Cues] = [
    *(v for v in vars(lexicon).values() if isinstance(v, Cues)),
    rules._OBJECTION,
]
SCREEN = CueScreen(LEXICONS)


def _sentences() -> list[str]:
    texts = []
    for path in sorted(CORPUS.rglob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            texts.extend(str(record.get(k, "")) for k in ("title", "text") if record.get(k))
    return [s.lower() for t in texts for s in re.split(r"(?<=[.!?])\s+", t) if s]


@pytest.mark.parametrize(
    ("source", "text"),
    [
        (r"законн\w+ цел", "законной цели"),  # RE2's \w is ASCII: a Cyrillic word needs more
        (r"foo\sbar", "foo\u00a0bar"),  # Python's \s includes the no-break space
        (r"\bкиїв", "у києві, київ"),  # \b next to Cyrillic letters
        (r"israel(?!-style)", "israel says"),  # look-ahead dropped
        (r"(?<=x)y", "xy"),  # look-behind dropped
        (r"[\w-]+ force", "сили-швидкого force"),  # a class holding a shorthand
        (r"^start$", "start"),
        (r"\d+ troops", "٣ troops"),  # Arabic-Indic digit: Python's \d is Unicode
    ],
)
def test_widened_expression_matches_what_the_exact_one_does(source: str, text: str) -> None:
    assert re.search(source, text)
    screen = CueScreen([Cues(source)])
    assert screen.candidates(text), widen(source)


def test_the_space_class_holds_python_spaces_and_no_word_character() -> None:
    space = re2.compile(f"[{SPACE}]")
    everything = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    assert [c for c in everything if c.isspace() and not space.fullmatch(c)] == []
    word = re.compile(r"\w")
    assert [c for c in everything if word.fullmatch(c) and space.fullmatch(c)] == []


def test_back_references_cannot_be_widened() -> None:
    with pytest.raises(ValueError, match="back-reference"):
        widen(r"(a)\1")


def test_a_text_nothing_matches_has_no_candidates() -> None:
    assert SCREEN.candidates("the weather in lisbon will be sunny tomorrow") == frozenset()


def test_screen_names_every_lexicon_that_matches_the_corpus() -> None:
    sentences = _sentences()
    assert len(sentences) > 2000
    matched = 0
    for sentence in sentences:
        may = SCREEN.candidates(sentence)
        for cues in LEXICONS:
            if cues.pattern.search(sentence):
                matched += 1
                assert cues in may, (cues.pattern.pattern[:60], sentence)
    assert matched > 1000  # the corpus exercises the lexicons


_ALPHABET = st.sampled_from(
    list("abcdeiklnorstuy -.,'’\u00a0\n") + list("войскаукраїнżołnierzé") + ["ukrain", "troops"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_ALPHABET, max_size=60).map("".join))
def test_screen_is_a_superset_on_arbitrary_text(text: str) -> None:
    may = SCREEN.candidates(text)
    for cues in LEXICONS:
        if cues.pattern.search(text):
            assert cues in may
