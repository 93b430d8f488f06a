"""How often codes occur: frequencies, crosstabs with a chi-square test, presence matrices."""

from __future__ import annotations

import numpy as np
import pandas as pd

from casekit.analysis.base import (
    CodingFilter,
    Level,
    group_counts,
    load,
    safe_div,
)
from casekit.store import Store

FREQUENCY_COLUMNS = ["code", "codings", "units", "documents", "share_of_units",
                     "per_1000_words"]
CROSSTAB_MEASURES = ["count", "words", "row_share", "column_share", "per_1000_words",
                     "expected", "residual"]
CHI_SQUARE_COLUMNS = ["chi2", "dof", "p_value", "n", "cramers_v", "min_expected",
                      "low_expected_share"]
UNIT_MATRIX_META = ["doc_id", "unit", "seq", "start", "end", "speaker", "speaker_role",
                    "n_words", "title", "kind", "tranche", "municipality", "actor_role",
                    "date", "language"]
DOCUMENT_MATRIX_META = ["doc_id", "title", "kind", "tranche", "municipality", "actor_role",
                        "date", "language", "words"]


def frequencies(store: Store, case_id: str, *, level: Level = "top", unit: str = "sentence",
                codebook: str | None = None, filter: CodingFilter | None = None
                ) -> pd.DataFrame:
    """Return how often each code occurs in a case, one row per code.

    Columns: ``code``; ``codings`` (codings that count); ``units`` (units of kind ``unit``
    where the code is present); ``documents``; ``share_of_units`` (of all units, 0–1);
    ``per_1000_words`` (coded units per 1,000 words of the units). Every code of the
    codebook appears, with zeros when it never fires.
    """
    material = load(store, case_id, unit=unit, level=level, filter=filter, codebook=codebook)
    codings, presence = material.codings, material.presence
    frame = pd.DataFrame({"code": material.codes})
    frame["codings"] = frame["code"].map(codings.groupby("code").size())
    frame["units"] = frame["code"].map(presence.groupby("code")["unit_id"].nunique())
    frame["documents"] = frame["code"].map(codings.groupby("code")["doc_id"].nunique())
    frame = frame.fillna({"codings": 0, "units": 0, "documents": 0}).astype(
        {"codings": "int64", "units": "int64", "documents": "int64"})
    total_units, words = len(material.units), int(material.units["n_words"].sum())
    frame["share_of_units"] = frame["units"] / total_units if total_units else 0.0
    frame["per_1000_words"] = frame["units"] * 1000 / words if words else 0.0
    return frame[FREQUENCY_COLUMNS]


def _pearson(observed: np.ndarray) -> tuple[float, int, float, np.ndarray]:
    """Return Pearson's chi-square test of independence of a two-way table of counts with
    at least two rows and columns, each with a count: (chi2, dof, p-value, expected).

    Without continuity correction, the numbers of ``scipy.stats.chi2_contingency(observed,
    correction=False)``: expected = row total x column total / N, chi2 = the sum of
    (O - E)^2 / E, dof = (rows - 1)(columns - 1), p = the chi-square survival function at
    chi2 (Agresti 2007, 2.4.3).
    """
    # scipy.special imports in ~0.1 s, scipy.stats in ~0.6 s; and here, not at import,
    # as most users of casekit.analysis never test.
    from scipy.special import chdtrc

    observed = np.asarray(observed, dtype=float)
    n = observed.sum()
    expected = observed.sum(axis=1, keepdims=True) * observed.sum(axis=0, keepdims=True) / n
    dof = (observed.shape[0] - 1) * (observed.shape[1] - 1)
    chi2 = float(((observed - expected) ** 2 / expected).sum())
    return chi2, dof, float(chdtrc(dof, chi2)), expected


def _contingency(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
    """Return expected counts, adjusted standardised residuals and the chi-square test.

    Rows and columns with no counts take no part in the test; their cells get expected
    and residual 0. The test needs at least two non-empty rows and columns, else its
    numbers are NaN.
    """
    expected = np.zeros(counts.shape)
    residual = np.zeros(counts.shape)
    rows, cols = counts.sum(axis=1) > 0, counts.sum(axis=0) > 0
    result = dict.fromkeys(CHI_SQUARE_COLUMNS, float("nan"))
    result["n"] = float(counts.sum())
    if rows.sum() < 2 or cols.sum() < 2:
        return expected, residual, result
    observed = counts[np.ix_(rows, cols)].astype(float)
    chi2, dof, p_value, exp = _pearson(observed)
    n = observed.sum()
    row_p = observed.sum(axis=1, keepdims=True) / n
    col_p = observed.sum(axis=0, keepdims=True) / n
    # Adjusted (standardised) residuals: about N(0, 1) under independence, so |r| > 1.96
    # marks a cell that stands out at the 5 % level (Agresti 2007, 2.4.5).
    adjusted = (observed - exp) / np.sqrt(exp * (1 - row_p) * (1 - col_p))
    expected[np.ix_(rows, cols)] = exp
    residual[np.ix_(rows, cols)] = adjusted
    k = min(observed.shape) - 1
    result.update(chi2=chi2, dof=float(dof), p_value=p_value, n=float(n),
                  cramers_v=float(np.sqrt(chi2 / (n * k))) if k else float("nan"),
                  min_expected=float(exp.min()),
                  low_expected_share=float((exp < 5).mean()))
    return expected, residual, result


def crosstab(store: Store, case_id: str, by: str = "tranche", *, level: Level = "top",
             unit: str = "sentence", codebook: str | None = None,
             filter: CodingFilter | None = None) -> pd.DataFrame:
    """Return codes by a document or segment attribute, in tidy form, one row per cell.

    ``by``: tranche, municipality, actor_role, kind, language, speaker, speaker_role, year,
    quarter, month, or an extra manifest column; units with no value for it are left out.
    Columns: ``code``, ``by``, then ``count`` (units with the code), ``words`` (in the
    category), ``row_share`` (of the code's count), ``column_share`` (of the category's
    counts), ``per_1000_words``, ``expected`` (under independence) and ``residual``
    (adjusted standardised residual; beyond ±1.96 a cell stands out). The chi-square
    test is in ``frame.attrs["chi_square"]``; :func:`chi_square` recomputes it.
    """
    material = load(store, case_id, unit=unit, level=level, filter=filter, codebook=codebook)
    cells, groups = group_counts(material, by)
    frame = cells.rename(columns={"units": "count"})[["code", by, "count"]]
    # One code after another, as the rows of a printed crosstab read.
    rank = {c: i for i, c in enumerate(material.codes)}
    frame = frame.iloc[np.argsort(frame["code"].map(rank).to_numpy(), kind="stable")]
    frame["words"] = frame[by].map(dict(zip(groups[by], groups["words"], strict=True)))
    frame = frame.astype({"words": "int64"})
    return _measures(frame, by, material.codes, list(groups[by]))


def _measures(frame: pd.DataFrame, by: str, codes: list[str],
              categories: list[object]) -> pd.DataFrame:
    """Add shares, rates, expected counts and residuals to a code × category count frame."""
    matrix = (frame.pivot(index="code", columns=by, values="count")
              .reindex(index=codes, columns=categories).fillna(0).to_numpy(dtype=float))
    expected, residual, test = _contingency(matrix)
    row_total = frame.groupby("code")["count"].transform("sum")
    col_total = frame.groupby(by)["count"].transform("sum")
    frame["row_share"] = safe_div(frame["count"], row_total)
    frame["column_share"] = safe_div(frame["count"], col_total)
    frame["per_1000_words"] = safe_div(frame["count"] * 1000, frame["words"])
    position = {c: i for i, c in enumerate(codes)}, {c: i for i, c in enumerate(categories)}
    rows = frame["code"].map(position[0]).to_numpy(dtype=int)
    cols = frame[by].map(position[1]).to_numpy(dtype=int)
    frame["expected"] = expected[rows, cols] if len(frame) else []
    frame["residual"] = residual[rows, cols] if len(frame) else []
    frame = frame.astype({c: "float64" for c in CROSSTAB_MEASURES[2:]})
    frame.attrs["chi_square"] = test
    return frame.reset_index(drop=True)


def chi_square(table: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Return the chi-square test of independence for a :func:`crosstab` frame, one row.

    Columns: chi2, dof, p_value, n (units counted), cramers_v, min_expected and
    low_expected_share (cells expected below 5: above 0.2 the test is doubtful). Codes
    and categories with no counts take no part; with fewer than two of either the
    numbers are NaN.
    """
    by = by or next(c for c in table.columns if c not in ("code", *CROSSTAB_MEASURES))
    matrix = table.pivot(index="code", columns=by, values="count").fillna(0)
    _, _, test = _contingency(matrix.to_numpy(dtype=float))
    return pd.DataFrame([test], columns=CHI_SQUARE_COLUMNS)


def code_document_matrix(store: Store, case_id: str, *, level: Level = "code",
                         codebook: str | None = None, filter: CodingFilter | None = None
                         ) -> pd.DataFrame:
    """Return a 0/1 code-presence matrix: one row per document, one column per code.

    Columns: doc_id, title, kind, tranche, municipality, actor_role, date, language,
    words, then one int column per code (named by code id, every code of the codebook).
    """
    material = load(store, case_id, unit="document", level=level, filter=filter,
                    codebook=codebook)
    meta = material.docs[DOCUMENT_MATRIX_META].reset_index(drop=True)
    present = material.presence.merge(material.units[["unit_id", "doc_id"]], on="unit_id")
    return _with_presence(meta, present, "doc_id", material.codes)


def code_unit_matrix(store: Store, case_id: str, unit: str = "sentence", *,
                     level: Level = "code", codebook: str | None = None,
                     filter: CodingFilter | None = None, with_text: bool = False
                     ) -> pd.DataFrame:
    """Return a 0/1 code-presence matrix: one row per unit (sentence, paragraph, turn).

    Columns: doc_id, unit, seq, start, end, speaker, speaker_role, n_words, title, kind,
    tranche, municipality, actor_role, date, language, ``text`` when ``with_text``, then
    one int column per code. Ready for R, Stata or Excel (see casekit.export.write_table).
    """
    material = load(store, case_id, unit=unit, level=level, filter=filter, codebook=codebook)
    meta = material.units[["unit_id", *UNIT_MATRIX_META]]
    if with_text:
        texts = {d: store.document_text(case_id, d) for d in meta["doc_id"].unique()}
        meta = meta.assign(text=[texts[d][s:e] for d, s, e in zip(
            meta["doc_id"], meta["start"], meta["end"], strict=True)])
    frame = _with_presence(meta, material.presence, "unit_id", material.codes)
    return frame.drop(columns="unit_id")


def _with_presence(meta: pd.DataFrame, presence: pd.DataFrame, key: str,
                   codes: list[str]) -> pd.DataFrame:
    """Add one 0/1 column per code to ``meta``, from (key, code) presence rows."""
    wide = (pd.crosstab(presence[key], presence["code"]).clip(upper=1)
            if len(presence) else pd.DataFrame())
    wide = wide.reindex(index=meta[key], columns=codes, fill_value=0)
    columns = {c: wide[c].to_numpy(dtype="int64") for c in codes}
    return pd.concat([meta.reset_index(drop=True), pd.DataFrame(columns, index=range(
        len(meta)))], axis=1)
