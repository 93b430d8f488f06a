"""casekit: qualitative case studies of public governance in Jupyter.

The names below are the public API; everything else is internal.
"""

from __future__ import annotations

__version__ = "0.1.0"

from casekit.case import Case, DocumentSpec, Tranche, load_case, load_manifest
from casekit.errors import CasekitError, InputError, ReadError, StoreError
from casekit.ingest import IngestReport, find_cases, ingest_case
from casekit.readers import ReadResult, read_document
from casekit.segment import Segment, segment_document
from casekit.store import Store, open_store

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
