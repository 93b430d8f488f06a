"""Codebook versions, codings and coding state."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from casekit.errors import StoreError
from casekit.store.base import _where, now


class CodingTables:
    """Store methods for codebooks and codings."""

    def codings(self, case_id: str | None = None, *, include_stale: bool = True,
                codebook_id: str | None = None) -> pd.DataFrame:
        """Return codings with their document's metadata and the speaker of their turn.

        One row per coding: case_id, doc_id, coding_id, start, end, codebook_id, codebook
        (the version that produced an auto coding), code_id, coder, origin, status, unit,
        rule, matched, n_hits, quote, memo, text_version, stale, times, tranche,
        municipality, actor_role, doc_kind, date, title, speaker, speaker_role.
        """
        where, params = _where(("d.case_id = ?", case_id), ("c.codebook_id = ?", codebook_id),
                               ("c.stale = ?", None if include_stale else 0))
        turn = ("(SELECT s.{col} FROM segments s WHERE s.document_id = c.document_id"
                ' AND s.kind = \'turn\' AND s.start <= c.start AND c.start < s."end")')
        return self._frame(
            'SELECT d.case_id, d.doc_id, c.id AS coding_id, c.start, c."end", c.codebook_id,'
            " c.codebook, c.code_id, c.coder, c.origin, c.status, c.unit, c.rule, c.matched,"
            " c.n_hits, c.quote, c.memo, c.text_version, c.stale, c.created_at, c.updated_at,"
            " c.decided_by, c.decided_at, d.tranche, d.municipality, d.actor_role,"
            " d.kind AS doc_kind, d.date, d.title,"
            f" {turn.format(col='speaker')} AS speaker,"
            f" {turn.format(col='speaker_role')} AS speaker_role"
            f" FROM codings c JOIN documents d ON d.id = c.document_id {where}"
            ' ORDER BY d.case_id, d.doc_id, c.start, c."end", c.code_id', params)

    def coding_summary(self, case_id: str | None = None) -> pd.DataFrame:
        """Return codings counted per case, codebook, origin and status (stale separately)."""
        where, params = _where(("d.case_id = ?", case_id))
        return self._frame(
            "SELECT d.case_id, c.codebook_id, c.origin,"
            " SUM(c.status = 'proposed') AS proposed, SUM(c.status = 'accepted') AS accepted,"
            " SUM(c.status = 'rejected') AS rejected, SUM(c.stale) AS stale,"
            " COUNT(DISTINCT c.code_id) AS codes"
            f" FROM codings c JOIN documents d ON d.id = c.document_id {where}"
            " GROUP BY d.case_id, c.codebook_id, c.origin"
            " ORDER BY d.case_id, c.codebook_id, c.origin", params)

    # -- codebooks -------------------------------------------------------------------------

    def save_codebook(self, codebook: Any) -> int:
        """Store a codebook version (once per content hash) with its codes; return its id."""
        row = self._conn.execute("SELECT id FROM codebooks WHERE sha256 = ?",
                                 (codebook.sha256,)).fetchone()
        if row is not None:
            return int(row[0])
        with self.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO codebooks (codebook_id, version, title, sha256, source_path,"
                " content, created_at) VALUES (?,?,?,?,?,?,?)",
                (codebook.id, codebook.version, codebook.title_in(codebook.language),
                 codebook.sha256, str(codebook.path), codebook.content, now()))
            pk = int(cursor.lastrowid)
            conn.executemany(
                "INSERT INTO codes (codebook, code_id, parent_id, position, names, definition,"
                " colour, unit) VALUES (?,?,?,?,?,?,?,?)",
                [(pk, c.id, c.parent, i, json.dumps(c.names, ensure_ascii=False),
                  json.dumps(c.definition, ensure_ascii=False), c.colour, c.unit)
                 for i, c in enumerate(codebook.codes, start=1)])
        return pk

    def codebooks(self) -> pd.DataFrame:
        """Return every codebook version the store has used, newest first."""
        return self._frame(
            "SELECT id AS codebook, codebook_id, version, title, sha256, source_path,"
            " created_at, (SELECT COUNT(*) FROM codes WHERE codes.codebook = codebooks.id)"
            " AS codes FROM codebooks ORDER BY id DESC")

    def codebook_content(self, codebook: int) -> tuple[str, str]:
        """Return (YAML text, source path) of a stored codebook version."""
        row = self._conn.execute("SELECT content, source_path FROM codebooks WHERE id = ?",
                                 (codebook,)).fetchone()
        if row is None:
            raise StoreError(f"codebook version {codebook} is not in the store")
        return row[0], row[1]

    def newest_codebook(self, codebook_id: str) -> tuple[int, str, str] | None:
        """Return (store id, YAML text, source path) of a codebook's newest stored version,
        or None when the store never used it."""
        row = self._conn.execute(
            "SELECT id, content, source_path FROM codebooks WHERE codebook_id = ?"
            " ORDER BY id DESC LIMIT 1", (codebook_id,)).fetchone()
        return (row[0], row[1], row[2]) if row is not None else None

    # -- auto-coding -----------------------------------------------------------------------

    def coding_targets(self, case_id: str) -> list[dict[str, Any]]:
        """Return the documents of a case to code: ids, language, kind, text hash, version."""
        rows = self._conn.execute(
            "SELECT id AS document_id, doc_id, language, kind, text_sha256, text_version"
            " FROM documents WHERE case_id = ? ORDER BY doc_id", (case_id,)).fetchall()
        return [dict(r) for r in rows]

    def document_units(self, document_id: int) -> list[dict[str, Any]]:
        """Return a document's turns, paragraphs and sentences (kind, seq, start, end, role)."""
        rows = self._conn.execute(
            'SELECT kind, seq, start, "end", speaker_role FROM segments WHERE document_id = ?'
            " AND kind != 'page' ORDER BY kind, start", (document_id,)).fetchall()
        return [dict(r) for r in rows]

    def current_text(self, document_id: int) -> str:
        """Return the current text of a document by its store id."""
        row = self._conn.execute(
            "SELECT t.text FROM documents d JOIN document_texts t ON t.document_id = d.id"
            " AND t.version = d.text_version WHERE d.id = ?", (document_id,)).fetchone()
        if row is None:
            raise StoreError(f"document {document_id} is not in the store")
        return row[0]

    def coding_state(self, document_id: int, codebook_id: str) -> dict[str, Any] | None:
        """Return what a document was last auto-coded with by this codebook, or None."""
        row = self._conn.execute(
            "SELECT cs.codebook, cb.sha256, cs.text_sha256, cs.coder_key, cs.proposals"
            " FROM coding_state cs JOIN codebooks cb ON cb.id = cs.codebook"
            " WHERE cs.document_id = ? AND cs.codebook_id = ?",
            (document_id, codebook_id)).fetchone()
        return dict(row) if row is not None else None

    def apply_auto_codings(self, document_id: int, *, codebook: int, codebook_id: str,
                           text_sha256: str, coder_key: str, run_id: int | None,
                           proposals: list[dict[str, Any]]) -> dict[str, int]:
        """Replace a codebook's auto proposals on a document, keeping every decision.

        In one transaction: a proposal that comes again keeps its row and its status (a
        decision stays attached); a decided coding that went stale with a text change is
        re-anchored when the same code is proposed for the same passage again; earlier
        proposals nobody decided on are replaced; accepted or rejected codings and manual
        codings are never removed. Returns counts: added, kept, reanchored, removed.
        """
        stamp = now()
        counts = {"added": 0, "kept": 0, "reanchored": 0, "removed": 0}
        with self.transaction() as conn:
            version = conn.execute("SELECT text_version FROM documents WHERE id = ?",
                                   (document_id,)).fetchone()[0]
            text = conn.execute(
                "SELECT text FROM document_texts WHERE document_id = ? AND version = ?",
                (document_id, version)).fetchone()[0]
            existing = conn.execute(
                'SELECT id, code_id, start, "end", status, stale, quote FROM codings'
                " WHERE document_id = ? AND codebook_id = ? AND origin = 'auto'",
                (document_id, codebook_id)).fetchall()
            live = {(r["code_id"], r["start"], r["end"]): r for r in existing if not r["stale"]}
            decided_stale = {(r["code_id"], r["quote"]): r for r in existing
                             if r["stale"] and r["status"] != "proposed"}
            seen: set[int] = set()
            for p in proposals:
                quote = text[p["start"]:p["end"]]
                values = (p["rule"], p["matched"], json.dumps(p["evidence"], ensure_ascii=False),
                          p["n_hits"], p["unit"], codebook, run_id, stamp)
                row = live.get((p["code_id"], p["start"], p["end"]))
                if row is not None:
                    conn.execute(
                        "UPDATE codings SET rule = ?, matched = ?, evidence = ?, n_hits = ?,"
                        " unit = ?, codebook = ?, run_id = ?, updated_at = ? WHERE id = ?",
                        (*values, row["id"]))
                    seen.add(row["id"])
                    counts["kept"] += 1
                    continue
                row = decided_stale.pop((p["code_id"], quote), None)
                if row is not None:
                    conn.execute(
                        'UPDATE codings SET start = ?, "end" = ?, text_version = ?, stale = 0,'
                        " rule = ?, matched = ?, evidence = ?, n_hits = ?, unit = ?,"
                        " codebook = ?, run_id = ?, updated_at = ? WHERE id = ?",
                        (p["start"], p["end"], version, *values, row["id"]))
                    conn.execute(
                        "INSERT INTO audit (at, actor, action, table_name, row_id, before,"
                        " after) VALUES (?, 'auto', 'reanchor', 'codings', ?, ?, ?)",
                        (stamp, row["id"], json.dumps({"start": row["start"],
                                                       "end": row["end"], "stale": 1}),
                         json.dumps({"start": p["start"], "end": p["end"], "stale": 0})))
                    seen.add(row["id"])
                    counts["reanchored"] += 1
                    continue
                conn.execute(
                    'INSERT INTO codings (document_id, start, "end", codebook_id, codebook,'
                    " code_id, coder, origin, status, unit, rule, matched, evidence, n_hits,"
                    " quote, text_version, run_id, created_at, updated_at)"
                    " VALUES (?,?,?,?,?,?,'auto','auto','proposed',?,?,?,?,?,?,?,?,?,?)",
                    (document_id, p["start"], p["end"], codebook_id, codebook, p["code_id"],
                     p["unit"], p["rule"], p["matched"],
                     json.dumps(p["evidence"], ensure_ascii=False), p["n_hits"], quote,
                     version, run_id, stamp, stamp))
                counts["added"] += 1
            undecided = [r["id"] for r in existing
                         if r["id"] not in seen and r["status"] == "proposed"]
            conn.executemany("DELETE FROM codings WHERE id = ?", [(i,) for i in undecided])
            counts["removed"] = len(undecided)
            conn.execute(
                "INSERT INTO coding_state (document_id, codebook_id, codebook, text_sha256,"
                " coder_key, run_id, proposals, coded_at) VALUES (?,?,?,?,?,?,?,?)"
                " ON CONFLICT(document_id, codebook_id) DO UPDATE SET"
                " codebook = excluded.codebook, text_sha256 = excluded.text_sha256,"
                " coder_key = excluded.coder_key, run_id = excluded.run_id,"
                " proposals = excluded.proposals, coded_at = excluded.coded_at",
                (document_id, codebook_id, codebook, text_sha256, coder_key, run_id,
                 len(proposals), stamp))
        return counts

    def add_coding(self, case_id: str, doc_id: str, start: int, end: int, *, codebook_id: str,
                   code_id: str, coder: str, origin: str = "manual",
                   status: str = "accepted", rule: str | None = None,
                   matched: str | None = None, unit: str | None = None, memo: str = "") -> int:
        """Store one coding on the current text of a document; return its id.

        Offsets are checked against the text; the coded passage is kept as ``quote``.
        """
        row = self._conn.execute(
            "SELECT d.id, d.text_version, t.text FROM documents d JOIN document_texts t"
            " ON t.document_id = d.id AND t.version = d.text_version"
            " WHERE d.case_id = ? AND d.doc_id = ?", (case_id, doc_id)).fetchone()
        if row is None:
            raise StoreError(f"document '{doc_id}' of case '{case_id}' is not in the store")
        if not 0 <= start < end <= len(row["text"]):
            raise StoreError(f"{doc_id}: offsets {start}..{end} are outside the text "
                             f"(0..{len(row['text'])})")
        stamp = now()
        with self.transaction() as conn:
            cursor = conn.execute(
                'INSERT INTO codings (document_id, start, "end", codebook_id, code_id, coder,'
                " origin, status, unit, rule, matched, quote, memo, text_version, created_at,"
                " updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (row["id"], start, end, codebook_id, code_id, coder, origin, status, unit,
                 rule, matched, row["text"][start:end], memo, row["text_version"], stamp,
                 stamp))
            coding_id = int(cursor.lastrowid)
            conn.execute(
                "INSERT INTO audit (at, actor, action, table_name, row_id, after)"
                " VALUES (?,?,?,?,?,?)",
                (stamp, coder, "add", "codings", coding_id,
                 json.dumps({"doc_id": doc_id, "start": start, "end": end,
                             "code_id": code_id, "origin": origin, "status": status})))
        return coding_id
