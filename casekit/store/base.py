"""Connection, schema migrations, transactions and runs: what every store table needs."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any, Self

import pandas as pd

from casekit.errors import Msg, StoreError

DEFAULT_STORE = "casekit.db"


def now() -> str:
    """Return the current UTC time as an ISO 8601 string (seconds)."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def _migrations() -> list[tuple[int, str]]:
    """Return (version, SQL) for every migration shipped with casekit, in order."""
    folder = resources.files("casekit.store") / "migrations"
    found = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), entry.read_text(encoding="utf-8")))
    return sorted(found)


SCHEMA_VERSION = max(v for v, _ in _migrations())


class StoreBase:
    """The open SQLite connection of a project store, migrated to the current schema."""

    def __init__(self, path: str | Path, *, create: bool = True) -> None:
        self.path = Path(path)
        if not create and not self.path.exists():
            raise StoreError(f"{self.path}: {Msg.STORE_MISSING}")
        if self.path.exists() and self.path.is_dir():
            raise StoreError(f"{self.path}: is a folder, not a store file")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            self._conn.row_factory = sqlite3.Row
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            if getattr(self, "_conn", None) is not None:
                self._conn.close()
            raise StoreError(f"{self.path}: {Msg.STORE_NOT_SQLITE.format(error=exc)}") from exc

    # -- life cycle ------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection (checkpointing the WAL)."""
        self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run a block in one write transaction: all of it is stored, or none of it."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        else:
            self._conn.execute("COMMIT")

    def _migrate(self) -> None:
        conn = self._conn
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version "
            "(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
        current = self.schema_version
        if current > SCHEMA_VERSION:
            raise StoreError(f"{self.path}: " + Msg.STORE_NEWER.format(
                found=current, known=SCHEMA_VERSION))
        for version, sql in _migrations():
            if version <= current:
                continue
            # executescript commits first, so the migration carries its own transaction.
            try:
                conn.executescript(
                    f"BEGIN;\n{sql}\nINSERT INTO schema_version VALUES ({version}, '{now()}');"
                    "\nCOMMIT;")
            except sqlite3.Error:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    @property
    def schema_version(self) -> int:
        """Return the schema version of the open store (0 for a new file)."""
        row = self._conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
        return row[0] or 0

    # -- runs ------------------------------------------------------------------------------

    def start_run(self, kind: str, case_id: str | None, parameters: dict[str, Any],
                  software: dict[str, str]) -> int:
        """Record the start of a run; return its id."""
        with self.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO runs (kind, case_id, started_at, status, parameters, software)"
                " VALUES (?,?,?,'running',?,?)",
                (kind, case_id, now(), json.dumps(parameters, ensure_ascii=False),
                 json.dumps(software)))
            return int(cursor.lastrowid)

    def finish_run(self, run_id: int, status: str, summary: dict[str, Any],
                   messages: Sequence[dict[str, Any]] = ()) -> None:
        """Record the end of a run, its summary and its per-document messages."""
        with self.transaction() as conn:
            conn.execute("UPDATE runs SET finished_at = ?, status = ?, summary = ? WHERE id = ?",
                         (now(), status, json.dumps(summary, ensure_ascii=False), run_id))
            conn.executemany(
                "INSERT INTO run_messages (run_id, level, doc_id, file, line, message)"
                " VALUES (?,?,?,?,?,?)",
                [(run_id, m["level"], m.get("doc_id"), m.get("file"), m.get("line"),
                  m["message"]) for m in messages])

    # -- reading ---------------------------------------------------------------------------

    def _frame(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        return pd.read_sql_query(sql, self._conn, params=list(params))
    def runs(self, case_id: str | None = None) -> pd.DataFrame:
        """Return the recorded runs (newest first) with their summary as a dict."""
        where, params = _case_filter("case_id", case_id)
        frame = self._frame(
            "SELECT id AS run_id, kind, case_id, started_at, finished_at, status, parameters,"
            f" software, summary FROM runs {where} ORDER BY id DESC", params)
        for column in ("parameters", "software", "summary"):
            frame[column] = frame[column].map(json.loads)
        return frame

    def run_messages(self, run_id: int) -> pd.DataFrame:
        """Return the messages (errors, warnings) recorded for a run."""
        return self._frame(
            "SELECT level, doc_id, file, line, message FROM run_messages WHERE run_id = ?"
            " ORDER BY id", (run_id,))

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Run one read-only statement and return its rows (for checks and diagnostics)."""
        if not sql.lstrip().upper().startswith(("SELECT", "PRAGMA", "WITH")):
            raise StoreError("Store.execute only runs read-only statements")
        return self._conn.execute(sql, params).fetchall()


def _sql_value(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Path):
        return str(value)
    return value


def _where(*conditions: tuple[str, Any]) -> tuple[str, list[Any]]:
    """Return a WHERE clause and its parameters for the conditions whose value is not None."""
    used = [(sql, value) for sql, value in conditions if value is not None]
    if not used:
        return "", []
    return "WHERE " + " AND ".join(sql for sql, _ in used), [value for _, value in used]


def _case_filter(column: str, case_id: str | None) -> tuple[str, list[Any]]:
    return _where((f"{column} = ?", case_id))
