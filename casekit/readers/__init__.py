"""Readers: turn a document file of any supported format into one normalised plain text.

Every character offset in casekit (segments, codings, REFI-QDA exports) refers to the
text a reader returns, so normalisation happens here and only here: Unicode NFC, ``\\n``
line endings, no control characters, paragraphs (blocks) separated by one blank line.

``read_document(path)`` is the single entry point; the format modules only know their
format and build their text with :class:`TextBuilder`, which keeps spans (pages, speaker
turns) aligned with the final text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from casekit.errors import Msg, ReadError


@dataclass(frozen=True)
class PageSpan:
    """A page of a paginated source (PDF): 1-based number and its [start, end) offsets."""

    number: int
    start: int
    end: int


@dataclass(frozen=True)
class TurnSpan:
    """A speaker turn the source marks itself (VTT voices, SRT cues).

    ``start``/``end`` delimit the spoken text (without the speaker label) in the final text;
    ``time_start``/``time_end`` are the source's timestamps as ``HH:MM:SS.mmm`` strings.
    """

    speaker: str | None
    start: int
    end: int
    time_start: str | None = None
    time_end: str | None = None


@dataclass
class ReadResult:
    """What a reader returns: the normalised text and what the source said about its structure."""

    text: str
    reader: str
    encoding: str | None = None
    pages: list[PageSpan] = field(default_factory=list)
    turns: list[TurnSpan] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff\u00ad]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+\n")
_MANY_NEWLINES = re.compile(r"\n{3,}")


def normalise_text(text: str) -> str:
    """Return ``text`` in casekit's canonical form.

    NFC; CRLF/CR/U+2028/U+2029 become ``\\n``; form feeds become paragraph breaks; control
    characters, zero-width spaces, BOMs and soft hyphens are removed; trailing spaces on
    lines are dropped; three or more newlines shrink to two; ends are stripped.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n\n").replace("\x0c", "\n\n")
    text = _CONTROL.sub("", text)
    text = unicodedata.normalize("NFC", text)
    text = _SPACES.sub("\n", text + "\n")
    text = _MANY_NEWLINES.sub("\n\n", text)
    return text.strip()


class TextBuilder:
    """Assemble a document's text block by block, returning each block's offsets.

    Blocks are normalised on the way in and joined by one blank line, so the offsets a
    reader records are offsets into the final text.
    """

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._length = 0

    def add(self, block: str, separator: str = "\n\n") -> tuple[int, int] | None:
        """Append a block; return its ``(start, end)`` in the final text, or None if empty.

        Blocks are joined by a blank line; ``separator="\n"`` continues the paragraph
        (a sentence running over a PDF page break).
        """
        block = normalise_text(block)
        if not block:
            return None
        if self._parts:
            self._parts.append(separator)
            self._length += len(separator)
        start = self._length
        self._parts.append(block)
        self._length += len(block)
        return start, self._length

    def __len__(self) -> int:
        return self._length

    def endswith(self, chars: str) -> bool:
        """Return True when the text so far ends with one of ``chars``."""
        return bool(self._parts) and self._parts[-1][-1:] in chars

    def text(self) -> str:
        """Return the text assembled so far."""
        return "".join(self._parts)


def _registry() -> dict[str, Callable[[Path], ReadResult]]:
    # Imported here so that a broken optional format never stops the others from loading.
    from casekit.readers import html, office, pdf, subtitles, text

    return {
        ".txt": text.read_text,
        ".text": text.read_text,
        ".md": text.read_text,
        ".markdown": text.read_text,
        ".docx": office.read_docx,
        ".odt": office.read_odt,
        ".rtf": office.read_rtf,
        ".pdf": pdf.read_pdf,
        ".html": html.read_html,
        ".htm": html.read_html,
        ".vtt": subtitles.read_vtt,
        ".srt": subtitles.read_srt,
    }


SUPPORTED_EXTENSIONS = (
    ".txt", ".text", ".md", ".markdown", ".docx", ".odt", ".rtf", ".pdf", ".html", ".htm",
    ".vtt", ".srt",
)


def read_document(path: str | Path) -> ReadResult:
    """Read one document file and return its normalised text and structure.

    Raises :class:`~casekit.errors.ReadError` naming the file and the problem for anything
    that cannot be read (missing, empty, binary, damaged, encrypted, no text, unknown type).
    """
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in SUPPORTED_EXTENSIONS:
        raise ReadError(
            path,
            Msg.FILE_EXTENSION_UNKNOWN.format(ext=ext or "(none)",
                                              supported=", ".join(SUPPORTED_EXTENSIONS)),
        )
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ReadError(path, f"cannot open the file: {exc.strerror or exc}") from exc
    if size == 0:
        raise ReadError(path, Msg.FILE_EMPTY)
    reader = _registry()[ext]
    try:
        result = reader(path)
    except ReadError:
        raise
    except Exception as exc:  # a library failing on a damaged file must not stop a batch
        raise ReadError(path, f"cannot read the file: {type(exc).__name__}: {exc}") from exc
    if not result.text.strip():
        raise ReadError(path, Msg.FILE_NO_TEXT)
    return result
