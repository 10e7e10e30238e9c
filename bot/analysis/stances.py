"""Who said what: attributed statements on troop deployment and security guarantees.

Per sentence, split at contrast ("…, but …", "whereas", ";"), a statement needs three things in
one clause: a topic cue, a stance cue (cues.py) and a speaker. The speaker is the gazetteer actor
nearest before the first attribution verb ("Macron said", "Kremlin spokesman Dmitry Peskov said",
"Moscow rejected"), or right after it ("according to Zelensky", "said Lavrov"); "he said" takes
the person of the previous sentences; "Biden's security chief" speaks for Biden. A clause that
reports someone reporting someone else ("Trump claimed that Putin told him…") is left out: which
of them holds the position is not clear. Figures: corpus/statements.jsonl, docs/analysis.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from itertools import pairwise
from typing import TYPE_CHECKING

from bot.analysis import cues
from bot.classify.gazetteer import Actor, load_actors
from bot.core.ports import ActorQuery, StanceKind, Statement

if TYPE_CHECKING:  # spaCy loads with the first extraction: commands that extract nothing skip it
    from spacy.language import Language
    from spacy.tokens import Doc, Span

EXTRACTOR_VERSION = "stances-1"
MAX_CHARS = 30_000
SPEAKER_REACH = 12  # tokens between a speaker and its verb ("John Kirby, NSC spokesman, said")
QUOTE_REACH = 3  # sentences back to the start of a quotation that ends in an attribution
_QUOTES = frozenset('“”"')


@lru_cache(maxsize=1)
def _actors() -> dict[str, Actor]:
    return {a.name: a for a in load_actors()}


def compose(title: str, text: str) -> str:
    """Title as its own sentence, then the text; lines without final punctuation are closed so
    that headlines and paragraph titles do not run into the next sentence."""
    lines = [line.strip() for line in f"{title}\n{text}".splitlines()]
    closed = [line if line[-1] in '.!?"”»:' else line + "." for line in lines if line]
    return "\n".join(closed)[:MAX_CHARS]


def normalise(text: str) -> str:
    """Lower case with straight apostrophes and quotes, what the cue expressions expect."""
    return text.lower().replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')


def topics_in(text: str) -> list[str]:
    """Topics with a cue in `text` (already normalised)."""
    return [topic for topic, rx in cues.TOPIC_CUES.items() if rx.search(text)]


def stance_in(text: str) -> StanceKind | None:
    """The first stance of STANCE_ORDER with a cue in `text` (already normalised)."""
    return next((s for s in cues.STANCE_ORDER if cues.STANCE_CUES[s].search(text)), None)


@dataclass(frozen=True, slots=True)
class Speaker:
    """A resolved speaker: the gazetteer actor and the words that named them."""

    name: str
    via: str = ""


def _clauses(sent: Span) -> list[Span]:
    doc = sent.doc
    bounds = [sent.start]
    for tok in sent:
        nxt = doc[tok.i + 1] if tok.i + 1 < sent.end else None
        if tok.text == ";" or (
            tok.text == "," and nxt is not None and nxt.lower_ in cues.CONTRAST_WORDS
        ):
            bounds.append(tok.i + 1)
        elif tok.lower_ == "whereas" and tok.i > sent.start:
            bounds.append(tok.i)
    bounds.append(sent.end)
    return [doc[a:b] for a, b in pairwise(bounds) if b > a]


def _is_person(name: str) -> bool:
    actor = _actors().get(name)
    return actor is not None and actor.kind == "person"


def _possessive_role(doc: Doc, ent: Span) -> tuple[bool, int]:
    """Is `ent` followed by 's, and if so does a role word ("office", "spokesman") follow?"""
    if ent.end >= len(doc) or doc[ent.end].lower_ not in ("'s", "’s"):
        return False, ent.end
    for k in range(ent.end + 1, min(ent.end + 4, len(doc))):
        if doc[k].lower_ in cues.ROLE_WORDS:
            while k + 1 < len(doc) and doc[k + 1].lower_ in cues.ROLE_WORDS:
                k += 1
            return True, k + 1
    return False, ent.end


def _clean_sentence(text: str) -> str:
    """One line, without a quotation mark the sentence splitter left dangling at its end."""
    sentence = " ".join(text.split())
    if sentence.endswith(('"', "“")) and (sentence.count('"') % 2 or sentence.endswith("“")):
        sentence = sentence[:-1].rstrip()
    return sentence


def _via(ent: Span, name: str) -> str:
    """The naming words when they are not simply the actor's name ("an Elysee official")."""
    surface = ent.text
    return "" if surface.lower() in name.lower() else surface


class RuleStanceExtractor:
    """The StanceExtractor port: rules over the shared spaCy pipeline and the actor gazetteer."""

    @property
    def nlp(self) -> Language:
        """The shared pipeline (sentencizer + actor gazetteer), built on first use."""
        from bot.classify.nlp import base_pipeline

        return base_pipeline()

    @property
    def version(self) -> str:
        """Recorded with every stored statement."""
        return EXTRACTOR_VERSION

    def extract(self, title: str, text: str, published_at: datetime) -> list[Statement]:
        """Statements of one item, one per speaker, topic and stance, in reading order."""
        doc = self.nlp(compose(title, text))
        sents = list(doc.sents)
        found: list[Statement] = []
        seen: set[tuple[str, str, str]] = set()
        context: str | None = None  # the person "he" or "she" refers to
        for n, sent in enumerate(sents):
            sentence_speaker: Speaker | None = None
            for statement in self._sentence(sents, n, context, published_at):
                sentence_speaker = Speaker(statement.speaker)
                key = (statement.speaker, statement.topic, statement.stance)
                if key not in seen:
                    seen.add(key)
                    found.append(statement)
            context = self._next_context(sent, sentence_speaker, context)
        return found

    def _sentence(
        self, sents: Sequence[Span], n: int, context: str | None, published_at: datetime
    ) -> list[Statement]:
        sent = sents[n]
        sentence_topics = topics_in(normalise(sent.text)) or self._quoted_topics(sents, n)
        if not sentence_topics:
            return []
        clauses = _clauses(sent)
        speakers: list[Speaker | None] = []
        for clause in clauses:
            previous = speakers[-1] if speakers else None
            speakers.append(self._speaker(clause, context, previous))
        # A quotation's attribution often comes last: "“We will not send troops, but…,” X said."
        quoted = next((s for s in reversed(speakers) if s is not None and s.name), None)
        out: list[Statement] = []
        for clause, speaker in zip(clauses, speakers, strict=True):
            text = normalise(clause.text)
            stance = stance_in(text)
            who = speaker or (quoted if _QUOTES.intersection(clause.text) else None)
            if stance is None or who is None or who.name == "":
                continue
            for topic in topics_in(text) or sentence_topics:
                out.append(self._statement(who, stance, topic, sent, published_at))
        return out

    def _quoted_topics(self, sents: Sequence[Span], n: int) -> list[str]:
        """Topics of the start of a quotation this sentence closes ("…," Macron said.)."""
        text = sents[n].text
        if text.count("”") <= text.count("“") and text.count('"') % 2 == 0:
            return []
        for k in range(n - 1, max(-1, n - 1 - QUOTE_REACH), -1):
            topics = topics_in(normalise(sents[k].text))
            if topics:
                return topics
            if "“" in sents[k].text or '"' in sents[k].text:
                break
        return []

    def _speaker(
        self, clause: Span, context: str | None, previous: Speaker | None
    ) -> Speaker | None:
        """The speaker of a clause; Speaker("") when it reports nested speech (left out).

        `previous` is the speaker of the clause before, which a clause without a subject
        continues ("Biden expressed support, but reiterated that…").
        """
        doc = clause.doc
        ents = [e for e in clause.ents if e.label_ == "ACTOR" and e.ent_id_]
        for tok in clause:
            according = tok.lower_ == "according" and tok.i + 1 < clause.end
            if not (tok.lower_ in cues.ATTRIBUTION_VERBS or according):
                continue
            speaker = self._before(doc, ents, clause.start, tok.i) if not according else None
            if speaker is None and previous is not None and previous.name:
                opening = [t.lower_ for t in doc[clause.start : tok.i] if not t.is_punct]
                if set(opening) <= cues.CONTRAST_WORDS | {"and", "also", "then"}:
                    speaker = previous
            if speaker is None and context is not None:
                pronoun = range(max(clause.start, tok.i - 2), tok.i)
                if any(doc[k].lower_ in cues.SUBJECT_PRONOUNS for k in pronoun):
                    speaker = Speaker(context)
            if speaker is None:
                after = [e for e in ents if 0 < e.start - tok.i <= (3 if according else 2)]
                if after:
                    speaker = Speaker(after[0].ent_id_, _via(after[0], after[0].ent_id_))
            if speaker is not None:
                return (
                    Speaker("") if self._nested(doc, ents, tok.i, clause.end, speaker) else speaker
                )
        return None

    @staticmethod
    def _before(doc: Doc, ents: Sequence[Span], start: int, verb: int) -> Speaker | None:
        """The actor nearest before `verb` (a person first), skipping possessors of other
        things ("Biden's belief") but keeping those of roles ("Biden's security chief")."""
        candidates: list[Speaker] = []
        people: list[Speaker] = []
        for ent in ents:
            if not (start <= ent.start and ent.end <= verb and verb - ent.end <= SPEAKER_REACH):
                continue
            possessive, role_end = _possessive_role(doc, ent)
            if doc[ent.end : ent.end + 1].text.lower() in ("'s", "’s") and not possessive:
                continue
            via = doc[ent.start : role_end].text if possessive else _via(ent, ent.ent_id_)
            speaker = Speaker(ent.ent_id_, via)
            candidates.append(speaker)
            if _is_person(ent.ent_id_):
                people.append(speaker)
        if people:
            return people[-1]
        return candidates[-1] if candidates else None

    @staticmethod
    def _nested(doc: Doc, ents: Sequence[Span], verb: int, end: int, speaker: Speaker) -> bool:
        """Another person reports speech after the speaker's verb in the same clause."""
        for tok in doc[verb + 1 : end]:
            if tok.lower_ not in cues.SPEECH_VERBS:
                continue
            for ent in ents:
                if (
                    verb < ent.start
                    and ent.end <= tok.i
                    and ent.ent_id_ != speaker.name
                    and _is_person(ent.ent_id_)
                ):
                    return True
        return False

    def _statement(
        self, who: Speaker, stance: StanceKind, topic: str, sent: Span, published_at: datetime
    ) -> Statement:
        actor = _actors().get(who.name)
        country = actor.country if actor else ""
        on_behalf_of = ""
        if who.name in cues.SPOKESPEOPLE:
            named = {e.ent_id_ for e in sent.ents}
            leaders = [lead for lead in cues.LEADERS.get(country, ()) if lead in named]
            on_behalf_of = leaders[0] if leaders else cues.SPOKESPEOPLE[who.name]
        return Statement(
            speaker=who.name,
            stance=stance,
            topic=topic,
            sentence=_clean_sentence(sent.text),
            said_at=published_at,
            country=country,
            on_behalf_of=on_behalf_of,
            via=who.via,
        )

    @staticmethod
    def _next_context(sent: Span, speaker: Speaker | None, context: str | None) -> str | None:
        if speaker is not None and _is_person(speaker.name):
            return speaker.name
        people = [e.ent_id_ for e in sent.ents if e.label_ == "ACTOR" and _is_person(e.ent_id_)]
        return people[0] if people else context

    def resolve(self, words: str) -> ActorQuery:
        """Speakers and countries that a user's words name: an alias, part of a name, a country
        or a country word ("US", "British")."""
        query = " ".join(words.split()).casefold()
        if not query:
            return ActorQuery(text=words)
        actors = list(_actors().values())
        speakers = [
            a.name
            for a in actors
            if query == a.name.casefold()
            or query in (alias.casefold() for alias in a.aliases)
            or (len(query) >= 3 and query in a.name.casefold())
        ]
        countries = {a.country for a in actors if a.country.casefold() == query}
        if query in cues.COUNTRY_WORDS:
            countries.add(cues.COUNTRY_WORDS[query])
        return ActorQuery(
            text=words, speakers=tuple(dict.fromkeys(speakers)), countries=tuple(sorted(countries))
        )
