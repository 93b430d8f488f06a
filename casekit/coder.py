"""The auto-coder: a codebook compiled into one matcher, called on a document's text.

Matching works on distinct word types, as quanteda does: the tokenizer's lower-case hash
array is reduced to its unique types, each type is looked up once (its lemma, the term
rules and phrase words its lemma or form matches) and the answer is cached for every
later document. Only tokens whose type matters are visited in Python, so a codebook with
ten times the patterns costs little more. Phrases are triggered from those tokens rather
than scanned for; spaCy's ``Matcher`` runs the token patterns; regexes run over the text.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from spacy.attrs import IDX, IS_PUNCT, IS_SPACE, LEMMA, LOWER
from spacy.matcher import Matcher

from casekit.codebook import Codebook, Example, Rule
from casekit.matching import GlobIndex
from casekit.nlp import Lemmatizer, lemmatizer, tokenizer_pipeline
from casekit.segment import segment_document

# Bump when matching changes, so unchanged documents are coded again on the next run.
CODER_VERSION = "1"
_BARRIERS = (".", "!", "?", "…")


@dataclass(frozen=True)
class Hit:
    """One rule firing at ``[start, end)`` of the text."""

    rule: Rule
    start: int
    end: int
    matched: str


@dataclass
class Proposal:
    """A proposed coding: a code on one unit, with every hit that supports it."""

    code_id: str
    unit: str
    seq: int
    start: int
    end: int
    hits: list[Hit] = field(default_factory=list)

    @property
    def rule(self) -> str:
        """Return the first rule that fired (by position in the unit)."""
        return self.hits[0].rule.label

    @property
    def matched(self) -> str:
        """Return the distinct matched texts, in order, joined by ' | '."""
        return " | ".join(dict.fromkeys(h.matched for h in self.hits))


@dataclass(frozen=True)
class Unit:
    """A unit a code can be attached to; ``skip`` marks interviewer speech."""

    start: int
    end: int
    seq: int
    skip: bool = False


@dataclass(frozen=True)
class _TypeInfo:
    lemma: str
    terms: tuple[int, ...]
    phrase_elements: frozenset[tuple[int, int]]

    @property
    def interesting(self) -> bool:
        return bool(self.terms or self.phrase_elements)


class CompiledCodebook:
    """A codebook compiled for matching. Call it on a text to get its hits."""

    def __init__(self, codebook: Codebook) -> None:
        self.codebook = codebook
        self.rules: list[Rule] = [r for c in codebook.codes for r in (*c.rules, *c.exclude)]
        self._lemma = GlobIndex()
        self._surface = GlobIndex()
        self._phrase_words = GlobIndex()
        self._phrases: dict[int, tuple[int, ...]] = {}
        self._regexes: list[tuple[int, re.Pattern[str]]] = []
        self._patterns: list[int] = []
        for rid, rule in enumerate(self.rules):
            if rule.kind == "lemma":
                self._lemma.add(rule.value, rid)
            elif rule.kind == "surface":
                self._surface.add(rule.value, rid)
            elif rule.kind == "phrase":
                words = rule.value.split()
                for position, word in enumerate(words):
                    self._phrase_words.add(word, (rid, position))
                self._phrases[rid] = tuple(range(len(words)))
            elif rule.kind == "regex":
                self._regexes.append((rid, re.compile(rule.value, re.IGNORECASE)))
            elif rule.kind == "pattern":
                self._patterns.append(rid)
        self._types: dict[str, dict[int, _TypeInfo]] = defaultdict(dict)
        self._matchers: dict[str, Matcher] = {}

    # -- types -----------------------------------------------------------------------------

    def _type_info(self, lower: str, lemmatize: Lemmatizer) -> _TypeInfo:
        lemma = lemmatize(lower)
        core = lower.strip("-–'’")
        terms = set(self._lemma.lookup(lemma)) | set(self._surface.lookup(core))
        elements = set(self._phrase_words.lookup(lemma)) | set(self._phrase_words.lookup(core))
        return _TypeInfo(lemma, tuple(sorted(terms)), frozenset(elements))

    def _matcher(self, language: str) -> Matcher:
        if language not in self._matchers:
            matcher = Matcher(tokenizer_pipeline(language).vocab)
            for rid in self._patterns:
                matcher.add(f"r{rid}", [self.rules[rid].value])
            self._matchers[language] = matcher
        return self._matchers[language]

    # -- matching --------------------------------------------------------------------------

    def __call__(self, text: str, language: str) -> list[Hit]:
        """Return every hit of every rule (and exclusion) in ``text``, in text order."""
        nlp = tokenizer_pipeline(language)
        doc = nlp.make_doc(text)
        hits: list[Hit] = []
        if len(doc):
            hits += self._token_hits(doc, language)
        for rid, pattern in self._regexes:
            for m in pattern.finditer(text):
                if m.end() > m.start():
                    hits.append(Hit(self.rules[rid], m.start(), m.end(), m.group()))
        hits.sort(key=lambda h: (h.start, h.end))
        return hits

    def _token_hits(self, doc, language: str) -> list[Hit]:
        array = doc.to_array([LOWER, IDX, IS_PUNCT, IS_SPACE])
        types, inverse = np.unique(array[:, 0], return_inverse=True)
        cache = self._types[language]
        lemmatize = lemmatizer(language)
        strings = doc.vocab.strings
        infos: list[_TypeInfo] = []
        for h in types.tolist():
            info = cache.get(h)
            if info is None:
                info = cache[h] = self._type_info(strings[h], lemmatize)
            infos.append(info)
        interesting = np.fromiter((i.interesting for i in infos), bool, len(infos))
        hits: list[Hit] = []
        rules, text = self.rules, doc.text
        wordlike = ~(array[:, 2].astype(bool) | array[:, 3].astype(bool))
        for i in np.flatnonzero(interesting[inverse]).tolist():
            info = infos[inverse[i]]
            token = doc[i]
            start, end = token.idx, token.idx + len(token.text)
            for rid in info.terms:
                hits.append(Hit(rules[rid], start, end, text[start:end]))
            for rid, position in info.phrase_elements:
                if position == 0:
                    last = self._phrase_end(doc, i, rid, infos, inverse, wordlike)
                    if last is not None:
                        stop = doc[last].idx + len(doc[last].text)
                        hits.append(Hit(rules[rid], start, stop, text[start:stop]))
        if self._patterns:
            hits += self._pattern_hits(doc, language, infos, inverse)
        return hits

    def _phrase_end(self, doc, first: int, rid: int, infos: Sequence[_TypeInfo],
                    inverse: np.ndarray, wordlike: np.ndarray) -> int | None:
        """Return the index of the phrase's last token when it continues from ``first``."""
        gap = self.rules[rid].gap
        position, i = 1, first
        needed = len(self._phrases[rid])
        while position < needed:
            skipped = 0
            j = i + 1
            while j < len(doc):
                if not wordlike[j]:
                    if doc[j].text in _BARRIERS:
                        return None
                    j += 1
                    continue
                if (rid, position) in infos[inverse[j]].phrase_elements:
                    break
                skipped += 1
                if skipped > gap:
                    return None
                j += 1
            else:
                return None
            i, position = j, position + 1
        return i

    def _pattern_hits(self, doc, language: str, infos: Sequence[_TypeInfo],
                      inverse: np.ndarray) -> list[Hit]:
        # Lemmas are set from the type cache in one array operation, not token by token.
        strings = doc.vocab.strings
        lemmas = np.array([strings.add(i.lemma) for i in infos], dtype="uint64")[inverse]
        doc.from_array([LEMMA], lemmas.reshape(-1, 1))
        hits = []
        for match_id, start, end in self._matcher(language)(doc):
            rid = int(strings[match_id][1:])
            span = doc[start:end]
            hits.append(Hit(self.rules[rid], span.start_char, span.end_char, span.text))
        return hits

    # -- proposals -------------------------------------------------------------------------

    def propose(self, text: str, language: str, units: dict[str, list[Unit]]) -> list[Proposal]:
        """Return one proposal per code and unit where the code's rules fire and no
        exclusion of that code fires in the same unit.

        ``units`` maps a unit kind (sentence, paragraph, turn) to its units sorted by start;
        a ``turn`` code falls back to paragraphs when there are no turns. Units marked
        ``skip`` (interviewer speech) get no proposals.
        """
        located: dict[str, tuple[list[int], list[Unit]]] = {
            kind: ([u.start for u in items], items) for kind, items in units.items()}
        found: dict[tuple[str, str, int], Proposal] = {}
        vetoed: set[tuple[str, str, int]] = set()
        for hit in self(text, language):
            code = self.codebook[hit.rule.code_id]
            kind = code.unit if units.get(code.unit) else "paragraph"
            if kind not in located:
                continue
            starts, items = located[kind]
            index = bisect.bisect_right(starts, hit.start) - 1
            if index < 0 or hit.start >= items[index].end:
                continue  # in a gap between units, e.g. a speaker label
            unit = items[index]
            key = (code.id, kind, index)
            if hit.rule.veto:
                vetoed.add(key)
            elif not unit.skip:
                proposal = found.setdefault(key, Proposal(code.id, kind, unit.seq, unit.start,
                                                          unit.end))
                proposal.hits.append(hit)
        return [p for key, p in found.items() if key not in vetoed]

    def code_text(self, text: str, language: str | None = None) -> list[Proposal]:
        """Segment a plain text and return its proposals (for examples and quick checks)."""
        language = language or self.codebook.language
        segmentation = segment_document(text, kind="other", language=language)
        units = {kind: [Unit(s.start, s.end, s.seq) for s in segmentation.of_kind(kind)]
                 for kind in ("sentence", "paragraph", "turn")}
        return self.propose(text, language, units)


@dataclass(frozen=True)
class ExampleFailure:
    """An example that did not come out as its code says it should."""

    code_id: str
    expected: str  # "match" or "no_match"
    example: Example
    fired: tuple[str, ...]  # what fired for this code (or its subcodes), as rule: matched

    def __str__(self) -> str:
        what = "; ".join(self.fired) if self.fired else "nothing fired"
        want = "should be coded" if self.expected == "match" else "should not be coded"
        line = f"line {self.example.line}: " if self.example.line else ""
        return (f"{line}{self.code_id} {want} ({self.example.language}): "
                f"\"{self.example.text}\" -> {what}")


def run_examples(codebook: Codebook) -> tuple[int, list[ExampleFailure]]:
    """Run every example of a codebook; return (examples run, failures).

    A ``match`` example passes when the code or one of its subcodes is proposed; a
    ``no_match`` example passes when neither is.
    """
    compiled = CompiledCodebook(codebook)
    failures: list[ExampleFailure] = []
    run = 0
    for code in codebook.codes:
        family = set(codebook.descendants(code.id))
        for expected, examples in (("match", code.match), ("no_match", code.no_match)):
            for example in examples:
                run += 1
                proposals = compiled.code_text(example.text, example.language)
                fired = tuple(f"{h.rule.code_id} {h.rule.label} = '{h.matched}'"
                              for p in proposals if p.code_id in family for h in p.hits)
                if (expected == "match") != bool(fired):
                    failures.append(ExampleFailure(code.id, expected, example, fired))
    return run, failures
