"""What case reports and their index page need from the store: provenance and readiness."""

from __future__ import annotations

import pandas as pd

from casekit.store.base import _case_filter, _where


class ReportTables:
    """Store methods for report provenance: case sources, codebook versions used, counts."""

    def case_sources(self, case_id: str | None = None) -> pd.DataFrame:
        """Return one row per case: case_id, source_path, yaml_sha256, updated_at."""
        where, params = _case_filter("case_id", case_id)
        return self._frame(
            f"SELECT case_id, source_path, yaml_sha256, updated_at FROM cases {where}"
            " ORDER BY case_id", params)

    def codebook_usage(self, case_id: str | None = None) -> pd.DataFrame:
        """Return the codebook versions behind each case's codings, with coding counts.

        One row per case, codebook id and stored version: case_id, codebook_id, version,
        sha256, codings. Manual codings, which no codebook version produced, have an
        empty version and sha256.
        """
        where, params = _where(("d.case_id = ?", case_id))
        return self._frame(
            "SELECT d.case_id, c.codebook_id, COALESCE(cb.version, '') AS version,"
            " COALESCE(cb.sha256, '') AS sha256, COUNT(*) AS codings"
            " FROM codings c JOIN documents d ON d.id = c.document_id"
            f" LEFT JOIN codebooks cb ON cb.id = c.codebook {where}"
            " GROUP BY d.case_id, c.codebook_id, cb.id"
            " ORDER BY d.case_id, c.codebook_id, cb.id", params)

    def coding_counts(self) -> dict[str, int]:
        """Return the number of codings (any origin and status) of every stored case."""
        rows = self._conn.execute(
            "SELECT c.case_id, COUNT(k.id) FROM cases c"
            " LEFT JOIN documents d ON d.case_id = c.case_id"
            " LEFT JOIN codings k ON k.document_id = d.id GROUP BY c.case_id").fetchall()
        return {row[0]: int(row[1]) for row in rows}
