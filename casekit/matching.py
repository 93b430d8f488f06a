"""Glob matching on word types, at a cost that barely grows with the number of patterns.

Norwegian writes compounds as one word, so codebooks need prefix (``samskap*``), suffix
(``*medvirkning``) and infix (``*indikator*``) globs. Testing every glob against every
word would cost patterns × types. Instead each glob kind is a dictionary keyed by its
literal part, and a word is looked up by its prefixes, suffixes and substrings of the
lengths that occur among the patterns: the cost depends on the word and on how many
distinct pattern lengths there are, not on how many patterns.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Hashable


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


class GlobIndex:
    """Globs mapped to payloads; :meth:`lookup` returns the payloads whose glob matches."""

    def __init__(self) -> None:
        self._tables: dict[str, dict[str, list[Hashable]]] = {
            k: defaultdict(list) for k in ("exact", "prefix", "suffix", "infix")}
        self._lengths: dict[str, set[int]] = {k: set() for k in ("prefix", "suffix", "infix")}
        self._regex: list[tuple[re.Pattern[str], Hashable]] = []

    def add(self, glob: str, payload: Hashable) -> None:
        """Index ``glob`` (lower-cased) with ``payload``."""
        glob = glob.lower()
        kind = glob_kind(glob)
        if kind == "regex":
            self._regex.append((glob_to_regex(glob), payload))
            return
        core = glob.strip("*")
        self._tables[kind][core].append(payload)
        if kind != "exact":
            self._lengths[kind].add(len(core))

    def __bool__(self) -> bool:
        return bool(self._regex) or any(self._tables.values())

    def lookup(self, word: str) -> list[Hashable]:
        """Return the payloads of every glob that matches ``word`` (lower-cased), in no order."""
        found: list[Hashable] = []
        tables = self._tables
        found += tables["exact"].get(word, ())
        size = len(word)
        prefix, suffix, infix = tables["prefix"], tables["suffix"], tables["infix"]
        for n in self._lengths["prefix"]:
            if n <= size:
                found += prefix.get(word[:n], ())
        for n in self._lengths["suffix"]:
            if n <= size:
                found += suffix.get(word[size - n:], ())
        for n in self._lengths["infix"]:
            for i in range(size - n + 1):
                hit = infix.get(word[i:i + n])
                if hit:
                    found += hit
        for pattern, payload in self._regex:
            if pattern.match(word):
                found.append(payload)
        return found
