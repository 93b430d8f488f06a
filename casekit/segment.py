"""Segmentation: speaker turns, paragraphs and sentences, as offsets into a document's text.

Offsets are half-open ``[start, end)`` character positions in the stored (normalised) text.
Turns and paragraphs exclude the speaker label, so a coded turn or a quoted paragraph is
what the person said, not "Kari:".
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from casekit.lang import speakers
from casekit.nlp import sentence_pipeline
from casekit.readers import PageSpan, TurnSpan

_TS = r"[\[(]?\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?[\])]?"
_CH = r"(?:[^\W_]|[.'’\-])"  # a letter or digit (not "_", markdown's bold) or . ' -
_WORD_FIRST = rf"[A-ZÆØÅÄÖÜÉ]{_CH}*"
_WORD_NEXT = (rf"(?:[A-ZÆØÅÄÖÜÉ]{_CH}*|\([A-ZÆØÅ]{_CH}*\)|\d{{1,3}}(?![\d.,]|:\d)"
              r"|[a-zæøå]{1,3}(?=[ \t]+[A-ZÆØÅ]))")
_LABEL = rf"{_WORD_FIRST}(?:[ \t]+{_WORD_NEXT}){{0,3}}"
_BOLD = r"(?:\*\*|__)"

# "Kari: text", "[00:12:03] Kari: text", "**Kari:** text", "Kari (00:12): text", "I:" alone.
_LABEL_LINE = re.compile(
    rf"^[ \t]*(?:(?P<ts1>{_TS})[ \t]*)?(?:[-–—•][ \t]+)?{_BOLD}?(?P<label>{_LABEL})"
    rf"(?:[ \t]*(?P<ts2>{_TS}))?{_BOLD}?[ \t]*[:：]{_BOLD}?[ \t]*(?P<rest>\S.*)?$"
)
# A speaker on a line of its own without a colon: "KARI", "Kari Nilsen  0:03", "[00:01] Kari".
_BARE_LABEL_LINE = re.compile(
    rf"^[ \t]*(?:(?P<ts1>{_TS})[ \t]*)?{_BOLD}?(?P<label>{_LABEL}){_BOLD}?"
    rf"(?:[ \t]+(?P<ts2>{_TS}))?[ \t]*$"
)
_NUMBERED = re.compile(r"^(?P<prefix>\w+)[ \t]+(?:\d{1,3}|[A-ZÆØÅ])$")
_BLANK = re.compile(r"\n[ \t]*\n\s*")
_NEW_PARAGRAPH_LINE = re.compile(r"(?m)^(?:[ \t]*(?:[-*•–]|\d{1,2}[.)])[ \t]+(?=\S)|#{1,6}[ \t])")
_WORD = re.compile(r"\w+(?:[-'’]\w+)*")
_LONG_SENTENCE = 600

# Bump when segmentation changes, so stored documents are segmented again on next ingest.
SEGMENTER_VERSION = "2"
_OPENERS = "([{«“‘\"'"


@dataclass(frozen=True)
class Turn:
    """A speaker turn: the spoken text is ``[start, end)``, its label ``[label_start, start)``."""

    speaker: str | None
    speaker_role: str | None
    label_start: int
    start: int
    end: int
    time_start: str | None = None
    time_end: str | None = None


@dataclass(frozen=True)
class Segment:
    """One unit of a document: a page, a speaker turn, a paragraph or a sentence."""

    kind: str
    seq: int
    start: int
    end: int
    speaker: str | None = None
    speaker_role: str | None = None
    turn: int | None = None
    paragraph: int | None = None
    page: int | None = None
    time_start: str | None = None
    time_end: str | None = None
    n_words: int = 0


@dataclass
class Segmentation:
    """The segments of one document, and what the segmenter noticed on the way."""

    segments: list[Segment] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[Segment]:
        """Return the segments of one kind, in document order."""
        return [s for s in self.segments if s.kind == kind]


def count_words(text: str) -> int:
    """Return the number of words (runs of letters/digits, hyphenated compounds count once)."""
    return sum(1 for _ in _WORD.finditer(text))


def _clean_label(label: str) -> str:
    label = " ".join(label.split())
    # Transcripts often shout names ("MARIT SOLHEIM"); keep short codes like "I" or "IF".
    if label.isupper() and len(label) > 3:
        label = label.title()
    return label


def speaker_role(label: str | None, interviewers: Iterable[str] = ()) -> str | None:
    """Return ``"interviewer"`` or ``"informant"`` for a speaker label (None without one)."""
    if not label:
        return None
    key = label.casefold()
    if key in {i.casefold() for i in interviewers}:
        return speakers.INTERVIEWER
    if key in speakers.KNOWN_LABELS:
        return speakers.KNOWN_LABELS[key]
    numbered = _NUMBERED.match(key)
    if numbered and numbered["prefix"] in speakers.NUMBERED_PREFIXES:
        return speakers.KNOWN_LABELS.get(numbered["prefix"], speakers.INFORMANT)
    return speakers.INFORMANT


def _is_known(key: str) -> bool:
    numbered = _NUMBERED.match(key)
    return key in speakers.KNOWN_LABELS or bool(
        numbered and numbered["prefix"] in speakers.NUMBERED_PREFIXES)


def find_turns(text: str, interviewers: Sequence[str] = ()) -> list[Turn]:
    """Return the speaker turns of a transcript, in order (empty when it is no dialogue).

    A line opening with a speaker label starts a turn: ``Name: text``, ``I:``/``R:``,
    ``Intervjuer:``/``Informant:``, with a timestamp before or after the name
    (``[00:12:03] Kari:``), in markdown bold, or a label on a line of its own followed by
    the text. Labels that are not known interview labels must recur or carry a timestamp,
    so a one-off "Merk:" in an answer does not split it.
    """
    lines: list[tuple[int, int]] = []
    pos = 0
    for line in text.split("\n"):
        lines.append((pos, pos + len(line)))
        pos += len(line) + 1

    candidates: list[tuple[int, str, bool, int | None, str | None]] = []
    for index, (start, end) in enumerate(lines):
        line = text[start:end]
        if not line or len(line) > 5000:
            continue
        match = _LABEL_LINE.match(line)
        bare = False
        if match is None:
            match = _BARE_LABEL_LINE.match(line)
            bare = True
        if match is None:
            continue
        label = match["label"].rstrip(".-’'")
        key = " ".join(label.split()).casefold()
        if key in speakers.NOT_SPEAKERS or len(label) > 40 or not any(c.isalpha() for c in key):
            continue
        timestamp = match["ts1"] or match["ts2"]
        rest_start = None
        if not bare and match["rest"] is not None:
            rest_start = start + match.start("rest")
        candidates.append((index, key, bare, rest_start, timestamp))

    counts = Counter(key for _, key, _, _, _ in candidates)
    wanted = {i.casefold() for i in interviewers}
    accepted = []
    for index, key, bare, rest_start, timestamp in candidates:
        if _is_known(key) or key in wanted or timestamp or counts[key] >= 2:
            accepted.append((index, key, bare, rest_start, timestamp))
    if len(accepted) < 2:
        return []

    turns: list[Turn] = []
    for n, (index, _key, _bare, rest_start, timestamp) in enumerate(accepted):
        line_start, line_end = lines[index]
        match = _LABEL_LINE.match(text[line_start:line_end]) or _BARE_LABEL_LINE.match(
            text[line_start:line_end])
        assert match is not None
        label = _clean_label(match["label"].rstrip(".-’'"))
        next_start = lines[accepted[n + 1][0]][0] if n + 1 < len(accepted) else len(text)
        if rest_start is None:
            # The text begins on the next non-empty line.
            body_start = line_end
            while body_start < next_start and text[body_start] in " \t\n":
                body_start += 1
        else:
            body_start = rest_start
        body_end = next_start
        while body_end > body_start and text[body_end - 1] in " \t\n":
            body_end -= 1
        if body_end <= body_start:
            continue
        turns.append(Turn(
            speaker=label,
            speaker_role=speaker_role(label, interviewers),
            label_start=line_start,
            start=body_start,
            end=body_end,
            time_start=_clean_timestamp(timestamp),
        ))
    return turns if len(turns) >= 2 else []


def _clean_timestamp(stamp: str | None) -> str | None:
    if not stamp:
        return None
    return stamp.strip("[]() ").replace(",", ".")


def turns_from_reader(text: str, spans: Sequence[TurnSpan],
                      interviewers: Sequence[str] = ()) -> list[Turn]:
    """Return turns for spans a reader found (VTT voices), with the label before each span."""
    turns = []
    for span in spans:
        line_start = text.rfind("\n", 0, span.start) + 1
        turns.append(Turn(
            speaker=span.speaker,
            speaker_role=speaker_role(span.speaker, interviewers),
            label_start=line_start,
            start=span.start,
            end=span.end,
            time_start=span.time_start,
            time_end=span.time_end,
        ))
    return turns


def find_paragraphs(text: str, turns: Sequence[Turn] = ()) -> list[tuple[int, int]]:
    """Return paragraph spans: blocks between blank lines, split at list items and headings.

    Speaker labels are left out and every turn starts a new paragraph, so no paragraph
    mixes two speakers.
    """
    excluded = [(m.start(), m.end()) for m in _BLANK.finditer(text)]
    excluded += [(t.label_start, t.start) for t in turns if t.label_start < t.start]
    excluded.sort()
    cuts = sorted({m.start() for m in _NEW_PARAGRAPH_LINE.finditer(text)}
                  | {t.start for t in turns})

    pieces: list[tuple[int, int]] = []
    pos = 0
    for start, end in excluded:
        if start > pos:
            pieces.append((pos, start))
        pos = max(pos, end)
    if pos < len(text):
        pieces.append((pos, len(text)))

    paragraphs: list[tuple[int, int]] = []
    for start, end in pieces:
        first = bisect.bisect_right(cuts, start)
        last = bisect.bisect_left(cuts, end)
        bounds = [start, *cuts[first:last], end]
        for s, e in zip(bounds, bounds[1:], strict=False):
            while s < e and text[s].isspace():
                s += 1
            while e > s and text[e - 1].isspace():
                e -= 1
            if e > s:
                paragraphs.append((s, e))
    return paragraphs


def find_sentences(text: str, paragraphs: Sequence[tuple[int, int]],
                   language: str) -> list[tuple[int, int, int]]:
    """Return ``(start, end, paragraph_index)`` for every sentence; none crosses a paragraph.

    Uses spaCy's rule-based sentencizer on a blank pipeline for ``language``. A "sentence"
    longer than a few hundred characters (transcripts without punctuation) is cut at its
    line breaks so that it stays a usable unit.
    """
    nlp = sentence_pipeline(language)
    sentences: list[tuple[int, int, int]] = []
    texts = (text[s:e] for s, e in paragraphs)
    for index, doc in enumerate(nlp.pipe(texts, batch_size=256)):
        offset = paragraphs[index][0]
        spans = [[offset + sent.start_char, offset + sent.end_char] for sent in doc.sents]
        for this, following in zip(spans, spans[1:], strict=False):
            # spaCy keeps punctuation after a full stop with the sentence before it; an
            # opening bracket or quote ("... begynne. (ler) Og ...") opens the next one.
            end = this[1]
            while end > this[0] and text[end - 1] in _OPENERS + " ":
                end -= 1
            if end > this[0] and end < this[1]:
                this[1], following[0] = end, end
        for s, e in spans:
            for piece in _split_long(text, s, e):
                ps, pe = piece
                while ps < pe and text[ps].isspace():
                    ps += 1
                while pe > ps and text[pe - 1].isspace():
                    pe -= 1
                if pe > ps:
                    sentences.append((ps, pe, index))
    return sentences


def _split_long(text: str, start: int, end: int) -> list[tuple[int, int]]:
    if end - start <= _LONG_SENTENCE or "\n" not in text[start:end]:
        return [(start, end)]
    pieces = []
    pos = start
    while True:
        cut = text.find("\n", pos, end)
        if cut == -1:
            pieces.append((pos, end))
            return pieces
        pieces.append((pos, cut))
        pos = cut + 1


def _locate(starts: Sequence[int], ends: Sequence[int], offset: int) -> int | None:
    """Return the index of the span containing ``offset`` (spans sorted, non-overlapping)."""
    index = bisect.bisect_right(starts, offset) - 1
    if index >= 0 and offset < ends[index]:
        return index
    return None


def segment_document(
    text: str,
    *,
    kind: str,
    language: str,
    pages: Sequence[PageSpan] = (),
    reader_turns: Sequence[TurnSpan] = (),
    interviewers: Sequence[str] = (),
) -> Segmentation:
    """Split a document into pages, turns, paragraphs and sentences.

    Speaker turns come from the reader when the format marks them (VTT, SRT), otherwise
    they are parsed for interviews. Every paragraph and sentence knows its page, turn and
    speaker. Returns a :class:`Segmentation` with the segments and any warnings.
    """
    result = Segmentation()
    if reader_turns:
        turns = turns_from_reader(text, reader_turns, interviewers)
    elif kind == "interview":
        turns = find_turns(text, interviewers)
        if not turns:
            result.warnings.append(
                "no speaker turns found in this interview; check that each turn starts "
                "with a speaker label such as 'Kari:' or 'I:'")
    else:
        turns = []

    page_starts = [p.start for p in pages]
    page_ends = [p.end for p in pages]
    turn_starts = [t.start for t in turns]
    turn_ends = [t.end for t in turns]

    def page_of(offset: int) -> int | None:
        index = _locate(page_starts, page_ends, offset)
        return pages[index].number if index is not None else None

    def turn_of(offset: int) -> int | None:
        index = _locate(turn_starts, turn_ends, offset)
        return index

    # Find every word once; a segment's count is then two bisections, not a regex pass.
    word_starts = [m.start() for m in _WORD.finditer(text)]

    def words(start: int, end: int) -> int:
        return bisect.bisect_left(word_starts, end) - bisect.bisect_left(word_starts, start)

    segments = result.segments
    for seq, page in enumerate(pages, start=1):
        segments.append(Segment("page", seq, page.start, page.end, page=page.number,
                                n_words=words(page.start, page.end)))
    for seq, turn in enumerate(turns, start=1):
        segments.append(Segment(
            "turn", seq, turn.start, turn.end, speaker=turn.speaker,
            speaker_role=turn.speaker_role, turn=seq, page=page_of(turn.start),
            time_start=turn.time_start, time_end=turn.time_end,
            n_words=words(turn.start, turn.end)))

    paragraphs = find_paragraphs(text, turns)
    for seq, (start, end) in enumerate(paragraphs, start=1):
        t = turn_of(start)
        segments.append(Segment(
            "paragraph", seq, start, end,
            speaker=turns[t].speaker if t is not None else None,
            speaker_role=turns[t].speaker_role if t is not None else None,
            turn=t + 1 if t is not None else None, paragraph=seq, page=page_of(start),
            n_words=words(start, end)))
    for seq, (start, end, para) in enumerate(find_sentences(text, paragraphs, language), 1):
        t = turn_of(start)
        segments.append(Segment(
            "sentence", seq, start, end,
            speaker=turns[t].speaker if t is not None else None,
            speaker_role=turns[t].speaker_role if t is not None else None,
            turn=t + 1 if t is not None else None, paragraph=para + 1, page=page_of(start),
            n_words=words(start, end)))
    return result
