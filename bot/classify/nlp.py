"""The shared spaCy pipeline: blank English tokenizer, sentence splitter and actor gazetteer."""

from __future__ import annotations

from functools import lru_cache

import spacy
from spacy.language import Language

from bot.classify.gazetteer import entity_patterns, load_actors


@lru_cache(maxsize=1)
def base_pipeline() -> Language:
    """spacy.blank("en") + sentencizer + EntityRuler of actors. Needs no model download."""
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
    ruler.add_patterns(entity_patterns(load_actors()))  # type: ignore[attr-defined]
    return nlp
