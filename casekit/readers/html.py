"""HTML pages, read with the standard library's HTMLParser.

Block elements delimit blocks, table rows become `` | ``-joined cells, and everything a
browser would not show as body text (head, scripts, styles, templates, SVG) is skipped.
"""

from __future__ import annotations

import codecs
import re
from html.parser import HTMLParser
from pathlib import Path

from casekit.readers import ReadResult, TextBuilder
from casekit.readers.text import decode_bytes, guessed_encoding_warning, reject_binary

CELL_SEPARATOR = " | "
WRONG_CHARSET_WARNING = (
    "the page declares the encoding {declared} but is not valid {declared}; read as {encoding}"
)

_SKIPPED = frozenset({"head", "title", "script", "style", "noscript", "template", "svg"})
_BLOCKS = frozenset({
    "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "br", "blockquote",
    "pre", "section", "article", "header", "footer", "caption", "main", "nav", "aside",
    "ul", "ol", "dl", "hr", "figure", "figcaption", "address", "details", "summary",
    "form", "fieldset", "legend", "body", "html",
})
_CELLS = frozenset({"td", "th"})
# HTML's own whitespace; U+00A0 (&nbsp;) is deliberately not collapsed.
_WHITESPACE = re.compile(r"[ \t\n\r\f]+")

# <meta charset="x"> or <meta http-equiv="Content-Type" content="text/html; charset=x">;
# browsers look only at the start of the file (1024 bytes), we allow a little more.
_META_CHARSET = re.compile(rb"<meta[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)",
                           re.IGNORECASE)
_PRESCAN = 4096
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def read_html(path: Path) -> ReadResult:
    """Read an .html/.htm file; return the visible body text as blocks."""
    text, encoding, warning = _decode_html(path.read_bytes(), path)
    parser = _BlockParser()
    parser.feed(text)
    parser.close()
    builder = TextBuilder()
    for block in parser.blocks:
        builder.add(block)
    return ReadResult(text=builder.text(), reader="html", encoding=encoding,
                      warnings=[warning] if warning else [])


def _decode_html(data: bytes, path: Path) -> tuple[str, str, str | None]:
    """Return the page's text, its encoding and a warning if that encoding was a guess.

    A BOM wins over a declaration (as in browsers), and so does valid UTF-8; a declared
    encoding that cannot decode the bytes is ignored in favour of the shared detection.
    """
    declared = _declared_encoding(data)
    if declared is None or data.startswith(_BOMS):
        text, encoding = decode_bytes(data, path, kind="HTML")
        return text, encoding, guessed_encoding_warning(encoding)
    reject_binary(data, path, kind="HTML")
    if declared != "utf-8" and not data.isascii():
        # Non-ASCII text that is valid UTF-8 is UTF-8 whatever the page says: saving a
        # page as UTF-8 without updating its <meta> is common, the reverse is not.
        try:
            return data.decode("utf-8"), "utf-8", WRONG_CHARSET_WARNING.format(
                declared=_encoding_name(declared), encoding="utf-8")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode(declared), _encoding_name(declared), None
    except UnicodeDecodeError:
        text, encoding = decode_bytes(data, path, kind="HTML")
        return text, encoding, WRONG_CHARSET_WARNING.format(
            declared=_encoding_name(declared), encoding=encoding)


def _declared_encoding(data: bytes) -> str | None:
    """Return the Python codec for the page's <meta> charset, or None if absent or unknown."""
    match = _META_CHARSET.search(data[:_PRESCAN])
    if not match:
        return None
    try:
        name = codecs.lookup(match.group(1).decode("ascii")).name
    except LookupError:
        return None
    # Browsers read pages labelled Latin-1 or ASCII as Windows-1252 (WHATWG Encoding);
    # a page labelled UTF-16 that is ASCII-compatible enough to be read here is not UTF-16.
    if name in ("latin-1", "iso8859-1", "ascii"):
        return "cp1252"
    if name.startswith("utf-16") or name.startswith("utf-32"):
        return None
    return name


def _encoding_name(codec: str) -> str:
    """Return casekit's spelling of a codec name ("utf-8", "windows-1252", ...)."""
    name = codecs.lookup(codec).name
    return {"cp1252": "windows-1252", "iso8859-1": "iso-8859-1"}.get(name, name)


class _BlockParser(HTMLParser):
    """Collect the visible text of an HTML page as a list of blocks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)  # entities decoded, &lt;x&gt; stays text
        self.blocks: list[str] = []
        self._inline: list[str] = []
        self._skip = 0  # depth inside skipped elements
        self._pre = 0  # depth inside <pre>
        # One entry per open table: the cells of its current row (None between rows).
        self._rows: list[list[str] | None] = []
        self._cell: list[str] | None = None  # the innermost open cell's text
        self._outer_cells: list[list[str] | None] = []  # cells interrupted by nested tables

    # -- HTMLParser callbacks --------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":
            self._skip = 0  # a page without </head> still has a body to read
        if tag in _SKIPPED:
            self._skip += 1
        elif self._skip:
            return
        elif tag == "table":
            self._flush()
            self._outer_cells.append(self._cell)
            self._cell = None
            self._rows.append(None)
        elif tag == "tr":
            self._end_row()
            if self._rows:
                self._rows[-1] = []
        elif tag in _CELLS:
            self._end_cell()
            if self._rows and self._rows[-1] is None:
                self._rows[-1] = []  # a cell without <tr>
            self._cell = []
        elif tag in _BLOCKS:
            self._break()
            if tag == "pre":
                self._pre += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skip = max(0, self._skip - 1)
        elif self._skip:
            return
        elif tag == "table" and self._rows:
            self._end_row()
            self._rows.pop()
            self._cell = self._outer_cells.pop()
        elif tag == "tr":
            self._end_row()
        elif tag in _CELLS:
            self._end_cell()
        elif tag in _BLOCKS:
            self._break()
            if tag == "pre":
                self._pre = max(0, self._pre - 1)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in _SKIPPED:  # <svg/> opens nothing
            self._skip = max(0, self._skip - 1)

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._cell is not None:
            self._cell.append(data)
        else:
            self._inline.append(data if self._pre else _WHITESPACE.sub(" ", data))

    def close(self) -> None:
        super().close()
        while self._rows:
            self.handle_endtag("table")
        self._flush()

    # -- blocks and rows ------------------------------------------------------------------

    def _break(self) -> None:
        """End the current block, or separate words inside a table cell."""
        if self._cell is not None:
            self._cell.append(" ")
        else:
            self._flush()

    def _flush(self) -> None:
        """Emit the text gathered since the last block boundary as a block."""
        text = "".join(self._inline)
        self._inline = []
        # Browsers drop the newline right after <pre>; elsewhere whitespace collapses.
        text = text.removeprefix("\n") if self._pre else _WHITESPACE.sub(" ", text).strip()
        if text.strip():
            self.blocks.append(text)

    def _end_cell(self) -> None:
        if self._cell is not None and self._rows and self._rows[-1] is not None:
            self._rows[-1].append(_WHITESPACE.sub(" ", "".join(self._cell)).strip())
        self._cell = None

    def _end_row(self) -> None:
        self._end_cell()
        if not self._rows or not self._rows[-1]:
            return
        cells = self._rows[-1]
        self._rows[-1] = None
        if not any(cells):
            return
        row = CELL_SEPARATOR.join(cells)
        outer = self._outer_cells[-1] if self._outer_cells else None
        if outer is not None:
            outer.append(f" {row} ")  # a nested table's row stays inside the outer cell
        else:
            self._flush()
            self.blocks.append(row)
