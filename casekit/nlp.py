"""spaCy pipelines per language, built offline from blank models.

Trained Norwegian pipelines cannot be installed from the package registry, so casekit
never needs one: a blank ``nb``/``nn``/``en``/``da``/``sv`` tokenizer plus a rule-based
sentencizer. Later stages add components (a lemmatizer) to the same pipelines.
"""

from __future__ import annotations

from functools import cache

import spacy
from spacy.language import Language

from casekit import vocab


@cache
def sentence_pipeline(language: str) -> Language:
    """Return a cached blank pipeline with a sentencizer for ``language``.

    Unsupported codes fall back to spaCy's language-neutral ``xx`` tokenizer.
    """
    code = vocab.normalise_language(language) or "xx"
    nlp = spacy.blank(code)
    nlp.add_pipe("sentencizer")
    # Very long transcripts are fine: the blank tokenizer is linear in the text length.
    nlp.max_length = 50_000_000
    return nlp
