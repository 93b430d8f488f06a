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
from functools import lru_cache, partial
from itertools import chain
from typing import NamedTuple

import numpy as np
from spacy.attrs import ID, IDX, IS_PUNCT, IS_SPACE, LEMMA, ORTH
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
    # The distinct phrase words (see _word_number) this type can fill.
    words: tuple[int, ...]
    # True when the type is a literal some token pattern needs (the Matcher runs near it).
    anchor: bool
    # Regexes that cannot match without this type: they are run near it.
    regexes: tuple[int, ...]
    word: bool  # not punctuation or space: counts as a word between phrase words
    barrier: bool  # ends a sentence: phrases do not run over it
    # Characters of a token of this type, or -1 when its lower-case form may be longer
    # than as written ("İ" lower-cases to two characters).
    length: int


class _HashMap:
    """Distinct int64 keys → int64 values (-1: absent), looked up many at a time in numpy.

    Open addressing: a slot array of keys and one of values, at most a quarter full,
    probed linearly from a multiplicative hash of the key. Keys are only ever added.
    """

    def __init__(self) -> None:
        self.keys = np.zeros(0, np.int64)  # every key added, in order, to refill on growth
        self.values = np.zeros(0, np.int64)
        self._resize(1024)

    def __len__(self) -> int:
        return len(self.keys)

    def _resize(self, size: int) -> None:
        self._key = np.zeros(size, np.int64)
        self._value = np.full(size, -1, np.int64)
        self._shift = np.uint64(64 - (size.bit_length() - 1))
        self._mask = size - 1

    def _home(self, keys: np.ndarray) -> np.ndarray:
        return ((keys.view(np.uint64) * _GOLDEN) >> self._shift).view(np.int64)

    def get(self, keys: np.ndarray) -> np.ndarray:
        """Return the value of each key, or -1 where it is absent."""
        slot = self._home(keys)
        values = self._value[slot]
        # A slot held by another key: try the next one, until the key or a free slot.
        probing = ((values >= 0) & (self._key[slot] != keys)).nonzero()[0]
        while len(probing):
            at = slot[probing] = (slot[probing] + 1) & self._mask
            found = values[probing] = self._value[at]
            probing = probing[(found >= 0) & (self._key[at] != keys[probing])]
        return values

    def add(self, keys: np.ndarray, values: np.ndarray) -> None:
        """Add keys (distinct, not yet present) with their values (not negative)."""
        self.keys = np.concatenate([self.keys, keys])
        self.values = np.concatenate([self.values, values])
        if 4 * len(self.keys) > len(self._key):
            self._resize(1 << (8 * len(self.keys)).bit_length())
            keys, values = self.keys, self.values
        slot = self._home(keys)
        todo = np.arange(len(keys))
        while len(todo):
            free = todo[self._value[slot[todo]] < 0]
            # Of keys wanting the same free slot the first takes it; the others move on.
            taken, first = np.unique(slot[free], return_index=True)
            self._key[taken], self._value[taken] = keys[free[first]], values[free[first]]
            waiting = np.ones(len(keys), bool)
            waiting[free[first]] = False
            todo = todo[waiting[todo]]
            slot[todo] = (slot[todo] + 1) & self._mask


# 2**64 / the golden ratio: multiplying by it spreads keys that differ in few bits.
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


class _TypeIds:
    """The word types of one spaCy vocabulary, numbered 0, 1, 2… by lower-case form and
    shared by every compiled codebook.

    Each lexeme of the vocabulary carries its type's number as spaCy's ``rank`` (the
    field meant for indexing tables such as vectors; blank pipelines leave it unset), so a
    document's type numbers come from one ``Doc.to_array`` call: only lexemes never seen
    before are looked at in Python.
    """

    def __init__(self) -> None:
        self.forms: list[str] = []  # type number → lower-case form
        self._numbers: dict[str, int] = {}

    def of(self, doc: Doc) -> tuple[np.ndarray, np.ndarray]:
        """Return each token's type number and character offset, as int64 arrays."""
        array = doc.to_array([ID, IDX]).view(np.int64)
        numbers = array[:, 0]
        if len(numbers) and numbers.max() >= len(self.forms):
            raise RuntimeError("a lexeme's rank was set outside casekit's type numbering "
                               "(vectors added to casekit's tokenizer vocabulary?)")
        new = (numbers < 0).nonzero()[0]  # spaCy's "no rank", all bits set
        if len(new):
            vocab = doc.vocab
            orths, where = np.unique(doc.to_array([ORTH])[new], return_inverse=True)
            assigned = []
            for orth in orths.tolist():
                lower = vocab.strings[orth].lower()
                number = self._numbers.setdefault(lower, len(self.forms))
                if number == len(self.forms):
                    self.forms.append(lower)
                vocab[orth].rank = number
                assigned.append(number)
            numbers[new] = np.array(assigned, np.int64)[where]
        return numbers, array[:, 1]


_TYPE_TABLE = "casekit_type_numbers"  # the spaCy lookups table that holds a vocab's numbering


def _type_ids(vocab: Vocab) -> _TypeIds:
    """Return the type numbering of ``vocab``, one per vocabulary.

    It is kept in the vocabulary itself (a lookups table), like the ranks it hands out:
    the two cannot part, even when this module is imported afresh.
    """
    if not vocab.lookups.has_table(_TYPE_TABLE):
        vocab.lookups.add_table(_TYPE_TABLE, {"numbering": _TypeIds()})
    return vocab.lookups.get_table(_TYPE_TABLE)["numbering"]


class _TypeTable:
    """What each word type is to a codebook's rules, as arrays indexed by type number.

    Type numbers come from :class:`_TypeIds`; a type is described in Python the first time
    this codebook meets it, and numbers it has not met are holes (``described`` False).
    From there everything per token is array indexing: the term rules and phrase words of
    a type are runs in flat arrays (``first``/``count`` per type), as in a sparse CSR
    matrix.
    """

    def __init__(self, words: int) -> None:
        self.lemmas: list[str] = []
        self.described = np.zeros(0, bool)
        self.length = np.zeros(0, np.int64)
        self.unsure = False  # some type's length is -1
        self.regex_first, self.regex_count, self.regexes = (np.zeros(0, np.int64)
                                                            for _ in range(3))
        self.term_first, self.term_count, self.terms = (np.zeros(0, np.int64)
                                                        for _ in range(3))
        self.word_first, self.word_count, self.words = (np.zeros(0, np.int64)
                                                        for _ in range(3))
        self.anchor, self.word, self.barrier = (np.zeros(0, bool) for _ in range(3))
        # Every (type, phrase word it fills) pair, as type * width + phrase word.
        self.width = words
        self.fills = _HashMap()

    def __len__(self) -> int:
        return len(self.lemmas)

    def describe(self, numbers: np.ndarray, forms: list[str],
                 describe: Callable[[str], _TypeInfo]) -> None:
        """Describe the types among ``numbers`` this table has not met (``forms`` gives
        each number's lower-case form)."""
        if len(forms) > len(self):
            # Room for twice as many: a corpus keeps bringing new types (compounds), and
            # growing by the few of each document would copy every array each time.
            self._grow(max(len(forms), 2 * len(self), 1024))
        missing = (~self.described[numbers]).nonzero()[0]
        if len(missing):
            new = np.unique(numbers[missing])
            self._set(new, [describe(forms[n]) for n in new.tolist()])

    def _grow(self, size: int) -> None:
        more = size - len(self)
        self.lemmas += [""] * more
        for name in ("described", "anchor", "word", "barrier"):
            setattr(self, name, np.concatenate([getattr(self, name), np.zeros(more, bool)]))
        for name in ("length", "regex_first", "regex_count", "term_first", "term_count",
                     "word_first", "word_count"):
            setattr(self, name, np.concatenate([getattr(self, name),
                                                np.zeros(more, np.int64)]))

    def _set(self, new: np.ndarray, infos: list[_TypeInfo]) -> None:
        self.described[new] = True
        for n, info in zip(new.tolist(), infos, strict=True):
            self.lemmas[n] = info.lemma
        for flag in ("anchor", "word", "barrier"):
            getattr(self, flag)[new] = np.fromiter((getattr(i, flag) for i in infos), bool,
                                                   len(infos))
        lengths = np.fromiter((i.length for i in infos), np.int64, len(infos))
        self.length[new] = lengths
        self.unsure = self.unsure or bool((lengths < 0).any())
        self.regexes = _set_runs(self.regex_first, self.regex_count, self.regexes, new,
                                 [i.regexes for i in infos])
        self.terms = _set_runs(self.term_first, self.term_count, self.terms, new,
                               [i.terms for i in infos])
        self.words = _set_runs(self.word_first, self.word_count, self.words, new,
                               [i.words for i in infos])
        types, words = _expand(new, new, self.word_first, self.word_count, self.words)
        self.fills.add(types * self.width + words, types)


def _set_runs(first: np.ndarray, count: np.ndarray, flat: np.ndarray, owners: np.ndarray,
              runs: list[tuple[int, ...]]) -> np.ndarray:
    """Append one run per owner to ``flat``, point the owners' ``first``/``count`` (in
    place) at them, and return the new flat array."""
    sizes = np.array([len(r) for r in runs], np.int64)
    first[owners] = len(flat) + sizes.cumsum() - sizes
    count[owners] = sizes
    values = np.fromiter((v for r in runs for v in r), np.int64, int(sizes.sum()))
    return np.concatenate([flat, values])


def _expand(owners: np.ndarray, kinds: np.ndarray, first: np.ndarray, count: np.ndarray,
            flat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (owner, value) pairs: each owner repeated once per value in the run of its
    kind (``kinds``, one per owner; ``first``/``count`` give each kind's run in ``flat``)."""
    sizes = count[kinds]
    ends = sizes.cumsum()
    within = np.arange(ends[-1] if len(ends) else 0) - (ends - sizes).repeat(sizes)
    return owners.repeat(sizes), flat[first[kinds].repeat(sizes) + within]


def _run_lengths(heads: np.ndarray, total: int) -> np.ndarray:
    """Return how long each run is, from where each begins and how many values there are."""
    ends = np.empty_like(heads)
    ends[:-1] = heads[1:]
    ends[-1:] = total
    return ends - heads


def _run_heads(values: np.ndarray) -> np.ndarray:
    """Return where each run of equal values begins in ``values``."""
    head = np.empty(len(values), bool)
    head[:1] = True
    np.not_equal(values[1:], values[:-1], out=head[1:])
    return head.nonzero()[0]


# What keeps a regex out of an alternation: back-references (\1, (?P=name)),
# conditionals ((?(1)...)) and global inline flags ((?x)).
_UNJOINABLE = re.compile(r"\\[1-9]|\(\?P=|\(\?\(|\(\?[aiLmsux]+\)")
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
        self._lemma_cores: set[str] = set()  # literals that make a long word need its lemma
        self._phrases: dict[int, int] = {}  # rule → number of words
        # Every phrase word position has a global number: offset of its phrase + position.
        self._phrase_offset: dict[int, int] = {}
        self._elements = 0
        # Phrases share words ("kommun*" in many): each distinct word (as written, with its
        # alternatives) has a number, and a type is described by the words it fills.
        self._word_number: dict[str, int] = {}
        self._element_word: list[int] = []  # phrase word position → its word's number
        self._regexes: dict[int, re.Pattern[str]] = {}
        self._joinable: dict[int, bool] = {}
        self._joined: dict[tuple[int, ...], re.Pattern[str] | None] = {}
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
        words = len(self._word_number)
        self._types: dict[str, _TypeTable] = defaultdict(partial(_TypeTable, words))
        self._matchers: dict[str, Matcher] = {}
        # Per rule and per phrase word, as arrays, for the vectorised matching below.
        codes = {code.id: n for n, code in enumerate(codebook.codes)}
        self._code_ids = [code.id for code in codebook.codes]
        self._code_unit = np.array([_UNITS.index(code.unit) for code in codebook.codes],
                                   np.int64)
        # The unit kinds a proposal can be placed in: the codes' own, sentences (which
        # bound every match) and paragraphs (where a code falls back when a document has
        # none of its kind).
        self._unit_kinds = {"sentence", "paragraph", *(code.unit for code in codebook.codes)}
        self._kind_numbers = [k for k, kind in enumerate(_UNITS) if kind in self._unit_kinds]
        self._kind_maps: dict[tuple[bool, ...], np.ndarray] = {}
        self._rule_code = np.array([codes[r.code_id] for r in self.rules], np.int64)
        self._rule_veto = np.array([r.veto for r in self.rules], bool)
        self._element_rule_arr = np.array(self._element_rule, np.int64)
        self._element_offset = self._offsets[self._offsets.searchsorted(
            np.arange(self._elements), side="right") - 1] if self._elements \
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
        # Each phrase's words (their numbers) as a row, padded with one more number.
        lengths = np.array(self._lengths, np.int64)
        self._element_word_arr = np.array(self._element_word, np.int64)
        self._phrase_words = np.full((len(lengths), self._longest), words, np.int64)
        self._phrase_words[np.arange(self._longest) < lengths[:, None]] = (
            self._element_word_arr)
        self._element_phrase = np.arange(len(lengths)).repeat(lengths)
        self._phrase_length = lengths
        # Per word, the phrase word positions it stands at: a run in _word_elements.
        self._word_elements = self._element_word_arr.argsort(kind="stable")
        self._word_count = np.bincount(self._element_word_arr, minlength=words)
        self._word_first = self._word_count.cumsum() - self._word_count

    # -- compiling each rule kind ------------------------------------------------------------

    def _needs_lemma(self, glob: str) -> None:
        # A long word inflects by its ending, so prefix and infix globs find on its form
        # what they would on its lemma; exact and suffix globs need the lemma
        # ("målstyringen" for "*styring"). Lemmatizing an unseen word costs ~20 µs, so
        # long words are lemmatized only when they contain such a glob's literal. Only
        # whether one is contained matters: each literal is indexed once.
        core = _core(glob)
        if (len(core) >= 3 and core not in self._lemma_cores
                and glob_kind(glob) in ("exact", "suffix", "regex")):
            self._lemma_cores.add(core)
            self._index.add(f"*{core}*", (_NEEDS_LEMMA, 0))

    def _compile_lemma(self, rid: int, rule: Rule) -> None:
        self._index.add(rule.value, (_LEMMA, rid))
        self._needs_lemma(rule.value)

    def _compile_surface(self, rid: int, rule: Rule) -> None:
        self._index.add(rule.value, (_SURFACE, rid))

    def _compile_phrase(self, rid: int, rule: Rule) -> None:
        words = rule.value.split()
        self._phrase_offset[rid] = self._elements
        for word in words:
            if word not in self._word_number:
                number = self._word_number[word] = len(self._word_number)
                for alternative in word.split("|"):
                    self._index.add(alternative, (_PHRASE, number))
                    self._needs_lemma(alternative)
            self._element_word.append(self._word_number[word])
        self._phrases[rid] = len(words)
        self._elements += len(words)

    def _compile_regex(self, rid: int, rule: Rule) -> None:
        self._regexes[rid] = re.compile(rule.value, re.IGNORECASE)
        # An alternation of regexes renumbers their groups and scopes global flags, so a
        # regex with a back-reference, a conditional or a global flag is never joined.
        self._joinable[rid] = _UNJOINABLE.search(rule.value) is None
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
            self._needs_lemma(value)
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
        words = {v for t, v in (*on_form, *on_lemma) if t == _PHRASE}
        regexes = tuple(sorted({v for t, v in on_form if t == _REGEX}))
        anchor = any(t == _ANCHOR for t, _ in on_form) or any(
            t == _ANCHOR_LEMMA for t, _ in on_lemma)
        # The vocabulary's own attribute functions, not vocab[lower]: that would create a
        # lexeme for every lower-cased form never seen as written (~50 µs each).
        getters = vocab.lex_attr_getters
        word = not (getters[IS_PUNCT](lower) or getters[IS_SPACE](lower))
        return _TypeInfo(lemma, tuple(sorted(terms)), tuple(sorted(words)), anchor,
                         regexes, word, lower in _BARRIERS,
                         -1 if "\u0307" in lower else len(lower))

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
        tokens = table.regex_count[token_type].nonzero()[0]
        tokens, parts = _expand(tokens, token_type[tokens], table.regex_first,
                                table.regex_count, table.regexes)
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
        seen = np.bincount(parts, minlength=len(self._part_rule)).nonzero()[0]
        complete = (np.bincount(self._part_rule_arr[seen], minlength=len(self.rules))
                    == self._parts_of_rule)
        keep = complete[rids]
        if not keep.any():
            return hits
        tokens, parts = tokens[keep], parts[keep]
        offsets = starts[tokens]
        index = sentences[:, 0].searchsorted(offsets, side="right") - 1
        inside = (index >= 0) & (offsets < sentences[np.maximum(index, 0), 1])
        size = len(sentences) + 1
        present = np.sort(parts[inside] * size + index[inside])
        present = present[_run_heads(present)]  # (part, sentence) once
        pairs = np.sort(self._part_rule_arr[present // size] * size + present % size)
        heads = _run_heads(pairs)  # (regex, sentence) once, with how many parts there
        found = _run_lengths(heads, len(pairs))
        pairs = pairs[heads]
        pairs = pairs[found == self._parts_of_rule[pairs // size]]
        if not len(pairs):
            return hits
        # Sentence by sentence. Where several regexes are due in one sentence, one search
        # for any of them (their alternation) comes first: they mostly find nothing.
        by_sentence = (pairs % size).argsort(kind="stable")
        due, at = (pairs // size)[by_sentence].tolist(), (pairs % size)[by_sentence]
        heads = _run_heads(at)
        spans = sentences[at[heads]]
        for first, last, start, end in zip(heads.tolist(), [*heads[1:].tolist(), len(due)],
                                           spans[:, 0].tolist(), spans[:, 1].tolist(),
                                           strict=True):
            if last - first > 1:
                either = self._either(tuple(due[first:last]))
                if either is not None and either.search(text, start, end) is None:
                    continue
            for rid in due[first:last]:
                hits += self._regex_hits(rid, text, ((start, end),))
        return hits

    def _either(self, rids: tuple[int, ...]) -> re.Pattern[str] | None:
        """Return one regex that matches where any of ``rids`` does, or None when they
        cannot be joined (a back-reference, a global flag) or are too many kinds."""
        if rids not in self._joined:
            joined = None
            if all(self._joinable[rid] for rid in rids) and len(self._joined) < 4096:
                try:
                    joined = re.compile("|".join(f"(?:{self._regexes[rid].pattern})"
                                                 for rid in rids), re.IGNORECASE)
                except re.error:  # e.g. one group name in two regexes
                    joined = None
            self._joined[rids] = joined
        return self._joined[rids]

    def _token_hits(self, doc: Doc, text: str, language: str, sentences: np.ndarray | None,
                    others: list[tuple[int, int, int]]
                    ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Return term and phrase hits as arrays; add regex and pattern hits to
        ``others``. Nothing here loops over tokens in Python."""
        ids = _type_ids(doc.vocab)
        token_type, starts = ids.of(doc)
        table = self._types[language]
        lemmatize = lemmatizer(language)
        vocab = doc.vocab
        table.describe(token_type, ids.forms,
                       lambda lower: self._type_info(lower, lemmatize, vocab))
        # A token is as long as its lower-case form, bar the rare letters that grow when
        # lower-cased: cheaper than asking spaCy for every token's length.
        lengths = table.length[token_type]
        ends = starts + lengths
        if table.unsure:
            for i in (lengths < 0).nonzero()[0].tolist():
                ends[i] = starts[i] + len(doc[i])
        if len(table.regexes):
            others += self._near_regex_hits(text, table, token_type, starts, sentences)
        tokens = table.term_count[token_type].nonzero()[0]
        tokens, rids = _expand(tokens, token_type[tokens], table.term_first, table.term_count,
                               table.terms)
        found = [(rids, starts[tokens], ends[tokens])]
        barrier = table.barrier[token_type]
        if self._elements and len(table.words):
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
        and matched outwards from there one word at a time, both ways and for all
        candidates at once: the next word must come within ``gap`` other words and before
        any sentence end, so each step looks at up to gap + 1 words per candidate and
        direction and takes the nearest whose type fills the phrase's next word.
        """
        empty = np.zeros(0, np.int64)
        counts = np.bincount(token_type, minlength=len(table))
        types = counts.nonzero()[0]
        owners, words = _expand(types, types, table.word_first, table.word_count, table.words)
        pad = len(self._word_number)
        occurrences = np.bincount(words, weights=counts[owners], minlength=pad + 1)
        occurrences[pad] = len(token_type) + 1  # pads short phrases: never rarest
        # Only phrases with every word somewhere in the document can match; only they
        # are looked at, so a codebook with ten times the phrases costs little more per
        # document. The anchor of each is its rarest word (the first of the rarest on ties).
        filled = np.bincount(self._element_phrase,
                             weights=(occurrences > 0)[self._element_word_arr],
                             minlength=len(self._lengths))
        rows = (filled == self._phrase_length).nonzero()[0]
        if not len(rows):
            return empty, empty, empty
        phrase_words = self._phrase_words[rows]
        rarest = occurrences[phrase_words].argmin(axis=1)
        is_anchor = np.zeros(self._elements, bool)
        is_anchor[self._offsets[rows] + rarest] = True
        anchor_word = np.zeros(pad, bool)
        anchor_word[phrase_words[np.arange(len(rows)), rarest]] = True
        # Per type: the anchors among the positions of the words it fills, a run in
        # anchors (owners ascend).
        keep = anchor_word[words].nonzero()[0]
        anchor_types, anchors = _expand(owners[keep], words[keep], self._word_first,
                                        self._word_count, self._word_elements)
        keep = is_anchor[anchors].nonzero()[0]
        anchor_types, anchors = anchor_types[keep], anchors[keep]
        heads = _run_heads(anchor_types)
        anchor_first = np.zeros(len(table), np.int64)
        anchor_count = np.zeros(len(table), np.int64)
        anchor_first[anchor_types[heads]] = heads
        anchor_count[anchor_types[heads]] = _run_lengths(heads, len(anchor_types))
        # Phrases are matched among words (not punctuation or spaces), by word position.
        word_token = wordlike.nonzero()[0]
        word_type = token_type[word_token]
        at = anchor_count[word_type].nonzero()[0]
        at, anchor = _expand(at, word_type[at], anchor_first, anchor_count, anchors)
        if not len(at):
            return empty, empty, empty
        # The words of a sentence are consecutive: its first and last bound every move.
        sentence = barrier.cumsum()[word_token]
        own = sentence[at]
        n = len(anchor)
        position = anchor - self._element_offset[anchor]
        # One mover forward (the first n) and one backward per candidate; each goes on
        # while it has phrase words left to find.
        sign = np.empty(2 * n, np.int64)
        sign[:n], sign[n:] = 1, -1
        at = np.concatenate([at, at])
        element = np.concatenate([anchor, anchor])
        left = np.concatenate([self._element_length[anchor] - 1 - position, position])
        bound = np.concatenate([sentence.searchsorted(own, side="right") - 1,
                                sentence.searchsorted(own)])
        reach = self._element_gap[anchor] + 1
        reach = np.concatenate([reach, reach])
        fills, width = table.fills, table.width
        fillable = table.word_count[word_type] > 0
        element_word = self._element_word_arr
        active = left.nonzero()[0]
        while len(active):
            here, step = at[active], sign[active]
            room = np.minimum(reach[active], (bound[active] - here) * step)
            # Every (mover, distance) pair within reach, nearest first for each mover.
            reached = room.cumsum()
            mover = np.arange(len(active)).repeat(room)
            distance = np.arange(1, reached[-1] + 1) - (reached - room).repeat(room)
            look = here[mover] + step[mover] * distance
            # Only words that fill some phrase word are looked up in the hash map.
            maybe = fillable[look].nonzero()[0]
            want = (word_type[look[maybe]] * width
                    + element_word[element[active] + step][mover[maybe]])
            match = maybe[fills.get(want) >= 0]
            owner = mover[match]
            nearest = _run_heads(owner)
            moved = active[owner[nearest]]
            at[moved] = look[match[nearest]]
            element[moved] += sign[moved]
            left[moved] -= 1
            active = moved[left[moved] > 0]
        ok = (left[:n] == 0) & (left[n:] == 0)  # both ways found all their words
        return (self._element_rule_arr[anchor[ok]], starts[word_token[at[n:][ok]]],
                ends[word_token[at[:n][ok]]])

    def _pattern_hits(self, doc: Doc, language: str, table: _TypeTable,
                      token_type: np.ndarray, barrier: np.ndarray
                      ) -> list[tuple[int, int, int]]:
        strings = doc.vocab.strings
        if self._unanchored:
            windows = [(0, len(doc))]
        else:
            anchors = table.anchor[token_type]
            windows = _windows(anchors.nonzero()[0], barrier.nonzero()[0], len(doc))
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
        # Only the unit kinds this codebook codes at (and sentences, which bound every
        # match) are turned into arrays.
        located = {kind: _UnitArrays(items) for kind, items in units.items()
                   if kind in self._unit_kinds}
        spans = None
        if "sentence" in located and len(located["sentence"].starts):
            sentence = located["sentence"]
            spans = sentence.spans
        rids, starts, ends = self._find(text, language, spans)
        if not len(rids):
            return []
        unit_of = np.empty(len(rids), np.int64)
        unit_of.fill(-1)
        if spans is not None:  # a phrase or regex running over a sentence end is not one
            index = sentence.starts.searchsorted(starts, side="right") - 1
            inside = (index >= 0) & (ends <= sentence.ends[np.maximum(index, 0)])
        else:
            inside = np.ones(len(rids), bool)
        # The unit kind each code is coded at here: its own, or paragraphs when the
        # document has none of it (a turn code in a policy document).
        kinds = self._kinds_for(tuple(bool(units.get(kind)) for kind in _UNITS),
                                "paragraph" in units)
        code = self._rule_code[rids]
        kind = kinds[self._code_unit[code]]
        skip = np.zeros(len(rids), bool)
        used = [k for k in self._kind_numbers if _UNITS[k] in located]
        for k in used:
            mask = inside & (kind == k)
            if not mask.any():
                continue
            unit = located[_UNITS[k]]
            index = unit.starts.searchsorted(starts[mask], side="right") - 1
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
        chosen = chosen.nonzero()[0]
        if not len(chosen):
            return []
        # Hits are in text order; a stable sort by key keeps that order within a group.
        order = chosen[keys[chosen].argsort(kind="stable")]
        group_keys = keys[order]
        bounds = (group_keys[1:] != group_keys[:-1]).nonzero()[0] + 1
        heads = np.concatenate([[0], bounds])
        tails = np.concatenate([bounds, [len(order)]])
        # Proposals come in the order of their first hit.
        by_first = order[heads].argsort()
        heads, tails = heads[by_first], tails[by_first]
        first = order[heads]
        group_kind, group_unit, group_code = kind[first], unit_of[first], code[first]
        seqs, unit_starts, unit_ends = (np.empty(len(first), np.int64) for _ in range(3))
        for k in used:
            mask = group_kind == k
            if mask.any():
                unit, index = located[_UNITS[k]], group_unit[mask]
                seqs[mask] = unit.seqs[index]
                unit_starts[mask], unit_ends[mask] = unit.starts[index], unit.ends[index]
        rid_list, start_list, end_list = (rids[order].tolist(), starts[order].tolist(),
                                          ends[order].tolist())
        code_ids, rules = self._code_ids, self.rules
        return [Proposal(code_ids[c], _UNITS[k], seq, start, end,
                         (text, rules, rid_list[head:tail], start_list[head:tail],
                          end_list[head:tail]))
                for c, k, seq, start, end, head, tail in zip(
                    group_code.tolist(), group_kind.tolist(), seqs.tolist(),
                    unit_starts.tolist(), unit_ends.tolist(), heads.tolist(), tails.tolist(),
                    strict=True)]

    def _kinds_for(self, present: tuple[bool, ...], paragraphs: bool) -> np.ndarray:
        """Return, per unit kind, the kind a code of that kind is placed in when the
        document has units of the kinds marked in ``present``; -1 for none."""
        key = (*present, paragraphs)
        if key not in self._kind_maps:
            fallback = _UNITS.index("paragraph") if paragraphs else -1
            self._kind_maps[key] = np.array(
                [k if here else fallback for k, here in enumerate(present)], np.int64)
        return self._kind_maps[key]

    def code_text(self, text: str, language: str | None = None) -> list[Proposal]:
        """Segment a plain text and return its proposals (for examples and quick checks)."""
        language = language or self.codebook.language
        segmentation = segment_document(text, kind="other", language=language)
        units = {kind: [Unit(s.start, s.end, s.seq) for s in segmentation.of_kind(kind)]
                 for kind in ("sentence", "paragraph", "turn")}
        return self.propose(text, language, units)


class _UnitArrays:
    """A document's units of one kind as arrays (starts, ends, seqs, skip)."""

    __slots__ = ("starts", "ends", "seqs", "skip", "spans")

    def __init__(self, items: Sequence[Unit]) -> None:
        # Units are tuples of four: one pass in C over their flattened fields.
        table = np.fromiter(chain.from_iterable(items), np.int64, 4 * len(items)).reshape(-1, 4)
        self.starts, self.ends, self.seqs = table[:, 0], table[:, 1], table[:, 2]
        self.spans = table[:, :2]  # (start, end) rows
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


@lru_cache(maxsize=65536)
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
        at = int(barriers.searchsorted(i))
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
