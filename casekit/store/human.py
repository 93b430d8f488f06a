"""Human coding: manual codings, decisions on proposals, memos, and the audit trail.

Every change is one transaction that writes the change and its audit row together, stamped
with the coder and the time. A removed coding leaves the codings table (so no analysis
counts it) but its whole row stays in the audit trail, where :meth:`history` shows it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

import pandas as pd

from casekit.errors import StoreError
from casekit.store.base import _where, now

DECISIONS = ("accepted", "rejected")
MEMO_TARGETS = ("case", "document", "code", "coding")

# What the audit keeps of a coding: enough to see and restore it, without the evidence list.
_SNAPSHOT = ("id", "case_id", "doc_id", "start", "end", "codebook_id", "codebook", "code_id",
             "coder", "origin", "status", "unit", "rule", "matched", "quote", "memo",
             "text_version", "stale", "created_at", "decided_by", "decided_at")


class HumanTables:
    """Store methods for what coders do by hand."""

    # -- reading ---------------------------------------------------------------------------

    def coding(self, coding_id: int) -> dict[str, Any]:
        """Return one coding as a dict (with case_id and doc_id); raise StoreError if absent."""
        return _existing_coding(self._conn, coding_id)

    def document_codings(self, case_id: str, doc_id: str | None = None) -> pd.DataFrame:
        """Return the live codings of a case (or one document), fast, without turn lookups.

        Columns: doc_id, coding_id, start, end, codebook_id, code_id, coder, origin,
        status, stale, decided_by, quote; ordered by document and start.
        """
        where, params = _where(("d.case_id = ?", case_id), ("d.doc_id = ?", doc_id))
        return self._frame(
            'SELECT d.doc_id, c.id AS coding_id, c.start, c."end", c.codebook_id, c.code_id,'
            " c.coder, c.origin, c.status, c.stale, c.decided_by, c.quote"
            f" FROM codings c JOIN documents d ON d.id = c.document_id {where}"
            ' ORDER BY d.doc_id, c.start, c."end", c.id', params)

    def memos(self, case_id: str, *, doc_id: str | None = None, coder: str | None = None,
              target: str | None = None) -> pd.DataFrame:
        """Return the memos of a case, oldest first.

        Columns: memo_id, case_id, target, doc_id, start, end, coding_id (kept after the
        coding is removed), coding_removed, codebook_id, code_id, coder, title, text,
        created_at, updated_at.
        """
        where, params = _where(("m.case_id = ?", case_id), ("d.doc_id = ?", doc_id),
                               ("m.coder = ?", coder), ("m.target = ?", target))
        frame = self._frame(
            "SELECT m.id AS memo_id, m.case_id, m.target, d.doc_id, m.start, m.\"end\","
            " m.coding_ref AS coding_id, (m.coding_ref IS NOT NULL AND m.coding_id IS NULL)"
            " AS coding_removed, m.codebook_id, m.code_id, m.coder, m.title, m.text,"
            " m.created_at, m.updated_at FROM memos m"
            f" LEFT JOIN documents d ON d.id = m.document_id {where} ORDER BY m.id", params)
        frame["coding_removed"] = frame["coding_removed"].astype(bool)
        return frame.astype({"start": "Int64", "end": "Int64", "coding_id": "Int64"})

    def history(self, case_id: str | None = None, *, coder: str | None = None,
                doc_id: str | None = None, coding_id: int | None = None) -> pd.DataFrame:
        """Return the audit trail, oldest first: who changed what, when.

        One row per change: change_id, at, coder (who made the change; ``auto`` and
        ``casekit`` for the machine), action (add, remove, accept, reject, memo,
        reanchor, mark_stale), table, row_id (the coding or memo), case_id, doc_id,
        code_id, start, end, status_before, status_after, source, before and after
        (the rows or fields as dicts). Removed codings stay here with their whole row.
        """
        where, params = _where(
            ("COALESCE(a.case_id, d.case_id) = ?", case_id), ("a.actor = ?", coder),
            ("COALESCE(a.doc_id, d.doc_id) = ?", doc_id),
            ("a.table_name = 'codings' AND a.row_id = ?", coding_id))
        frame = self._frame(
            "SELECT a.id AS change_id, a.at, a.actor AS coder, a.action,"
            " a.table_name AS \"table\", a.row_id, COALESCE(a.case_id, d.case_id) AS case_id,"
            " COALESCE(a.doc_id, d.doc_id) AS doc_id, c.code_id AS current_code, a.source,"
            " a.before, a.after FROM audit a"
            " LEFT JOIN codings c ON a.table_name = 'codings' AND c.id = a.row_id"
            f" LEFT JOIN documents d ON d.id = c.document_id {where} ORDER BY a.id", params)
        before = [json.loads(v) if isinstance(v, str) else {} for v in frame.pop("before")]
        after = [json.loads(v) if isinstance(v, str) else {} for v in frame.pop("after")]
        current = frame.pop("current_code")

        def field(name: str) -> list[Any]:
            return [a.get(name, b.get(name)) for b, a in zip(before, after, strict=True)]

        frame["code_id"] = [v if v is not None else (c if isinstance(c, str) else None)
                            for v, c in zip(field("code_id"), current, strict=True)]
        frame["start"] = pd.array(field("start"), dtype="Int64")
        frame["end"] = pd.array(field("end"), dtype="Int64")
        frame["status_before"] = [b.get("status") for b in before]
        frame["status_after"] = [a.get("status") for a in after]
        frame["before"] = before
        frame["after"] = after
        return frame[["change_id", "at", "coder", "action", "table", "row_id", "case_id",
                      "doc_id", "code_id", "start", "end", "status_before", "status_after",
                      "source", "before", "after"]]

    # -- writing, one change per transaction -----------------------------------------------

    def add_manual_coding(self, case_id: str, doc_id: str, start: int, end: int, *,
                          codebook_id: str, code_id: str, coder: str,
                          codebook: int | None = None, memo: str = "",
                          source: str | None = None) -> int:
        """Store a coder's own coding of ``[start, end)`` and its audit row; return its id."""
        with self.transaction() as conn:
            return _add(conn, case_id, doc_id, start, end, codebook_id=codebook_id,
                        code_id=code_id, coder=coder, codebook=codebook, memo=memo,
                        source=source, stamp=now())

    def decide_coding(self, coding_id: int, status: str, *, coder: str, reason: str = "",
                      source: str | None = None) -> None:
        """Accept or reject an auto proposal (``status`` accepted or rejected)."""
        with self.transaction() as conn:
            _decide(conn, coding_id, status, coder=coder, reason=reason, source=source,
                    stamp=now())

    def remove_coding(self, coding_id: int, *, coder: str, reason: str = "",
                      source: str | None = None) -> dict[str, Any]:
        """Remove a manual coding, keeping its whole row in the audit; return that row."""
        with self.transaction() as conn:
            return _remove(conn, coding_id, coder=coder, reason=reason, source=source,
                           stamp=now())

    def add_memo(self, case_id: str, text: str, *, coder: str, target: str,
                 doc_id: str | None = None, coding_id: int | None = None,
                 codebook_id: str | None = None, code_id: str | None = None,
                 start: int | None = None, end: int | None = None, title: str = "",
                 source: str | None = None) -> int:
        """Store a memo on a case, document (optionally a passage), code or coding; return id."""
        with self.transaction() as conn:
            return _memo(conn, case_id, text, coder=coder, target=target, doc_id=doc_id,
                         coding_id=coding_id, codebook_id=codebook_id, code_id=code_id,
                         start=start, end=end, title=title, source=source, stamp=now())

    def apply_human_changes(self, changes: Sequence[dict[str, Any]], *, coder: str,
                            source: str | None = None) -> dict[str, int]:
        """Apply many changes in one transaction: all of them, or none if one fails.

        Each change is a dict with ``action`` (code, accept, reject, memo) and the keyword
        arguments of :meth:`add_manual_coding`, :meth:`decide_coding` or :meth:`add_memo`
        (without coder and source). Returns how many changes of each action were applied.
        """
        counts = {"code": 0, "accept": 0, "reject": 0, "memo": 0}
        stamp = now()
        with self.transaction() as conn:
            for change in changes:
                args = {k: v for k, v in change.items() if k != "action"}
                action = change["action"]
                if action == "code":
                    _add(conn, coder=coder, source=source, stamp=stamp, **args)
                elif action in ("accept", "reject"):
                    _decide(conn, status=f"{action}ed", coder=coder, source=source,
                            stamp=stamp, **args)
                elif action == "memo":
                    _memo(conn, coder=coder, source=source, stamp=stamp, **args)
                else:
                    raise StoreError(f"unknown change '{action}'")
                counts[action] += 1
        return counts


# -- the changes themselves, inside a caller's transaction ----------------------------------

def _coding_row(conn: sqlite3.Connection, coding_id: int) -> dict[str, Any] | None:
    row = conn.execute(
        "SELECT c.*, d.case_id, d.doc_id FROM codings c JOIN documents d"
        " ON d.id = c.document_id WHERE c.id = ?", (int(coding_id),)).fetchone()
    return dict(row) if row is not None else None


def _existing_coding(conn: sqlite3.Connection, coding_id: int) -> dict[str, Any]:
    """Return a coding's row (with case_id and doc_id); raise StoreError if absent."""
    row = _coding_row(conn, coding_id)
    if row is None:
        raise StoreError(f"coding {coding_id} is not in the store")
    return row


def _snapshot(row: dict[str, Any]) -> str:
    return json.dumps({k: row[k] for k in _SNAPSHOT}, ensure_ascii=False)


def _audit(conn: sqlite3.Connection, *, stamp: str, actor: str, action: str, table: str,
           row_id: int, case_id: str, doc_id: str | None, before: str | None,
           after: str | None, source: str | None) -> None:
    conn.execute(
        "INSERT INTO audit (at, actor, action, table_name, row_id, before, after, case_id,"
        " doc_id, source) VALUES (?,?,?,?,?,?,?,?,?,?)",
        (stamp, actor, action, table, row_id, before, after, case_id, doc_id, source))


def _document(conn: sqlite3.Connection, case_id: str, doc_id: str) -> sqlite3.Row:
    row = conn.execute(
        "SELECT d.id, d.text_version, t.text FROM documents d JOIN document_texts t"
        " ON t.document_id = d.id AND t.version = d.text_version"
        " WHERE d.case_id = ? AND d.doc_id = ?", (case_id, doc_id)).fetchone()
    if row is None:
        raise StoreError(f"document '{doc_id}' of case '{case_id}' is not in the store")
    return row


def _add(conn: sqlite3.Connection, case_id: str, doc_id: str, start: int, end: int, *,
         codebook_id: str, code_id: str, coder: str, codebook: int | None, memo: str,
         source: str | None, stamp: str) -> int:
    doc = _document(conn, case_id, doc_id)
    if not 0 <= start < end <= len(doc["text"]):
        raise StoreError(f"{doc_id}: offsets {start}..{end} are outside the text "
                         f"(0..{len(doc['text'])})")
    cursor = conn.execute(
        'INSERT INTO codings (document_id, start, "end", codebook_id, codebook, code_id,'
        " coder, origin, status, quote, memo, text_version, created_at, updated_at)"
        " VALUES (?,?,?,?,?,?,?,'manual','accepted',?,?,?,?,?)",
        (doc["id"], start, end, codebook_id, codebook, code_id, coder,
         doc["text"][start:end], memo, doc["text_version"], stamp, stamp))
    coding_id = int(cursor.lastrowid)
    _audit(conn, stamp=stamp, actor=coder, action="add", table="codings", row_id=coding_id,
           case_id=case_id, doc_id=doc_id, before=None,
           after=_snapshot(_coding_row(conn, coding_id)), source=source)
    return coding_id


def _decide(conn: sqlite3.Connection, coding_id: int, status: str, *, coder: str,
            reason: str, source: str | None, stamp: str) -> None:
    if status not in DECISIONS:
        raise StoreError(f"a decision is 'accepted' or 'rejected', not '{status}'")
    row = _existing_coding(conn, coding_id)
    if row["origin"] != "auto":
        raise StoreError(f"coding {coding_id} is a manual coding by {row['coder']}: only "
                         "auto proposals are accepted or rejected (remove a manual coding)")
    conn.execute("UPDATE codings SET status = ?, decided_by = ?, decided_at = ?,"
                 " updated_at = ? WHERE id = ?", (status, coder, stamp, stamp, coding_id))
    after = {"status": status, "decided_by": coder, "code_id": row["code_id"],
             "start": row["start"], "end": row["end"]}
    if reason:
        after["reason"] = reason
    _audit(conn, stamp=stamp, actor=coder, action=status[:-2], table="codings",
           row_id=int(coding_id), case_id=row["case_id"], doc_id=row["doc_id"],
           before=json.dumps({"status": row["status"], "decided_by": row["decided_by"]}),
           after=json.dumps(after, ensure_ascii=False), source=source)


def _remove(conn: sqlite3.Connection, coding_id: int, *, coder: str, reason: str,
            source: str | None, stamp: str) -> dict[str, Any]:
    row = _existing_coding(conn, coding_id)
    if row["origin"] != "manual":
        # The auto-coder would propose it again on its next run: a rejection is what lasts.
        raise StoreError(f"coding {coding_id} is an auto proposal: reject it instead of "
                         "removing it")
    conn.execute("DELETE FROM codings WHERE id = ?", (int(coding_id),))
    after = json.dumps({"removed": True, "reason": reason}, ensure_ascii=False)
    _audit(conn, stamp=stamp, actor=coder, action="remove", table="codings",
           row_id=int(coding_id), case_id=row["case_id"], doc_id=row["doc_id"],
           before=_snapshot(row), after=after, source=source)
    return {k: row[k] for k in _SNAPSHOT}


def _memo(conn: sqlite3.Connection, case_id: str, text: str, *, coder: str, target: str,
          doc_id: str | None, coding_id: int | None, codebook_id: str | None,
          code_id: str | None, start: int | None, end: int | None, title: str,
          source: str | None, stamp: str) -> int:
    if target not in MEMO_TARGETS:
        raise StoreError(f"a memo is on one of {', '.join(MEMO_TARGETS)}, not '{target}'")
    document_id = None
    if target == "coding":
        row = _coding_row(conn, coding_id) if coding_id is not None else None
        if row is None or row["case_id"] != case_id:
            raise StoreError(f"coding {coding_id} is not in case '{case_id}'")
        doc_id = row["doc_id"]
    if doc_id is not None:
        doc = _document(conn, case_id, doc_id)
        document_id = doc["id"]
        if start is not None and not 0 <= start < (end or 0) <= len(doc["text"]):
            raise StoreError(f"{doc_id}: memo offsets {start}..{end} are outside the text")
    if target == "document" and document_id is None:
        raise StoreError("a memo on a document needs its doc_id")
    if target == "code" and not (codebook_id and code_id):
        raise StoreError("a memo on a code needs the codebook and code id")
    cursor = conn.execute(
        "INSERT INTO memos (case_id, target, document_id, coding_id, coding_ref, codebook_id,"
        ' code_id, coder, title, text, start, "end", created_at, updated_at)'
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (case_id, target, document_id, coding_id, coding_id, codebook_id, code_id, coder,
         title, text, start, end, stamp, stamp))
    memo_id = int(cursor.lastrowid)
    after = {"target": target, "coding_id": coding_id, "codebook_id": codebook_id,
             "code_id": code_id, "start": start, "end": end, "title": title, "text": text}
    _audit(conn, stamp=stamp, actor=coder, action="memo", table="memos", row_id=memo_id,
           case_id=case_id, doc_id=doc_id, before=None,
           after=json.dumps(after, ensure_ascii=False), source=source)
    return memo_id
