"""casekit: qualitative case studies of public governance in Jupyter.

The names below are the public API; everything else is internal. They are imported on
first use, so ``import casekit`` stays light: a report kernel that reads the store never
loads spaCy, which only ingest and coding need.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> the module that defines it
_LAZY = {
    "Case": "casekit.case",
    "DocumentSpec": "casekit.case",
    "Tranche": "casekit.case",
    "load_case": "casekit.case",
    "load_manifest": "casekit.case",
    "CasekitError": "casekit.errors",
    "InputError": "casekit.errors",
    "ReadError": "casekit.errors",
    "StoreError": "casekit.errors",
    "IngestReport": "casekit.ingest",
    "find_cases": "casekit.ingest",
    "ingest_case": "casekit.ingest",
    "ReadResult": "casekit.readers",
    "read_document": "casekit.readers",
    "Segment": "casekit.segment",
    "segment_document": "casekit.segment",
    "Store": "casekit.store",
    "open_store": "casekit.store",
}

if TYPE_CHECKING:
    from casekit.case import Case, DocumentSpec, Tranche, load_case, load_manifest
    from casekit.errors import CasekitError, InputError, ReadError, StoreError
    from casekit.ingest import IngestReport, find_cases, ingest_case
    from casekit.readers import ReadResult, read_document
    from casekit.segment import Segment, segment_document
    from casekit.store import Store, open_store


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use (PEP 562) and return the name."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'casekit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "Case",
    "CasekitError",
    "DocumentSpec",
    "IngestReport",
    "InputError",
    "ReadError",
    "ReadResult",
    "Segment",
    "Store",
    "StoreError",
    "Tranche",
    "__version__",
    "find_cases",
    "ingest_case",
    "load_case",
    "load_manifest",
    "open_store",
    "read_document",
    "segment_document",
]
