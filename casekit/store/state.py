"""Reads for casekit's in-process caches: the store's change state and stored code trees."""

from __future__ import annotations

import json

import pandas as pd

STORED_CODE_COLUMNS = ["codebook", "codebook_id", "version", "sha256", "code_id", "parent_id",
                       "names", "position", "colour"]


class StateTables:
    """Store methods that tell a cache whether the store changed, and what it holds."""

    def data_state(self) -> tuple[int, int]:
        """Return a token that changes whenever the store's data may have changed.

        SQLite's ``data_version`` changes when another connection (in any process)
        commits; ``total_changes`` counts this connection's own writes. Two equal tokens
        from the same open store mean no write happened in between.
        """
        version = self._conn.execute("PRAGMA data_version").fetchone()[0]
        return int(version), int(self._conn.total_changes)

    def stored_codes(self) -> pd.DataFrame:
        """Return the codes of every stored codebook version, in file order.

        Columns: :data:`STORED_CODE_COLUMNS`; ``codebook`` is the version's store id and
        ``names`` a dict of names per language. Reading these is much cheaper than parsing
        the stored YAML again.
        """
        frame = self._frame(
            "SELECT cb.id AS codebook, cb.codebook_id, cb.version, cb.sha256, co.code_id,"
            " co.parent_id, co.names, co.position, co.colour"
            " FROM codes co JOIN codebooks cb ON cb.id = co.codebook"
            " ORDER BY cb.id, co.position")
        frame["names"] = frame["names"].map(json.loads)
        return frame[STORED_CODE_COLUMNS]
