"""Word processor documents: .docx (python-docx), .odt (odfpy) and .rtf (striprtf).

Each paragraph or heading becomes one block and each table row one block with its cells
joined by `` | ``, in document order.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from casekit.errors import Msg, ReadError
from casekit.readers import ReadResult, TextBuilder
from casekit.readers.text import decode_bytes, guessed_encoding_warning

if TYPE_CHECKING:
    from docx.table import _Row

CELL_SEPARATOR = " | "


def _row_block(cells: list[str]) -> str:
    """Return one table row as a block, or "" when every cell is empty.

    A cell's own line breaks become spaces so that a row stays one line of cells.
    """
    cells = [" ".join(cell.split()) for cell in cells]
    return CELL_SEPARATOR.join(cells) if any(cells) else ""


# --- .docx -------------------------------------------------------------------------------


def read_docx(path: Path) -> ReadResult:
    """Read a .docx file; return paragraphs and table rows as blocks in body order."""
    from docx import Document
    from docx.table import Table

    # python-docx reports a non-zip file as "Package not found", which hides the cause.
    if not zipfile.is_zipfile(path):
        raise ReadError(path, Msg.DOCX_UNREADABLE.format(error="it is not a zip package"))
    try:
        with zipfile.ZipFile(path) as archive:
            if "[Content_Types].xml" not in archive.namelist():
                raise ReadError(path, Msg.DOCX_UNREADABLE.format(
                    error="it is a zip archive but not a Word document"))
        document = Document(str(path))
        body = list(document.iter_inner_content())
    except ReadError:
        raise
    except Exception as exc:  # python-docx raises KeyError, ValueError, lxml errors, ...
        raise ReadError(path, Msg.DOCX_UNREADABLE.format(error=_describe(exc))) from exc
    builder = TextBuilder()
    for item in body:
        if isinstance(item, Table):
            for row in item.rows:
                builder.add(_row_block(_docx_row_cells(row)))
        else:
            builder.add(item.text)  # w:br and w:cr come through as "\n"
    return ReadResult(text=builder.text(), reader="docx")


def _docx_row_cells(row: _Row) -> list[str]:
    """Return the texts of a python-docx table row, each merged cell once."""
    texts: list[str] = []
    seen: set[object] = set()
    for cell in row.cells:
        # A horizontally merged cell is listed once per grid column it spans.
        if cell._tc in seen:
            continue
        seen.add(cell._tc)
        texts.append(cell.text)
    return texts


def _describe(exc: Exception) -> str:
    """Return a short description of a library error (a KeyError without its quotes)."""
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])  # str(KeyError) would wrap the message in quotes
    return str(exc) or type(exc).__name__


# --- .odt --------------------------------------------------------------------------------

_TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_PARAGRAPHS = {(_TEXT_NS, "p"), (_TEXT_NS, "h")}
_CONTAINERS = {
    (_TEXT_NS, "list"), (_TEXT_NS, "list-item"), (_TEXT_NS, "list-header"),
    (_TEXT_NS, "section"), (_TABLE_NS, "table-header-rows"), (_TABLE_NS, "table-rows"),
    (_TABLE_NS, "table-row-group"),
}
_TABLE = (_TABLE_NS, "table")
_ROW = (_TABLE_NS, "table-row")
_CELL = (_TABLE_NS, "table-cell")


def read_odt(path: Path) -> ReadResult:
    """Read an .odt file; return headings, paragraphs and table rows as blocks in order."""
    from odf.opendocument import load

    try:
        document = load(str(path))
    except Exception as exc:  # odfpy raises zipfile, KeyError and XML errors alike
        raise ReadError(path, Msg.ODT_UNREADABLE.format(error=_describe(exc))) from exc
    body = getattr(document, "text", None)  # only text documents have one (not .ods, .odp)
    if body is None:
        error = f"it is not a text document ({document.mimetype or 'unknown type'})"
        raise ReadError(path, Msg.ODT_UNREADABLE.format(error=error))
    builder = TextBuilder()
    for block in _odt_blocks(body):
        builder.add(block)
    return ReadResult(text=builder.text(), reader="odt")


def _odt_blocks(element: object) -> Iterator[str]:
    """Yield the blocks under an odfpy element: paragraphs, headings and table rows."""
    from odf import teletype

    for child in getattr(element, "childNodes", []):
        qname = getattr(child, "qname", None)
        if qname in _PARAGRAPHS:
            yield teletype.extractText(child)  # expands text:s, text:tab, text:line-break
        elif qname == _ROW:
            yield _row_block(_odt_row_cells(child))
        elif qname in _CONTAINERS or qname == _TABLE:
            yield from _odt_blocks(child)


def _odt_row_cells(row: object) -> list[str]:
    """Return the texts of an ODF table row; a cell's paragraphs are joined by spaces."""
    from odf import teletype

    cells: list[str] = []
    for cell in getattr(row, "childNodes", []):
        if getattr(cell, "qname", None) == _CELL:  # covered (merged) cells are skipped
            cells.append(" ".join(teletype.extractText(p) for p in cell.childNodes
                                  if getattr(p, "qname", None) in _PARAGRAPHS))
    return cells


# --- .rtf --------------------------------------------------------------------------------

_RTF_START = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*\{\\rtf", re.IGNORECASE)
_ANSICPG = re.compile(rb"\\ansicpg(\d+)")
# Control words striprtf flattens to "\n" and "|" but whose meaning the blocks need:
# a manual line break stays inside its paragraph, a cell end separates cells. They are
# rewritten as \uN escapes for U+2028 (normalised to "\n") and a private-use marker.
_RTF_REWRITE = re.compile(r"\\\\|\\(line|cell|nestcell)(?![a-zA-Z])(?:-?\d+)? ?")
_CELL_MARK = "\ue000"


def read_rtf(path: Path) -> ReadResult:
    """Read an .rtf file; return its paragraphs (and table rows) as blocks."""
    from striprtf.striprtf import rtf_to_text

    data = path.read_bytes()
    if not _RTF_START.match(data):
        raise ReadError(path, Msg.RTF_UNREADABLE.format(error="it does not start with {\\rtf"))
    source, encoding, guessed = _decode_rtf(data, path)
    source = _RTF_REWRITE.sub(_rewrite_control, source)
    warnings = [guessed] if guessed else []
    try:
        # striprtf honours \ansicpg, \fcharset, \'xx and \uN itself.
        plain = rtf_to_text(source, errors="strict")
    except UnicodeDecodeError:
        plain = rtf_to_text(source, errors="replace")
        warnings.append("some \\'xx characters do not exist in the file's code page")
    except Exception as exc:  # striprtf fails on malformed control words or groups
        raise ReadError(path, Msg.RTF_UNREADABLE.format(error=_describe(exc))) from exc
    builder = TextBuilder()
    for line in plain.split("\n"):
        if _CELL_MARK in line:
            cells = line.split(_CELL_MARK)
            if not cells[-1].strip():  # the mark ends each cell, so the last part is empty
                cells.pop()
            line = _row_block(cells)
        builder.add(line)
    return ReadResult(text=builder.text(), reader="rtf", encoding=encoding, warnings=warnings)


def _decode_rtf(data: bytes, path: Path) -> tuple[str, str, str | None]:
    """Return the RTF source as a string, the encoding of its raw bytes and a guess warning.

    RTF is 7-bit by design (other characters come as escapes), but some writers put raw
    8-bit bytes in the file: valid UTF-8 is taken as such, otherwise the file's own
    \\ansicpg code page, and only then the shared detection (whose guess is warned about).
    """
    if data.isascii():
        return data.decode("ascii"), "utf-8", None
    try:
        return data.decode("utf-8-sig"), "utf-8", None
    except UnicodeDecodeError:
        pass
    match = _ANSICPG.search(data[:4096])
    if match:
        codec = f"cp{int(match.group(1))}"
        try:
            text = data.decode(codec)
        except (LookupError, UnicodeDecodeError):
            pass
        else:
            return text, "windows-1252" if codec == "cp1252" else codec, None
    text, encoding = decode_bytes(data, path, kind="RTF")
    return text, encoding, guessed_encoding_warning(encoding)


def _rewrite_control(match: re.Match[str]) -> str:
    """Return the replacement for one RTF control word matched by ``_RTF_REWRITE``."""
    word = match.group(1)
    if word is None:
        return match.group(0)  # an escaped backslash, kept as it is
    # RTF's \uN is a signed 16-bit number; in its own group with \uc1 the "?" fallback
    # is skipped whatever \ucN the document set.
    code = 0x2028 if word == "line" else ord(_CELL_MARK) - 0x10000
    return f"{{\\uc1\\u{code}?}}"
