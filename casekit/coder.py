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
from spacy.attrs import IDX, IS_PUNCT, IS_SPACE, LEMMA, LENGTH, LOWER
from spacy.matcher import Matcher
from spacy.tokens import Doc

from casekit.codebook import Codebook, Example, Rule
from casekit.matching import GlobIndex, glob_kind, required_literals
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
    # Phrase word positions this type can fill, numbered globally (see _phrase_offset).
    phrase_elements: frozenset[int]
    element_ids: np.ndarray
    # True when the type is a literal some token pattern needs (the Matcher runs near it).
    anchor: bool
    # Regexes that cannot match without this type: they are run near it.
    regexes: tuple[int, ...]


# Irregular forms ("fikk" → "få", "gikk" → "gå") are short; longer words inflect by suffix.
_ALWAYS_LEMMATIZE = 7
# How far (in tokens) the Matcher looks around an anchor when no sentence end is nearer.
_WINDOW = 40
# Tags of what a word type can be to a rule (payloads in the one glob index).
_LEMMA, _SURFACE, _PHRASE, _REGEX, _NEEDS_LEMMA, _ANCHOR, _ANCHOR_LEMMA = range(7)


class CompiledCodebook:
    """A codebook compiled for matching. Call it on a text to get its hits."""

    def __init__(self, codebook: Codebook) -> None:
        self.codebook = codebook
        self.rules: list[Rule] = [r for c in codebook.codes for r in (*c.rules, *c.exclude)]
        # One index answers, for a word type, every way it matters to any rule; a type is
        # looked up once (twice when its lemma differs from its form) and then cached.
        self._index = GlobIndex()
        self._phrases: dict[int, int] = {}  # rule → number of words
        # Every phrase word position has a global number: offset of its phrase + position.
        self._phrase_offset: dict[int, int] = {}
        self._elements = 0
        self._regexes: dict[int, re.Pattern[str]] = {}
        self._scan_regexes: list[int] = []  # regexes without a literal: scanned in full
        self._patterns: list[int] = []
        self._unanchored = False
        for rid, rule in enumerate(self.rules):
            getattr(self, f"_compile_{rule.kind}")(rid, rule)
        phrase_rules = sorted(self._phrase_offset, key=self._phrase_offset.get)
        self._offsets = np.array([self._phrase_offset[r] for r in phrase_rules], np.int64)
        self._lengths = [self._phrases[r] for r in phrase_rules]
        self._element_rule = [r for r in phrase_rules for _ in range(self._phrases[r])]
        self._needs_lemma_attr = any(
            "LEMMA" in {k.upper() for k in spec} for rid in self._patterns
            for spec in self.rules[rid].value)
        self._types: dict[str, dict[int, _TypeInfo]] = defaultdict(dict)
        self._matchers: dict[str, Matcher] = {}

    # -- compiling each rule kind ------------------------------------------------------------

    def _needs_lemma(self, glob: str, rid: int) -> None:
        # A long word inflects by its ending, so prefix and infix globs find on its form
        # what they would on its lemma; exact and suffix globs need the lemma
        # ("målstyringen" for "*styring"). Lemmatizing an unseen word costs ~20 µs, so
        # long words are lemmatized only when they contain such a glob's literal.
        core = _core(glob)
        if glob_kind(glob) in ("exact", "suffix", "regex") and len(core) >= 3:
            self._index.add(f"*{core}*", (_NEEDS_LEMMA, rid))

    def _compile_lemma(self, rid: int, rule: Rule) -> None:
        self._index.add(rule.value, (_LEMMA, rid))
        self._needs_lemma(rule.value, rid)

    def _compile_surface(self, rid: int, rule: Rule) -> None:
        self._index.add(rule.value, (_SURFACE, rid))

    def _compile_phrase(self, rid: int, rule: Rule) -> None:
        words = rule.value.split()
        self._phrase_offset[rid] = self._elements
        for position, word in enumerate(words):
            for alternative in word.split("|"):
                self._index.add(alternative, (_PHRASE, self._elements + position))
                self._needs_lemma(alternative, rid)
        self._phrases[rid] = len(words)
        self._elements += len(words)

    def _compile_regex(self, rid: int, rule: Rule) -> None:
        self._regexes[rid] = re.compile(rule.value, re.IGNORECASE)
        # The regex is run only near word types containing one of its required literals
        # (the longest word inside each), or near a required symbol token such as "§".
        literals = required_literals(rule.value, minimum=1)
        triggers = []
        for literal in literals or ():
            word = max(re.findall(r"\w+", literal) or [""], key=len)
            symbols = [c for c in literal if not c.isalnum() and not c.isspace()]
            if len(word) >= 3:
                triggers.append(f"*{word.lower()}*")
            elif len(symbols) == len(literal.strip()) and symbols:
                triggers.append(symbols[0])
            else:
                triggers = []
                break
        if not triggers:
            self._scan_regexes.append(rid)
            return
        for glob in triggers:
            self._index.add(glob, (_REGEX, rid))

    def _compile_pattern(self, rid: int, rule: Rule) -> None:
        self._patterns.append(rid)
        for value in _pattern_lemmas(rule.value):
            self._needs_lemma(value, rid)
        anchor = _anchor(rule.value)
        if anchor is None:
            self._unanchored = True  # spaCy's Matcher then runs over whole documents
            return
        tag = _ANCHOR_LEMMA if anchor[0] == "lemma" else _ANCHOR
        for value in anchor[1]:
            self._index.add(value, (tag, rid))

    # -- types -----------------------------------------------------------------------------

    def _type_info(self, lower: str, lemmatize: Lemmatizer) -> _TypeInfo:
        core = lower.strip("-–'’")
        on_form = self._index.lookup(core)
        if len(core) <= _ALWAYS_LEMMATIZE or any(t == _NEEDS_LEMMA for t, _ in on_form):
            lemma = lemmatize(lower)
        else:
            lemma = core
        on_lemma = on_form if lemma == core else self._index.lookup(lemma)
        # A lemma rule also accepts a long word's own form: simplemma sometimes mangles an
        # unknown compound ("fagnettverket" → "fagnettverke"). Short words keep to their
        # lemma, since that is where noun/verb homographs live ("bruker": user, or uses).
        by_form = on_form if len(core) > _ALWAYS_LEMMATIZE else ()
        terms = {v for t, v in (*on_lemma, *by_form) if t == _LEMMA} | {
            v for t, v in on_form if t == _SURFACE}
        elements = frozenset(v for t, v in (*on_form, *on_lemma) if t == _PHRASE)
        regexes = tuple(sorted({v for t, v in on_form if t == _REGEX}))
        anchor = any(t == _ANCHOR for t, _ in on_form) or any(
            t == _ANCHOR_LEMMA for t, _ in on_lemma)
        return _TypeInfo(lemma, tuple(sorted(terms)), elements,
                         np.array(sorted(elements), dtype=np.int64), anchor, regexes)

    def _matcher(self, language: str) -> Matcher:
        if language not in self._matchers:
            matcher = Matcher(tokenizer_pipeline(language).vocab)
            for rid in self._patterns:
                matcher.add(f"r{rid}", [self.rules[rid].value])
            self._matchers[language] = matcher
        return self._matchers[language]

    # -- matching --------------------------------------------------------------------------

    def __call__(self, text: str, language: str,
                 sentences: Sequence[tuple[int, int]] | None = None) -> list[Hit]:
        """Return every hit of every rule (and exclusion) in ``text``, in text order.

        With the text's sentence spans, a regex is run only on the sentences around the
        words it needs (its hits could not cross a sentence end anyway); without them, on
        the paragraphs around those words.
        """
        nlp = tokenizer_pipeline(language)
        doc = nlp.make_doc(text)
        hits: list[Hit] = []
        near: dict[int, list[int]] = {}
        if len(doc):
            hits += self._token_hits(doc, text, language, near)
        for rid in self._scan_regexes:
            hits += self._regex_hits(rid, text, [(0, len(text))])
        if near:
            starts = [s for s, _ in sentences] if sentences else None
            for rid, offsets in near.items():
                windows = (_sentences_around(sentences, starts, offsets) if sentences
                           else _paragraphs_around(text, offsets))
                hits += self._regex_hits(rid, text, windows)
        hits.sort(key=lambda h: (h.start, h.end))
        return hits

    def _regex_hits(self, rid: int, text: str, windows: list[tuple[int, int]]) -> list[Hit]:
        pattern, rule = self._regexes[rid], self.rules[rid]
        return [Hit(rule, m.start(), m.end(), m.group()) for start, end in windows
                for m in pattern.finditer(text, start, end) if m.end() > m.start()]

    def _token_hits(self, doc: Doc, text: str, language: str,
                    near: dict[int, list[int]]) -> list[Hit]:
        # Everything per token stays in numpy; Python only visits tokens that matter.
        array = doc.to_array([LOWER, IDX, LENGTH, IS_PUNCT, IS_SPACE])
        types, inverse, counts = np.unique(array[:, 0], return_inverse=True,
                                           return_counts=True)
        cache = self._types[language]
        lemmatize = lemmatizer(language)
        strings = doc.vocab.strings
        infos: list[_TypeInfo] = []
        for h in types.tolist():
            info = cache.get(h)
            if info is None:
                info = cache[h] = self._type_info(strings[h], lemmatize)
            infos.append(info)
        starts = array[:, 1].tolist()
        ends = (array[:, 1] + array[:, 2]).tolist()
        wordlike = ~(array[:, 3].astype(bool) | array[:, 4].astype(bool))
        barrier = np.isin(array[:, 0], [strings[b] for b in _BARRIERS])
        hits: list[Hit] = []
        rules = self.rules
        has_regex = np.fromiter((bool(i.regexes) for i in infos), bool, len(infos))
        for i in np.flatnonzero(has_regex[inverse]).tolist():
            for rid in infos[inverse[i]].regexes:
                near.setdefault(rid, []).append(starts[i])
        anchors, anchored = self._phrase_anchors(infos, counts)
        triggers = anchored | np.fromiter((bool(i.terms) for i in infos), bool, len(infos))
        for i in np.flatnonzero(triggers[inverse]).tolist():
            info = infos[inverse[i]]
            start, end = starts[i], ends[i]
            for rid in info.terms:
                hits.append(Hit(rules[rid], start, end, text[start:end]))
            for element in info.phrase_elements & anchors:
                rid = self._element_rule[element]
                position = element - self._phrase_offset[rid]
                span = self._phrase_span(i, rid, position, infos, inverse, wordlike,
                                         barrier)
                if span is not None:
                    first, last = starts[span[0]], ends[span[1]]
                    hits.append(Hit(rules[rid], first, last, text[first:last]))
        if self._patterns:
            hits += self._pattern_hits(doc, text, language, infos, inverse, starts, ends,
                                       barrier)
        return hits

    def _phrase_anchors(self, infos: Sequence[_TypeInfo], counts: np.ndarray
                        ) -> tuple[frozenset[int], np.ndarray]:
        """Return the anchor word position of every phrase that can occur in a document,
        and which of the document's types fill an anchor.

        A phrase with a word that does not occur at all is not tried; the others are tried
        only where their least frequent word (in this document) stands, and matched
        outwards from there.
        """
        anchored = np.zeros(len(infos), bool)
        sizes = np.fromiter((i.element_ids.size for i in infos), np.int64, len(infos))
        if not self._elements or not sizes.any():
            return frozenset(), anchored
        ids = np.concatenate([i.element_ids for i in infos])
        owners = np.repeat(np.arange(len(infos)), sizes)
        occurrences = np.bincount(ids, weights=counts[owners], minlength=self._elements)
        offsets = self._offsets
        least = np.minimum.reduceat(occurrences, offsets)
        anchors = []
        for k in np.flatnonzero(least > 0).tolist():
            first = offsets[k]
            anchors.append(first + int(np.argmin(occurrences[first:first + self._lengths[k]])))
        is_anchor = np.zeros(self._elements, bool)
        is_anchor[anchors] = True
        np.logical_or.at(anchored, owners, is_anchor[ids])
        return frozenset(anchors), anchored

    def _phrase_span(self, anchor: int, rid: int, position: int,
                     infos: Sequence[_TypeInfo], inverse: np.ndarray, wordlike: np.ndarray,
                     barrier: np.ndarray) -> tuple[int, int] | None:
        """Return (first, last) token of a phrase matched outwards from its anchor word."""
        last = self._phrase_walk(anchor, rid, position, 1, infos, inverse, wordlike, barrier)
        if last is None:
            return None
        first = self._phrase_walk(anchor, rid, position, -1, infos, inverse, wordlike,
                                  barrier)
        return None if first is None else (first, last)

    def _phrase_walk(self, i: int, rid: int, position: int, step: int,
                     infos: Sequence[_TypeInfo], inverse: np.ndarray, wordlike: np.ndarray,
                     barrier: np.ndarray) -> int | None:
        """Match the phrase's words after (step 1) or before (step -1) the word at ``i``.

        Each next word may come after up to ``gap`` other words; a sentence end stops the
        phrase. Returns the token index of the phrase's end in that direction, or None.
        """
        gap = self.rules[rid].gap
        element = self._phrase_offset[rid]
        stop = self._phrases[rid] if step == 1 else -1
        size = len(inverse)
        position += step
        while position != stop:
            skipped = 0
            j = i + step
            while 0 <= j < size:
                if not wordlike[j]:
                    if barrier[j]:
                        return None
                    j += step
                    continue
                if element + position in infos[inverse[j]].phrase_elements:
                    break
                skipped += 1
                if skipped > gap:
                    return None
                j += step
            else:
                return None
            i, position = j, position + step
        return i

    def _pattern_hits(self, doc: Doc, text: str, language: str, infos: Sequence[_TypeInfo],
                      inverse: np.ndarray, starts: list[int], ends: list[int],
                      barrier: np.ndarray) -> list[Hit]:
        strings = doc.vocab.strings
        if self._unanchored:
            windows = [(0, len(doc))]
        else:
            anchors = np.fromiter((i.anchor for i in infos), bool, len(infos))[inverse]
            windows = _windows(np.flatnonzero(anchors), np.flatnonzero(barrier), len(doc))
            if not windows:
                return []
        if self._needs_lemma_attr:
            # Lemmas are set from the type cache in one array operation, not token by token.
            lemmas = np.array([strings.add(i.lemma) for i in infos], dtype="uint64")[inverse]
            doc.from_array([LEMMA], lemmas.reshape(-1, 1))
        matcher = self._matcher(language)
        hits = []
        for first, last in windows:
            for span in matcher(doc[first:last], as_spans=True):
                rid = int(span.label_[1:])
                start, end = starts[span.start], ends[span.end - 1]
                hits.append(Hit(self.rules[rid], start, end, text[start:end]))
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
        sentences = located.get("sentence")
        spans = [(u.start, u.end) for u in units.get("sentence", [])] or None
        for hit in self(text, language, spans):
            if sentences and sentences[0] and not _within_one(sentences, hit):
                continue  # a phrase or regex running over a sentence end is not one
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


def _core(glob: str) -> str:
    """Return what a word must contain for its lemma to match ``glob``.

    The longest literal run of the glob, less a final letter when it is long: inflected
    forms may drop a lemma's last vowel ("samarbeidde" for "samarbeide").
    """
    core = max(glob.replace("?", "*").split("*"), key=len)
    return core[:-1] if len(core) > 4 else core


def _anchor(pattern: list[dict]) -> tuple[str, set[str]] | None:
    """Return ("lower"|"lemma", values) of a required literal token in a pattern, or None.

    A token spec is required unless its OP allows zero (``?``, ``*``, ``!``, ``{0,n}``).
    """
    for spec in pattern:
        op = str(spec.get("OP", "1"))
        if op in ("?", "*", "!") or op.startswith("{0") or op.startswith("{,"):
            continue
        for key, value in spec.items():
            kind = {"LOWER": "lower", "ORTH": "lower", "TEXT": "lower", "NORM": "lower",
                    "LEMMA": "lemma"}.get(key.upper())
            if kind is None:
                continue
            if isinstance(value, str):
                return kind, {value.lower()}
            if isinstance(value, dict) and isinstance(value.get("IN"), list) and value["IN"]:
                return kind, {str(v).lower() for v in value["IN"]}
    return None


def _within_one(sentences: tuple[list[int], list[Unit]], hit: Hit) -> bool:
    """Return True when the hit starts and ends inside the same sentence."""
    starts, items = sentences
    index = bisect.bisect_right(starts, hit.start) - 1
    return index >= 0 and hit.end <= items[index].end


def _sentences_around(sentences: Sequence[tuple[int, int]], starts: list[int],
                      offsets: list[int]) -> list[tuple[int, int]]:
    """Return the distinct sentences (in order) that contain the offsets."""
    chosen = set()
    for offset in offsets:
        index = bisect.bisect_right(starts, offset) - 1
        if index >= 0 and offset < sentences[index][1]:
            chosen.add(index)
    return [sentences[i] for i in sorted(chosen)]


def _paragraphs_around(text: str, offsets: list[int]) -> list[tuple[int, int]]:
    """Return the merged paragraphs (between blank lines) that contain the offsets."""
    windows: list[tuple[int, int]] = []
    for offset in sorted(offsets):
        if windows and offset < windows[-1][1]:
            continue
        start = text.rfind("\n\n", 0, offset)
        end = text.find("\n\n", offset)
        windows.append((start + 2 if start >= 0 else 0, end if end >= 0 else len(text)))
    return windows


def _windows(anchors: np.ndarray, barriers: np.ndarray, size: int) -> list[tuple[int, int]]:
    """Return merged token windows around anchors, each reaching to the nearest sentence
    end on both sides (at most ``_WINDOW`` tokens away)."""
    windows: list[tuple[int, int]] = []
    for i in anchors.tolist():
        at = int(np.searchsorted(barriers, i))
        left = int(barriers[at - 1]) + 1 if at > 0 else 0
        right = int(barriers[at]) + 1 if at < len(barriers) else size
        left, right = max(left, i - _WINDOW), min(right, i + _WINDOW + 1)
        if windows and left <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(windows[-1][1], right))
        else:
            windows.append((left, right))
    return windows


def _pattern_lemmas(pattern: list[dict]) -> list[str]:
    """Return the literal LEMMA values of a token pattern (strings and IN lists)."""
    found = []
    for spec in pattern:
        for key, value in spec.items():
            if key.upper() != "LEMMA":
                continue
            if isinstance(value, str):
                found.append(value.lower())
            elif isinstance(value, dict):
                found += [v.lower() for v in value.get("IN", []) if isinstance(v, str)]
    return found


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
