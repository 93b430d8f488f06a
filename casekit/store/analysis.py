"""Reads for analysis: filtered codings with their evidence, and the codes of a codebook."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pandas as pd

from casekit.store.base import _where

CODED_SPAN_COLUMNS = ["doc_id", "coding_id", "start", "end", "codebook_id", "code_id", "coder",
                      "origin", "status", "n_hits", "rule", "evidence", "quote"]
CODE_TABLE_COLUMNS = ["codebook_id", "code_id", "parent_id", "position", "names", "colour"]


def _in(column: str, values: Sequence[str] | None) -> tuple[str, Sequence[str] | None]:
    """Return an ``IN (...)`` condition for _where (no condition when values is None)."""
    if values is None:
        return "", None
    if not values:  # an empty choice matches nothing
        return "0", []
    return f"{column} IN ({', '.join('?' for _ in values)})", list(values)


class AnalysisTables:
    """Store methods that analysis needs beyond the corpus and coding tables."""

    def coded_spans(self, case_id: str, *, statuses: Sequence[str] | None = None,
                    origins: Sequence[str] | None = None, coders: Sequence[str] | None = None,
                    codebook_id: str | None = None, manual_proposals: bool = True,
                    include_stale: bool = False) -> pd.DataFrame:
        """Return the codings of a case that pass a filter, with their evidence.

        ``statuses``, ``origins`` and ``coders`` keep only the listed values (None keeps
        all); ``manual_proposals=False`` drops proposed codings that are not the auto
        coder's. Columns: :data:`CODED_SPAN_COLUMNS`; ``evidence`` is a list of hits
        (rule, matched, start, end), empty for manual codings.
        """
        conditions = [("d.case_id = ?", case_id), ("c.codebook_id = ?", codebook_id),
                      ("c.stale = ?", None if include_stale else 0)]
        for column, values in (("c.status", statuses), ("c.origin", origins),
                               ("c.coder", coders)):
            sql, params = _in(column, values)
            if params is not None:
                conditions.append((sql, params))
        where, flat = _where(*conditions)
        params = [p for value in flat for p in (value if isinstance(value, list) else [value])]
        if not manual_proposals:
            where += " AND NOT (c.status = 'proposed' AND c.origin != 'auto')"
        frame = self._frame(
            'SELECT d.doc_id, c.id AS coding_id, c.start, c."end", c.codebook_id, c.code_id,'
            " c.coder, c.origin, c.status, c.n_hits, c.rule, c.evidence, c.quote"
            f" FROM codings c JOIN documents d ON d.id = c.document_id {where}"
            ' ORDER BY d.doc_id, c.start, c."end", c.code_id, c.id', params)
        frame["evidence"] = frame["evidence"].map(json.loads)
        return frame[CODED_SPAN_COLUMNS]

    def code_table(self, codebook_id: str | None = None) -> pd.DataFrame:
        """Return the codes of the newest stored version of each codebook (or of one).

        Columns: :data:`CODE_TABLE_COLUMNS`, in codebook then file order; ``names`` is a
        dict of names per language; ``colour`` is None where the codebook gives none.
        """
        codes = self.stored_codes()
        newest = codes.groupby("codebook_id")["codebook"].transform("max")
        frame = codes[codes["codebook"] == newest]
        if codebook_id is not None:
            frame = frame[frame["codebook_id"] == codebook_id]
        frame = frame.sort_values(["codebook_id", "position"], kind="stable")
        return frame[CODE_TABLE_COLUMNS].reset_index(drop=True)

    def case_municipalities(self, case_id: str) -> list[str]:
        """Return the municipalities of a case in the order case.yaml lists them."""
        rows = self._conn.execute(
            "SELECT name FROM municipalities WHERE case_id = ? ORDER BY position", (case_id,))
        return [r[0] for r in rows]
