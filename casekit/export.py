"""Exporting codings as one tidy table: CSV, Excel or Parquet, for R, Stata or a methods chapter."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from casekit.codebook import Code
from casekit.errors import UsageError
from casekit.store import Store

FORMATS = ("csv", "xlsx", "parquet")
COLUMNS = ["doc_id", "start", "end", "code_id", "code_path", "top_code", "coder", "origin",
           "status", "rule", "matched", "n_hits", "text", "tranche", "municipality",
           "actor_role", "kind", "speaker", "speaker_role", "date", "title", "unit",
           "codebook_id", "codebook_version", "codebook_sha256", "stale", "coding_id"]


@dataclass
class _Version:
    """What a coding's table row needs from one stored codebook version: its code tree."""

    version: str
    sha256: str
    codes: dict[str, Code]

    def path(self, code_id: str, language: str) -> str:
        """Return the names from the top-level code down, as Codebook.path_names does."""
        return " > ".join(self.codes[c].name(language) for c in self.ancestors(code_id))

    def ancestors(self, code_id: str) -> list[str]:
        chain = [code_id]
        while self.codes[chain[0]].parent is not None:
            chain.insert(0, self.codes[chain[0]].parent)
        return chain


def _versions(store: Store) -> tuple[dict[int, _Version], dict[str, _Version]]:
    """Return stored codebook versions by store id, and the newest version by codebook id.

    The code trees come from the store's code table, which holds what parsing the stored
    YAML gives (names, parents), without the seconds a large codebook takes to parse.
    """
    by_pk: dict[int, _Version] = {}
    newest: dict[str, _Version] = {}
    for (pk, codebook_id), rows in store.stored_codes().groupby(["codebook", "codebook_id"],
                                                                sort=True):
        codes = {c: Code(c, p if isinstance(p, str) else None, n, None, "")
                 for c, p, n in zip(rows["code_id"], rows["parent_id"], rows["names"],
                                    strict=True)}
        by_pk[int(pk)] = newest[codebook_id] = _Version(
            rows["version"].iloc[0], rows["sha256"].iloc[0], codes)  # ascending ids: newest last
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
    by_pk, newest = _versions(store)

    def version(pk: int | None, book_id: str) -> _Version | None:
        return by_pk[pk] if pk in by_pk else newest.get(book_id)

    # Each (version, code) pair is described once, however many codings it has.
    pks = [int(pk) if pd.notna(pk) else None for pk in codings["codebook"]]
    keys = list(zip(pks, codings["codebook_id"], codings["code_id"], strict=True))
    described: dict[tuple[int | None, str, str], tuple[str, str, str, str]] = {}
    for key in dict.fromkeys(keys):
        book, code_id = version(key[0], key[1]), key[2]
        known = book is not None and code_id in book.codes
        described[key] = (
            book.path(code_id, language) if known else code_id,
            book.ancestors(code_id)[0] if known else code_id.split(".")[0],
            book.version if book else "", book.sha256 if book else "")
    rows = [described[k] for k in keys]
    frame = codings.assign(
        code_path=[r[0] for r in rows], top_code=[r[1] for r in rows],
        codebook_version=[r[2] for r in rows], codebook_sha256=[r[3] for r in rows],
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
