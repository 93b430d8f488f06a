"""spaCy pipelines per language, built offline from blank models, and the lemmatizer.

Trained Norwegian pipelines cannot be installed from the package registry, so casekit
never needs one: a blank ``nb``/``nn``/``en``/``da``/``sv`` tokenizer, a rule-based
sentencizer, and a lemmatizer backed by simplemma, whose wheel carries its lemma data
(``kommunene`` → ``kommune``, ``samskapingsprosessene`` → ``samskapingsprosess``).
Lemmas are cached per word type, so each distinct word is looked up once.
"""

from __future__ import annotations

from functools import cache

import simplemma
import spacy
from spacy.language import Language
from spacy.tokens import Doc

from casekit import vocab

LEMMATIZER = "casekit_lemmatizer"


class Lemmatizer:
    """Lower-cased word → lemma for one language, cached per word type."""

    def __init__(self, language: str) -> None:
        self.language = vocab.normalise_language(language) or "xx"
        self._cache: dict[str, str] = {}

    def __call__(self, word: str) -> str:
        """Return the lemma of ``word`` (lower-cased; unknown words are their own lemma)."""
        lemma = self._cache.get(word)
        if lemma is None:
            lemma = self._cache[word] = self._lemmatize(word)
        return lemma

    def _lemmatize(self, word: str) -> str:
        # "Mål-" in "Mål- og resultatstyring" is a truncated compound: drop the hyphen.
        core = word.lower().strip("-–'’")
        if not core or self.language == "xx" or not any(c.isalpha() for c in core):
            return core or word.lower()
        return simplemma.lemmatize(core, lang=self.language).lower()

    def __len__(self) -> int:
        return len(self._cache)


@cache
def lemmatizer(language: str) -> Lemmatizer:
    """Return the shared, cached lemmatizer for ``language``."""
    return Lemmatizer(language)


class LemmatizerComponent:
    """A spaCy pipeline component that sets ``token.lemma_`` from :func:`lemmatizer`."""

    def __init__(self, language: str) -> None:
        self.lemmatize = lemmatizer(language)

    def __call__(self, doc: Doc) -> Doc:
        for token in doc:
            if not token.is_space:
                token.lemma_ = self.lemmatize(token.lower_)
        return doc


def _make_component(nlp: Language, name: str) -> LemmatizerComponent:
    return LemmatizerComponent(nlp.lang)


def _register_component() -> None:
    # Registered when first needed, not at import: importing casekit has no side effects.
    if not Language.has_factory(LEMMATIZER):
        Language.factory(LEMMATIZER, func=_make_component)


def _blank(language: str) -> Language:
    code = vocab.normalise_language(language) or "xx"
    nlp = spacy.blank(code)
    # Very long transcripts are fine: the blank tokenizer is linear in the text length.
    nlp.max_length = 50_000_000
    return nlp


@cache
def sentence_pipeline(language: str) -> Language:
    """Return a cached blank pipeline with a sentencizer for ``language``.

    Unsupported codes fall back to spaCy's language-neutral ``xx`` tokenizer.
    """
    nlp = _blank(language)
    nlp.add_pipe("sentencizer")
    return nlp


@cache
def tokenizer_pipeline(language: str) -> Language:
    """Return a cached blank pipeline (tokenizer only) for ``language``."""
    return _blank(language)


@cache
def pipeline(language: str) -> Language:
    """Return the full casekit pipeline: blank tokenizer, sentencizer and lemmatizer.

    ``pipeline("nb")("Kommunene samarbeider.")`` gives tokens with sentences and lemmas.
    """
    _register_component()
    nlp = _blank(language)
    nlp.add_pipe("sentencizer")
    nlp.add_pipe(LEMMATIZER)
    return nlp
