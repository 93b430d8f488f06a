"""PDF documents (pypdf): the text layer page by page, with paragraph breaks recovered.

pypdf's plain extraction gives lines but no paragraphs. Its ``visitor_text`` callback
reports where each piece of text sits, so a vertical gap between two lines that is
clearly larger than the page's usual line spacing becomes a blank line. Hyphens at line
ends are kept: whether ``bin-`` + ``de`` is one word is the analyst's call, not ours.
"""

from __future__ import annotations

import math
import re
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from casekit.errors import Msg, ReadError
from casekit.readers import PageSpan, ReadResult, TextBuilder

# Characters after which a page's last line has ended its sentence.
_SENTENCE_END = ".!?:;»”\")]…"
# Justified text is laid out with wide word gaps that extraction turns into runs of spaces.
_SPACE_RUN = re.compile(r"[ \t]{2,}")
# A gap counts as a paragraph break above this multiple of the usual line spacing.
_BREAK_FACTOR = 1.4
# With too few gaps to know the usual spacing, assume this multiple of the font size.
_DEFAULT_LEADING = 1.2
_MIN_GAPS_FOR_MEDIAN = 3


def read_pdf(path: Path) -> ReadResult:
    """Read a PDF's text layer; return one block group per page and a PageSpan for each.

    Raises :class:`ReadError` when the PDF is damaged, needs a password or has no text.
    """
    from pypdf import PasswordType, PdfReader
    from pypdf.errors import DependencyError

    try:
        reader = PdfReader(path, strict=False)
        # An owner-password-only PDF opens with the empty user password; pypdf tries
        # it on load, and decrypt("") tells whether that worked.
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise ReadError(path, Msg.PDF_ENCRYPTED)
        pages = list(reader.pages)
    except (ReadError, DependencyError):
        raise  # DependencyError: AES needs the 'cryptography' package, the PDF is fine
    except Exception as exc:  # pypdf raises many types on a damaged file
        raise ReadError(path, Msg.PDF_CORRUPT.format(error=str(exc) or type(exc).__name__)) from exc

    builder = TextBuilder()
    spans: list[PageSpan] = []
    warnings: list[str] = []
    for number, page in enumerate(pages, start=1):
        try:
            text = _page_text(page)
        except DependencyError:
            raise
        except Exception as exc:  # one damaged page should not lose the others
            warnings.append(f"page {number} could not be read: {type(exc).__name__}")
            continue
        text = _SPACE_RUN.sub(" ", text).strip()
        # A sentence that runs over the page break ("... bruker mye tid på" / "manuell
        # registrering ...") stays one paragraph: join with a line break, not a blank line.
        continues = (spans and text[:1].islower()
                     and not builder.endswith(_SENTENCE_END))
        span = builder.add(text, separator="\n" if continues else "\n\n")
        if span is not None:  # empty pages get no span, but later numbers stay true
            spans.append(PageSpan(number, *span))
    if not spans:
        if warnings:
            raise ReadError(path, Msg.PDF_CORRUPT.format(error="; ".join(warnings)))
        raise ReadError(path, Msg.PDF_NO_TEXT, hint=Msg.PDF_NO_TEXT_HINT)
    return ReadResult(text=builder.text(), reader="pdf", pages=spans, warnings=warnings)


@dataclass
class _Line:
    """One extracted line: its text and, when known, its baseline height and font size."""

    parts: list[str] = field(default_factory=list)
    y: float | None = None
    size: float | None = None

    @property
    def text(self) -> str:
        return "".join(self.parts)


def _page_text(page: Any) -> str:
    """Return a page's text with a blank line between paragraphs ("" for no text)."""
    pieces: list[tuple[str, list[float], list[float], float]] = []

    def visit(text: str, cm: list[float], tm: list[float], _font: Any, size: float) -> None:
        pieces.append((text, list(cm), list(tm), float(size or 0)))

    plain = page.extract_text(visitor_text=visit)
    lines = _lines(pieces)
    # Positions are unusable if the pieces do not add up to the text or are rotated.
    if lines is None or "\n".join(line.text for line in lines) != plain:
        return plain
    return _join_paragraphs(lines)


def _lines(pieces: list[tuple[str, list[float], list[float], float]]) -> list[_Line] | None:
    """Split the visited pieces into lines with positions; None if the text is not upright."""
    lines = [_Line()]
    for text, cm, tm, size in pieces:
        m = _multiply(tm, cm)
        for index, part in enumerate(text.split("\n")):
            if index:
                lines.append(_Line())
            line = lines[-1]
            line.parts.append(part)
            # Only the first line of a piece starts at the piece's position.
            if index == 0 and part.strip() and line.y is None:
                if m[0] <= 0 or abs(m[1]) > 1e-6 * abs(m[0]):
                    return None
                line.y = m[5]
                line.size = size * math.hypot(m[2], m[3])
    return lines


def _join_paragraphs(lines: list[_Line]) -> str:
    """Return the lines joined by newlines, with a blank line at each paragraph gap."""
    gaps = [a.y - b.y for a, b in zip(lines, lines[1:], strict=False)
            if a.y is not None and b.y is not None and a.y > b.y]
    sizes = [line.size for line in lines if line.size]
    if len(gaps) >= _MIN_GAPS_FOR_MEDIAN:
        spacing = statistics.median(gaps)
    elif sizes:
        spacing = _DEFAULT_LEADING * statistics.median(sizes)
    else:
        spacing = None
    out: list[str] = []
    previous: float | None = None
    for line in lines:
        if out and previous is not None and line.y is not None and spacing:
            gap = previous - line.y
            # A long gap down, or a jump up (a new column or region), ends a paragraph.
            if gap > _BREAK_FACTOR * spacing or gap < -0.5 * spacing:
                out.append("")
        out.append(line.text)
        previous = line.y  # after a line of unknown height, the next gap is unknown too
    return "\n".join(out)


def _multiply(tm: list[float], cm: list[float]) -> list[float]:
    """Return the PDF matrix product ``tm × cm`` (text space to page space)."""
    a, b, c, d, e, f = tm
    a2, b2, c2, d2, e2, f2 = cm
    return [a * a2 + b * c2, a * b2 + b * d2,
            c * a2 + d * c2, c * b2 + d * d2,
            e * a2 + f * c2 + e2, e * b2 + f * d2 + f2]
