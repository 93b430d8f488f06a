"""What casekit needs from ruamel.yaml's round-trip nodes: positions and plain data."""

from __future__ import annotations

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
