"""The words behind the numbers: keyword in context, and exemplary quotes for a code."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd

from casekit.analysis.base import INTERVIEWER, CodingFilter, Material, in_family, load, read
from casekit.errors import UsageError
from casekit.matching import glob_to_regex
from casekit.store import Store

SOURCE_COLUMNS = ["doc_id", "title", "kind", "tranche", "municipality", "actor_role", "date",
                  "speaker", "speaker_role"]
KWIC_COLUMNS = [*SOURCE_COLUMNS, "code", "start", "end", "left", "keyword", "right"]
QUOTE_COLUMNS = ["code", "rank", "quote", "words", "score", "rules", "hits", "competing",
                 "status", "codes", *SOURCE_COLUMNS, "start", "end"]
QUOTE_GROUPS = ("tranche", "municipality", "actor_role", "kind", "language", "speaker",
                "speaker_role", "year", "quarter", "month")
_WORD = re.compile(r"\S+")
# Characters read around a hit to find `window` words of context: generous for long words.
_CHARS_PER_WORD = 40


Turns = dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]


def _speakers(store: Store, case_id: str) -> Turns:
    """Return per document its turns (starts sorted, ends, speakers, speaker roles) as
    arrays, to find who said a passage."""
    turns = read(store, "segments", case_id, kind="turn", with_text=False)
    found = {}
    for doc_id, group in turns.groupby("doc_id"):
        group = group.sort_values("start")
        found[doc_id] = (group["start"].to_numpy(), group["end"].to_numpy(),
                         group["speaker"].to_numpy(object),
                         group["speaker_role"].to_numpy(object))
    return found


def _speaker_at(turns: Turns, doc_id: str, position: int) -> tuple[str | None, str | None]:
    """Return (speaker, speaker_role) of the turn holding ``position`` (None, None if none)."""
    if doc_id not in turns:
        return None, None
    starts, ends, speakers, roles = turns[doc_id]
    i = int(np.searchsorted(starts, position, side="right")) - 1
    if i < 0 or position >= ends[i]:
        return None, None
    return speakers[i], roles[i]


def _context(text: str, start: int, end: int, window: int) -> tuple[str, str, str]:
    """Return (left, keyword, right): ``window`` words either side, whitespace collapsed."""
    reach = window * _CHARS_PER_WORD
    left = _WORD.findall(text[max(0, start - reach):start])
    right = _WORD.findall(text[end:end + reach])
    return (" ".join(left[-window:]) if window else "", " ".join(text[start:end].split()),
            " ".join(right[:window]))


def _term_tests(term: str, language: str) -> list[Callable[[str, str], bool]]:
    """Return one test per word of ``term`` on (surface, lemma), both lower-cased.

    A word with ``*`` or ``?`` is a glob on the surface form or the lemma; any other word
    matches its own surface form or any form with the same lemma (``kommunene`` finds
    ``kommune``, ``kommuner``, ...).
    """
    from casekit import nlp  # spaCy: loaded only when a term is looked up

    lemmatize = nlp.lemmatizer(language)
    tests: list[Callable[[str, str], bool]] = []
    for word in term.lower().split():
        if "*" in word or "?" in word:
            pattern = glob_to_regex(word)
            tests.append(lambda s, lemma, p=pattern: bool(p.match(s) or p.match(lemma)))
        else:
            target = lemmatize(word)
            tests.append(lambda s, lemma, w=word, t=target: s == w or lemma == t)
    return tests


def _term_hits(text: str, term: str, language: str) -> list[tuple[int, int]]:
    """Return the (start, end) offsets of every occurrence of ``term`` in ``text``."""
    tests = _term_tests(term, language)
    from casekit import nlp  # spaCy: loaded only when a term is looked up

    lemmatize = nlp.lemmatizer(language)
    tokens = [t for t in nlp.tokenizer_pipeline(language)(text) if not t.is_space]
    words = [(t.lower_, lemmatize(t.lower_), t.idx, t.idx + len(t.text)) for t in tokens]
    hits = []
    for i in range(len(words) - len(tests) + 1):
        if all(test(*words[i + j][:2]) for j, test in enumerate(tests)):
            hits.append((words[i][2], words[i + len(tests) - 1][3]))
    return hits


def kwic(store: Store, case_id: str, term: str | None = None, *, code: str | None = None,
         window: int = 8, codebook: str | None = None, filter: CodingFilter | None = None
         ) -> pd.DataFrame:
    """Return keyword in context for a term or a code, one row per occurrence.

    ``term``: one or more words, lemma-aware (``kommune`` finds ``kommunene``), with
    ``*`` globs (``samskap*``). ``code``: the words that made each coding of the code (or
    a subcode) fire; a coding without evidence (manual) shows its whole passage. Give
    exactly one. Interviewer speech is left out unless the filter includes it. Columns:
    doc_id, title, kind, tranche, municipality, actor_role, date, speaker, speaker_role,
    code (the coding's code; ``""`` for a term), start, end, left, keyword, right.
    """
    if (term is None) == (code is None) or (term is not None and not term.split()):
        raise UsageError("kwic needs either a term or a code (exactly one)")
    if window < 0:
        raise UsageError(f"window must be 0 or more words, not {window}")
    material = load(store, case_id, unit="document", level="code", filter=filter,
                    codebook=codebook)
    turns = _speakers(store, case_id)
    docs = material.docs.set_index("doc_id")
    texts: dict[str, str] = {}
    rows = []
    for doc_id, start, end, code_id in _occurrences(store, material, term, code, texts):
        speaker, role = _speaker_at(turns, doc_id, start)
        if role == INTERVIEWER and term is not None and not material.filter.include_interviewer:
            continue
        meta = docs.loc[doc_id]
        rows.append((doc_id, meta["title"], meta["kind"], meta["tranche"],
                     meta["municipality"], meta["actor_role"], meta["date"], speaker, role,
                     code_id, start, end, *_context(texts[doc_id], start, end, window)))
    return pd.DataFrame(rows, columns=KWIC_COLUMNS).astype({"start": "int64", "end": "int64"})


def _occurrences(store: Store, material: Material, term: str | None, code: str | None,
                 texts: dict[str, str]) -> list[tuple[str, int, int, str]]:
    """Return (doc_id, start, end, code) of each occurrence, in document order."""
    found: dict[tuple[str, int, int], str] = {}
    for doc_id, language in zip(material.docs["doc_id"], material.docs["language"],
                                strict=True):
        texts[doc_id] = read(store, "document_text", material.case_id, doc_id)
        if term is not None:
            for start, end in _term_hits(texts[doc_id], term, language):
                found[(doc_id, start, end)] = ""
    if code is not None:
        codings = material.codings[[in_family(c, code) for c in material.codings["code_id"]]]
        for row in codings.itertuples(index=False):
            spans = [(h["start"], h["end"]) for h in row.evidence] or [(row.start, row.end)]
            for start, end in spans:
                found.setdefault((row.doc_id, int(start), int(end)), row.code_id)
    order = {d: i for i, d in enumerate(material.docs["doc_id"])}
    keys = sorted(found, key=lambda k: (order[k[0]], k[1], k[2]))
    return [(d, s, e, found[(d, s, e)]) for d, s, e in keys]


def quotes(store: Store, case_id: str, code: str, *, by: str | None = None, n: int = 5,
           min_words: int = 8, max_words: int = 60, codebook: str | None = None,
           filter: CodingFilter | None = None) -> pd.DataFrame:
    """Return exemplary quotes for a code (or its subcodes), ranked, ``n`` per group.

    Candidates are coded passages of ``min_words`` to ``max_words`` words. Each gets
    ``score = rules + min(hits, 3) + 2·accepted − competing``: ``rules`` distinct rules
    that fired, ``hits`` rule hits, ``accepted`` 1 when a person accepted or made the
    coding, ``competing`` other codes of the same codebook on the passage (outside the
    code's own branch). Ties go to the passage nearest 25 words. Picks are spread: first
    one per document and speaker, then the best of the rest. ``by`` (tranche, actor_role,
    ...) ranks within each group, adding a ``by`` column first. Columns: code, rank,
    quote, words, score, rules, hits, competing, status, codes (the codes on the
    passage), doc_id, title, kind, tranche, municipality, actor_role, date, speaker,
    speaker_role, start, end.
    """
    if n < 1 or min_words < 1 or max_words < min_words:
        raise UsageError(f"quotes needs n >= 1 and 1 <= min_words <= max_words "
                         f"(got n={n}, min_words={min_words}, max_words={max_words})")
    if by is not None and by not in QUOTE_GROUPS:
        raise UsageError(f"quotes can be grouped by {', '.join(QUOTE_GROUPS)}, not {by!r}")
    material = load(store, case_id, unit="document", level="code", filter=filter,
                    codebook=codebook)
    columns = ([by] if by else []) + [c for c in QUOTE_COLUMNS if c != by]
    candidates = _candidates(material, code, _speakers(store, case_id))
    if candidates.empty:
        return pd.DataFrame(columns=columns)
    candidates = candidates[candidates["words"].between(min_words, max_words)]
    ideal = min(max(25, min_words), max_words)
    candidates = candidates.assign(_fit=(candidates["words"] - ideal).abs()).sort_values(
        ["score", "_fit", "_order", "start"], ascending=[False, True, True, True])
    if by is None:
        picked = _spread(candidates, n)
    else:
        values = (material.categories(by) if by in material.docs.columns
                  else sorted(set(candidates[by].dropna())))
        groups = [_spread(candidates[candidates[by] == value], n).assign(**{by: value})
                  for value in values]
        picked = pd.concat(groups, ignore_index=True) if groups else candidates.iloc[:0]
    picked = picked.assign(code=code)
    return picked[columns].reset_index(drop=True) if len(picked) else pd.DataFrame(
        columns=columns)


def _candidates(material: Material, code: str, turns: Turns) -> pd.DataFrame:
    """Return one row per passage coded with ``code`` or a subcode, with its score."""
    codings = material.codings
    family = np.fromiter((in_family(c, code) for c in codings["code_id"]), dtype=bool,
                         count=len(codings))
    mine = codings[family]
    if mine.empty:
        return pd.DataFrame()
    order = {d: i for i, d in enumerate(material.docs["doc_id"])}
    # Codebooks as numbers, and each document's codings as arrays, to find the codings
    # overlapping a passage in one step.
    book_ids = pd.factorize(codings["codebook_id"])[0]
    all_starts, all_ends = codings["start"].to_numpy(), codings["end"].to_numpy()
    all_codes = codings["code_id"].to_numpy(object)
    by_doc = {doc_id: (all_starts[rows], all_ends[rows], book_ids[rows], all_codes[rows])
              for doc_id, rows in codings.groupby("doc_id", sort=False).indices.items()}
    meta_columns = ["title", "kind", "tranche", "municipality", "actor_role", "date", "year",
                    "quarter", "month", "language"]
    metas = dict(zip(material.docs["doc_id"], material.docs[meta_columns].to_dict("records"),
                     strict=True))
    passages: dict[tuple[str, int, int], list[int]] = {}
    for i, key in enumerate(zip(mine["doc_id"], mine["start"], mine["end"], strict=True)):
        passages.setdefault(key, []).append(i)
    books, code_ids = book_ids[family], mine["code_id"].to_numpy(object)
    evidence, n_hits = mine["evidence"].to_numpy(object), mine["n_hits"].to_numpy()
    statuses, quotes = mine["status"].to_numpy(object), mine["quote"].to_numpy(object)
    rows = []
    for (doc_id, start, end), at in passages.items():
        starts, ends, their_books, their_codes = by_doc[doc_id]
        own_books = np.unique(books[at])
        overlap = ((starts < end) & (ends > start)
                   & (their_books[:, None] == own_books[None, :]).any(axis=1))
        competing = {c for c in their_codes[overlap]
                     if not in_family(c, code) and not in_family(code, c)}
        rules = {h["rule"] for hits in evidence[at] for h in hits}
        hits = int(n_hits[at].sum())
        accepted = bool((statuses[at] == "accepted").any())
        quote = " ".join(str(quotes[at[0]]).split())
        speaker, role = _speaker_at(turns, doc_id, int(start))
        meta = metas[doc_id]
        rows.append({
            "quote": quote, "words": len(quote.split()),
            "score": len(rules) + min(hits, 3) + 2 * accepted - len(competing),
            "rules": len(rules), "hits": hits, "competing": len(competing),
            "status": "accepted" if accepted else str(statuses[at[0]]),
            "codes": ", ".join(dict.fromkeys(code_ids[at])),
            "doc_id": doc_id, "title": meta["title"], "kind": meta["kind"],
            "tranche": meta["tranche"], "municipality": meta["municipality"],
            "actor_role": meta["actor_role"], "date": meta["date"], "speaker": speaker,
            "speaker_role": role, "start": int(start), "end": int(end),
            "_order": order[doc_id], **{c: meta[c] for c in ("year", "quarter", "month",
                                                             "language")}})
    return pd.DataFrame(rows)


def _spread(ranked: pd.DataFrame, n: int) -> pd.DataFrame:
    """Pick ``n`` rows from ranked candidates, new documents and speakers first."""
    chosen: list[int] = []
    documents: set[str] = set()
    speakers: set[str] = set()
    for row in ranked.itertuples():
        if len(chosen) == n:
            break
        speaker = None if pd.isna(row.speaker) else row.speaker
        if row.doc_id in documents or speaker in speakers:
            continue
        chosen.append(row.Index)
        documents.add(row.doc_id)
        if speaker is not None:
            speakers.add(speaker)
    for index in ranked.index:
        if len(chosen) == n:
            break
        if index not in chosen:
            chosen.append(index)
    picked = ranked.loc[chosen]
    return picked.assign(rank=np.arange(1, len(picked) + 1, dtype="int64"))
