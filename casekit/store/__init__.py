"""The project store: one embedded SQLite file. All of casekit's SQL lives in this package.

Foreign keys are on, the journal is WAL, and every write is one transaction: a document
is stored whole (text, segments, stale marks) or not at all. Reads return tidy pandas
DataFrames.
"""

from __future__ import annotations

from pathlib import Path

from casekit.store.analysis import AnalysisTables
from casekit.store.base import DEFAULT_STORE, SCHEMA_VERSION, StoreBase, now
from casekit.store.coding import CodingTables
from casekit.store.corpus import CorpusTables, DocumentState, SavedDocument
from casekit.store.human import HumanTables
from casekit.store.reliability import ReliabilityTables
from casekit.store.reports import ReportTables
from casekit.store.state import StateTables


class Store(StateTables, AnalysisTables, ReliabilityTables, ReportTables, HumanTables,
            CodingTables, CorpusTables, StoreBase):
    """An open project store. Use as a context manager, or call :meth:`close`."""


def open_store(path: str | Path = DEFAULT_STORE, *, create: bool = False) -> Store:
    """Open a project store; by default it must exist (``create=True`` makes a new one).

    Returns a :class:`Store`; raises :class:`~casekit.errors.StoreError` when the file is
    missing (and not to be created), is not a casekit store, or is from a newer casekit.
    """
    return Store(path, create=create)


__all__ = ["DEFAULT_STORE", "SCHEMA_VERSION", "DocumentState", "SavedDocument", "Store",
           "now", "open_store"]
