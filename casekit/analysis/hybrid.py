"""Where codes meet: co-occurrence within units, and the hybridity of the logic mix."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from casekit.analysis.base import (
    CodingFilter,
    Level,
    Material,
    entropy,
    evenness,
    group_counts,
    load,
    safe_div,
)
from casekit.errors import UsageError
from casekit.store import Store

COOCCURRENCE_COLUMNS = ["code_a", "code_b", "count", "units_a", "units_b", "jaccard",
                        "conditional", "expected", "obs_exp"]
UNIT_HYBRIDITY_COLUMNS = ["doc_id", "unit", "seq", "start", "end", "speaker", "speaker_role",
                          "tranche", "municipality", "actor_role", "logics", "logic_set",
                          "codings", "entropy", "hybrid"]
GROUP_HYBRIDITY_COLUMNS = ["coded_units", "hybrid_units", "hybrid_share", "mean_logics",
                           "logics", "entropy", "evenness"]
DOCUMENT_KEYS = ["doc_id", "title", "kind", "tranche", "municipality", "actor_role"]


def cooccurrence(store: Store, case_id: str, *, unit: str = "sentence", level: Level = "top",
                 codebook: str | None = None, filter: CodingFilter | None = None
                 ) -> pd.DataFrame:
    """Return how often two codes occur in the same unit, one row per ordered pair.

    ``unit``: sentence, paragraph, turn or document. Columns: ``code_a``, ``code_b``
    (every pair of different codes, both ways round), ``count`` (units with both),
    ``units_a``, ``units_b``, ``jaccard`` (count / units with either), ``conditional``
    (count / units_a: how often a comes with b), ``expected`` (units_a × units_b / all
    units, if the codes were independent) and ``obs_exp`` (count / expected; above 1 the
    codes meet more often than chance). Zero where a denominator is zero.
    """
    material = load(store, case_id, unit=unit, level=level, filter=filter, codebook=codebook)
    codes = material.codes
    index = {c: i for i, c in enumerate(codes)}
    matrix = np.zeros((len(material.units), len(codes)))
    if len(material.presence):
        matrix[material.presence["unit_id"].to_numpy(),
               material.presence["code"].map(index).to_numpy()] = 1
    together = matrix.T @ matrix
    per_code = np.diag(together)
    a, b = np.meshgrid(np.arange(len(codes)), np.arange(len(codes)), indexing="ij")
    keep = a != b
    a, b = a[keep], b[keep]
    count = together[a, b]
    frame = pd.DataFrame({
        "code_a": [codes[i] for i in a], "code_b": [codes[i] for i in b],
        "count": count.astype("int64"), "units_a": per_code[a].astype("int64"),
        "units_b": per_code[b].astype("int64")})
    frame["jaccard"] = safe_div(count, per_code[a] + per_code[b] - count)
    frame["conditional"] = safe_div(count, per_code[a])
    frame["expected"] = safe_div(per_code[a] * per_code[b], np.full(len(a), len(matrix)))
    frame["obs_exp"] = safe_div(count, frame["expected"].to_numpy())
    return frame[COOCCURRENCE_COLUMNS]


def hybridity(store: Store, case_id: str, *, per: str | Sequence[str] = "document",
              unit: str = "sentence", codebook: str | None = None,
              filter: CodingFilter | None = None) -> pd.DataFrame:
    """Return how many top-level logics meet, per unit, per document or per group.

    Logics are the top-level codes (``NPM.goals`` counts as ``NPM``). ``per="unit"``:
    one row per coded unit: ``logics`` (distinct logics), ``logic_set`` (``"NPG+NPM"``),
    ``codings``, ``entropy`` (bits, of the codings per logic) and ``hybrid`` (two logics
    or more). ``per="document"`` or an attribute (``"tranche"``, ``"actor_role"``, or
    several): one row per document or group, every one even if nothing is coded, with
    ``coded_units``, ``hybrid_units``, ``hybrid_share`` (of coded units), ``mean_logics``
    (per coded unit), ``logics`` (distinct in the group), ``entropy`` of the group's logic
    mix (units per logic, bits) and ``evenness`` (entropy over its maximum for the
    codebook's number of logics).
    """
    check_per(per)
    material = load(store, case_id, unit=unit, level="top", filter=filter, codebook=codebook)
    per_unit = _unit_rows(material)
    if per == "unit":
        return per_unit[UNIT_HYBRIDITY_COLUMNS]
    n_logics = len(material.codes)
    if per == "document":
        keys = material.docs[DOCUMENT_KEYS].reset_index(drop=True)
        return _aggregate(keys, per_unit, ["doc_id"], material, n_logics)
    by = [per] if isinstance(per, str) else list(per)
    _, groups = group_counts(material, by)
    return _aggregate(groups[by], per_unit, by, material, n_logics)


def _unit_rows(material: Material) -> pd.DataFrame:
    """Return one row per coded unit with its logic count, set and entropy."""
    presence = material.presence
    order = {c: i for i, c in enumerate(material.codes)}
    if presence.empty:
        return pd.DataFrame(columns=[*UNIT_HYBRIDITY_COLUMNS, "unit_id"])
    presence = presence.assign(_order=presence["code"].map(order)).sort_values(
        ["unit_id", "_order"])
    # Each unit's rows are a run of the sorted presence: sums per run with reduceat, not a
    # Python function per unit (a thousand units per report).
    unit_ids = presence["unit_id"].to_numpy()
    first = np.flatnonzero(np.r_[True, unit_ids[1:] != unit_ids[:-1]])
    size = np.diff(np.r_[first, len(unit_ids)])
    codings = presence["codings"].to_numpy(dtype=float)
    totals = np.add.reduceat(codings, first)
    share = codings / np.repeat(totals, size)
    codes = presence["code"].tolist()
    rows = pd.DataFrame({
        "unit_id": unit_ids[first], "logics": size,
        "logic_set": ["+".join(codes[a:a + n]) for a, n in zip(first, size, strict=True)],
        "codings": totals,
        # Shannon entropy in bits, as entropy() gives it (+ 0.0 turns -0.0 into 0.0).
        "entropy": np.add.reduceat(-(share * np.log2(share)), first) + 0.0})
    rows["hybrid"] = rows["logics"] >= 2
    frame = rows.merge(material.units, on="unit_id")
    return frame.astype({"logics": "int64", "codings": "int64", "entropy": "float64"})


def _aggregate(keys: pd.DataFrame, per_unit: pd.DataFrame, by: list[str],
               material: Material, n_logics: int) -> pd.DataFrame:
    """Add hybridity measures per group of ``by`` to the ``keys`` rows (zeros if none)."""
    if per_unit.empty:
        stats = pd.DataFrame(columns=[*by, *GROUP_HYBRIDITY_COLUMNS])
    else:
        coded = per_unit.groupby(by, sort=False).agg(
            coded_units=("unit_id", "size"), hybrid_units=("hybrid", "sum"),
            mean_logics=("logics", "mean"))
        mix = (material.presence.merge(per_unit[["unit_id", *by]], on="unit_id")
               .groupby([*by, "code"], sort=False).size())
        mix_by = mix.groupby(level=list(range(len(by))), sort=False)
        coded["logics"] = mix_by.size()
        coded["entropy"] = mix_by.apply(lambda s: entropy(s.to_numpy()))
        stats = coded.reset_index()
    frame = keys.merge(stats, on=by, how="left")
    for column in ("coded_units", "hybrid_units", "logics"):
        frame[column] = frame[column].fillna(0).astype("int64")
    for column in ("mean_logics", "entropy"):
        frame[column] = frame[column].astype("float64").fillna(0.0)
    frame["hybrid_share"] = safe_div(frame["hybrid_units"], frame["coded_units"])
    frame["evenness"] = [evenness(e, n_logics) for e in frame["entropy"]]
    return frame[[*keys.columns, *GROUP_HYBRIDITY_COLUMNS]]


def check_per(per: object) -> None:
    """Raise :class:`UsageError` unless ``per`` is a str or a sequence of str."""
    if not isinstance(per, str) and not (
            isinstance(per, Sequence) and all(isinstance(p, str) for p in per)):
        raise UsageError(f"per must be 'unit', 'document' or attribute name(s), not {per!r}")
