"""Subtitle and transcript files: WebVTT (.vtt) and SubRip (.srt), parsed with webvtt-py.

Each speaker turn becomes one block, ``Name: text`` (or just the text when the source
names no speaker), with a :class:`TurnSpan` over the spoken text and the source's times.
Consecutive cues by the same named speaker are merged into one turn; cues without a
speaker stay one turn each, as they are all the structure such a file has.
"""

from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass
from pathlib import Path

from casekit.errors import Msg, ReadError
from casekit.readers import ReadResult, TextBuilder, TurnSpan, normalise_text
from casekit.readers.text import decode_bytes, guessed_encoding_warning

# Cue markup: <i>, <b>, <c.x>, <v Name>, <00:00:01.500>, <font ...>, and the {\an8}
# position codes many SRT files carry.
_TAG = re.compile(r"<([^<>]*)>|\{\\[^{}]*\}")
_VOICE = re.compile(r"v(?:\.[\w-]+)*\s+(.+)", re.DOTALL)
# A speaker named at the start of a line: "Anna: ...", "- Anna: ...", "[Anna] ...".
_PREFIX = re.compile(
    r"(?:-\s*)?(?:\[(?P<bracket>[^\[\]\n]{1,40})\]:?\s*"
    r"|(?P<name>[^\W\d_](?:[^\W\d_]|[.'’ -]){0,39}?):\s+)"
)
_MAX_NAME_WORDS = 4


@dataclass
class _Turn:
    """A speaker's consecutive speech: speaker, text pieces and the first and last times."""

    speaker: str | None
    pieces: list[str]
    time_start: str
    time_end: str


def read_vtt(path: Path) -> ReadResult:
    """Read a WebVTT file; return one block per speaker turn and a TurnSpan for each."""
    return _read_subtitles(path, "vtt", "WebVTT")


def read_srt(path: Path) -> ReadResult:
    """Read a SubRip file; return one block per speaker turn and a TurnSpan for each."""
    return _read_subtitles(path, "srt", "SRT")


def _read_subtitles(path: Path, fmt: str, kind: str) -> ReadResult:
    """Parse a subtitle file of format ``fmt`` ("vtt" or "srt") into turns."""
    import webvtt
    from webvtt.errors import MalformedCaptionError, MalformedFileError

    # Decoded by casekit, not webvtt-py, so that non-UTF-8 transcripts work too.
    source, encoding = decode_bytes(path.read_bytes(), path, kind=kind)
    try:
        captions = webvtt.from_buffer(io.StringIO(source), format=fmt).captions
    except (MalformedFileError, MalformedCaptionError, ValueError) as exc:
        error = str(exc) or type(exc).__name__
        raise ReadError(path, Msg.SUBTITLE_UNREADABLE.format(kind=kind, error=error)) from exc

    turns: list[_Turn] = []
    for caption in captions:
        for speaker, text in _cue_segments(caption.raw_text):
            last = turns[-1] if turns else None
            if last is not None and speaker is not None and last.speaker == speaker:
                last.pieces.append(text)
                last.time_end = caption.end
            else:
                turns.append(_Turn(speaker, [text], caption.start, caption.end))

    builder = TextBuilder()
    spans: list[TurnSpan] = []
    for turn in turns:
        # Normalised before labelling, so that the label's length is its length in the text.
        spoken = normalise_text(" ".join(turn.pieces))
        speaker = normalise_text(turn.speaker) if turn.speaker else None
        label = f"{speaker}: " if speaker else ""
        span = builder.add(label + spoken) if spoken else None
        if span is not None:
            spans.append(TurnSpan(speaker, span[0] + len(label), span[1],
                                  turn.time_start, turn.time_end))
    warning = guessed_encoding_warning(encoding)
    return ReadResult(text=builder.text(), reader=fmt, encoding=encoding, turns=spans,
                      warnings=[warning] if warning else [])


def _cue_segments(raw: str) -> list[tuple[str | None, str]]:
    """Return a cue's text as ``(speaker, text)`` segments, markup removed.

    The speaker comes from a ``<v Name>`` voice span, else from a ``Name:``, ``- Name:``
    or ``[Name]`` prefix at the start of a line; a line without one continues the
    segment before it. Line breaks inside a cue are display wrapping and become spaces.
    """
    segments: list[tuple[str | None, list[str]]] = []
    voice: str | None = None
    fresh = True  # the next text starts a new segment
    for line in raw.split("\n"):
        line_start = True
        for kind, value in _tokens(line):
            if kind == "voice":
                voice, fresh = value or None, True
                continue
            speaker = voice
            if line_start and voice is None and value.strip():
                label, value = _split_prefix(value)
                if label is not None:
                    speaker, fresh = label, True
                line_start = False
            if fresh and not value.strip():
                continue  # no segment starts with whitespace between tags
            if fresh or not segments:
                segments.append((speaker, []))
                fresh = False
            segments[-1][1].append(value)
        if segments and not fresh:
            segments[-1][1].append(" ")
    result = []
    for speaker, texts in segments:
        text = " ".join("".join(texts).split())
        if text:
            result.append((speaker, text))
    return result


def _tokens(line: str) -> list[tuple[str, str]]:
    """Split one cue line into ``("text", text)`` and ``("voice", name)`` tokens.

    ``</v>`` gives ``("voice", "")``; all other markup is dropped, entities are decoded and
    the texts between two voice tags come as one token.
    """
    tokens: list[tuple[str, str]] = []
    position = 0
    for match in _TAG.finditer(line):
        tokens.append(("text", html.unescape(line[position:match.start()])))
        position = match.end()
        tag = (match.group(1) or "").strip()
        voiced = _VOICE.fullmatch(tag)
        if voiced:
            tokens.append(("voice", voiced.group(1).strip()))
        elif tag == "/v":
            tokens.append(("voice", ""))
    tokens.append(("text", html.unescape(line[position:])))
    merged: list[tuple[str, str]] = []
    for kind, value in tokens:
        # Dropped markup leaves adjacent texts: join them, so "[Anna] {\\an8}Hi" is one text.
        if kind == "text" and merged and merged[-1][0] == "text":
            merged[-1] = ("text", merged[-1][1] + value)
        elif kind == "voice" or value:
            merged.append((kind, value))
    return merged


def _split_prefix(text: str) -> tuple[str | None, str]:
    """Return ``(speaker, rest)`` if ``text`` starts with a speaker label, else ``(None, text)``."""
    stripped = text.lstrip()
    match = _PREFIX.match(stripped)
    if match is None:
        return None, text
    name = (match.group("bracket") or match.group("name")).strip()
    rest = stripped[match.end():]
    # A label is a short name starting with a capital, followed by speech.
    if not name[:1].isupper() or len(name.split()) > _MAX_NAME_WORDS or not rest.strip():
        return None, text
    return name, rest
