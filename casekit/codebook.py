"""Codebooks: one YAML file each, loaded into one :class:`Codebook` whatever it holds.

Loading validates everything and reports every problem with file, line and column
(the parse keeps positions): malformed YAML, unknown keys, duplicate ids, unknown
parents, cycles, invalid regular expressions and token patterns, empty rules, colours
that are not colours. A codebook's hash is taken over its parsed content, so comments
and layout do not make a new version.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from casekit import vocab
from casekit.errors import InputError
from casekit.yamlnodes import NeedsFullParse, load_core, plain, position

UNITS = ("sentence", "paragraph", "turn")
RULE_KINDS = ("lemma", "surface", "phrase", "regex", "pattern")
TOP_KEYS = ("id", "title", "version", "languages", "description", "unit", "codes", "authors",
            "license", "references", "notes")
CODE_KEYS = ("id", "parent", "name", "colour", "color", "unit", "definition", "when_to_use",
             "when_not_to_use", "rules", "exclude", "examples", "references", "notes")
# Token attributes a blank pipeline cannot fill: a pattern using them would never match.
UNAVAILABLE_ATTRS = {"POS", "TAG", "DEP", "MORPH", "ENT_TYPE", "ENT_IOB", "ENT_ID",
                     "SENT_START", "IS_SENT_START", "HEAD", "SPACY"}
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*$")
_CODEBOOK_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
PARSED_CACHE_SIZE = 32  # codebook versions kept parsed per process


class CodebookError(InputError):
    """A codebook is invalid; ``problems`` holds every problem found, each an InputError."""

    def __init__(self, path: str | Path, problems: list[InputError]) -> None:
        self.problems = problems
        first = problems[0]
        super().__init__(path, f"{len(problems)} problem(s); first: {first.problem}",
                         line=first.line, column=first.column)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


@dataclass(frozen=True)
class Rule:
    """One matching rule: its kind, its value and where it stands in the codebook."""

    code_id: str
    kind: str  # lemma, surface, phrase, regex, pattern
    value: Any  # a glob, a phrase text, a regex, or a list of token specs
    gap: int = 0
    veto: bool = False
    index: int = 0
    line: int | None = None

    @property
    def label(self) -> str:
        """Return how a method chapter would cite the rule, e.g. ``phrase:få igjen for~2``."""
        if self.kind == "pattern":
            return f"pattern:{json.dumps(self.value, ensure_ascii=False)}"
        gap = f"~{self.gap}" if self.gap else ""
        return f"{self.kind}:{self.value}{gap}"


@dataclass(frozen=True)
class Example:
    """A text that must (or must not) be coded with a code."""

    text: str
    language: str
    line: int | None = None


@dataclass
class Code:
    """One code of a codebook, with its rules, exclusions and examples."""

    id: str
    parent: str | None
    names: dict[str, str]
    colour: str | None
    unit: str
    definition: dict[str, str] = field(default_factory=dict)
    when_to_use: dict[str, str] = field(default_factory=dict)
    when_not_to_use: dict[str, str] = field(default_factory=dict)
    rules: list[Rule] = field(default_factory=list)
    exclude: list[Rule] = field(default_factory=list)
    match: list[Example] = field(default_factory=list)
    no_match: list[Example] = field(default_factory=list)
    line: int | None = None

    def name(self, language: str = "nb") -> str:
        """Return the code's name in ``language`` (falling back to nb, en, then the id)."""
        for lang in (language, "nb" if language == "nn" else language, "nb", "en"):
            if self.names.get(lang):
                return self.names[lang]
        return next(iter(self.names.values()), self.id)


@dataclass
class Codebook:
    """A validated codebook: metadata and codes in file order."""

    id: str
    version: str
    title: dict[str, str]
    languages: tuple[str, ...]
    description: dict[str, str]
    unit: str
    codes: list[Code]
    path: Path
    sha256: str
    content: str

    def __post_init__(self) -> None:
        self._by_id = {c.id: c for c in self.codes}

    @classmethod
    def load(cls, path: str | Path) -> Codebook:
        """Load and validate a codebook file; return it.

        Raises :class:`CodebookError` listing every problem (file:line:column: problem).
        """
        path = Path(path)
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except (OSError, UnicodeDecodeError):
            text = None  # _parse words the problem (missing file, not UTF-8)
        if text is None:
            codebook, problems = _parse(path)
            if problems or codebook is None:
                raise CodebookError(path, problems)
            return codebook
        return _parse_cached(text, path)

    @classmethod
    def from_text(cls, text: str, path: str | Path = "<text>") -> Codebook:
        """Load a codebook from its YAML text (as the store keeps it); return it.

        The parse is cached per process by the text's hash (validating a large codebook
        takes seconds); every call returns its own copy, so callers may change it freely.
        """
        return _parse_cached(text, Path(path))

    def __getitem__(self, code_id: str) -> Code:
        return self._by_id[code_id]

    def __contains__(self, code_id: object) -> bool:
        return code_id in self._by_id

    @property
    def language(self) -> str:
        """Return the codebook's first language (examples default to it)."""
        return self.languages[0]

    def title_in(self, language: str = "nb") -> str:
        """Return the title in ``language``, falling back to any title."""
        return self.title.get(language) or next(iter(self.title.values()), self.id)

    def children(self, code_id: str | None) -> list[Code]:
        """Return the direct subcodes of a code (top-level codes for None), in file order."""
        return [c for c in self.codes if c.parent == code_id]

    def ancestors(self, code_id: str) -> list[str]:
        """Return the ids from the top-level code down to ``code_id`` (inclusive)."""
        chain = [code_id]
        while self[chain[0]].parent is not None:
            chain.insert(0, self[chain[0]].parent)
        return chain

    def top_level(self, code_id: str) -> str:
        """Return the id of the top-level code above (or equal to) ``code_id``."""
        return self.ancestors(code_id)[0]

    def descendants(self, code_id: str) -> list[str]:
        """Return ``code_id`` and the ids of every code below it."""
        found = [code_id]
        for child in self.children(code_id):
            found += self.descendants(child.id)
        return found

    def path_names(self, code_id: str, language: str = "nb", sep: str = " > ") -> str:
        """Return the names from the top-level code down, e.g. ``NPM > Målstyring``."""
        return sep.join(self[c].name(language) for c in self.ancestors(code_id))

    def depth(self, code_id: str) -> int:
        """Return 0 for a top-level code, 1 for its subcodes, ..."""
        return len(self.ancestors(code_id)) - 1

    def tree(self, language: str = "nb") -> str:
        """Return the code tree as indented text with units and rule counts."""
        lines = [f"{self.id} {self.version} – {self.title_in(language)} "
                 f"({len(self.codes)} codes, sha256 {self.sha256[:12]})"]

        def walk(parent: str | None, depth: int) -> None:
            for code in self.children(parent):
                rules = f"{len(code.rules)} rules" + (f", {len(code.exclude)} exclusions"
                                                      if code.exclude else "")
                lines.append(f"{'  ' * (depth + 1)}{code.id}  {code.name(language)}  "
                             f"[{code.unit}; {rules}; {len(code.match)}+/"
                             f"{len(code.no_match)}- examples]")
                walk(code.id, depth + 1)

        walk(None, 0)
        return "\n".join(lines)


_parsed: OrderedDict[str, bytes] = OrderedDict()  # text sha256 -> pickled Codebook
_parsed_lock = threading.Lock()


def _parse_cached(text: str, path: Path) -> Codebook:
    """Return the codebook of ``text``, parsed once per process and copied for each caller.

    The cache holds pickled codebooks, never live objects: a caller that changes its
    codebook (a code's rules, a name) cannot change what the next caller gets. Invalid
    text is not cached; it raises :class:`CodebookError` each time.
    """
    key = hashlib.sha256(text.encode("utf-8")).hexdigest()
    with _parsed_lock:
        frozen = _parsed.get(key)
        if frozen is not None:
            _parsed.move_to_end(key)
    if frozen is None:
        codebook, problems = _parse(path, text)
        if problems or codebook is None:
            raise CodebookError(path, problems)
        frozen = pickle.dumps(codebook, protocol=pickle.HIGHEST_PROTOCOL)
        with _parsed_lock:
            _parsed[key] = frozen
            while len(_parsed) > PARSED_CACHE_SIZE:
                _parsed.popitem(last=False)
    codebook = pickle.loads(frozen)
    codebook.path = path  # the same text may come from another file
    return codebook


def clear_parsed_cache() -> None:
    """Forget every cached codebook parse (tests and long sessions)."""
    with _parsed_lock:
        _parsed.clear()


def check(path: str | Path) -> list[InputError]:
    """Return every problem in a codebook file (an empty list when it is valid)."""
    return _parse(Path(path))[1]


# -- parsing and validation -----------------------------------------------------------------

class _Problems:
    """Collects problems with positions taken from ruamel nodes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.items: list[InputError] = []

    def add(self, node: Any, key: Any, message: str) -> None:
        line, column = position(node, key)
        self.items.append(InputError(self.path, message, line=line, column=column))

    def add_at(self, line: int | None, column: int | None, message: str) -> None:
        self.items.append(InputError(self.path, message, line=line, column=column))


def _texts(value: Any, where: str, node: Any, key: Any, problems: _Problems,
           language: str = "nb", required: bool = False) -> dict[str, str]:
    """Return a per-language text mapping from a string (in ``language``) or a mapping."""
    if value is None or value == "":
        if required:
            problems.add(node, key, f"{where}: is required")
        return {}
    if isinstance(value, str):
        return {language: value.strip()}
    if isinstance(value, dict):
        out = {}
        for lang, text in value.items():
            if vocab.normalise_language(str(lang)) is None:
                problems.add(value, lang, f"{where}: unknown language '{lang}'")
            elif not isinstance(text, str) or not text.strip():
                problems.add(value, lang, f"{where}: the '{lang}' text is empty")
            else:
                out[vocab.normalise_language(str(lang)) or str(lang)] = text.strip()
        return out
    problems.add(node, key, f"{where}: must be a text or a mapping of language to text")
    return {}


def _is_colour(value: str) -> bool:
    from matplotlib.colors import is_color_like

    return isinstance(value, str) and bool(value.strip()) and is_color_like(value.strip())


def _parse(path: Path, text: str | None = None) -> tuple[Codebook | None, list[InputError]]:
    problems = _Problems(path)
    if text is None:
        if not path.is_file():
            problems.add_at(None, None, "codebook file does not exist")
            return None, problems.items
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError:
            problems.add_at(None, None, "the codebook is not UTF-8 text")
            return None, problems.items
    # libyaml reads a codebook in a tenth of ruamel's time, with the same positions; ruamel
    # reads what libyaml might read differently, and words malformed YAML's problem.
    try:
        fast = load_core(text)
    except (NeedsFullParse, yaml.YAMLError):
        pass  # ruamel, below
    else:
        return _build(path, text, fast)
    try:
        data = YAML(typ="rt").load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        message = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        problems.add_at(mark.line + 1 if mark else None, mark.column + 1 if mark else None,
                        f"malformed YAML: {message}")
        return None, problems.items
    return _build(path, text, data)


def _build(path: Path, text: str, data: Any) -> tuple[Codebook | None, list[InputError]]:
    """Return the codebook of parsed YAML ``data`` and its problems (positions where the
    data carries them)."""
    problems = _Problems(path)
    if not isinstance(data, dict):
        problems.add_at(1, 1, "a codebook must be a mapping with id, title, version and codes")
        return None, problems.items

    for key in data:
        if key not in TOP_KEYS:
            problems.add(data, key, f"unknown key '{key}' (known: {', '.join(TOP_KEYS)})")
    codebook_id = str(data.get("id") or "").strip()
    if not codebook_id:
        problems.add_at(1, 1, "required key 'id' is missing")
    elif not _CODEBOOK_ID.match(codebook_id):
        problems.add(data, "id", f"codebook id '{codebook_id}' must be letters, digits, _ or -")
    version = str(data.get("version") or "").strip()
    if not version:
        problems.add_at(1, 1, "required key 'version' is missing")
    languages: list[str] = []
    for index, lang in enumerate(data.get("languages") or ["nb"]):
        code = vocab.normalise_language(str(lang))
        if code is None:
            problems.add(data["languages"], index, f"unknown language '{lang}'")
        else:
            languages.append(code)
    first_language = languages[0] if languages else "nb"
    title = _texts(data.get("title"), "title", data, "title", problems, first_language,
                   required=True)
    description = _texts(data.get("description"), "description", data, "description",
                         problems, first_language)
    default_unit = str(data.get("unit") or "sentence")
    if default_unit not in UNITS:
        problems.add(data, "unit", f"unit '{default_unit}' must be one of {', '.join(UNITS)}")
        default_unit = "sentence"
    codes_node = data.get("codes")
    if not isinstance(codes_node, list) or not codes_node:
        problems.add(data, "codes" if "codes" in data else None,
                     "'codes' must be a non-empty list of codes")
        return None, problems.items

    codes: list[Code] = []
    positions: dict[str, tuple[Any, int]] = {}
    for index, node in enumerate(codes_node):
        code = _parse_code(node, index, codes_node, default_unit, first_language, problems)
        if code is None:
            continue
        if code.id in positions:
            first = position(positions[code.id][0])[0]
            problems.add(codes_node, index, f"duplicate code id '{code.id}' (first on line "
                                            f"{first})")
            continue
        positions[code.id] = (node, index)
        codes.append(code)

    by_id = {c.id: c for c in codes}
    for code in codes:
        node = positions[code.id][0]
        if code.parent is not None and code.parent not in by_id:
            problems.add(node, "parent" if "parent" in node else "id",
                         f"code '{code.id}': unknown parent '{code.parent}'")
            code.parent = None
    for code in codes:  # a parent chain that returns to itself is a cycle
        seen = [code.id]
        current = code.parent
        while current is not None:
            if current in seen:
                node = positions[code.id][0]
                problems.add(node, "parent" if "parent" in node else "id",
                             f"code '{code.id}': parent cycle {' -> '.join([*seen, current])}")
                break
            seen.append(current)
            current = by_id[current].parent
    if any("cycle" in p.problem for p in problems.items):
        for code in codes:
            code.parent = None
    for code in codes:  # units are inherited once parents are known
        if code.unit == "":
            parent = code.parent
            while parent is not None and by_id[parent].unit == "":
                parent = by_id[parent].parent
            code.unit = by_id[parent].unit if parent is not None else default_unit

    if problems.items:
        return None, problems.items
    canonical = json.dumps(plain(data), sort_keys=True, ensure_ascii=False)
    return Codebook(
        id=codebook_id, version=version, title=title, languages=tuple(languages) or ("nb",),
        description=description, unit=default_unit, codes=codes, path=path,
        sha256=hashlib.sha256(canonical.encode("utf-8")).hexdigest(), content=text,
    ), []


def _parse_code(node: Any, index: int, parent_node: Any, default_unit: str,
                language: str, problems: _Problems) -> Code | None:
    if not isinstance(node, dict):
        problems.add(parent_node, index, f"code {index + 1} must be a mapping with an 'id'")
        return None
    for key in node:
        if key not in CODE_KEYS:
            problems.add(node, key, f"unknown key '{key}' in code "
                                    f"'{node.get('id', index + 1)}' (known: "
                                    f"{', '.join(CODE_KEYS)})")
    code_id = str(node.get("id") or "").strip()
    if not code_id:
        problems.add(parent_node, index, f"code {index + 1} has no 'id'")
        return None
    if not _ID.match(code_id):
        problems.add(node, "id", f"code id '{code_id}' must be letters, digits and _, with "
                                 "dots between levels")
        return None
    parent = node.get("parent")
    if parent is not None:
        parent = str(parent).strip()
        if "." in code_id and code_id.rsplit(".", 1)[0] != parent:
            problems.add(node, "parent", f"code '{code_id}': parent '{parent}' does not "
                                         "match its dotted id")
    elif "." in code_id:
        parent = code_id.rsplit(".", 1)[0]
    where = f"code '{code_id}'"
    names = _texts(node.get("name"), f"{where} name", node, "name", problems, language,
                   required=True)
    colour_value = node.get("colour", node.get("color"))
    colour = None
    if colour_value is not None:
        key = "colour" if "colour" in node else "color"
        if not _is_colour(str(colour_value)):
            problems.add(node, key, f"{where}: '{colour_value}' is not a colour (use #rrggbb "
                                    "or a colour name)")
        else:
            colour = str(colour_value).strip()
    unit = str(node.get("unit") or "")
    if unit and unit not in UNITS:
        problems.add(node, "unit", f"{where}: unit '{unit}' must be one of {', '.join(UNITS)}")
        unit = default_unit
    rules = _parse_rules(node.get("rules"), node, "rules", code_id, False, problems)
    exclude = _parse_rules(node.get("exclude"), node, "exclude", code_id, True, problems)
    match, no_match = _parse_examples(node.get("examples"), node, code_id, language, problems)
    return Code(
        id=code_id, parent=parent, names=names, colour=colour, unit=unit,
        definition=_texts(node.get("definition"), f"{where} definition", node, "definition",
                          problems, language),
        when_to_use=_texts(node.get("when_to_use"), f"{where} when_to_use", node,
                           "when_to_use", problems, language),
        when_not_to_use=_texts(node.get("when_not_to_use"), f"{where} when_not_to_use", node,
                               "when_not_to_use", problems, language),
        rules=rules, exclude=exclude, match=match, no_match=no_match,
        line=position(node)[0],
    )


def _parse_rules(node: Any, parent: Any, key: str, code_id: str, veto: bool,
                 problems: _Problems) -> list[Rule]:
    if node is None:
        return []
    where = f"code '{code_id}' {key}"
    if not isinstance(node, dict):
        problems.add(parent, key, f"{where}: must be a mapping of rule kinds "
                                  f"({', '.join(RULE_KINDS)}) to lists")
        return []
    rules: list[Rule] = []
    for kind, items in node.items():
        if kind not in RULE_KINDS:
            problems.add(node, kind, f"{where}: unknown rule kind '{kind}' (known: "
                                     f"{', '.join(RULE_KINDS)})")
            continue
        if not isinstance(items, list) or not items:
            problems.add(node, kind, f"{where}: '{kind}' must be a non-empty list")
            continue
        for index, item in enumerate(items):
            rule = _parse_rule(kind, item, items, index, code_id, veto, where, problems)
            if rule is not None:
                rules.append(rule)
    return rules


def _parse_rule(kind: str, item: Any, items: Any, index: int, code_id: str, veto: bool,
                where: str, problems: _Problems) -> Rule | None:
    line = position(items, index)[0]
    label = f"{where} {kind} {index + 1}"
    if kind == "pattern":
        return _parse_pattern(item, items, index, code_id, veto, label, line, problems)
    gap = 0
    value = item
    if kind == "phrase" and isinstance(item, dict):
        unknown = set(item) - {"text", "gap"}
        if unknown:
            problems.add(items, index, f"{label}: unknown key(s) {', '.join(sorted(unknown))} "
                                       "(a phrase has 'text' and 'gap')")
        value = item.get("text")
        gap = item.get("gap", 0)
        if not isinstance(gap, int) or isinstance(gap, bool) or not 0 <= gap <= 10:
            problems.add(items, index, f"{label}: gap must be a whole number from 0 to 10")
            gap = 0
    if not isinstance(value, str) or not value.strip():
        problems.add(items, index, f"{label}: empty rule")
        return None
    value = value.strip()
    if kind == "regex":
        try:
            re.compile(value, re.IGNORECASE)
        except re.error as exc:
            problems.add(items, index, f"{label}: invalid regular expression '{value}': {exc}")
            return None
        if re.compile(value, re.IGNORECASE).search("") is not None:
            problems.add(items, index, f"{label}: regular expression '{value}' matches empty "
                                       "text, so it would code every unit")
            return None
    elif kind in ("lemma", "surface"):
        value = value.lower()
        if " " in value:
            problems.add(items, index, f"{label}: '{value}' has a space; use a phrase for "
                                       "several words")
            return None
        if not value.strip("*?"):
            problems.add(items, index, f"{label}: '{value}' is only wildcards and would match "
                                       "every word")
            return None
    elif kind == "phrase":
        words = value.lower().split()
        if len(words) < 2:
            problems.add(items, index, f"{label}: a phrase needs at least two words (use "
                                       "lemma or surface for one)")
            return None
        alternatives = [a for w in words for a in w.split("|")]
        if any(not a.strip("*?") for a in alternatives):
            problems.add(items, index, f"{label}: a phrase word (or one of its | alternatives) "
                                       "is only wildcards; use gap for words in between")
            return None
        value = " ".join(words)
    return Rule(code_id, kind, value, gap=gap, veto=veto, index=index, line=line)


def _parse_pattern(item: Any, items: Any, index: int, code_id: str, veto: bool, label: str,
                   line: int | None, problems: _Problems) -> Rule | None:
    from spacy.lang.xx import MultiLanguage
    from spacy.matcher import Matcher

    if not isinstance(item, list) or not item or not all(isinstance(t, dict) for t in item):
        problems.add(items, index, f"{label}: a token pattern is a non-empty list of token "
                                   "specs such as {LOWER: tillit}")
        return None
    pattern = plain(item)
    used = {k.upper() for spec in pattern for k in spec}
    blocked = sorted(used & UNAVAILABLE_ATTRS)
    if blocked:
        problems.add(items, index, f"{label}: invalid token pattern: {', '.join(blocked)} need a "
                                   "trained pipeline, which casekit does not use")
        return None
    try:
        Matcher(MultiLanguage().vocab, validate=True).add("check", [pattern])
    except Exception as exc:  # spaCy raises MatchPatternError or ValueError
        detail = " ".join(str(exc).split())
        problems.add(items, index, f"{label}: invalid token pattern: {detail}")
        return None
    return Rule(code_id, "pattern", pattern, veto=veto, index=index, line=line)


def _parse_examples(node: Any, parent: Any, code_id: str, language: str,
                    problems: _Problems) -> tuple[list[Example], list[Example]]:
    if node is None:
        return [], []
    where = f"code '{code_id}' examples"
    if not isinstance(node, dict):
        problems.add(parent, "examples", f"{where}: must be a mapping with 'match' and "
                                         "'no_match' lists")
        return [], []
    out: dict[str, list[Example]] = {"match": [], "no_match": []}
    for key, items in node.items():
        if key not in out:
            problems.add(node, key, f"{where}: unknown key '{key}' (use match and no_match)")
            continue
        if not isinstance(items, list):
            problems.add(node, key, f"{where}: '{key}' must be a list of texts")
            continue
        for index, item in enumerate(items):
            line = position(items, index)[0]
            text, lang = item, language
            if isinstance(item, dict):
                text = item.get("text")
                lang = vocab.normalise_language(str(item.get("language", language))) or ""
                if not lang:
                    problems.add(items, index, f"{where} {key} {index + 1}: unknown language "
                                               f"'{item.get('language')}'")
                    continue
            if not isinstance(text, str) or not text.strip():
                problems.add(items, index, f"{where} {key} {index + 1}: empty example")
                continue
            out[key].append(Example(text.strip(), lang, line))
    return out["match"], out["no_match"]


def stored_codebook(store: Any, codebook_id: str) -> tuple[Codebook, int] | None:
    """Return the newest version of a codebook the store has used, parsed, with its store
    id; None when the store never used it. ``store`` is a :class:`casekit.store.Store`."""
    found = store.newest_codebook(codebook_id)
    if found is None:
        return None
    pk, content, source = found
    return Codebook.from_text(content, source), pk
