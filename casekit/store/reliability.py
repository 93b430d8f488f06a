"""Reading codings per coder for agreement, and replacing a coder's imported manual codings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from casekit.errors import StoreError
from casekit.store.base import now
from casekit.store.human import _add, _remove  # changes inside a caller's transaction

AUTO = "auto"

# A human coder's codings: the codings they made themselves and the auto proposals they
# accepted. What they rejected is no coding of theirs, but shows they read the document.
_HUMAN_CODES = ("((c.coder = ? AND c.origin = 'manual' AND c.status != 'rejected')"
                " OR (c.origin = 'auto' AND c.status = 'accepted' AND c.decided_by = ?))")
_HUMAN_TOUCHED = "((c.coder = ? AND c.origin = 'manual') OR c.decided_by = ?)"


class ReliabilityTables:
    """Store methods behind intercoder agreement and the import of manual codings."""

    def coder_codings(self, case_id: str, codebook_id: str, coder: str) -> pd.DataFrame:
        """Return one coder's live (not stale) codings of a case with one codebook.

        ``coder`` is a person's name or ``"auto"`` for every auto-coder proposal, whatever
        its status (the dictionary's own judgement). A person's codings are their manual
        codings that are not rejected plus the auto proposals they accepted. Columns:
        doc_id, start, end, code_id.
        """
        if coder == AUTO:
            who, params = "c.origin = 'auto'", []
        else:
            who, params = _HUMAN_CODES, [coder, coder]
        return self._frame(
            'SELECT d.doc_id, c.start, c."end", c.code_id FROM codings c'
            " JOIN documents d ON d.id = c.document_id"
            f" WHERE d.case_id = ? AND c.codebook_id = ? AND c.stale = 0 AND {who}"
            ' ORDER BY d.doc_id, c.start, c."end", c.code_id',
            [case_id, codebook_id, *params])

    def coder_documents(self, case_id: str, codebook_id: str, coder: str) -> list[str]:
        """Return the doc_ids a coder worked on with a codebook, sorted.

        For ``"auto"``: the documents the auto-coder ran on with that codebook (with or
        without proposals). For a person: documents where they added, accepted or rejected
        any coding of that codebook.
        """
        if coder == AUTO:
            rows = self._conn.execute(
                "SELECT d.doc_id FROM coding_state cs JOIN documents d ON d.id = cs.document_id"
                " WHERE d.case_id = ? AND cs.codebook_id = ? ORDER BY d.doc_id",
                (case_id, codebook_id)).fetchall()
        else:
            rows = self._conn.execute(
                "SELECT DISTINCT d.doc_id FROM codings c JOIN documents d ON d.id = c.document_id"
                f" WHERE d.case_id = ? AND c.codebook_id = ? AND {_HUMAN_TOUCHED}"
                " ORDER BY d.doc_id", (case_id, codebook_id, coder, coder)).fetchall()
        return [r[0] for r in rows]

    def coded_codebooks(self, case_id: str, coders: Sequence[str]) -> list[str]:
        """Return the ids of the codebooks any of ``coders`` coded the case with, sorted."""
        found: set[str] = set()
        for coder in coders:
            if coder == AUTO:
                sql, params = ("SELECT DISTINCT c.codebook_id FROM codings c JOIN documents d"
                               " ON d.id = c.document_id WHERE d.case_id = ?"
                               " AND c.origin = 'auto'", [case_id])
            else:
                sql, params = ("SELECT DISTINCT c.codebook_id FROM codings c JOIN documents d"
                               f" ON d.id = c.document_id WHERE d.case_id = ? AND"
                               f" {_HUMAN_TOUCHED}", [case_id, coder, coder])
            found.update(r[0] for r in self._conn.execute(sql, params))
        return sorted(found)

    def coder_summary(self, case_id: str) -> pd.DataFrame:
        """Return who coded a case with which codebook: coder, codebook_id, documents, codings.

        A person's codings are their manual codings (not rejected) and the proposals they
        accepted; ``auto`` counts every live auto proposal.
        """
        return self._frame(
            "SELECT coder, codebook_id, COUNT(DISTINCT document_id) AS documents,"
            " COUNT(*) AS codings FROM ("
            " SELECT c.coder AS coder, c.codebook_id, c.document_id FROM codings c"
            "  WHERE c.origin = 'manual' AND c.status != 'rejected' AND c.stale = 0"
            "  AND c.document_id IN (SELECT id FROM documents WHERE case_id = ?)"
            " UNION ALL SELECT c.decided_by, c.codebook_id, c.document_id FROM codings c"
            "  WHERE c.origin = 'auto' AND c.status = 'accepted' AND c.stale = 0"
            "  AND c.decided_by IS NOT NULL"
            "  AND c.document_id IN (SELECT id FROM documents WHERE case_id = ?)"
            " UNION ALL SELECT 'auto', c.codebook_id, c.document_id FROM codings c"
            "  WHERE c.origin = 'auto' AND c.stale = 0"
            "  AND c.document_id IN (SELECT id FROM documents WHERE case_id = ?))"
            " GROUP BY coder, codebook_id ORDER BY codebook_id, coder = 'auto', coder",
            (case_id, case_id, case_id))

    def replace_manual_codings(self, case_id: str, codebook_id: str, coder: str,
                               rows: Sequence[dict[str, Any]], *, codebook: int | None = None,
                               source: str | None = None) -> dict[str, int]:
        """Replace a coder's manual codings of a case with one codebook, in one transaction.

        Each row has doc_id, start, end, code_id and optionally memo. The coder's earlier
        manual codings with that codebook in the case are removed (each kept whole in the
        audit trail), then the rows are stored as the coder's manual, accepted codings,
        each with its audit entry; ``codebook`` is the stored codebook version and
        ``source`` says where the codings came from. All of it is stored, or none of it.
        Returns counts: removed, added.
        """
        if coder == AUTO:
            raise StoreError("'auto' is the auto-coder's name; give a person's name as coder")
        stamp = now()
        with self.transaction() as conn:
            old = [r[0] for r in conn.execute(
                "SELECT c.id FROM codings c JOIN documents d ON d.id = c.document_id"
                " WHERE d.case_id = ? AND c.codebook_id = ? AND c.coder = ?"
                " AND c.origin = 'manual' ORDER BY c.id", (case_id, codebook_id, coder))]
            for coding_id in old:
                _remove(conn, coding_id, coder=coder, reason="replaced by an import",
                        source=source, stamp=stamp)
            for row in rows:
                _add(conn, case_id, row["doc_id"], int(row["start"]), int(row["end"]),
                     codebook_id=codebook_id, code_id=row["code_id"], coder=coder,
                     codebook=codebook, memo=row.get("memo") or "", source=source,
                     stamp=stamp)
        return {"removed": len(old), "added": len(rows)}
