"""The spreadsheet round trip: coders who prefer Excel code segments in a sheet.

:func:`export_sheet` writes one row a segment (its text, metadata and the auto proposals)
with empty columns for the coder: ``accept`` and ``reject`` (code ids of proposals),
``codes`` (code ids to code the whole segment with) and ``memo``. :func:`import_sheet`
reads it back: it checks every row first and applies all rows in one transaction, or none
of them and raises :class:`SheetError` listing each row and its problem.
"""

from __future__ import annotations

import bisect
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from casekit.codebook import Codebook, stored_codebook
from casekit.errors import InputError, UsageError
from casekit.project import check_coder, load_codebook
from casekit.store import Store

FORMATS = ("csv", "xlsx")
UNITS = ("paragraph", "turn", "sentence")
COLUMNS = ["coder", "case_id", "codebook_id", "doc_id", "segment_id", "unit", "seq", "start",
           "end", "tranche", "municipality", "actor_role", "speaker", "speaker_role", "text",
           "proposals", "accept", "reject", "codes", "memo"]
CODER_COLUMNS = ("accept", "reject", "codes", "memo")
_SPLIT = re.compile(r"[;,\n]")
_WIDTHS = {"text": 80, "proposals": 30, "codes": 24, "memo": 40, "accept": 18, "reject": 18}


class SheetError(InputError):
    """A sheet cannot be imported; ``problems`` lists every row and what is wrong with it."""

    def __init__(self, path: str | Path, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(path, f"{len(problems)} problem(s), nothing was imported")

    def __str__(self) -> str:
        head = f"{self.path}: {len(self.problems)} problem(s), nothing was imported"
        return "\n".join([head, *(f"{self.path}: {p}" for p in self.problems)])


@dataclass
class ImportReport:
    """What an import did: rows read, and changes applied or already in the store."""

    path: Path
    rows: int = 0
    counts: dict[str, int] = field(default_factory=lambda: {
        "code": 0, "accept": 0, "reject": 0, "memo": 0})
    unchanged: int = 0

    def summary(self) -> str:
        """Return one line saying what was imported."""
        c = self.counts
        return (f"{self.path}: {self.rows} rows; {c['code']} codings added, {c['accept']} "
                f"accepted, {c['reject']} rejected, {c['memo']} memos; {self.unchanged} "
                "already in the store")


# -- export ---------------------------------------------------------------------------------

def _overlapping(codings: pd.DataFrame) -> dict[str, tuple[list[int], list[dict[str, Any]]]]:
    """Return per document the codings' starts (sorted) and rows, for overlap look-ups."""
    found: dict[str, tuple[list[int], list[dict[str, Any]]]] = {}
    for doc_id, group in codings.groupby("doc_id", sort=False):
        rows = group.sort_values(["start", "end"]).to_dict("records")
        found[str(doc_id)] = ([r["start"] for r in rows], rows)
    return found


def _proposals_in(index: dict[str, tuple[list[int], list[dict[str, Any]]]], doc_id: str,
                  start: int, end: int) -> list[dict[str, Any]]:
    """Return the proposals that overlap ``[start, end)`` of a document."""
    starts, rows = index.get(doc_id, ([], []))
    return [r for r in rows[:bisect.bisect_left(starts, end)] if r["end"] > start]


def _label(proposal: dict[str, Any]) -> str:
    status = proposal["status"]
    if status != "proposed" and proposal.get("decided_by"):
        status += f" by {proposal['decided_by']}"
    return f"{proposal['code_id']} [{status}]"


def sheet_frame(store: Store, case_id: str, *, coder: str, codebook: Codebook,
                unit: str = "paragraph") -> pd.DataFrame:
    """Return the sheet for a case and coder: one row a segment, columns :data:`COLUMNS`.

    ``unit`` is paragraph (the default: paragraphs cover every document's whole text,
    and in interviews each knows its speaker), turn or sentence. ``proposals`` lists the
    codebook's auto proposals that overlap the segment; the coder's columns are empty.
    """
    coder = check_coder(coder)
    if unit not in UNITS:
        raise UsageError(f"unknown unit '{unit}' (use {', '.join(UNITS)})")
    store.require_case(case_id)
    segments = store.segments(case_id, kind=unit)
    codings = store.document_codings(case_id)
    auto = codings[(codings["origin"] == "auto") & (codings["codebook_id"] == codebook.id)
                   & (codings["stale"] == 0)]
    index = _overlapping(auto)
    proposals = ["; ".join(_label(p) for p in _proposals_in(index, d, s, e))
                 for d, s, e in zip(segments["doc_id"], segments["start"], segments["end"],
                                    strict=True)]
    frame = segments.assign(coder=coder, codebook_id=codebook.id, unit=segments["kind"],
                            proposals=proposals, accept="", reject="", codes="", memo="")
    frame = frame.fillna({"speaker": "", "speaker_role": ""})
    return frame[COLUMNS].reset_index(drop=True)


def export_sheet(store: Store, case_id: str, path: str | Path, *, coder: str,
                 codebook: str | Path | Codebook | None = None, unit: str = "paragraph",
                 language: str = "nb") -> tuple[Path, int]:
    """Write the coding sheet of a case as .xlsx or .csv; return (path, number of rows).

    An .xlsx file gets a second sheet listing the codebook's codes, so the coder knows
    which code ids to write.
    """
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise UsageError(f"{path}: a sheet is .xlsx or .csv, not '{path.suffix}'")
    if not path.parent.is_dir():
        raise UsageError(f"{path.parent}: the folder for the sheet does not exist")
    book = load_codebook(store, codebook)
    if book is None:
        raise UsageError("the store holds no codebook yet; give one with --codebook")
    frame = sheet_frame(store, case_id, coder=coder, codebook=book, unit=unit)
    if fmt == "csv":
        frame.to_csv(path, index=False, encoding="utf-8-sig")
    else:
        _write_xlsx(frame, _code_list(book, language), path)
    return path, len(frame)


def _code_list(codebook: Codebook, language: str) -> pd.DataFrame:
    return pd.DataFrame(
        {"code_id": [c.id for c in codebook.codes],
         "name": [codebook.path_names(c.id, language) for c in codebook.codes],
         "definition": [c.definition.get(language) or next(iter(c.definition.values()), "")
                        for c in codebook.codes]})


def _write_xlsx(frame: pd.DataFrame, codes: pd.DataFrame, path: Path) -> None:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font

    for row in frame.itertuples():
        if ILLEGAL_CHARACTERS_RE.search(row.text):
            raise UsageError(f"segment {row.segment_id} of {row.doc_id} holds control "
                             "characters Excel cannot store; export as .csv instead")
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        frame.to_excel(writer, sheet_name="segments", index=False)
        codes.to_excel(writer, sheet_name="codes", index=False)
        sheet = writer.sheets["segments"]
        sheet.freeze_panes = "A2"
        for i, name in enumerate(frame.columns, start=1):
            letter = sheet.cell(row=1, column=i).column_letter
            sheet.column_dimensions[letter].width = _WIDTHS.get(name, 12)
            if name in CODER_COLUMNS:
                sheet.cell(row=1, column=i).font = Font(bold=True, color="1B5E20")
        text_col = frame.columns.get_loc("text") + 1
        for (cell,) in sheet.iter_rows(min_row=2, min_col=text_col, max_col=text_col):
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        writer.sheets["codes"].column_dimensions["B"].width = 40


# -- import ---------------------------------------------------------------------------------

def read_sheet(path: str | Path) -> pd.DataFrame:
    """Read a sheet (.xlsx, or .csv in UTF-8 or Windows-1252, ',' or ';') as text cells.

    Raises UsageError for a missing file or unknown format, InputError when the file
    cannot be read or lacks columns.
    """
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise UsageError(f"{path}: a sheet is .xlsx or .csv, not '{path.suffix}'")
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    try:
        if fmt == "xlsx":
            sheets = pd.ExcelFile(path, engine="openpyxl").sheet_names
            frame = pd.read_excel(path, sheet_name="segments" if "segments" in sheets else 0,
                                  dtype=str, keep_default_na=False, engine="openpyxl")
        else:
            frame = _read_csv(path)
    except (ValueError, OSError, KeyError, zipfile.BadZipFile) as exc:
        raise InputError(path, f"cannot be read as a sheet: {exc}") from exc
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(path, f"missing column(s): {', '.join(missing)} (export a new "
                               "sheet with 'casekit sheet export')")
    if frame.empty:
        raise InputError(path, "the sheet has no rows")
    return frame.fillna("").astype(str)


def _read_csv(path: Path) -> pd.DataFrame:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")  # Excel on Windows saves CSV in its ANSI code page
    header = text.split("\n", 1)[0]
    sep = ";" if header.count(";") > header.count(",") else ","
    from io import StringIO

    return pd.read_csv(StringIO(text), sep=sep, dtype=str, keep_default_na=False)


def _codes(cell: str) -> list[str]:
    return list(dict.fromkeys(c.strip() for c in _SPLIT.split(cell) if c.strip()))


def _int(value: str) -> int | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return int(number) if number.is_integer() else None


@dataclass
class _Context:
    """What the checks of one sheet need from the store."""

    store: Store
    coder: str
    case_id: str
    segments: dict[int, dict[str, Any]]
    proposals: dict[str, tuple[list[int], list[dict[str, Any]]]]
    manual: set[tuple[str, int, int, str]]
    memos: set[tuple[str | None, Any, Any, str]]
    unchanged: int = 0
    codebooks: dict[str, tuple[Codebook, int] | None] = field(default_factory=dict)

    def codebook(self, codebook_id: str) -> tuple[Codebook, int] | None:
        """Return the newest stored version of a codebook and its store id, or None."""
        if codebook_id not in self.codebooks:
            self.codebooks[codebook_id] = stored_codebook(self.store, codebook_id)
        return self.codebooks[codebook_id]


def _context(store: Store, case_id: str, coder: str) -> _Context:
    segments = store.segments(case_id)
    by_id = {int(r["segment_id"]): r for r in segments.to_dict("records")}
    codings = store.document_codings(case_id)
    auto = codings[(codings["origin"] == "auto") & (codings["stale"] == 0)]
    mine = codings[(codings["origin"] == "manual") & (codings["coder"] == coder)]
    manual = {(r.doc_id, r.start, r.end, r.code_id) for r in mine.itertuples()}
    memos = store.memos(case_id, coder=coder)
    memo_keys = {(r.doc_id, r.start, r.end, r.text) for r in memos.itertuples()}
    return _Context(store, coder, case_id, by_id, _overlapping(auto), manual, memo_keys)


def _check_row(n: int, row: dict[str, str], ctx: _Context, seen: dict[int, int],
               decided: dict[int, tuple[str, int]], problems: list[str]
               ) -> list[dict[str, Any]]:
    """Check one sheet row (n is its row number in the sheet); return its changes."""
    def problem(text: str) -> None:
        problems.append(f"row {n}: {text}")

    before = len(problems)
    if row["coder"].strip() != ctx.coder:
        problem(f"the row was exported for coder '{row['coder'].strip()}', not "
                f"'{ctx.coder}'")
    if row["case_id"].strip() != ctx.case_id:
        problem(f"case '{row['case_id'].strip()}' differs from the sheet's case "
                f"'{ctx.case_id}'")
    segment_id = _int(row["segment_id"])
    segment = ctx.segments.get(segment_id) if segment_id is not None else None
    if segment_id is None:
        problem(f"segment_id '{row['segment_id']}' is not a number")
    elif segment_id in seen:
        problem(f"segment {segment_id} appears again (first on row {seen[segment_id]})")
    elif segment is None:
        problem(f"segment {segment_id} is no longer in the store (the document was "
                "segmented again since the export; export a new sheet)")
    else:
        seen[segment_id] = n
        if segment["doc_id"] != row["doc_id"].strip():
            problem(f"segment {segment_id} belongs to document '{segment['doc_id']}', not "
                    f"'{row['doc_id'].strip()}'")
        elif (_int(row["start"]), _int(row["end"])) != (segment["start"], segment["end"]):
            problem(f"segment {segment_id} is now at {segment['start']}..{segment['end']}, "
                    f"not {row['start']}..{row['end']}")
        elif row["text"].replace("\r\n", "\n") != segment["text"]:
            problem(f"the text of segment {segment_id} differs from the store (edited in "
                    "the sheet, or the document changed since the export)")
    stored = ctx.codebook(row["codebook_id"].strip())
    if stored is None:
        problem(f"codebook '{row['codebook_id'].strip()}' is not in the store")
    if len(problems) > before:
        return []
    codebook, version = stored
    doc_id, start, end = segment["doc_id"], segment["start"], segment["end"]
    changes: list[dict[str, Any]] = []
    for code in _codes(row["codes"]):
        if code not in codebook:
            problem(f"unknown code '{code}' in column codes (codebook {codebook.id})")
        elif (doc_id, start, end, code) in ctx.manual:
            ctx.unchanged += 1
        else:
            changes.append({"action": "code", "case_id": ctx.case_id, "doc_id": doc_id,
                            "start": start, "end": end, "codebook_id": codebook.id,
                            "code_id": code, "codebook": version, "memo": ""})
    accepts, rejects = _codes(row["accept"]), _codes(row["reject"])
    both = [code for code in accepts if code in rejects]
    for code in both:
        problem(f"code '{code}' is both accepted and rejected")
    accepts = [c for c in accepts if c not in both]
    rejects = [c for c in rejects if c not in both]
    proposals = [p for p in _proposals_in(ctx.proposals, doc_id, start, end)
                 if p["codebook_id"] == codebook.id]
    for column, codes in (("accept", accepts), ("reject", rejects)):
        status = f"{column}ed"
        for code in codes:
            if code not in codebook:
                problem(f"unknown code '{code}' in column {column} (codebook {codebook.id})")
                continue
            matching = [p for p in proposals if p["code_id"] == code]
            if not matching:
                problem(f"no auto proposal of '{code}' on this segment to {column}")
            for p in matching:
                earlier = decided.get(p["coding_id"])
                if earlier is not None and earlier[0] != status:
                    problem(f"proposal {p['coding_id']} ({code}) is {earlier[0]} on row "
                            f"{earlier[1]} and {status} here")
                    continue
                decided[p["coding_id"]] = (status, n)
                if earlier is not None:
                    continue  # the same decision on an earlier row (a turn over segments)
                if p["status"] == status and p["decided_by"] == ctx.coder:
                    ctx.unchanged += 1
                else:
                    changes.append({"action": column, "coding_id": int(p["coding_id"]),
                                    "reason": ""})
    memo = row["memo"].strip()
    if memo and (doc_id, start, end, memo) in ctx.memos:
        ctx.unchanged += 1
    elif memo:
        changes.append({"action": "memo", "case_id": ctx.case_id, "text": memo,
                        "target": "document", "doc_id": doc_id, "coding_id": None,
                        "codebook_id": None, "code_id": None, "start": start, "end": end,
                        "title": f"segment {segment['seq']} ({segment['kind']})"})
    return changes


def plan_import(store: Store, path: str | Path, *, coder: str
                ) -> tuple[list[dict[str, Any]], ImportReport]:
    """Check a sheet against the store; return its changes and a report of what it holds.

    Raises :class:`SheetError` naming every bad row (unknown code, a segment whose id or
    text changed since the export, a repeated segment, a row of another coder).
    """
    coder = check_coder(coder)
    path = Path(path)
    frame = read_sheet(path)
    case_id = frame["case_id"].iloc[0].strip()
    store.require_case(case_id)
    ctx = _context(store, case_id, coder)
    problems: list[str] = []
    changes: list[dict[str, Any]] = []
    seen: dict[int, int] = {}
    decided: dict[int, tuple[str, int]] = {}
    for i, row in enumerate(frame.to_dict("records")):
        changes += _check_row(i + 2, row, ctx, seen, decided, problems)  # row 1: header
    if problems:
        raise SheetError(path, problems)
    return changes, ImportReport(path, rows=len(frame), unchanged=ctx.unchanged)


def import_sheet(store: Store, path: str | Path, *, coder: str) -> ImportReport:
    """Import a coded sheet: check every row, then apply all of it in one transaction.

    Codes already in the store (the same sheet imported twice) are not added again.
    Returns an :class:`ImportReport`; raises :class:`SheetError` and changes nothing when
    any row is wrong.
    """
    changes, report = plan_import(store, path, coder=coder)
    if changes:
        report.counts = store.apply_human_changes(
            changes, coder=check_coder(coder), source=f"sheet:{Path(path).name}")
    return report
