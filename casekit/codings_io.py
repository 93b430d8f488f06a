"""Importing a coder's manual codings from a CSV file, all rows or none.

The file has a header and one row per coding: ``doc_id``, ``code_id``, and either
``start`` and ``end`` (character offsets into the stored text) or an exact ``quote`` that
occurs once in the document; ``memo`` is optional. Every row is checked before anything
is stored, and every problem is reported with file and line. The import replaces the
coder's earlier manual codings of the same codebook in the case, so it can be repeated.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from casekit.codebook import Codebook, stored_codebook
from casekit.errors import InputError, UsageError
from casekit.store import Store
from casekit.store.reliability import AUTO

REQUIRED = ("doc_id", "code_id")
OPTIONAL = ("start", "end", "quote", "memo")


class CodingsFileError(InputError):
    """A codings file has problems; ``problems`` holds each one (an InputError)."""

    def __init__(self, path: str | Path, problems: list[InputError]) -> None:
        self.problems = problems
        first = problems[0]
        super().__init__(path, f"{len(problems)} problem(s); first: {first.problem}",
                         line=first.line)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


@dataclass(frozen=True)
class ImportResult:
    """What an import did: the file, coder, codebook and counts."""

    path: Path
    coder: str
    codebook_id: str
    added: int
    removed: int
    documents: int


def resolve_import_codebook(store: Store, codebook: Codebook | str | Path | None,
                            code_ids: set[str]) -> Codebook:
    """Return the codebook the codes belong to: a file, a stored codebook id, or found.

    Without one, the stored codebook (newest version) that knows every code in the file
    is taken; when none or several do, the caller must name it.
    """
    if isinstance(codebook, Codebook):
        return codebook
    if codebook is not None:
        if Path(codebook).is_file():
            return Codebook.load(codebook)
        stored = stored_codebook(store, str(codebook))
        if stored is None:
            raise UsageError(f"{codebook}: no such codebook file, nor a codebook id in the "
                             "store")
        return stored[0]
    fits = []
    for codebook_id in dict.fromkeys(store.codebooks()["codebook_id"]):
        book = stored_codebook(store, codebook_id)[0]
        if code_ids and all(c in book for c in code_ids):
            fits.append(book)
    if len(fits) != 1:
        which = ", ".join(b.id for b in fits) or "none of the stored codebooks"
        raise UsageError(f"name the codebook with --codebook (codes fit: {which})")
    return fits[0]


def _read_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """Return (line, row) for every data row of a CSV file, checking its header."""
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = [h.strip() for h in (reader.fieldnames or [])]
            reader.fieldnames = header
            if not header:
                raise InputError(path, "the file is empty", line=1)
            missing = [c for c in REQUIRED if c not in header]
            if missing:
                raise InputError(path, f"required column(s) missing: {', '.join(missing)}",
                                 line=1)
            if "quote" not in header and not {"start", "end"} <= set(header):
                raise InputError(path, "give either 'start' and 'end' columns or a 'quote'"
                                 " column", line=1)
            # line_num after a row is the line the row ends on: its own line for one-line rows.
            rows = [(reader.line_num, record) for record in reader]
    except UnicodeDecodeError as exc:
        raise InputError(path, f"the file is not UTF-8 text ({exc.reason})") from exc
    except csv.Error as exc:
        raise InputError(path, f"cannot be read as CSV: {exc}") from exc
    if not rows:
        raise InputError(path, "the file lists no codings")
    return rows


def _offset(value: str) -> int | None:
    value = value.strip()
    return int(value) if value.isdigit() else None


def _span(record: dict[str, str], text: str) -> tuple[int, int] | str:
    """Return the (start, end) a row codes, or what is wrong with it."""
    start_raw, end_raw = (record.get("start") or "").strip(), (record.get("end") or "").strip()
    quote = record.get("quote") or ""
    if start_raw or end_raw:
        start, end = _offset(start_raw), _offset(end_raw)
        if start is None or end is None:
            return f"start and end must be whole numbers (got '{start_raw}', '{end_raw}')"
        if not 0 <= start < end <= len(text):
            return f"offsets {start}..{end} are outside the text (0..{len(text)})"
        if quote and text[start:end] != quote:
            return f"the quote does not match the text at {start}..{end}"
        return start, end
    if not quote.strip():
        return "give start and end, or a quote"
    first = text.find(quote)
    if first < 0:
        return "quote not found in the document text"
    again = text.find(quote, first + 1)
    if again >= 0:
        count = text.count(quote)
        return (f"quote is ambiguous: it occurs {count} times in the document; give start "
                "and end, or a longer quote")
    return first, first + len(quote)


def read_codings(path: str | Path, store: Store, case_id: str,
                 codebook: Codebook) -> list[dict[str, Any]]:
    """Return the validated codings of a CSV file: doc_id, start, end, code_id, memo.

    Raises :class:`CodingsFileError` listing every bad row (unknown document or code,
    quote not found or ambiguous, bad offsets, a duplicated row) with file and line.
    """
    path = Path(path)
    rows = _read_rows(path)
    documents = set(store.documents(case_id)["doc_id"])
    texts: dict[str, str] = {}
    problems: list[InputError] = []
    seen: dict[tuple[str, str, int, int], int] = {}
    found: list[dict[str, Any]] = []
    for line, record in rows:
        doc_id = (record.get("doc_id") or "").strip()
        code_id = (record.get("code_id") or "").strip()
        if doc_id not in documents:
            problems.append(InputError(
                path, f"unknown document '{doc_id}' (not in case '{case_id}')"
                if doc_id else "'doc_id' is empty", line=line))
            continue
        if code_id not in codebook:
            problems.append(InputError(
                path, f"unknown code '{code_id}' (not in codebook '{codebook.id}')"
                if code_id else "'code_id' is empty", line=line))
            continue
        if doc_id not in texts:
            texts[doc_id] = store.document_text(case_id, doc_id)
        span = _span(record, texts[doc_id])
        if isinstance(span, str):
            problems.append(InputError(path, f"{doc_id}: {span}", line=line))
            continue
        key = (doc_id, code_id, *span)
        if key in seen:
            problems.append(InputError(
                path, f"duplicate of line {seen[key]} (same document, code and passage)",
                line=line))
            continue
        seen[key] = line
        found.append({"doc_id": doc_id, "start": span[0], "end": span[1], "code_id": code_id,
                      "memo": (record.get("memo") or "").strip()})
    if problems:
        raise CodingsFileError(path, problems)
    return found


def import_codings(store: Store, case_id: str, path: str | Path, coder: str, *,
                   codebook: Codebook | str | Path | None = None) -> ImportResult:
    """Import a CSV file of manual codings as ``coder``'s; return an :class:`ImportResult`.

    Every row is validated first; then, in one transaction, the coder's earlier manual
    codings of the codebook in the case are replaced by the file's (origin manual, status
    accepted). ``codebook`` is a file, a stored codebook id, or None to find the stored
    codebook that knows every code in the file.
    """
    coder = coder.strip()
    if not coder:
        raise UsageError("name the coder (--coder NAME)")
    if coder == AUTO:
        raise UsageError("'auto' is the auto-coder; give a person's name as coder")
    store.require_case(case_id)
    path = Path(path)
    codes = {(r.get("code_id") or "").strip() for _, r in _read_rows(path)}
    book = resolve_import_codebook(store, codebook, codes - {""})
    rows = read_codings(path, store, case_id, book)
    pk = store.save_codebook(book)  # so agreement finds the codebook without a path
    counts = store.replace_manual_codings(case_id, book.id, coder, rows, codebook=pk,
                                          source=f"import:{path.name}")
    return ImportResult(path, coder, book.id, counts["added"], counts["removed"],
                        len({r["doc_id"] for r in rows}))
