"""Rule classifier: cue lexicons and the actor gazetteer scored per sentence, with explanations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy
from spacy.attrs import IDX, SENT_START
from spacy.language import Language
from spacy.tokens import Doc, Span

from bot.classify.lexicon import (
    BACKDROP,
    COALITION,
    DEPLOY_CUES,
    GUARANTEE_FINANCIAL,
    GUARANTEE_NEGATIVE,
    GUARANTEE_STRONG,
    GUARANTEE_WEAK,
    RUSSIA,
    TROOP_FORCES,
    TROOP_GENERIC,
    TROOP_NEGATIVE,
    TROOP_STRONG,
    TROOP_TERMS,
    UKRAINE,
    Cues,
)
from bot.classify.nlp import base_pipeline
from bot.classify.screen import CueScreen
from bot.core.models import TOPICS, Classification

RULES_VERSION = "rules-3"
DEFAULT_THRESHOLDS = {"guarantees": 0.5, "troops": 0.5}
MAX_CHARS = 20_000  # long articles: enough for title, lede and the body that matters


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why one sentence counts towards a topic."""

    score: float
    sentence: str
    phrases: tuple[str, ...]
    actors: tuple[str, ...]

    def explain(self) -> str:
        """One line: the sentence, then what in it drove the score."""
        sentence = self.sentence if len(self.sentence) <= 220 else self.sentence[:217] + "…"
        bits = []
        if self.phrases:
            bits.append("phrases: " + ", ".join(self.phrases))
        if self.actors:
            bits.append("actors: " + ", ".join(self.actors))
        return f"“{sentence}”" + (f" ({'; '.join(bits)})" if bits else "")


_OBJECTION = Cues(
    r"legitimate target|unacceptable|intervention|\bwarn|threat|direct (?:involvement|participation)"
    r"|would mean war|\bobject|\breject|never accept|неприемлем|неприйнятн|законн\w+ цел|интервен"
)


_SCREEN = CueScreen(
    [
        UKRAINE,
        RUSSIA,
        _OBJECTION,
        TROOP_STRONG,
        TROOP_GENERIC,
        TROOP_TERMS,
        TROOP_FORCES,
        DEPLOY_CUES,
        TROOP_NEGATIVE,
        GUARANTEE_STRONG,
        GUARANTEE_WEAK,
        COALITION,
        BACKDROP,
        GUARANTEE_FINANCIAL,
        GUARANTEE_NEGATIVE,
    ]
)


@dataclass(frozen=True, slots=True)
class _Text:
    """A lower-cased sentence and the lexicons the screen says may match it."""

    text: str
    may: frozenset[object]

    def found(self, cues: Cues) -> list[str]:
        """The distinct cues of `cues` in the text (at most four)."""
        if cues not in self.may:
            return []
        return sorted({m.group(0).strip().lower() for m in cues.pattern.finditer(self.text)})[:4]

    def has(self, cues: Cues) -> bool:
        """Whether a cue of `cues` is in the text."""
        return cues in self.may and cues.pattern.search(self.text) is not None


def _screened(lower: str) -> _Text:
    return _Text(lower, _SCREEN.candidates(lower))


def _actors(span: Span, ents: Sequence[Span] | None = None) -> tuple[str, ...]:
    inside = span.ents if ents is None else [e for e in ents if span.start <= e.start < span.end]
    return tuple(dict.fromkeys(e.ent_id_ or e.text for e in inside))[:4]


_SENTS_KEY = "watchbot_sentences"
_TEXT_KEY = "watchbot_text"


def pipe_texts(nlp: Language, texts: Sequence[str], batch_size: int) -> list[Doc]:
    """`nlp.pipe(texts)`, each doc remembering its text: `Doc.text` would rebuild it from a Token
    object per token, which cost as much as the tokenizer (the tokenizer is lossless, so the
    input is the doc's text)."""
    docs = list(nlp.pipe(texts, batch_size=batch_size))
    for doc, text in zip(docs, texts, strict=True):
        doc.user_data[_TEXT_KEY] = text
    return docs


@dataclass(frozen=True, slots=True)
class _Sentence:
    span: Span
    text: str  # stripped
    lower: _Text
    ukraine: bool  # names Ukraine (or Kyiv, Zelensky, Donbas)


def _sentences(doc: Doc) -> list[_Sentence]:
    """The doc's sentences, lower-cased and checked for Ukraine once, from the SENT_START array.

    `doc.sents` builds a Token object per token on every call, which cost more than all the
    cue matching; both topics (and the trained model) read the same sentences.
    """
    cached: list[_Sentence] | None = doc.user_data.get(_SENTS_KEY)
    if cached is None:
        flags, offsets = doc.to_array([SENT_START, IDX]).T if len(doc) else ((), ())
        starts = [0, *(int(i) for i in numpy.flatnonzero(flags == 1) if i > 0)] if len(doc) else []
        bounds = zip(starts, [*starts[1:], len(doc)], strict=True)
        cached = []
        whole = doc.user_data.get(_TEXT_KEY) or doc.text
        for a, b in bounds:
            # A sentence runs up to the next one's first character: sliced from the doc's text
            # (the tokenizer is lossless), stripping drops what Span.text leaves out. Span.text
            # would build a Token object per token.
            end = int(offsets[b]) if b < len(doc) else len(whole)
            text = whole[int(offsets[a]) : end].strip()
            lower = _screened(text.lower())
            cached.append(_Sentence(doc[a:b], text, lower, lower.has(UKRAINE)))
        doc.user_data[_SENTS_KEY] = cached
    return cached


def sentences(doc: Doc) -> list[tuple[Span, str]]:
    """The doc's sentences with their stripped text (computed once per doc, shared by steps)."""
    return [(s.span, s.text) for s in _sentences(doc)]


_Judgement = tuple[float, list[str], bool]  # score, cues, false friend


def _judge_troops(text: _Text, ukraine: bool, doc_mentions_ukraine: bool) -> _Judgement:
    strong = text.found(TROOP_STRONG)
    generic = text.found(TROOP_GENERIC)
    terms = text.found(TROOP_TERMS)
    forces = [] if strong or generic or terms else text.found(TROOP_FORCES)
    if not (strong or generic or terms or forces):
        return 0.0, [], False
    deploy = text.found(DEPLOY_CUES)
    negative = text.has(TROOP_NEGATIVE)
    # "Russia says troops will pull back": with no foreign force named and no objection voiced,
    # troops in a sentence about Russia are usually its own.
    russian = not negative and not strong and text.has(RUSSIA) and not text.has(_OBJECTION)
    score = 0.3 * bool(terms) + 0.15 * bool(forces) + 0.35 * bool(strong)
    score += 0.3 * bool(generic) * (bool(strong) or not (negative or russian))
    score += 0.2 * bool(deploy)
    score += 0.2 if ukraine else (0.08 if doc_mentions_ukraine else -0.4)
    if negative:
        score -= 0.2 if strong else 0.5
    elif russian:
        score -= 0.35
    cues = (strong or generic or terms or forces) + deploy[:2]
    false_friend = negative and bool(strong or generic or terms)
    return max(0.0, min(score, 1.0)), cues, false_friend


def _judge_guarantees(text: _Text, ukraine: bool, doc_mentions_ukraine: bool) -> _Judgement:
    strong = text.found(GUARANTEE_STRONG)
    weak = text.found(GUARANTEE_WEAK)
    coalition = text.found(COALITION)
    if not strong and not weak and not coalition:
        return 0.0, [], False
    score = 0.55 * bool(strong) + 0.3 * bool(weak) + 0.1 * (len(strong) + len(weak) > 1)
    # Naming the coalition alone (e.g. joining it to send peacekeepers) stays below 0.5.
    score += (0.15 * bool(coalition)) if strong or weak else 0.2
    score += 0.2 if ukraine else (0.1 if doc_mentions_ukraine else -0.4)
    if text.has(BACKDROP):
        score -= 0.25
    false_friend = True
    if text.has(GUARANTEE_FINANCIAL):
        score -= 0.6
    elif text.has(GUARANTEE_NEGATIVE):
        score -= 0.3 if strong and ukraine else 0.7
    else:
        false_friend = False
    return max(0.0, min(score, 1.0)), (strong or weak) + coalition[:1], false_friend


_JUDGES = {"troops": _judge_troops, "guarantees": _judge_guarantees}


def score_troops(text: str, doc_mentions_ukraine: bool) -> tuple[float, list[str]]:
    """Troop-deployment score of one lower-cased sentence and the cues found.

    A foreign force named as such ("European troops", "peacekeepers") is strong; a generic phrase
    ("send troops", "troops in Ukraine") is strong unless the sentence is about another army (the
    invader, North Korea, Ukraine's own) or another place; bare "forces" counts for little.
    """
    screened = _screened(text)
    score, cues, _ = _judge_troops(screened, screened.has(UKRAINE), doc_mentions_ukraine)
    return score, cues


def score_guarantees(text: str, doc_mentions_ukraine: bool) -> tuple[float, list[str]]:
    """Security-guarantee score of one lower-cased sentence and the cues found.

    Financial guarantees and guarantees for other countries (or Russia's own demands) pull the
    score down, less so when the sentence also names Ukraine and a security-guarantee phrase.
    """
    screened = _screened(text)
    score, cues, _ = _judge_guarantees(screened, screened.has(UKRAINE), doc_mentions_ukraine)
    return score, cues


def false_friend(text: str, topic: str) -> bool:
    """True when lower-cased `text` has a topic cue in a context the labels exclude.

    A loan guarantee, another country's guarantee, Russia's own demands; troops of the invader,
    of North Korea or of Ukraine itself, or allied troops elsewhere. The trained model uses it
    as a signal of its own: "looks on topic, but is a known look-alike".
    """
    screened = _screened(text)
    return _JUDGES[topic](screened, screened.has(UKRAINE), True)[2]


def read_topic(doc: Doc, topic: str) -> tuple[list[Evidence], list[str]]:
    """(evidence, false-friend sentences) of `doc` for `topic`, in one pass over its sentences.

    Evidence: the sentences that support the topic, strongest first. False friends: the
    sentences for which `false_friend` holds.
    """
    sentences = _sentences(doc)
    mentions_ukraine = any(s.ukraine for s in sentences)
    judge = _JUDGES[topic]
    ents = doc.ents
    found: list[Evidence] = []
    lookalikes: list[str] = []
    for s in sentences:
        score, cues, lookalike = judge(s.lower, s.ukraine, mentions_ukraine)
        if lookalike:
            lookalikes.append(s.text)
        if score > 0 and len(s.text) >= 12:
            found.append(Evidence(score, s.text, tuple(cues), _actors(s.span, ents)))
    found.sort(key=lambda e: e.score, reverse=True)
    return found, lookalikes


def false_friends(doc: Doc, topic: str) -> list[str]:
    """The sentences of `doc` for which `false_friend` holds."""
    return read_topic(doc, topic)[1]


def evidence(doc: Doc, topic: str) -> list[Evidence]:
    """Sentences of `doc` that support `topic`, strongest first."""
    return read_topic(doc, topic)[0]


def doc_score(found: Sequence[Evidence]) -> float:
    """Best sentence, raised a little by each further supporting sentence (capped)."""
    if not found:
        return 0.0
    support = sum(0.04 for e in found[1:6] if e.score >= 0.5)
    return round(min(0.99, found[0].score + support), 4)


def compose_text(title: str, text: str) -> str:
    """Title as its own sentence followed by the body, cut for very long articles."""
    # Cut the inputs first: a hostile 4 MB title must not be copied around only to be cut later.
    lines = [line.strip() for line in f"{title[:MAX_CHARS]}\n{text[:MAX_CHARS]}".splitlines()]
    # Headlines and paragraphs without final punctuation would run into the next sentence.
    closed = [line if line[-1] in '.!?"”»:' else line + "." for line in lines if line]
    return "\n".join(closed)[:MAX_CHARS]


class RuleClassifier:
    """Scores the two topics from cue phrases and actors; explains with the driving sentence."""

    def __init__(self, thresholds: dict[str, float] | None = None) -> None:
        self.nlp = base_pipeline()
        self.thresholds = {**DEFAULT_THRESHOLDS, **(thresholds or {})}

    @property
    def version(self) -> str:
        """Model version recorded with every classification."""
        return RULES_VERSION

    def classify(self, title: str, text: str) -> Classification:
        """Classify one item."""
        return self.classify_many([(title, text)])[0]

    def classify_many(self, docs: Sequence[tuple[str, str]]) -> list[Classification]:
        """Classify items in one spaCy batch."""
        texts = [compose_text(t, x) for t, x in docs]
        return [self._from_doc(doc) for doc in pipe_texts(self.nlp, texts, 64)]

    def _from_doc(self, doc: Doc) -> Classification:
        scores: dict[str, float] = {}
        why: dict[str, list[str]] = {}
        for topic in TOPICS:
            found = evidence(doc, topic)
            scores[topic] = doc_score(found)
            why[topic] = [e.explain() for e in found[:3]]
        labels = {t: scores[t] >= self.thresholds[t] for t in TOPICS}
        return Classification(scores=scores, labels=labels, why=why, model_version=self.version)
