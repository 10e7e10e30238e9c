"""What the trained classifier reads from one item: rule evidence and textcat probabilities.

Shared by training (out-of-fold predictions for the calibrator) and by `TrainedClassifier`, so the
calibrator is fitted on exactly the signals it will see in production.

Long articles: the rules read the whole text (up to rules.MAX_CHARS), but the textcat learnt from
feed items — a headline and a sentence or two. So a long article is not cut blindly nor fed as one
diluted blob: it is shown as a few headline-sized *views*, the title with the lede and the title
with each of the sentences the rules found most relevant (with their neighbours), at most
~2,000 characters per topic. Each view gets a textcat probability and a rule score over its own
sentences, i.e. exactly the signals the calibrator was fitted on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy
from spacy.language import Language
from spacy.pipeline import TextCategorizer
from spacy.tokens import Doc, Span

from bot.classify.rules import Evidence, compose_text, doc_score, pipe_texts, read_topic, sentences
from bot.core.models import TOPICS

TEXTCAT = "textcat_multilabel"
SHORT_CHARS = 700  # up to this, the item is one view (feed items are shorter)
LEDE_CHARS = 350  # body text joined to the title for the lede view
PASSAGE_CHARS = 500
RELEVANT = 3  # relevant-passage views per topic besides the lede (≤ 4 × 500 = 2,000 chars)
MIN_RELEVANCE = 0.3  # rule evidence below this does not earn a view of its own
_MIN_SENTENCE = 12


@dataclass(frozen=True, slots=True)
class View:
    """A headline-sized piece of an item with its textcat probability and rule score."""

    text: str
    model: float
    rule: float
    lede: bool  # the title with the start of the body (or the whole of a short item)
    false_friend: bool = False  # a topic cue in a context the labels exclude (rules.false_friend)


@dataclass(slots=True)
class Signals:
    """One analysed item."""

    doc: Doc  # the whole composed text, with sentences and actor entities
    found: dict[str, list[Evidence]]  # rule evidence per topic over the whole text, strongest first
    lookalikes: dict[
        str, list[str]
    ]  # per topic: sentences with a false friend (rules.false_friends)
    views: dict[str, list[View]] = field(default_factory=dict)  # per topic; the lede view first
    headline: bool = True  # False: the text starts mid-article, with no title

    @property
    def rule(self) -> dict[str, float]:
        """rules.doc_score of the whole text, per topic."""
        return {t: doc_score(self.found[t]) for t in TOPICS}

    @property
    def model(self) -> dict[str, float]:
        """Textcat probability of the lede view (the whole item when it is short), per topic."""
        return {t: self.views[t][0].model for t in TOPICS}


def textcat_of(nlp: Language) -> TextCategorizer:
    """The pipeline's textcat component (disabled in the normal pipe run)."""
    pipe = nlp.get_pipe(TEXTCAT)
    assert isinstance(pipe, TextCategorizer)
    return pipe


def _windows(
    doc: Doc, title_chars: int, found: Sequence[Evidence], k: int
) -> tuple[list[str], list[list[str]]]:
    """(title sentences, sentence windows): the lede first, then up to k relevant passages."""
    kept = [(span.start_char, text) for span, text in sentences(doc) if text]
    sents = [text for _, text in kept]
    starts = [start for start, _ in kept]
    title = [t for t, start in zip(sents, starts, strict=True) if start < title_chars]
    body = [t for t, start in zip(sents, starts, strict=True) if start >= title_chars]
    lede: list[str] = []
    for sentence in body:
        if lede and sum(len(x) + 1 for x in lede) + len(sentence) > LEDE_CHARS:
            break
        lede.append(sentence)
    windows = [lede]
    covered = set(lede) | set(title)
    index = {sentence: i for i, sentence in reversed(list(enumerate(body)))}
    for e in found:
        if len(windows) > k or e.score < MIN_RELEVANCE:
            break
        if e.sentence in covered or e.sentence not in index:
            continue
        i = index[e.sentence]
        window = [e.sentence]
        for j in (i - 1, i + 1):  # neighbours give the sentence its context, within budget
            used = sum(len(x) + 1 for x in [*title, *window])
            if 0 <= j < len(body) and _MIN_SENTENCE <= len(body[j]) <= PASSAGE_CHARS - used:
                window.insert(0 if j < i else len(window), body[j])
        windows.append(window)
        covered.update(window)
    return title, windows


def combine(scores: Sequence[float], headline: bool = True) -> float:
    """An article's score from its view scores, the lede view first.

    On topic if the headline and lede are, or if at least two separate passages are: the score is
    the larger of the lede's and the second-best view's. A single on-topic passage deep in the
    text counts half — a passing mention of "security guarantees" in paragraph nine stays below
    a 0.5 threshold, but still ranks the item above unrelated ones. A text without a headline
    (a fragment starting mid-article) has no lede to weigh the passage against: the fragment
    was picked for what it says, so its best passage counts three quarters.
    """
    if len(scores) == 1:
        return scores[0]
    ranked = sorted(scores, reverse=True)
    return max(scores[0], ranked[1], ranked[0] * (0.5 if headline else 0.75))


def predict(nlp: Language, docs: Sequence[Doc]) -> numpy.ndarray:
    """Textcat probabilities, one row per doc, columns in TOPICS order."""
    if not docs:
        return numpy.zeros((0, len(TOPICS)), dtype="float32")
    textcat = textcat_of(nlp)
    scores = numpy.asarray(textcat.model.predict(list(docs)))
    order = [list(textcat.labels).index(t) for t in TOPICS]
    return scores[:, order]


def analyse(
    nlp: Language, items: Sequence[tuple[str, str]], batch_size: int = 128
) -> list[Signals]:
    """Rule evidence on the whole text, and views scored by textcat and rules, for each item."""
    texts = [compose_text(title, text) for title, text in items]
    with nlp.select_pipes(disable=[TEXTCAT]):
        docs = pipe_texts(nlp, texts, batch_size)
    signals = []
    for doc in docs:
        read = {t: read_topic(doc, t) for t in TOPICS}
        signals.append(
            Signals(doc, {t: read[t][0] for t in TOPICS}, {t: read[t][1] for t in TOPICS})
        )
    # All views of the batch go through the textcat in one call.
    textcat_docs: list[Doc] = []
    pending: list[tuple[Signals, str, str, float, bool, bool, int]] = []  # (…, textcat row)
    rows: dict[str, int] = {}  # view text → its textcat row: both topics share the lede view
    for sig, text, (title_in, _) in zip(signals, texts, items, strict=True):
        sig.headline = bool(title_in.strip())
        if len(text) <= SHORT_CHARS:  # the doc's text is `text`: spaCy's tokenizer is lossless
            row = len(textcat_docs)
            textcat_docs.append(sig.doc)
            for t in TOPICS:
                lookalike = bool(sig.lookalikes[t])
                pending.append((sig, t, text, doc_score(sig.found[t]), True, lookalike, row))
            continue
        # A text that starts mid-article has no headline: its first paragraph is body, not title.
        title_chars = len(text.split("\n", 1)[0]) if sig.headline else 0
        for t in TOPICS:
            title, windows = _windows(sig.doc, title_chars, sig.found[t], RELEVANT)
            for n, window in enumerate(windows):
                sentences = set(title) | set(window)
                rule = doc_score([e for e in sig.found[t] if e.sentence in sentences])
                lookalike = any(x in sentences for x in sig.lookalikes[t])
                view = " ".join([*title, *window])[: PASSAGE_CHARS if n else PASSAGE_CHARS + 200]
                if view not in rows:
                    rows[view] = len(textcat_docs)
                    textcat_docs.append(nlp.make_doc(view))
                pending.append((sig, t, view, rule, n == 0, lookalike, rows[view]))
    probs = predict(nlp, textcat_docs)
    for sig, t, view, rule, lede, lookalike, row in pending:
        p = float(probs[row, TOPICS.index(t)])
        sig.views.setdefault(t, []).append(View(view, p, rule, lede, lookalike))
    return signals


def best_sentence(
    nlp: Language, doc: Doc, topic: str, limit: int = 80
) -> tuple[Span, float] | None:
    """The sentence the textcat finds most on-topic (for items the rules have no sentence for)."""
    sents = [s for s in list(doc.sents)[:limit] if len(s.text.strip()) >= _MIN_SENTENCE]
    if not sents:
        return None
    probs = predict(nlp, [nlp.make_doc(s.text.strip()) for s in sents])
    column = probs[:, TOPICS.index(topic)]
    best = int(numpy.argmax(column))
    return sents[best], float(column[best])
