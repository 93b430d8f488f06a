"""The material of a case at a glance: documents and words by any document attribute."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from casekit.store import Store


def _ordered(frame: pd.DataFrame, store: Store, case_id: str) -> pd.DataFrame:
    """Order the tranche column as the case orders its tranches, not alphabetically."""
    if "tranche" in frame.columns:
        order = list(store.tranches(case_id)["tranche_id"])
        frame["tranche"] = pd.Categorical(frame["tranche"], categories=order, ordered=True)
    return frame


def material(store: Store, case_id: str, by: Sequence[str] = ("tranche",)) -> pd.DataFrame:
    """Return documents and words per combination of ``by`` (tranche, kind, actor_role, ...).

    Columns: the ``by`` columns, ``documents``, ``words`` and ``share_of_words`` (0–1).
    Tranches appear in the case's order, including tranches with no documents yet.
    """
    store.require_case(case_id)
    docs = store.documents(case_id)
    by = list(by)
    missing = [c for c in by if c not in docs.columns]
    if missing and not docs.empty:
        raise KeyError(f"unknown document attribute(s): {', '.join(missing)}")
    docs = _ordered(docs.reindex(columns=[*docs.columns, *missing]), store, case_id)
    table = (docs.groupby(by, observed=False, dropna=False)
             .agg(documents=("doc_id", "count"), words=("n_words", "sum"))
             .reset_index())
    total = table["words"].sum()
    table["share_of_words"] = table["words"] / total if total else 0.0
    if len(by) > 1:  # unobserved combinations are noise in a multi-way table
        table = table[table["documents"] > 0].reset_index(drop=True)
    return table.astype({"documents": "int64", "words": "int64"})


def speakers(store: Store, case_id: str) -> pd.DataFrame:
    """Return one row per interview speaker: doc_id, speaker, speaker_role, turns, words."""
    store.require_case(case_id)
    turns = store.segments(case_id, kind="turn", with_text=False)
    columns = ["doc_id", "speaker", "speaker_role", "turns", "words"]
    if turns.empty:
        return pd.DataFrame(columns=columns)
    table = (turns.groupby(["doc_id", "speaker", "speaker_role"], dropna=False)
             .agg(turns=("seq", "count"), words=("n_words", "sum")).reset_index())
    return table[columns]
