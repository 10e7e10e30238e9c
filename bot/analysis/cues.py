"""Cue lexicons of the stance extractor: topics, stances, attribution verbs, roles (English).

Each stance is a list of regular expressions over a lower-cased clause with straight apostrophes.
Stances are tried in the order of STANCE_ORDER and the first that matches wins: "not ruled out"
must be read before "ruled out", and "will not send troops unless..." is a condition, not a
refusal.
"""

from __future__ import annotations

import re

from bot.core.ports import StanceKind


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in parts))


_NATIONS = (
    r"u\.s\.|us|american|european|western|foreign|british|french|german|polish|nato|allied"
    r"|international|multinational|ground|peacekeeping|military|danish|swedish|finnish|italian"
)

TOPIC_CUES: dict[str, re.Pattern[str]] = {
    "troops": _rx(
        r"\btroops?\b",
        r"\bsoldiers?\b",
        r"\bservicem[ae]n\b",
        r"\bboots on the ground\b",
        r"\bpeace-?keep",
        r"\breassurance force\b",
        rf"\b(?:{_NATIONS}) (?:military )?forces?\b",
        r"\b(?:a|any|the) force\b",
        r"\bcontingents?\b",
        r"\bpersonnel\b",
        r"\btrainers?\b",
        r"\binstructors?\b",
        r"\bmilitary (?:presence|mission|deployment)",
        r"\bbundeswehr\b",
    ),
    "guarantees": _rx(
        r"\bguarant",
        r"\bassurances?\b",
        r"\bbackstop",
        r"\barticle[- ]?5\b",
        r"\bsecurity (?:agreement|pact|accord|commitment|arrangement|deal)",
        r"\bmutual (?:defen[cs]e|assistance)",
    ),
}

STANCE_CUES: dict[StanceKind, re.Pattern[str]] = {
    "keeps_open": _rx(
        r"\bnot (?:be |being )?ruled out",
        r"\bnot ruling (?:\w+ )?out",
        r"\b(?:would|will|could|can|did|does|do)(?: not|n't) rule (?:\w+ )?out",
        r"\bcannot be ruled out",
        r"\bnothing (?:can|could|should|is|was|will) (?:be )?(?:ruled out|excluded)",
        r"\b(?:declin|refus)\w* to rule (?:\w+ )?out",
        r"\bnot exclud",
        r"\b(?:does|did|do|could|can|would|should|will)(?: not|n't) exclude",
        r"\bcannot exclude",
        r"\ball options",
        r"\b(?<!off )on the table\b",
        r"\bnot off the table\b",
        r"\bdoor (?:remains|remained|is|was|stays|stayed) open",
        r"\b(?:left|leaves|leave|keep|keeps|kept|keeping) the door open",
        r"\bkeep(?:s|ing)? (?:open|\w+ options open|all options)",
        r"\bkept (?:open|\w+ options open)",
        r"\bremains? open to\b",
        r"\bopen to\b",
        r"\bremains? a possibility",
        r"\btoo early to (?:say|tell|decide|rule)",
    ),
    "conditional": _rx(
        r"\bonly (?:if|when|under|as part of|with|after|in the event|on condition)",
        r"\b(?:would|will|could) only\b",
        r"\bprovided (?:that|they|the|it|we|there|washington|america)\b",
        r"\bon (?:the )?condition",
        r"\bas long as\b",
        r"\bunless\b",
        r"\bdepend\w* on\b",
        r"\brequire[sd]?\b",
        r"\bmust (?:include|involve|be|have|come)\b",
        r"\b(?:cannot|can't|could not|would not|will not) work without\b",
        r"\bif (?:there is|there are|the (?:us|u\.s\.|united states|americans)|washington|america|nato)\b",
        r"\bsubject to\b",
        r"\b(?:contingent|conditional) (?:on|upon)\b",
        r"\bin exchange for\b",
        r"(?<!asked )(?<!asking )\bif\b",
        r"\bwithout (?:a |an |the )?(?:ceasefire|peace|mandate|us|u\.s\.|american|backstop)",
        r"\b(?:essential|precondition|prerequisite)\b",
    ),
    "rules_out": _rx(
        r"\brul(?:ed|es|e|ing) out\b",
        r"\b(?:will|would|shall|is|are|was|were|do|does|did)(?: not|n't) (?:be )?(?:send|deploy|put|"
        r"provide|offer|give|extend|commit|contribute|join|take part|be part|participate|station)",
        r"\bwon't (?:be )?(?:send|deploy|put|provide|offer|give|extend|commit|join|take part)",
        r"\bnot (?:be )?(?:sending|deploying|offering|providing|planning to)\b",
        r"\bno (?:plans?|intentions?) (?:to|of|for)\b",
        r"\bnever (?:to )?(?:send|put|deploy|commit|station)",
        r"\bthere will be no\b",
        rf"\bno (?:(?:{_NATIONS}) )?(?:troops|soldiers|boots)\b",
        r"\bout of the question\b",
        r"\boff the table\b",
        r"\bnot (?:part of|on the agenda)\b",
        r"\bnot (?:willing|ready|prepared) to\b",
        r"\brefus\w* to (?:send|deploy|provide|offer|give|join)",
        r"\bnot going to (?:send|deploy|provide|give)",
        r"\b(?:will|would|shall)(?: not|n't) be (?:going|sent|deployed|involved|fighting|part)\b",
        r"\b(?:will|would)(?: not|n't) (?:fight|go)\b",
    ),
    "opposes": _rx(
        r"\bobject(?:s|ed|ing|ion)?\b",
        r"\boppos",
        r"\bagainst\b",
        r"\bunacceptable\b",
        r"\breject",
        r"\bnot accept\b",
        r"\bnever (?:agree|accept|allow|tolerate)",
        r"\blegitimate targets?\b",
        r"\bprovocat",
        r"\bhostile\b",
        r"\bmeans? war\b",
        r"\bdanger",
        r"\bthreat\b",
        r"\bblock\b",
        r"\bcondemn",
        r"\bcritici[sz]",
        r"\bworthless\b",
        r"\binto (?:a |the )?(?:forever )?war\b",
        r"\battempt to occupy\b",
        r"\bwould respond\b",
        r"\bveto",
        r"\bnot tolerate\b",
        r"\bnon-?starter\b",
        r"\bdismiss",
    ),
    "supports": _rx(
        r"\bready\b",
        r"\bwilling",
        r"\bprepared to\b",
        r"\b(?:will|would|shall) (?:send|deploy|put|lead|contribute|sign|provide|offer|help|be "
        r"involved|join|station|give)",
        r"\bcontribut",
        r"\bcommit",
        r"\bback(?:s|ed|ing)?\b",
        r"\bsupport",
        r"\bwelcom",
        r"\burg(?:e|es|ed|ing)\b",
        r"\bcall(?:s|ed|ing)? (?:on|for)\b",
        r"\bpropos",
        r"\bsign(?:s|ed|ing)?\b",
        r"\bagreed to\b",
        r"\bpledg",
        r"\bpromis",
        r"\bannounc",
        r"\bin favou?r\b",
        r"\bapprov",
        r"\boperational phase\b",
        r"\bpreparing to (?:deploy|send)\b",
        r"\bcounting on\b",
        r"\bexpect\w* (?:\w+ ){0,2}to (?:send|deploy|provide|give)",
        r"\bfinali[sz]\w* plans",
        r"\bfloat\w* the idea",
    ),
}
STANCE_ORDER: tuple[StanceKind, ...] = (
    "keeps_open",
    "conditional",
    "rules_out",
    "opposes",
    "supports",
)

# Verbs that report speech: the nearest actor before one is the speaker.
SPEECH_VERBS = frozenset(
    _words(
        """said says say told tells stated states added adds warned warns insisted insists argued
    argues wrote writes announced announces declared declares declare confirmed confirms stressed
    stresses emphasized emphasised emphasizes emphasises highlighted highlights noted notes
    remarked remarks claimed claims indicated indicates explained explains reiterated reiterates
    repeated repeats underscored underlined asserted asserts acknowledged replied responded tweeted
    posted suggested suggests signalled signaled admitted conceded maintained described
    describes floated floats expressed expresses"""
    )
)
# Verbs that state a position themselves ("Moscow rejected the plan", "Meloni proposed...").
POSITION_VERBS = frozenset(
    _words(
        """urged urges called calls proposed proposes criticised criticized criticises criticizes
    condemned condemns rejected rejects ruled rules objects objected opposes opposed welcomed
    welcomes backed backs supports supported pledged pledges promised promises refused refuses
    declined declines offered offers vowed vows threatened demanded demands dismissed dismisses
    vetoed"""
    )
)
ATTRIBUTION_VERBS = SPEECH_VERBS | POSITION_VERBS

# "Biden's security chief", "Macron's office": the possessor speaks through them.
ROLE_WORDS = frozenset(
    _words(
        """spokesperson spokesman spokeswoman spokespeople office security chief aide aides adviser
    advisor advisers advisors press secretary government administration team envoy ministry
    officials official"""
    )
)
SUBJECT_PRONOUNS = frozenset({"he", "she"})
CONTRAST_WORDS = frozenset({"but", "whereas", "while", "although", "though", "however", "yet"})

# Spokespeople whose words are their leader's position; `on_behalf_of` defaults to that leader
# unless the sentence names another leader of the same country.
SPOKESPEOPLE: dict[str, str] = {
    "John Kirby": "Joe Biden",
    "Dmitry Peskov": "Vladimir Putin",
}
LEADERS: dict[str, tuple[str, ...]] = {
    "United States": ("Joe Biden", "Donald Trump"),
    "Russia": ("Vladimir Putin",),
}

# Country words people type in `timeline` that are not the gazetteer's country names.
COUNTRY_WORDS: dict[str, str] = {
    "us": "United States",
    "u.s.": "United States",
    "u.s": "United States",
    "usa": "United States",
    "america": "United States",
    "american": "United States",
    "the us": "United States",
    "the united states": "United States",
    "uk": "United Kingdom",
    "u.k.": "United Kingdom",
    "britain": "United Kingdom",
    "great britain": "United Kingdom",
    "british": "United Kingdom",
    "england": "United Kingdom",
    "the uk": "United Kingdom",
    "french": "France",
    "german": "Germany",
    "russian": "Russia",
    "ukrainian": "Ukraine",
    "polish": "Poland",
    "italian": "Italy",
    "spanish": "Spain",
    "eu": "European Union",
    "the eu": "European Union",
}
