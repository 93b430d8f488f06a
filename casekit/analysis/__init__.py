"""Analyses of a coded case, as tidy pandas DataFrames.

Every function reads ``(store, case_id, ...)`` and takes a :class:`CodingFilter` (which
codings count; by default accepted codings and the auto-coder's proposals, never
rejected ones), a ``level`` of the code tree (``"top"`` logics, ``"code"`` as coded, or a
depth) and a ``codebook`` id. Empty material gives empty or zero frames with the same
columns, never an exception.
"""

from __future__ import annotations

from casekit.analysis.base import DEFAULT_FILTER, UNITS, CodingFilter, code_at, code_info
from casekit.analysis.counts import (
    chi_square,
    code_document_matrix,
    code_unit_matrix,
    crosstab,
    frequencies,
)
from casekit.analysis.hybrid import cooccurrence, hybridity
from casekit.analysis.profiles import (
    actor_profile,
    timeline,
    trace_themes,
    tranche_profile,
    tranche_shift,
)
from casekit.analysis.text import kwic, quotes

__all__ = [
    "DEFAULT_FILTER",
    "UNITS",
    "CodingFilter",
    "actor_profile",
    "chi_square",
    "code_at",
    "code_document_matrix",
    "code_info",
    "code_unit_matrix",
    "cooccurrence",
    "crosstab",
    "frequencies",
    "hybridity",
    "kwic",
    "quotes",
    "timeline",
    "trace_themes",
    "tranche_profile",
    "tranche_shift",
]
