"""Exporting codings as one tidy table: CSV, Excel or Parquet, for R, Stata or a methods chapter."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from casekit.codebook import Codebook
from casekit.errors import UsageError
from casekit.store import Store

FORMATS = ("csv", "xlsx", "parquet")
COLUMNS = ["doc_id", "start", "end", "code_id", "code_path", "top_code", "coder", "origin",
           "status", "rule", "matched", "n_hits", "text", "tranche", "municipality",
           "actor_role", "kind", "speaker", "speaker_role", "date", "title", "unit",
           "codebook_id", "codebook_version", "codebook_sha256", "stale", "coding_id"]


def _codebooks(store: Store) -> tuple[dict[int, Codebook], dict[str, Codebook]]:
    """Return stored codebook versions by store id, and the newest version by codebook id."""
    versions = store.codebooks()
    by_pk: dict[int, Codebook] = {}
    newest: dict[str, Codebook] = {}
    for row in versions.itertuples():  # newest first
        content, source = store.codebook_content(int(row.codebook))
        codebook = Codebook.from_text(content, source)
        by_pk[int(row.codebook)] = codebook
        newest.setdefault(row.codebook_id, codebook)
    return by_pk, newest


def codings_frame(store: Store, case_id: str, *, codebook_id: str | None = None,
                  language: str = "nb") -> pd.DataFrame:
    """Return one row per coding of a case with its code path, evidence and metadata.

    ``code_path`` gives the code names from the top-level code down (in ``language``);
    ``rule`` and ``matched`` say which rule and which exact words produced an auto coding;
    ``text`` is the coded passage. Columns are :data:`COLUMNS`.
    """
    store.require_case(case_id)
    codings = store.codings(case_id, codebook_id=codebook_id)
    if codings.empty:
        return pd.DataFrame(columns=COLUMNS)
    by_pk, newest = _codebooks(store)

    def version(row: pd.Series) -> Codebook | None:
        if pd.notna(row["codebook"]) and int(row["codebook"]) in by_pk:
            return by_pk[int(row["codebook"])]
        return newest.get(row["codebook_id"])

    books = codings.apply(version, axis=1)

    def path(book: Codebook | None, code_id: str) -> str:
        return book.path_names(code_id, language) if book and code_id in book else code_id

    def top(book: Codebook | None, code_id: str) -> str:
        return book.top_level(code_id) if book and code_id in book else code_id.split(".")[0]

    frame = codings.assign(
        code_path=[path(b, c) for b, c in zip(books, codings["code_id"], strict=True)],
        top_code=[top(b, c) for b, c in zip(books, codings["code_id"], strict=True)],
        codebook_version=[b.version if b else "" for b in books],
        codebook_sha256=[b.sha256 if b else "" for b in books],
        text=codings["quote"], kind=codings["doc_kind"])
    return frame[COLUMNS].reset_index(drop=True)


def write_table(frame: pd.DataFrame, path: str | Path, fmt: str | None = None) -> Path:
    """Write a table as CSV (UTF-8 with BOM, so Excel shows æøå), XLSX or Parquet.

    The format comes from ``fmt`` or the file's extension; returns the path written.
    """
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise UsageError(f"{path}: unknown export format '{fmt}' (use {', '.join(FORMATS)})")
    if not path.parent.is_dir():
        raise UsageError(f"{path.parent}: the folder for the export does not exist")
    if fmt == "csv":
        frame.to_csv(path, index=False, encoding="utf-8-sig")
    elif fmt == "xlsx":
        frame.to_excel(path, index=False, sheet_name="codings")
    else:
        frame.to_parquet(path, index=False)
    return path
