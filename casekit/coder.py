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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from spacy.attrs import IDX, IS_PUNCT, IS_SPACE, LEMMA, LENGTH, LOWER
from spacy.matcher import Matcher
from spacy.tokens import Doc
from spacy.vocab import Vocab

from casekit.codebook import Codebook, Example, Rule
from casekit.matching import GlobIndex, glob_kind, required_literal_sets
from casekit.nlp import Lemmatizer, lemmatizer, tokenizer_pipeline
from casekit.segment import segment_document

# Bump when matching changes, so unchanged documents are coded again on the next run.
CODER_VERSION = "1"
_BARRIERS = (".", "!", "?", "…")
_UNITS = ("sentence", "paragraph", "turn")
_DISTANCES = np.arange(1, 12, dtype=np.int64)  # 1 … the largest gap + 1


@dataclass(frozen=True)
class Hit:
    """One rule firing at ``[start, end)`` of the text."""

    rule: Rule
    start: int
    end: int
    matched: str


class Proposal:
    """A proposed coding: a code on one unit, with every hit that supports it.

    The hits are kept as arrays and made into :class:`Hit` objects only when asked for:
    most proposals of a large run are stored without anyone looking at them one by one.
    """

    __slots__ = ("code_id", "unit", "seq", "start", "end", "_source", "_hits")

    def __init__(self, code_id: str, unit: str, seq: int, start: int, end: int,
                 source: tuple[str, list[Rule], list[int], list[int], list[int]]) -> None:
        self.code_id, self.unit, self.seq, self.start, self.end = (code_id, unit, seq,
                                                                   start, end)
        self._source = source
        self._hits: list[Hit] | None = None

    def __repr__(self) -> str:
        return (f"Proposal({self.code_id!r}, {self.unit!r}, seq={self.seq}, "
                f"[{self.start}, {self.end}), hits={len(self._source[2])})")

    @property
    def hits(self) -> list[Hit]:
        """Return the hits behind the proposal, in text order."""
        if self._hits is None:
            text, rules, rids, starts, ends = self._source
            self._hits = [Hit(rules[r], a, b, text[a:b])
                          for r, a, b in zip(rids, starts, ends, strict=True)]
        return self._hits

    @property
    def n_hits(self) -> int:
        """Return how many hits support the proposal."""
        return len(self._source[2])

    @property
    def rule(self) -> str:
        """Return the first rule that fired (by position in the unit)."""
        return self._source[1][self._source[2][0]].label

    @property
    def matched(self) -> str:
        """Return the distinct matched texts, in order, joined by ' | '."""
        return " | ".join(dict.fromkeys(h.matched for h in self.hits))


class Unit(NamedTuple):
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
    elements: tuple[int, ...]
    # True when the type is a literal some token pattern needs (the Matcher runs near it).
    anchor: bool
    # Regexes that cannot match without this type: they are run near it.
    regexes: tuple[int, ...]
    word: bool  # not punctuation or space: counts as a word between phrase words
    barrier: bool  # ends a sentence: phrases do not run over it


class _TypeTable:
    """What each word type seen so far is to the rules, as arrays indexed by a type number.

    Tokens are mapped to type numbers in numpy (a sorted array of known hashes and one
    ``searchsorted``); only types never seen before are described in Python. From there
    everything per token is array indexing: the term rules and phrase words of a type are
    runs in flat arrays (``first``/``count`` per type), as in a sparse CSR matrix.
    """

    def __init__(self) -> None:
        self.numbers: dict[int, int] = {}
        self.lemmas: list[str] = []
        self.regex_first = self.regex_count = self.regexes = np.zeros(0, np.int64)
        self.term_first = self.term_count = self.terms = np.zeros(0, np.int64)
        self.element_first = self.element_count = self.elements = np.zeros(0, np.int64)
        self.anchor = self.word = self.barrier = np.zeros(0, bool)
        self._known = np.zeros(0, np.uint64)
        self._known_numbers = np.zeros(0, np.int64)
        self._unmerged = 0

    def __len__(self) -> int:
        return len(self.numbers)

    def numbers_of(self, hashes: np.ndarray, describe: Callable[[int], _TypeInfo]
                   ) -> np.ndarray:
        """Return the type number of each token's hash, describing the unseen types."""
        out = np.full(len(hashes), -1, np.int64)
        if len(self._known):
            at = np.minimum(np.searchsorted(self._known, hashes), len(self._known) - 1)
            found = self._known[at] == hashes
            out[found] = self._known_numbers[at[found]]
        missed = np.flatnonzero(out < 0)
        if not len(missed):
            return out
        # Types not yet in the sorted array: recent ones are in the dict, new ones are
        # described; the sorted array is rebuilt once enough have gathered.
        missing, where = np.unique(hashes[missed], return_inverse=True)
        numbers, new, found_numbers = self.numbers, [], []
        for h in missing.tolist():
            n = numbers.get(h)
            if n is None:
                n = numbers[h] = len(numbers)
                new.append(describe(h))
                self._unmerged += 1
            found_numbers.append(n)
        out[missed] = np.array(found_numbers, np.int64)[where]
        if new:
            self._extend(new)
        # Merge when recent types keep coming back (they would be looked up in Python in
        # every document) or when many have gathered.
        if len(missing) - len(new) > 32 or self._unmerged > 256 + len(self._known) // 8:
            self._merge()
        return out

    def _merge(self) -> None:
        hashes = np.fromiter(self.numbers.keys(), np.uint64, len(self.numbers))
        order = np.argsort(hashes)
        self._known = hashes[order]
        self._known_numbers = np.fromiter(self.numbers.values(), np.int64,
                                          len(self.numbers))[order]
        self._unmerged = 0

    def _extend(self, infos: list[_TypeInfo]) -> None:
        self.lemmas += [i.lemma for i in infos]
        for flag in ("anchor", "word", "barrier"):
            values = np.fromiter((getattr(i, flag) for i in infos), bool, len(infos))
            setattr(self, flag, np.concatenate([getattr(self, flag), values]))
        self.regex_first, self.regex_count, self.regexes = _append_runs(
            self.regex_first, self.regex_count, self.regexes, [i.regexes for i in infos])
        self.term_first, self.term_count, self.terms = _append_runs(
            self.term_first, self.term_count, self.terms, [i.terms for i in infos])
        self.element_first, self.element_count, self.elements = _append_runs(
            self.element_first, self.element_count, self.elements, [i.elements for i in infos])


def _append_runs(first: np.ndarray, count: np.ndarray, flat: np.ndarray,
                 runs: list[tuple[int, ...]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (first, count, flat) with one run appended per item of ``runs``."""
    sizes = np.array([len(r) for r in runs], np.int64)
    starts = len(flat) + np.cumsum(sizes) - sizes
    values = np.fromiter((v for r in runs for v in r), np.int64, int(sizes.sum()))
    return (np.concatenate([first, starts]), np.concatenate([count, sizes]),
            np.concatenate([flat, values]))


def _expand(owners: np.ndarray, first: np.ndarray, count: np.ndarray, flat: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """Return (owner, value) pairs: each owner repeated once per value of its run."""
    sizes = count[owners]
    total = int(sizes.sum())
    ends = np.cumsum(sizes)
    within = np.arange(total) - np.repeat(ends - sizes, sizes)
    return np.repeat(owners, sizes), flat[np.repeat(first[owners], sizes) + within]


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
        self._part_rule: list[int] = []  # required part of a regex → the regex
        self._regex_parts: dict[int, int] = {}  # regex → how many required parts
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
        self._types: dict[str, _TypeTable] = defaultdict(_TypeTable)
        self._matchers: dict[str, Matcher] = {}
        # Per rule and per phrase word, as arrays, for the vectorised matching below.
        codes = {code.id: n for n, code in enumerate(codebook.codes)}
        self._code_ids = [code.id for code in codebook.codes]
        self._code_unit = np.array([_UNITS.index(code.unit) for code in codebook.codes],
                                   np.int64)
        self._rule_code = np.array([codes[r.code_id] for r in self.rules], np.int64)
        self._rule_veto = np.array([r.veto for r in self.rules], bool)
        self._element_rule_arr = np.array(self._element_rule, np.int64)
        self._element_offset = self._offsets[np.searchsorted(
            self._offsets, np.arange(self._elements), side="right") - 1] if self._elements \
            else np.zeros(0, np.int64)
        self._element_length = np.array(
            [self._phrases[r] for r in self._element_rule], np.int64)
        self._element_gap = np.array([self.rules[r].gap for r in self._element_rule],
                                     np.int64)
        self._longest = max(self._lengths, default=0)
        self._part_rule_arr = np.array(self._part_rule, np.int64)
        self._parts_of_rule = np.zeros(len(self.rules), np.int64)
        for rid, n in self._regex_parts.items():
            self._parts_of_rule[rid] = n
        self._element_index = np.arange(self._elements, dtype=np.int64)
        self._element_phrase = np.repeat(np.arange(len(self._lengths)), self._lengths)

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
        # A regex usually requires several literals ("mål…" and "%" or "prosent"): it is
        # run only on the sentences that hold a trigger of every such part.
        parts = {triggers for literals in required_literal_sets(rule.value, minimum=1)
                 if (triggers := _triggers(literals))}
        if not parts:
            self._scan_regexes.append(rid)
            return
        self._regex_parts[rid] = len(parts)
        for triggers in sorted(parts):
            part = len(self._part_rule)
            self._part_rule.append(rid)
            for glob in triggers:
                self._index.add(glob, (_REGEX, part))

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

    def _type_info(self, lower: str, lemmatize: Lemmatizer, vocab: Vocab) -> _TypeInfo:
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
        elements = {v for t, v in (*on_form, *on_lemma) if t == _PHRASE}
        regexes = tuple(sorted({v for t, v in on_form if t == _REGEX}))
        anchor = any(t == _ANCHOR for t, _ in on_form) or any(
            t == _ANCHOR_LEMMA for t, _ in on_lemma)
        # The vocabulary's own attribute functions, not vocab[lower]: that would create a
        # lexeme for every lower-cased form never seen as written (~50 µs each).
        getters = vocab.lex_attr_getters
        word = not (getters[IS_PUNCT](lower) or getters[IS_SPACE](lower))
        return _TypeInfo(lemma, tuple(sorted(terms)), tuple(sorted(elements)), anchor,
                         regexes, word, lower in _BARRIERS)

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
        spans = np.array(sentences or [], np.int64).reshape(-1, 2)
        rids, starts, ends = self._find(text, language, spans if len(spans) else None)
        return [Hit(self.rules[r], a, b, text[a:b]) for r, a, b in
                zip(rids.tolist(), starts.tolist(), ends.tolist(), strict=True)]

    def _find(self, text: str, language: str, sentences: np.ndarray | None
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return the hits as arrays (rule, start, end), sorted by start, end and rule.

        ``sentences`` is an (n, 2) array of sentence spans, or None.
        """
        doc = tokenizer_pipeline(language).make_doc(text)
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        others: list[tuple[int, int, int]] = []  # regex and pattern hits, found in Python
        if len(doc):
            parts += self._token_hits(doc, text, language, sentences, others)
        for rid in self._scan_regexes:
            others += self._regex_hits(rid, text, [(0, len(text))])
        if others:
            parts.append(tuple(np.array(c, np.int64) for c in zip(*others, strict=True)))
        if not parts:
            empty = np.zeros(0, np.int64)
            return empty, empty, empty
        rids, starts, ends = (np.concatenate(c) for c in zip(*parts, strict=True))
        order = np.lexsort((rids, ends, starts))
        return rids[order], starts[order], ends[order]

    def _regex_hits(self, rid: int, text: str, windows: Sequence[tuple[int, int]]
                    ) -> list[tuple[int, int, int]]:
        pattern = self._regexes[rid]
        return [(rid, m.start(), m.end()) for start, end in windows
                for m in pattern.finditer(text, start, end) if m.end() > m.start()]

    def _near_regex_hits(self, text: str, table: _TypeTable, token_type: np.ndarray,
                         starts: np.ndarray, sentences: np.ndarray | None
                         ) -> list[tuple[int, int, int]]:
        """Return the hits of regexes run on the sentences that hold a trigger of each of
        their required parts (each regex and sentence once); without sentences, on the
        paragraphs around any trigger."""
        tokens, parts = _expand(np.flatnonzero(table.regex_count[token_type] > 0),
                                table.regex_first[token_type], table.regex_count[token_type],
                                table.regexes)
        if not len(parts):
            return []
        rids = self._part_rule_arr[parts]
        hits: list[tuple[int, int, int]] = []
        if sentences is None:
            near: dict[int, list[int]] = {}
            for rid, offset in zip(rids.tolist(), starts[tokens].tolist(), strict=True):
                near.setdefault(rid, []).append(offset)
            for rid, offsets in near.items():
                hits += self._regex_hits(rid, text, _paragraphs_around(text, offsets))
            return hits
        # A regex with a required part missing from the whole document is not run at all.
        seen = np.flatnonzero(np.bincount(parts, minlength=len(self._part_rule)))
        complete = (np.bincount(self._part_rule_arr[seen], minlength=len(self.rules))
                    == self._parts_of_rule)
        keep = complete[rids]
        if not keep.any():
            return hits
        tokens, parts = tokens[keep], parts[keep]
        offsets = starts[tokens]
        index = np.searchsorted(sentences[:, 0], offsets, side="right") - 1
        inside = (index >= 0) & (offsets < sentences[np.maximum(index, 0), 1])
        size = len(sentences) + 1
        present = np.unique(parts[inside] * size + index[inside])  # (part, sentence) once
        part_rule = self._part_rule_arr[present // size]
        pairs, found = np.unique(part_rule * size + present % size, return_counts=True)
        pairs = pairs[found == self._parts_of_rule[pairs // size]]
        for rid, at in zip((pairs // size).tolist(), (pairs % size).tolist(), strict=True):
            hits += self._regex_hits(rid, text, [tuple(sentences[at].tolist())])
        return hits

    def _token_hits(self, doc: Doc, text: str, language: str, sentences: np.ndarray | None,
                    others: list[tuple[int, int, int]]
                    ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Return term and phrase hits as arrays; add regex and pattern hits to
        ``others``. Nothing here loops over tokens in Python."""
        array = doc.to_array([LOWER, IDX, LENGTH])
        table = self._types[language]
        lemmatize = lemmatizer(language)
        vocab = doc.vocab
        token_type = table.numbers_of(
            array[:, 0], lambda h: self._type_info(vocab.strings[h], lemmatize, vocab))
        starts = array[:, 1].astype(np.int64)
        ends = starts + array[:, 2].astype(np.int64)
        if len(table.regexes):
            others += self._near_regex_hits(text, table, token_type, starts, sentences)
        tokens, rids = _expand(np.flatnonzero(table.term_count[token_type] > 0),
                               table.term_first[token_type], table.term_count[token_type],
                               table.terms)
        found = [(rids, starts[tokens], ends[tokens])]
        barrier = table.barrier[token_type]
        if self._elements:
            found.append(self._phrase_hits(table, token_type, starts, ends,
                                           table.word[token_type], barrier))
        if self._patterns:
            others += self._pattern_hits(doc, language, table, token_type, barrier)
        return found

    def _phrase_hits(self, table: _TypeTable, token_type: np.ndarray, starts: np.ndarray,
                     ends: np.ndarray, wordlike: np.ndarray, barrier: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return phrase hits as arrays (rule, start, end).

        A phrase is tried only where its least frequent word (in this document) stands,
        and matched outwards from there one word at a time, for all candidates at once:
        the next word must come within ``gap`` other words and before any sentence end,
        so each step looks at a candidates × (gap + 1) block of words and takes the first
        whose type fills the phrase's next word.
        """
        empty = np.zeros(0, np.int64)
        counts = np.bincount(token_type, minlength=len(table))
        types = np.flatnonzero(counts)
        owners, elements = _expand(types, table.element_first, table.element_count,
                                   table.elements)
        if not len(elements):
            return empty, empty, empty
        occurrences = np.bincount(elements, weights=counts[owners], minlength=self._elements)
        least = np.minimum.reduceat(occurrences, self._offsets)
        if not (least > 0).any():
            return empty, empty, empty
        # The anchor of each possible phrase: its rarest word (the first of the rarest on
        # ties): the smallest index among the phrase's words that have the least count.
        rarest = occurrences == least[self._element_phrase]
        anchors = np.minimum.reduceat(np.where(rarest, self._element_index, self._elements),
                                      self._offsets)[least > 0]
        is_anchor = np.zeros(self._elements, bool)
        is_anchor[anchors] = True
        anchored = is_anchor[elements]
        anchor_types, anchor_elements = owners[anchored], elements[anchored]
        # Per type number: where its anchor words begin in anchor_elements, and how many.
        anchor_first = np.zeros(len(table), np.int64)
        anchor_count = np.zeros(len(table), np.int64)
        kinds, first_of_kind, per_kind = np.unique(anchor_types, return_index=True,
                                                   return_counts=True)
        anchor_first[kinds], anchor_count[kinds] = first_of_kind, per_kind
        word_token = np.flatnonzero(wordlike)
        word_type = token_type[word_token]
        sentence = np.cumsum(barrier)[word_token]  # words between two ends share a number
        first, rule_element = _expand(np.flatnonzero(anchor_count[word_type]),
                                      anchor_first[word_type], anchor_count[word_type],
                                      anchor_elements)
        if not len(first):
            return empty, empty, empty
        offset = self._element_offset[rule_element]
        position = rule_element - offset
        length = self._element_length[rule_element]
        reach = self._element_gap[rule_element] + 1
        # (type, phrase word) pairs of this document's types in possible phrases, sorted:
        # types ascend and each type's run is sorted.
        possible = (least > 0)[self._element_phrase[elements]]
        keys = owners[possible] * self._elements + elements[possible]
        last = first.copy()
        alive = np.ones(len(first), bool)
        n = len(word_token)
        for step in (1, -1):
            at = last if step == 1 else first
            place = position.copy()
            while True:
                moving = np.flatnonzero(alive & ((place + step < length) if step == 1
                                                 else (place + step >= 0)))
                if not len(moving):
                    break
                # Every (candidate, distance) pair within the candidate's reach, in order.
                tried, distance = _expand(moving, np.zeros(len(reach), np.int64), reach,
                                          _DISTANCES)
                here = at[tried]
                look = here + step * distance
                inside = (look >= 0) & (look < n)
                look = np.where(inside, look, here)
                want = word_type[look] * self._elements + offset[tried] + place[tried] + step
                index = np.minimum(np.searchsorted(keys, want), len(keys) - 1)
                match = np.flatnonzero((keys[index] == want) & inside
                                       & (sentence[look] == sentence[here]))
                # The first match of each candidate is the nearest word (``tried`` is sorted).
                owner = tried[match]
                starts_run = np.ones(len(owner), bool)
                starts_run[1:] = owner[1:] != owner[:-1]
                first_match = np.flatnonzero(starts_run)
                matched = owner[first_match]
                alive[moving] = False
                alive[matched] = True
                at[matched] = look[match[first_match]]
                place[matched] += step
        rules = self._element_rule_arr[rule_element[alive]]
        return (rules, starts[word_token[first[alive]]], ends[word_token[last[alive]]])

    def _pattern_hits(self, doc: Doc, language: str, table: _TypeTable,
                      token_type: np.ndarray, barrier: np.ndarray
                      ) -> list[tuple[int, int, int]]:
        strings = doc.vocab.strings
        if self._unanchored:
            windows = [(0, len(doc))]
        else:
            anchors = table.anchor[token_type]
            windows = _windows(np.flatnonzero(anchors), np.flatnonzero(barrier), len(doc))
            if not windows:
                return []
        if self._needs_lemma_attr:
            # Lemmas are set from the type cache in one array operation, not token by token.
            types, inverse = np.unique(token_type, return_inverse=True)
            lemmas = np.array([strings.add(table.lemmas[n]) for n in types.tolist()],
                              dtype="uint64")[inverse]
            doc.from_array([LEMMA], lemmas.reshape(-1, 1))
        matcher = self._matcher(language)
        hits = []
        for first, last in windows:
            for span in matcher(doc[first:last], as_spans=True):
                hits.append((int(span.label_[1:]), doc[span.start].idx,
                             doc[span.end - 1].idx + len(doc[span.end - 1])))
        return hits

    # -- proposals -------------------------------------------------------------------------

    def propose(self, text: str, language: str, units: dict[str, list[Unit]]) -> list[Proposal]:
        """Return one proposal per code and unit where the code's rules fire and no
        exclusion of that code fires in the same unit.

        ``units`` maps a unit kind (sentence, paragraph, turn) to its units sorted by start;
        a ``turn`` code falls back to paragraphs when there are no turns. Units marked
        ``skip`` (interviewer speech) get no proposals. Hits are placed in units, vetoed
        and grouped as arrays; Python objects are made per proposal only.
        """
        located = {kind: _UnitArrays(items) for kind, items in units.items()}
        spans = None
        if "sentence" in located and len(located["sentence"].starts):
            sentence = located["sentence"]
            spans = np.stack([sentence.starts, sentence.ends], axis=1)
        rids, starts, ends = self._find(text, language, spans)
        if not len(rids):
            return []
        unit_of = np.full(len(rids), -1, np.int64)
        if spans is not None:  # a phrase or regex running over a sentence end is not one
            index = np.searchsorted(sentence.starts, starts, side="right") - 1
            inside = (index >= 0) & (ends <= sentence.ends[np.maximum(index, 0)])
        else:
            inside = np.ones(len(rids), bool)
        # The unit kind each code is coded at here: its own, or paragraphs when the
        # document has none of it (a turn code in a policy document).
        kinds = np.array([k if units.get(kind) else
                          (_UNITS.index("paragraph") if "paragraph" in units else -1)
                          for k, kind in enumerate(_UNITS)], np.int64)
        code = self._rule_code[rids]
        kind = kinds[self._code_unit[code]]
        skip = np.zeros(len(rids), bool)
        for k, name in enumerate(_UNITS):
            mask = inside & (kind == k)
            if name not in located or not mask.any():
                continue
            unit = located[name]
            index = np.searchsorted(unit.starts, starts[mask], side="right") - 1
            valid = (index >= 0) & (starts[mask] < unit.ends[np.maximum(index, 0)])
            unit_of[mask] = np.where(valid, index, -1)
            skip[mask] = valid & unit.skip[np.maximum(index, 0)]
        placed = unit_of >= 0
        width = max((len(u.starts) for u in located.values()), default=0) + 1
        keys = (code * len(_UNITS) + kind) * width + unit_of
        veto = self._rule_veto[rids]
        chosen = placed & ~veto & ~skip
        vetoed = keys[placed & veto]
        if len(vetoed):
            mark = np.zeros(len(self._code_ids) * len(_UNITS) * width, bool)
            mark[vetoed] = True
            chosen &= ~mark[np.where(placed, keys, 0)]
        chosen = np.flatnonzero(chosen)
        if not len(chosen):
            return []
        # Hits are in text order; a stable sort by key keeps that order within a group.
        order = chosen[np.argsort(keys[chosen], kind="stable")]
        group_keys = keys[order]
        bounds = np.flatnonzero(np.diff(group_keys)) + 1
        heads = np.concatenate([[0], bounds])
        tails = np.concatenate([bounds, [len(order)]])
        rid_list, start_list, end_list = (rids[order].tolist(), starts[order].tolist(),
                                          ends[order].tolist())
        proposals = []
        # Proposals come in the order of their first hit.
        for g in np.argsort(order[heads], kind="stable").tolist():
            head, tail = int(heads[g]), int(tails[g])
            i = int(order[head])
            name = _UNITS[int(kind[i])]
            unit, index = located[name], int(unit_of[i])
            proposals.append(Proposal(
                self._code_ids[int(code[i])], name, int(unit.seqs[index]),
                int(unit.starts[index]), int(unit.ends[index]),
                (text, self.rules, rid_list[head:tail], start_list[head:tail],
                 end_list[head:tail])))
        return proposals

    def code_text(self, text: str, language: str | None = None) -> list[Proposal]:
        """Segment a plain text and return its proposals (for examples and quick checks)."""
        language = language or self.codebook.language
        segmentation = segment_document(text, kind="other", language=language)
        units = {kind: [Unit(s.start, s.end, s.seq) for s in segmentation.of_kind(kind)]
                 for kind in ("sentence", "paragraph", "turn")}
        return self.propose(text, language, units)


class _UnitArrays:
    """A document's units of one kind as arrays (starts, ends, seqs, skip)."""

    __slots__ = ("starts", "ends", "seqs", "skip")

    def __init__(self, items: Sequence[Unit]) -> None:
        table = np.array(items, np.int64).reshape(-1, 4)  # Units are tuples: one C pass
        self.starts, self.ends, self.seqs = table[:, 0], table[:, 1], table[:, 2]
        self.skip = table[:, 3].astype(bool)


def _triggers(literals: tuple[str, ...]) -> tuple[str, ...]:
    """Return the word globs (or symbol tokens such as "§") that find one of ``literals``,
    or () when some literal has neither a word of three letters nor only symbols."""
    triggers = []
    for literal in literals:
        word = max(re.findall(r"\w+", literal) or [""], key=len)
        symbols = [c for c in literal if not c.isalnum() and not c.isspace()]
        if len(word) >= 3:
            triggers.append(f"*{word.lower()}*")
        elif symbols and len(symbols) == len(literal.strip()):
            triggers.append(symbols[0])
        else:
            return ()
    return tuple(sorted(set(triggers)))


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
