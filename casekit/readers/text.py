"""Plain text (.txt, .md), and the decoding of bytes shared with the HTML, RTF and subtitle readers.

Encoding detection is deterministic and ordered from certain to guessed:

1. a byte order mark names the encoding outright;
2. UTF-32/UTF-16 without a BOM show as a regular pattern of zero bytes;
3. anything else with NUL bytes, many control bytes or a known file signature is binary;
4. valid UTF-8 is taken as UTF-8 (random single-byte text is almost never valid UTF-8);
5. otherwise a single-byte encoding is guessed: Windows-1252 when bytes 0x80-0x9F occur
   (there they are smart quotes, dashes, €; in ISO-8859-1 they are unused control codes),
   else ISO-8859-1;
6. only when that fails or gives implausible text, charset-normalizer is asked.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from charset_normalizer import from_bytes

from casekit.errors import Msg, ReadError
from casekit.readers import ReadResult, TextBuilder

# Hint added to FILE_BINARY when a file signature tells what the file really is.
MISNAMED_HINT = "it looks like {kind} file with the wrong extension"

# Warning recorded when the encoding was guessed rather than known.
GUESSED_WARNING = (
    "the text encoding was guessed as {encoding} (the file is not UTF-8 and names no "
    "encoding); check that accented letters such as æ, ø, å read correctly"
)

# Encodings whose choice is certain (BOM, zero-byte pattern or strict UTF-8 validity).
_CERTAIN = frozenset(
    {"utf-8", "utf-8-sig", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"}
)

# Longest first where one BOM is a prefix of another (UTF-32-LE starts like UTF-16-LE).
_BOMS: tuple[tuple[bytes, str, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig", "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16-be"),
)

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "a PDF"),
    (b"PK\x03\x04", "a ZIP (or .docx/.odt)"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office (.doc/.xls)"),
)

_SAMPLE = 64 * 1024
# Control bytes that never occur in text; tab, LF, VT, FF, CR and ESC may.
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")
# Random binary data has about 10 % such bytes, text none: 5 % is clearly not text.
_CONTROL_SHARE = 0.05
_C1_BYTES = re.compile(rb"[\x80-\x9f]")
# In a Western European text decoded with the right code page, most letters are ASCII;
# Cyrillic or Greek decoded as Latin-1 turns nearly every letter into an accented one.
_MAX_NON_ASCII_LETTERS = 0.4
_MIN_LETTERS_TO_JUDGE = 20
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")


def decode_bytes(data: bytes, path: str | Path, kind: str = "plain") -> tuple[str, str]:
    """Decode a text file's bytes.

    Returns ``(text, encoding)`` where ``encoding`` is one of ``utf-8``, ``utf-8-sig``,
    ``utf-16-le``, ``utf-16-be``, ``utf-32-le``, ``utf-32-be``, ``windows-1252``,
    ``iso-8859-1`` or, rarely, a name charset-normalizer found. ``kind`` names the
    expected format in the binary-file message. Raises :class:`ReadError` for binary
    data or when no encoding gives plausible text.
    """
    for bom, encoding, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(codec), encoding
            except UnicodeDecodeError:
                break  # a BOM followed by something else: judge the bytes as they are
    hint = _signature_hint(data)
    if hint is not None:  # before the zero-byte test, which binary data might pass
        raise ReadError(path, Msg.FILE_BINARY.format(kind=kind), hint=hint)
    wide = _bomless_wide_encoding(data)
    if wide is not None:
        try:
            text = data.decode(wide)
        except UnicodeDecodeError:
            text = None
        # 16-bit binary data (audio, say) can mimic the pattern, but decodes to controls.
        if text is not None and _looks_like_text(text):
            return text, wide
    reject_binary(data, path, kind)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    single = "windows-1252" if _C1_BYTES.search(data) else "iso-8859-1"
    try:
        text = data.decode(single)
    except UnicodeDecodeError:  # cp1252 leaves five bytes undefined (0x81, 0x8D, ...)
        text = None
    if text is not None and _looks_like_text(text) and _looks_latin(text):
        return text, single
    guess = from_bytes(data).best()
    if guess is not None and _looks_like_text(str(guess)):
        return str(guess), codecs.lookup(guess.encoding).name
    raise ReadError(path, Msg.FILE_ENCODING_UNKNOWN.format(
        tried="Windows-1252, ISO-8859-1, charset-normalizer"))


def guessed_encoding_warning(encoding: str | None) -> str | None:
    """Return the warning to record when ``encoding`` was a guess, else None."""
    if encoding is None or encoding in _CERTAIN:
        return None
    return GUESSED_WARNING.format(encoding=encoding)


def reject_binary(data: bytes, path: str | Path, kind: str = "plain") -> None:
    """Raise :class:`ReadError` if ``data`` is binary rather than text; return None otherwise.

    Call it only after UTF-16/32 have been ruled out, as their text is full of NUL bytes.
    """
    hint = _signature_hint(data)
    sample = data[:_SAMPLE]
    controls = len(_CONTROL_BYTES.findall(sample))
    if hint or b"\x00" in data or controls > _CONTROL_SHARE * len(sample):
        raise ReadError(path, Msg.FILE_BINARY.format(kind=kind), hint=hint)


def _signature_hint(data: bytes) -> str | None:
    """Return a hint naming the file type if ``data`` starts with a known signature."""
    for signature, name in _SIGNATURES:
        if data.startswith(signature):
            return MISNAMED_HINT.format(kind=name)
    return None


def _bomless_wide_encoding(data: bytes) -> str | None:
    """Return ``utf-16-le``/``-be`` or ``utf-32-le``/``-be`` if the zero bytes say so, else None.

    Text in these encodings is mostly Latin script, whose code points fit in one byte:
    in UTF-16-LE every second byte (odd offsets) is then zero, in UTF-16-BE every first
    one; UTF-32 has three zero bytes in each four. Binary data has no such regularity.
    """
    sample = data[:4096]
    if len(sample) < 4:
        return None
    if len(data) % 4 == 0:
        quads = len(sample) // 4
        for offsets, name in (((1, 2, 3), "utf-32-le"), ((0, 1, 2), "utf-32-be")):
            zero = sum(all(sample[4 * i + k] == 0 for k in offsets) for i in range(quads))
            if zero > 0.9 * quads:
                return name
    if len(data) % 2:
        return None
    pairs = len(sample) // 2
    even_zero = sample[0::2].count(0)
    odd_zero = sample[1::2].count(0)
    if odd_zero > 0.5 * pairs and even_zero < 0.05 * pairs:
        return "utf-16-le"
    if even_zero > 0.5 * pairs and odd_zero < 0.05 * pairs:
        return "utf-16-be"
    return None


def _looks_like_text(text: str) -> bool:
    """Return True unless ``text`` is full of control characters or replacement marks."""
    if not text:
        return True
    bad = len(_CONTROL_CHARS.findall(text)) + text.count("\ufffd")
    return bad <= 0.01 * len(text)


def _looks_latin(text: str) -> bool:
    """Return True if ``text`` reads like a Western European language (mostly ASCII letters)."""
    letters = [c for c in text if c.isalpha()]
    if len(letters) < _MIN_LETTERS_TO_JUDGE:  # a word or two says nothing about the language
        return True
    non_ascii = sum(1 for c in letters if not c.isascii())
    return non_ascii <= _MAX_NON_ASCII_LETTERS * len(letters)


def read_text(path: Path) -> ReadResult:
    """Read a .txt or .md file; return its normalised text (markdown kept as written)."""
    text, encoding = decode_bytes(path.read_bytes(), path)
    builder = TextBuilder()
    builder.add(text)
    warning = guessed_encoding_warning(encoding)
    return ReadResult(
        text=builder.text(),
        reader="text",
        encoding=encoding,
        warnings=[warning] if warning else [],
    )
