"""YAML for casekit: positions of round-trip nodes, plain data, and a fast positioned load."""

from __future__ import annotations

import re
from functools import cache
from typing import Any


def position(node: Any, key: Any = None, *, at: str = "value") -> tuple[int | None, int | None]:
    """Return the 1-based (line, column) of a mapping key's value (or the key itself, with
    ``at="key"``), of a list item (an int ``key``), or of the node (``key`` None).

    Returns (None, None) when the node carries no position (plain Python data).
    """
    try:
        if key is None:
            line, column = node.lc.line, node.lc.col
        elif isinstance(key, int):
            line, column = node.lc.item(key)
        elif key not in node:
            line, column = node.lc.line, node.lc.col
        elif at == "key":
            line, column = node.lc.key(key)
        else:
            line, column = node.lc.value(key)
    except (AttributeError, KeyError, IndexError, TypeError):
        return None, None
    return line + 1, column + 1


def plain(value: Any) -> Any:
    """Return ruamel's containers as plain dicts and lists, scalars JSON-serialisable
    (YAML dates and the like become strings)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)



class NeedsFullParse(Exception):
    """Raised by :func:`load_core` when a text needs ruamel's round-trip parser."""


class _Positions:
    """ruamel's ``lc`` for :func:`load_core`'s containers: 0-based line and column of the
    node, and of each key, value and item."""

    __slots__ = ("line", "col", "_keys", "_values")

    def __init__(self, line: int, col: int) -> None:
        self.line, self.col = line, col
        self._keys: dict[Any, tuple[int, int]] = {}
        self._values: dict[Any, tuple[int, int]] = {}

    def key(self, key: Any) -> tuple[int, int]:
        return self._keys[key]

    def value(self, key: Any) -> tuple[int, int]:
        return self._values[key]

    def item(self, index: int) -> tuple[int, int]:
        return self._values[index]


class PositionedDict(dict):
    """A mapping from :func:`load_core` that knows where its keys and values were."""

    lc: _Positions


class PositionedList(list):
    """A sequence from :func:`load_core` that knows where its items were."""

    lc: _Positions


_AMBIGUOUS = "!casekit/ambiguous"


@cache
def _loader() -> type:
    """Return a libyaml-backed loader whose implicit scalars follow YAML 1.2's core schema;
    forms YAML 1.1 and 1.2 (or ruamel's own types) read differently get an own tag."""
    import yaml

    class CoreLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
        yaml_implicit_resolvers: dict = {}

    resolvers = [
        ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
        ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
        ("tag:yaml.org,2002:int", r"^[-+]?(?:0|[1-9][0-9]*)$", "-+0123456789"),
        ("tag:yaml.org,2002:float", r"^[-+]?(?:0|[1-9][0-9]*)\.[0-9]*[1-9]$", "-+0123456789"),
        # Octal and hex numbers, exponents, trailing zeros, infinities, yes/no/on/off, dates,
        # times and merge keys: left to ruamel.
        (_AMBIGUOUS, r"^(?:[-+]?\.?[0-9][0-9A-Za-z_:.+-]*|[-+]?\.(?:inf|Inf|INF)"
         r"|\.(?:nan|NaN|NAN)|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|y|Y|n|N|<<|=)$",
         "-+.0123456789yYnNoO<="),
    ]
    for tag, pattern, first in resolvers:
        CoreLoader.add_implicit_resolver(tag, re.compile(pattern), list(first))
    return CoreLoader


_SCALARS: dict[str, Any] = {
    "tag:yaml.org,2002:str": str,
    "tag:yaml.org,2002:int": int,
    "tag:yaml.org,2002:float": float,
    "tag:yaml.org,2002:bool": lambda v: v in ("true", "True", "TRUE"),
    "tag:yaml.org,2002:null": lambda v: None,
}


def _construct(node: Any) -> Any:
    start = node.start_mark
    if node.id == "scalar":
        make = _SCALARS.get(node.tag)
        if make is None:
            raise NeedsFullParse(f"line {start.line + 1}: {node.tag} scalar")
        return make(node.value)
    if node.id == "sequence":
        items = PositionedList()
        items.lc = _Positions(start.line, start.column)
        for index, child in enumerate(node.value):
            items.lc._values[index] = (child.start_mark.line, child.start_mark.column)
            items.append(_construct(child))
        return items
    if node.tag != "tag:yaml.org,2002:map":
        raise NeedsFullParse(f"line {start.line + 1}: {node.tag}")
    mapping = PositionedDict()
    mapping.lc = _Positions(start.line, start.column)
    for key_node, value_node in node.value:
        key = _construct(key_node)
        if isinstance(key, (dict, list)) or key in mapping:
            raise NeedsFullParse(f"line {key_node.start_mark.line + 1}: duplicate or complex key")
        mapping.lc._keys[key] = (key_node.start_mark.line, key_node.start_mark.column)
        mapping.lc._values[key] = (value_node.start_mark.line, value_node.start_mark.column)
        mapping[key] = _construct(value_node)
    return mapping


def load_core(text: str) -> Any:
    """Return the data of a YAML text, parsed by libyaml under YAML 1.2's core schema in a
    tenth of ruamel's time: mappings and sequences carry positions like ruamel's
    round-trip ones (``.lc``), scalars are plain str, int, float, bool or None.

    Raises :class:`NeedsFullParse` for anything it might read differently from ruamel's
    round-trip parser (then use that), and ``yaml.YAMLError`` for malformed YAML.
    """
    import yaml

    node = yaml.compose(text, Loader=_loader())
    return None if node is None else _construct(node)
