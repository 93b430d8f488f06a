"""Cases, tranches, documents, their text versions and segments."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from casekit.errors import Msg, StoreError
from casekit.store.base import _case_filter, _sql_value, _where, now


@dataclass(frozen=True)
class DocumentState:
    """What the store knows about a stored document, to decide whether to re-ingest it."""

    id: int
    raw_sha256: str
    text_sha256: str
    text_version: int
    segmenter: str
    metadata: dict[str, Any]


@dataclass(frozen=True)
class SavedDocument:
    """The outcome of storing a document: ``added``, ``updated`` or ``resegmented``."""

    id: int
    action: str
    text_version: int
    stale_codings: int = 0
    kept_codings: int = 0


class CorpusTables:
    """Store methods for the corpus: cases, documents, texts and segments."""

    def save_case(self, case: Any) -> None:
        """Insert or update a case with its tranches and municipalities (one transaction)."""
        stamp = now()
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO cases (case_id, title, description, language, source_path, config,"
                " yaml_sha256, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT(case_id) DO UPDATE SET title=excluded.title,"
                " description=excluded.description, language=excluded.language,"
                " source_path=excluded.source_path, config=excluded.config,"
                " yaml_sha256=excluded.yaml_sha256,"
                " updated_at=CASE WHEN cases.yaml_sha256=excluded.yaml_sha256"
                "  THEN cases.updated_at ELSE excluded.updated_at END",
                (case.id, case.title, case.description, case.language, str(case.path),
                 json.dumps(case.config, ensure_ascii=False), case.yaml_sha256, stamp, stamp))
            conn.execute("DELETE FROM tranches WHERE case_id = ?", (case.id,))
            conn.executemany(
                "INSERT INTO tranches (case_id, tranche_id, label, description, position)"
                " VALUES (?,?,?,?,?)",
                [(case.id, t.id, t.label, t.description, i)
                 for i, t in enumerate(case.tranches, start=1)])
            conn.execute("DELETE FROM municipalities WHERE case_id = ?", (case.id,))
            conn.executemany(
                "INSERT INTO municipalities (case_id, name, position) VALUES (?,?,?)",
                [(case.id, m, i) for i, m in enumerate(case.municipalities, start=1)])

    def case_ids(self) -> list[str]:
        """Return the ids of the cases in the store, sorted."""
        return [r[0] for r in self._conn.execute("SELECT case_id FROM cases ORDER BY case_id")]

    def require_case(self, case_id: str) -> None:
        """Raise :class:`StoreError` naming the known cases when ``case_id`` is not stored."""
        known = self.case_ids()
        if case_id not in known:
            raise StoreError(Msg.CASE_NOT_IN_STORE.format(
                case_id=case_id, known=", ".join(known) or "none"))

    # -- documents -------------------------------------------------------------------------

    def document_state(self, case_id: str, doc_id: str) -> DocumentState | None:
        """Return what is stored about a document, or None if it is new."""
        row = self._conn.execute(
            "SELECT id, raw_sha256, text_sha256, text_version, segmenter, file, kind, tranche,"
            " municipality, actor_role, date, language, title, attributes"
            " FROM documents WHERE case_id = ? AND doc_id = ?", (case_id, doc_id)).fetchone()
        if row is None:
            return None
        metadata = {k: row[k] for k in ("file", "kind", "tranche", "municipality",
                                         "actor_role", "date", "language", "title")}
        metadata["attributes"] = json.loads(row["attributes"])
        return DocumentState(row["id"], row["raw_sha256"], row["text_sha256"],
                             row["text_version"], row["segmenter"], metadata)

    def update_metadata(self, document_id: int, record: dict[str, Any]) -> None:
        """Update a document's manifest metadata only (its file and text are unchanged)."""
        fields = ("file", "source_path", "kind", "tranche", "municipality", "actor_role", "date",
                  "language", "title", "attributes", "manifest_line")
        with self.transaction() as conn:
            conn.execute(
                f"UPDATE documents SET {', '.join(f'{f} = ?' for f in fields)}, updated_at = ?"
                " WHERE id = ?",
                [_sql_value(record[f]) for f in fields] + [now(), document_id])

    def save_document(self, record: dict[str, Any], text: str, segments: Sequence[Any],
                      ) -> SavedDocument:
        """Store a document, its text and its segments in one transaction.

        ``record`` holds the documents-table fields (case_id, doc_id, metadata, hashes,
        reader, encoding, segmenter, counts). When the text changed, the old text is kept
        as an earlier version and codings on it are marked stale unless the coded passage
        is still at the same place; returns a :class:`SavedDocument` saying what happened.
        """
        stamp = now()
        state = self.document_state(record["case_id"], record["doc_id"])
        with self.transaction() as conn:
            if state is None:
                action, version = "added", 1
                columns = [*record.keys(), "text_version", "ingested_at", "updated_at"]
                values = [_sql_value(v) for v in record.values()] + [version, stamp, stamp]
                cursor = conn.execute(
                    f"INSERT INTO documents ({', '.join(columns)}) VALUES"
                    f" ({', '.join('?' for _ in columns)})", values)
                document_id = int(cursor.lastrowid)
            else:
                document_id = state.id
                text_changed = state.text_sha256 != record["text_sha256"]
                action = "updated" if text_changed else "resegmented"
                version = state.text_version + 1 if text_changed else state.text_version
                fields = list(record.keys())
                conn.execute(
                    f"UPDATE documents SET {', '.join(f'{f} = ?' for f in fields)},"
                    " text_version = ?, updated_at = ? WHERE id = ?",
                    [_sql_value(record[f]) for f in fields] + [version, stamp, document_id])
            if state is None or version != state.text_version:
                conn.execute(
                    "INSERT INTO document_texts (document_id, version, text_sha256, raw_sha256,"
                    " text, created_at) VALUES (?,?,?,?,?,?)",
                    (document_id, version, record["text_sha256"], record["raw_sha256"], text,
                     stamp))
            conn.execute("DELETE FROM segments WHERE document_id = ?", (document_id,))
            conn.executemany(
                'INSERT INTO segments (document_id, kind, seq, start, "end", speaker,'
                " speaker_role, turn, paragraph, page, time_start, time_end, n_words)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [(document_id, s.kind, s.seq, s.start, s.end, s.speaker, s.speaker_role,
                  s.turn, s.paragraph, s.page, s.time_start, s.time_end, s.n_words)
                 for s in segments])
            stale = kept = 0
            if state is not None and version != state.text_version:
                stale, kept = self._revalidate_codings(conn, document_id, text, version, stamp)
        return SavedDocument(document_id, action, version, stale, kept)

    @staticmethod
    def _revalidate_codings(conn: sqlite3.Connection, document_id: int, text: str,
                            version: int, stamp: str) -> tuple[int, int]:
        """Move codings to the new text version, marking stale the ones whose passage moved.

        A coding whose quote is still found at the same offsets keeps its place (text was
        changed elsewhere); any other coding is kept, with its quote, and marked stale.
        """
        stale = kept = 0
        rows = conn.execute(
            'SELECT id, start, "end", quote FROM codings WHERE document_id = ? AND stale = 0',
            (document_id,)).fetchall()
        for row in rows:
            if text[row["start"]:row["end"]] == row["quote"]:
                conn.execute("UPDATE codings SET text_version = ? WHERE id = ?",
                             (version, row["id"]))
                kept += 1
            else:
                conn.execute("UPDATE codings SET stale = 1, updated_at = ? WHERE id = ?",
                             (stamp, row["id"]))
                conn.execute(
                    "INSERT INTO audit (at, actor, action, table_name, row_id, before, after)"
                    " VALUES (?, 'casekit', 'mark_stale', 'codings', ?, ?, ?)",
                    (stamp, row["id"], json.dumps({"stale": 0}),
                     json.dumps({"stale": 1, "reason": "document text changed"})))
                stale += 1
        return stale, kept

    def document_text(self, case_id: str, doc_id: str, version: int | None = None) -> str:
        """Return a document's stored plain text (the current version unless one is given)."""
        row = self._conn.execute(
            "SELECT t.text FROM documents d JOIN document_texts t ON t.document_id = d.id"
            " AND t.version = COALESCE(?, d.text_version)"
            " WHERE d.case_id = ? AND d.doc_id = ?", (version, case_id, doc_id)).fetchone()
        if row is None:
            raise StoreError(f"document '{doc_id}' of case '{case_id}' is not in the store")
        return row[0]
    def cases(self) -> pd.DataFrame:
        """Return one row per case: id, title, language, tranches (in order), counts."""
        frame = self._frame(
            "SELECT c.case_id, c.title, c.language, c.description,"
            " (SELECT group_concat(tranche_id, ',') FROM"
            "   (SELECT tranche_id FROM tranches t WHERE t.case_id = c.case_id"
            "    ORDER BY position)) AS tranches,"
            " (SELECT COUNT(*) FROM documents d WHERE d.case_id = c.case_id) AS documents,"
            " (SELECT COALESCE(SUM(n_words), 0) FROM documents d"
            "   WHERE d.case_id = c.case_id) AS words,"
            " c.source_path, c.updated_at FROM cases c ORDER BY c.case_id")
        frame["tranches"] = frame["tranches"].fillna("").map(
            lambda s: [t for t in s.split(",") if t])
        return frame

    def tranches(self, case_id: str | None = None) -> pd.DataFrame:
        """Return the tranches of one or all cases, in each case's order."""
        where, params = _case_filter("case_id", case_id)
        return self._frame(
            f"SELECT case_id, tranche_id, label, description, position FROM tranches {where}"
            " ORDER BY case_id, position", params)

    def documents(self, case_id: str | None = None) -> pd.DataFrame:
        """Return one row per document with its metadata, attributes expanded as columns.

        Columns: case_id, doc_id, file, kind, tranche, tranche_position, municipality,
        actor_role, date, language, title, reader, encoding, n_chars, n_words, raw_sha256,
        text_sha256, text_version, ingested_at, updated_at, then one column per extra
        manifest attribute.
        """
        where, params = _case_filter("d.case_id", case_id)
        frame = self._frame(
            "SELECT d.case_id, d.doc_id, d.file, d.kind, d.tranche, t.position AS"
            " tranche_position, d.municipality, d.actor_role, d.date, d.language, d.title,"
            " d.reader, d.encoding, d.n_chars, d.n_words, d.raw_sha256, d.text_sha256,"
            " d.text_version, d.ingested_at, d.updated_at, d.attributes FROM documents d"
            " LEFT JOIN tranches t ON t.case_id = d.case_id AND t.tranche_id = d.tranche"
            f" {where} ORDER BY d.case_id, t.position, d.doc_id", params)
        return _expand_attributes(frame)

    def segments(self, case_id: str | None = None, *, kind: str | None = None,
                 doc_id: str | None = None, with_text: bool = True) -> pd.DataFrame:
        """Return segments with their document's metadata (and text, unless asked not to).

        One row per segment: case_id, doc_id, segment_id, kind, seq, start, end, speaker,
        speaker_role, turn, paragraph, page, time_start, time_end, n_words, tranche,
        municipality, actor_role, doc_kind, date, language, and ``text``.
        """
        where, params = _where(("d.case_id = ?", case_id), ("s.kind = ?", kind),
                               ("d.doc_id = ?", doc_id))
        text_col = (", substr(t.text, s.start + 1, s.\"end\" - s.start) AS text"
                    if with_text else "")
        frame = self._frame(
            "SELECT d.case_id, d.doc_id, s.id AS segment_id, s.kind, s.seq, s.start,"
            ' s."end", s.speaker, s.speaker_role, s.turn, s.paragraph, s.page, s.time_start,'
            " s.time_end, s.n_words, d.tranche, d.municipality, d.actor_role,"
            f" d.kind AS doc_kind, d.date, d.language{text_col}"
            " FROM segments s JOIN documents d ON d.id = s.document_id"
            " JOIN document_texts t ON t.document_id = d.id AND t.version = d.text_version"
            " LEFT JOIN tranches tr ON tr.case_id = d.case_id AND tr.tranche_id = d.tranche"
            f" {where} ORDER BY d.case_id, tr.position, d.doc_id, s.kind, s.seq", params)
        # Optional numbers stay integers (pandas would make them floats to hold NaN).
        return frame.astype({"turn": "Int64", "paragraph": "Int64", "page": "Int64"})

    def status(self, case_id: str | None = None) -> pd.DataFrame:
        """Return documents, segments by kind and words per case and tranche, in case order."""
        where, params = _case_filter("t.case_id", case_id)
        return self._frame(
            "SELECT t.case_id, t.tranche_id AS tranche, t.label,"
            " COUNT(DISTINCT d.id) AS documents,"
            " COALESCE(SUM(CASE WHEN s.kind='turn' THEN 1 END), 0) AS turns,"
            " COALESCE(SUM(CASE WHEN s.kind='paragraph' THEN 1 END), 0) AS paragraphs,"
            " COALESCE(SUM(CASE WHEN s.kind='sentence' THEN 1 END), 0) AS sentences,"
            " COALESCE((SELECT SUM(n_words) FROM documents d2 WHERE d2.case_id = t.case_id"
            "   AND d2.tranche = t.tranche_id), 0) AS words"
            " FROM tranches t LEFT JOIN documents d ON d.case_id = t.case_id"
            "  AND d.tranche = t.tranche_id"
            " LEFT JOIN segments s ON s.document_id = d.id"
            f" {where} GROUP BY t.case_id, t.tranche_id ORDER BY t.case_id, t.position", params)


def _expand_attributes(frame: pd.DataFrame) -> pd.DataFrame:
    """Turn the JSON ``attributes`` column into one column per attribute."""
    parsed = frame.pop("attributes").map(json.loads)
    extra = pd.DataFrame(list(parsed), index=frame.index) if len(frame) else pd.DataFrame()
    for column in extra.columns:
        if column not in frame.columns:
            frame[column] = extra[column].fillna("")
    return frame
