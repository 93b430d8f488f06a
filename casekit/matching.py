"""Glob matching on word types, at a cost that barely grows with the number of patterns.

Norwegian writes compounds as one word, so codebooks need prefix (``samskap*``), suffix
(``*medvirkning``) and infix (``*indikator*``) globs. Testing every glob against every
word would cost patterns × types. Instead each glob kind is a dictionary keyed by its
literal part, and a word is looked up by its prefixes, suffixes and substrings of the
lengths that occur among the patterns sharing the word's three letters there: the cost
depends on the word and on how many distinct pattern lengths there are, not on how many
patterns.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Hashable
from functools import lru_cache


@lru_cache(maxsize=65536)
def glob_kind(glob: str) -> str:
    """Return how a glob is indexed: ``exact``, ``prefix``, ``suffix``, ``infix`` or ``regex``."""
    core = glob.strip("*")
    if "*" in core or "?" in glob:
        return "regex"
    starts, ends = glob.startswith("*"), glob.endswith("*")
    if starts and ends:
        return "infix"
    if ends:
        return "prefix"
    if starts:
        return "suffix"
    return "exact"


def glob_to_regex(glob: str) -> re.Pattern[str]:
    """Return a compiled full-match regex for a glob (``*`` any run, ``?`` one character)."""
    parts = [".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob]
    return re.compile("".join(parts) + r"\Z", re.IGNORECASE)


# How many letters at a literal's edge key the lengths to try (see GlobIndex._edges).
_EDGE = 3


@lru_cache(maxsize=65536)
def _literal(glob: str) -> tuple[str, str, str | None]:
    """Return a glob's kind, its literal (lower-cased, without the outer ``*``) and the
    letters at the literal's edge that key its length (None for exact and short literals).
    Codebooks repeat the same words in many phrases: each is worked out once."""
    glob = glob.lower()
    kind, core = glob_kind(glob), glob.strip("*")
    if kind in ("exact", "regex") or len(core) < _EDGE:
        return kind, core, None
    return kind, core, core[-_EDGE:] if kind == "suffix" else core[:_EDGE]


class GlobIndex:
    """Globs mapped to payloads; :meth:`lookup` returns the payloads whose glob matches."""

    def __init__(self) -> None:
        self._tables: dict[str, dict[str, list[Hashable]]] = {
            k: defaultdict(list) for k in ("exact", "prefix", "suffix", "infix")}
        # Globs with a wildcard inside ("sam*ing") are checked by regex, but only for words
        # that share their leading (else trailing) literal, found like a prefix (suffix).
        self._regex_by_prefix: dict[str, list[tuple[re.Pattern[str], Hashable]]] = (
            defaultdict(list))
        self._regex_by_suffix: dict[str, list[tuple[re.Pattern[str], Hashable]]] = (
            defaultdict(list))
        self._regex_lengths: dict[str, set[int]] = {"prefix": set(), "suffix": set()}
        self._regex: list[tuple[re.Pattern[str], Hashable]] = []
        # The lengths of the literals that begin (a suffix's: end) with each three letters:
        # a word is looked up only at the lengths its own letters there allow, so most
        # positions of a word cost one set lookup. Literals of one or two letters are few
        # and looked up at every word (every position, for infixes).
        self._edges: dict[str, dict[str, list[int]]] = {
            k: {} for k in ("prefix", "suffix", "infix")}
        self._short: dict[str, set[int]] = {k: set() for k in ("prefix", "suffix", "infix")}

    def add(self, glob: str, payload: Hashable) -> None:
        """Index ``glob`` (lower-cased) with ``payload``."""
        kind, core, edge = _literal(glob)
        if kind != "regex":
            self._tables[kind][core].append(payload)
            if edge is not None:
                lengths = self._edges[kind].setdefault(edge, [])
                if len(core) not in lengths:
                    lengths.append(len(core))
            elif kind != "exact":
                self._short[kind].add(len(core))
            return
        glob = glob.lower()
        entry = (glob_to_regex(glob), payload)
        lead = re.split(r"[*?]", glob, maxsplit=1)[0]
        tail = re.split(r"[*?]", glob)[-1]
        if lead:
            self._regex_by_prefix[lead].append(entry)
            self._regex_lengths["prefix"].add(len(lead))
        elif tail:
            self._regex_by_suffix[tail].append(entry)
            self._regex_lengths["suffix"].add(len(tail))
        else:
            self._regex.append(entry)

    def __bool__(self) -> bool:
        return bool(self._regex or self._regex_by_prefix or self._regex_by_suffix) or any(
            self._tables.values())

    def lookup(self, word: str) -> list[Hashable]:
        """Return the payloads of every glob that matches ``word`` (lower-cased), in no order."""
        found: list[Hashable] = []
        tables = self._tables
        found += tables["exact"].get(word, ())
        size = len(word)
        prefix, suffix, infix = tables["prefix"], tables["suffix"], tables["infix"]
        short, edges = self._short, self._edges
        for n in (*short["prefix"], *edges["prefix"].get(word[:_EDGE], ())):
            if n <= size:
                found += prefix.get(word[:n], ())
        for n in (*short["suffix"], *edges["suffix"].get(word[-_EDGE:], ())):
            if n <= size:
                found += suffix.get(word[size - n:], ())
        if infix:
            starts, short_infix = edges["infix"], short["infix"]
            for i in range(size):
                for n in short_infix:
                    hit = infix.get(word[i:i + n]) if i + n <= size else None
                    if hit:
                        found += hit
                for n in starts.get(word[i:i + _EDGE], ()):
                    if i + n <= size:
                        hit = infix.get(word[i:i + n])
                        if hit:
                            found += hit
        candidates = list(self._regex)
        for n in self._regex_lengths["prefix"]:
            if n <= size:
                candidates += self._regex_by_prefix.get(word[:n], ())
        for n in self._regex_lengths["suffix"]:
            if n <= size:
                candidates += self._regex_by_suffix.get(word[size - n:], ())
        for pattern, payload in candidates:
            if pattern.match(word):
                found.append(payload)
        return found


def required_literals(pattern: str, minimum: int = 3) -> tuple[str, ...] | None:
    """Return lower-cased literals one of which every match of ``pattern`` contains, or None.

    The parsed regex is walked for required parts: runs of plain characters, and groups
    of alternatives that each require a literal (``(sent|seint)``). Of these, the most
    selective is returned (its shortest literal longest; fewer alternatives on a tie).
    None when no required part has ``minimum`` characters: such a regex must be scanned
    over every text.
    """
    from re import _parser  # the stdlib's regex parser; stable across 3.11–3.13

    try:
        parsed = _parser.parse(pattern)
    except re.error:
        return None
    candidates = _candidates(list(parsed), _parser)
    candidates = [c for c in candidates if min(len(x) for x in c) >= minimum]
    if not candidates:
        return None
    best = max(candidates, key=lambda c: (min(len(x) for x in c), -len(c)))
    return tuple(sorted(best))


def required_literal_sets(pattern: str, minimum: int = 1) -> list[tuple[str, ...]]:
    """Return every required part of ``pattern`` as the lower-cased literals it can be.

    Every match contains, for each returned part, at least one of its literals: a text
    lacking any part cannot match. Parts shorter than ``minimum`` are left out; an
    unparsable pattern gives no parts.
    """
    from re import _parser

    try:
        parsed = _parser.parse(pattern)
    except re.error:
        return []
    parts = _candidates(list(parsed), _parser)
    return list(dict.fromkeys(p for p in parts if min(len(x) for x in p) >= minimum))


def required_literal(pattern: str, minimum: int = 3) -> str | None:
    """Return the single literal every match of ``pattern`` contains, or None."""
    found = required_literals(pattern, minimum)
    return found[0] if found is not None and len(found) == 1 else None


def _pure_literal(items: list, parser) -> str | None:
    """Return the text of a parsed sequence made only of literal characters, else None."""
    if all(op is parser.LITERAL for op, _ in items):
        return "".join(chr(arg) for _, arg in items)
    return None


def _leading_literal(items: list, parser) -> str:
    """Return the literal characters a parsed sequence starts with."""
    lead = ""
    for op, arg in items:
        if op is not parser.LITERAL:
            break
        lead += chr(arg)
    return lead


def _branches(op, arg, parser) -> list[list] | None:
    """Return the branches when an item is an alternation (bare or in a group), else None."""
    if op is parser.BRANCH:
        return [list(b) for b in arg[1]]
    if op is parser.SUBPATTERN:
        inner = list(arg[-1])
        if len(inner) == 1 and inner[0][0] is parser.BRANCH:
            return [list(b) for b in inner[0][1][1]]
    return None


def _flatten(items: list, parser) -> list:
    """Return the items with plain groups opened: ``kommune(grens(er)?)`` is one run."""
    out = []
    for op, arg in items:
        inner = list(arg[-1]) if op is parser.SUBPATTERN else None
        if inner is not None and not (len(inner) == 1 and inner[0][0] is parser.BRANCH):
            out += _flatten(inner, parser)
        else:
            out.append((op, arg))
    return out


def _candidates(items: list, parser, limit: int = 64) -> list[tuple[str, ...]]:
    """Return alternative-sets of literals required by a sequence of parsed regex items.

    Runs of literals are followed through alternations of pure literals, because the
    parser factors common prefixes out: ``sent|seint`` arrives as ``se`` + ``(nt|int)``.
    """
    if len(items) == 1 and items[0][0] is parser.BRANCH:
        per_branch = [_candidates(list(b), parser) for b in items[0][1][1]]
        if all(per_branch):
            # Each branch must contribute its best literal set; together they are required.
            best = [max(c, key=lambda x: min(len(y) for y in x)) for c in per_branch]
            return [tuple(sorted({lit for group in best for lit in group}))]
        return []
    found: list[tuple[str, ...]] = []
    current = {""}

    def flush() -> None:
        nonlocal current
        if all(current):
            found.append(tuple(sorted(c.lower() for c in current)))
        current = {""}

    for op, arg in _flatten(items, parser):
        if op is parser.LITERAL:
            current = {c + chr(arg) for c in current}
            continue
        branches = _branches(op, arg, parser)
        if branches is not None:
            pure = [_pure_literal(b, parser) for b in branches]
            if all(p is not None for p in pure) and len(current) * len(pure) <= limit:
                current = {c + p for c in current for p in pure}
                continue
            leads = [_leading_literal(b, parser) for b in branches]
            if len(current) * len(leads) <= limit:
                current = {c + lead for c in current for lead in leads}
            flush()
            if op is parser.SUBPATTERN:
                found += _candidates(list(arg[-1]), parser)
            continue
        flush()
        if op is parser.SUBPATTERN:
            found += _candidates(list(arg[-1]), parser)
        elif op in (parser.MAX_REPEAT, parser.MIN_REPEAT) and arg[0] >= 1:
            found += _candidates(list(arg[2]), parser)
    flush()
    return found
