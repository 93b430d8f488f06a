"""Intercoder agreement: codings turned into units x coders data, and the figures explained.

casekit's own work is the data: every unit (sentence, paragraph or speaker turn) of every
document the coders worked on, and for each code whether each coder put it there (1), did
not (0), or did not code the document at all (NaN). Alpha comes from the well-kept
``krippendorff`` package; Cohen's and Fleiss' kappa are a few lines of numpy, checked
against statsmodels' ``inter_rater`` in the tests (statsmodels loads scipy.stats, half a
second in a report kernel).

A coding marks every unit it overlaps. ``unit="segment"`` takes each code's unit from the
codebook; a document without speaker turns (a plan, minutes) falls back to paragraphs, as
the auto-coder does. Interviewer speech is left out unless asked for. ``"auto"`` is the
auto-coder as a coder: every proposal it made, whatever a person decided about it.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import krippendorff
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from casekit.codebook import UNITS as CODE_UNITS
from casekit.codebook import Codebook, stored_codebook
from casekit.errors import UsageError
from casekit.store import Store
from casekit.store.reliability import AUTO

UNITS = ("segment", *CODE_UNITS)
DEPTHS = ("top", "all")
LEVELS = ("nominal", "ordinal", "interval", "ratio")
KEYS = ["doc_id", "tranche", "unit", "seq", "start", "end", "code_id"]
ALL_CODES = "(all codes)"
Level = Literal["nominal", "ordinal", "interval", "ratio"]


# -- statistics on given data ---------------------------------------------------------------


def _matrix(data: object) -> np.ndarray:
    """Return data as a float coders x units array (None and NaN both mean missing)."""
    if isinstance(data, pd.DataFrame):
        data = data.to_numpy(dtype=float, na_value=np.nan)
    try:
        matrix = np.array(data, dtype=float)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"agreement data must be numbers, with NaN for missing: {exc}") from exc
    if matrix.ndim != 2:
        raise UsageError(f"agreement data must be a coders x units table, not {matrix.ndim}-D")
    return matrix


def krippendorff_alpha(data: object, level: Level = "nominal") -> float:
    """Return Krippendorff's alpha of a coders x units array with NaN for missing values.

    ``level`` is the level of measurement: nominal, ordinal, interval or ratio. Units with
    fewer than two values do not count. Returns NaN when alpha is undefined: fewer than two
    pairable values, or one value only (no variation to disagree on).
    """
    if level not in LEVELS:
        raise UsageError(f"unknown level '{level}' (use {', '.join(LEVELS)})")
    matrix = _matrix(data)
    pairable = matrix[:, (~np.isnan(matrix)).sum(axis=0) >= 2] if matrix.size else matrix
    if pairable.size == 0 or len(np.unique(pairable[~np.isnan(pairable)])) < 2:
        return float("nan")
    return float(krippendorff.alpha(reliability_data=pairable, level_of_measurement=level))


def _table_kappa(table: np.ndarray) -> float:
    """Return Cohen's kappa of a square contingency table (NaN when chance agreement is 1).

    Cohen (1960): kappa = (p_o - p_e) / (1 - p_e), with p_o the share of units on the
    diagonal and p_e = sum_k row_k * col_k / N^2 the agreement expected by chance.
    """
    total = table.sum()
    if total == 0:
        return float("nan")
    expected = float((table.sum(axis=0) * table.sum(axis=1)).sum()) / total**2
    if np.isclose(expected, 1.0):
        return float("nan")
    observed = float(np.trace(table)) / total
    return (observed - expected) / (1 - expected)


def cohen_kappa(a: Sequence[object], b: Sequence[object]) -> float:
    """Return Cohen's kappa of two coders' labels for the same units (unweighted).

    Labels may be any hashable values; positions where either coder has no label (None or
    NaN) are left out. Returns NaN when kappa is undefined (no units, or both coders used
    one and the same label throughout).
    """
    if len(a) != len(b):
        raise UsageError(f"the two label sequences differ in length ({len(a)} and {len(b)})")
    # One number per distinct label, -1 for a missing one (None, NaN).
    labels, distinct = pd.factorize(pd.Series([*a, *b], dtype=object))
    first, second = labels[:len(a)], labels[len(a):]
    both = (first >= 0) & (second >= 0)
    table = np.zeros((len(distinct), len(distinct)))
    np.add.at(table, (first[both], second[both]), 1)
    return _table_kappa(table)


def _category_counts(labels: np.ndarray) -> np.ndarray:
    """Return a units x categories table of how many coders gave each unit each label.

    ``labels`` is units x coders with no missing values; the categories are the distinct
    labels in sorted order (as statsmodels' ``aggregate_raters`` makes them).
    """
    units, coders = labels.shape
    categories, category = np.unique(labels.ravel(), return_inverse=True)
    counts = np.zeros((units, len(categories)))
    np.add.at(counts, (np.repeat(np.arange(units), coders), category), 1)
    return counts


def fleiss_kappa(data: object) -> float:
    """Return Fleiss' kappa of a coders x units array of labels (NaN for missing).

    Fleiss' kappa needs the same number of coders on every unit, so units with a missing
    value are left out. Returns NaN when it is undefined (no complete unit, or one label
    throughout).
    """
    matrix = _matrix(data)
    complete = matrix[:, ~np.isnan(matrix).any(axis=0)] if matrix.size else matrix
    if complete.size == 0 or complete.shape[0] < 2 or len(np.unique(complete)) < 2:
        return float("nan")
    counts = _category_counts(complete.T)
    coders = complete.shape[0]
    # Fleiss (1971): P_i = (sum_j n_ij^2 - n) / (n (n - 1)) per unit, P-bar their mean,
    # p_j = each category's share of all labels, P_e = sum_j p_j^2, and
    # kappa = (P-bar - P_e) / (1 - P_e).
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        p_unit = ((counts**2).sum(axis=1) - coders) / (coders * (coders - 1.0))
        shares = counts.sum(axis=0) / counts.sum()
        chance = float((shares * shares).sum())
        return float((p_unit.mean() - chance) / (1 - chance))


def percent_agreement(data: object) -> float:
    """Return the percentage (0-100) of units on which every coder who coded it agrees.

    ``data`` is a coders x units array with NaN for missing values; units with fewer than
    two values do not count. Returns NaN when no unit has two values.
    """
    matrix = _matrix(data)
    pairable = matrix[:, (~np.isnan(matrix)).sum(axis=0) >= 2] if matrix.size else matrix
    if pairable.size == 0:
        return float("nan")
    agree = np.nanmax(pairable, axis=0) == np.nanmin(pairable, axis=0)
    return float(100 * agree.mean())


# -- codings -> units x coders --------------------------------------------------------------

def resolve_codebook(store: Store, case_id: str, coders: Sequence[str] | str,
                     codebook: Codebook | str | Path | None) -> Codebook:
    """Return the codebook to compare with: given, loaded from a path, or found in the store.

    Without one, the coders must have coded the case with exactly one codebook, whose
    newest stored version is used.
    """
    if isinstance(codebook, Codebook):
        return codebook
    if codebook is not None:
        if not Path(codebook).is_file():
            raise UsageError(f"{codebook}: no such codebook file")
        return Codebook.load(codebook)
    found = store.coded_codebooks(case_id, _check_coders(coders))
    if len(found) != 1:
        which = ", ".join(found) if found else "none"
        raise UsageError(f"name the codebook to compare (the coders of '{case_id}' used: "
                         f"{which})")
    stored = stored_codebook(store, found[0])
    if stored is None:
        raise UsageError(f"codebook '{found[0]}' is not in the store; name its file")
    return stored[0]


def _check_coders(coders: Sequence[str] | str) -> list[str]:
    if isinstance(coders, str):  # "anna,bjorn" from a command line or papermill -p
        coders = coders.split(",")
    coders = [c.strip() for c in coders if c.strip()]
    if len(coders) < 2:
        raise UsageError("agreement needs at least two coders")
    if len(set(coders)) != len(coders):
        raise UsageError(f"a coder is named twice: {', '.join(coders)}")
    clash = [c for c in coders if c in KEYS]
    if clash:
        raise UsageError(f"coder name(s) {', '.join(clash)} clash with column names")
    return coders


def _code_map(codebook: Codebook, depth: str, seen: Sequence[str]) -> dict[str, str]:
    """Return coded code id -> the code compared (its top-level code, or itself)."""
    known = [c.id for c in codebook.codes] + [c for c in seen if c not in codebook]
    if depth == "all":
        return {c: c for c in known}
    return {c: codebook.top_level(c) if c in codebook else c.split(".")[0] for c in known}


def _unit_kind(codebook: Codebook, code_id: str, unit: str) -> str:
    if unit != "segment":
        return unit
    return codebook[code_id].unit if code_id in codebook else codebook.unit


def _units_of(segments: pd.DataFrame, kind: str, include_interviewer: bool) -> pd.DataFrame:
    """Return a document's units of one kind (paragraphs where it has none of that kind)."""
    units = segments[segments["kind"] == kind]
    if units.empty and kind == "turn":
        units = segments[segments["kind"] == "paragraph"]
    if not include_interviewer:
        units = units[units["speaker_role"].fillna("") != "interviewer"]
    return units.sort_values("start")


def _marked(units: pd.DataFrame, spans: pd.DataFrame | None) -> dict[str, set[int]]:
    """Return compared code -> seqs of the units its coded spans overlap.

    Units of one kind do not overlap, so sorted by start their ends are sorted too: the
    units a span [start, end) touches are those from the first ending after its start to
    the last starting before its end.
    """
    if spans is None or units.empty:
        return {}
    seqs = units["seq"].to_numpy()
    first = np.searchsorted(units["end"].to_numpy(), spans["start"].to_numpy(), side="right")
    last = np.searchsorted(units["start"].to_numpy(), spans["end"].to_numpy(), side="left")
    found: dict[str, set[int]] = {}
    for code, a, b in zip(spans["compared"], first, last, strict=True):
        found.setdefault(code, set()).update(int(q) for q in seqs[a:b])
    return found


def reliability_data(store: Store, case_id: str, coders: Sequence[str] | str, *,
                     codebook: Codebook | str | Path | None = None, unit: str = "segment",
                     depth: str = "top", documents: Sequence[str] | None = None,
                     include_interviewer: bool = False) -> pd.DataFrame:
    """Return units x coders data: one row per unit and code, one column per coder.

    Columns: doc_id, tranche, unit (the kind of unit used), seq, start, end, code_id, then
    one column per coder holding 1.0 (the coder put the code on the unit), 0.0 (the coder
    coded the document but not this code here) or NaN (the coder did not code the
    document). A coder coded a document if they have any coding of the codebook in it,
    or, with ``documents``, every coder counts as having coded exactly those documents.
    Only documents at least two of the coders coded are included.
    ``depth="top"`` compares the top-level codes (a subcode counts for its logic);
    ``"all"`` compares every code as coded. Codes a codebook does not know are kept;
    codes no coder used in the documents compared are left out.
    """
    store.require_case(case_id)
    coders = _check_coders(coders)
    if unit not in UNITS:
        raise UsageError(f"unknown unit '{unit}' (use {', '.join(UNITS)})")
    if depth not in DEPTHS:
        raise UsageError(f"unknown depth '{depth}' (use {', '.join(DEPTHS)})")
    book = resolve_codebook(store, case_id, coders, codebook)
    codings = {c: store.coder_codings(case_id, book.id, c) for c in coders}
    if documents is not None:
        known = set(store.documents(case_id)["doc_id"])
        unknown = [d for d in documents if d not in known]
        if unknown:
            raise UsageError(f"unknown document(s) in case '{case_id}': {', '.join(unknown)}")
        coded = {c: set(documents) for c in coders}
    else:
        coded = {c: set(store.coder_documents(case_id, book.id, c)) for c in coders}
        idle = [c for c in coders if not coded[c]]
        if idle:
            raise UsageError(f"no codings with '{book.id}' in case '{case_id}' by: "
                             f"{', '.join(idle)}")
    seen = sorted({code for frame in codings.values() for code in frame["code_id"]})
    mapping = _code_map(book, depth, seen)
    compared = list(dict.fromkeys(mapping.values()))
    # A document only one coder coded has nothing to compare.
    doc_ids = sorted(d for d in set().union(*coded.values())
                     if sum(d in docs for docs in coded.values()) >= 2)
    segments = store.segments(case_id, with_text=False)
    segments = segments[segments["doc_id"].isin(doc_ids)]
    spans = {c: dict(tuple(f.assign(compared=f["code_id"].map(mapping)).groupby("doc_id")))
             for c, f in codings.items()}
    rows: list[pd.DataFrame] = []
    for doc_id, doc_segments in segments.groupby("doc_id", sort=True):
        by_kind = {k: _units_of(doc_segments, k, include_interviewer)
                   for k in {_unit_kind(book, c, unit) for c in compared}}
        for kind, units in by_kind.items():
            marks = {c: _marked(units, spans[c].get(doc_id)) for c in coders}
            for code in (c for c in compared if _unit_kind(book, c, unit) == kind):
                frame = units[["doc_id", "tranche", "kind", "seq", "start", "end"]].rename(
                    columns={"kind": "unit"}).assign(code_id=code)
                for coder in coders:
                    frame[coder] = (frame["seq"].isin(marks[coder].get(code, ())).astype(float)
                                    if doc_id in coded[coder] else np.nan)
                rows.append(frame)
    columns = KEYS + coders
    if not rows:
        return pd.DataFrame(columns=columns)
    data = pd.concat(rows, ignore_index=True)[columns]
    # A code nobody used in these documents has nothing to agree on; its empty rows would
    # only inflate the pooled figures.
    used = data.groupby("code_id", sort=False)[coders].max().max(axis=1) > 0
    data = data[data["code_id"].map(used)].reset_index(drop=True)
    order = list(store.tranches(case_id)["tranche_id"])
    data["tranche"] = pd.Categorical(data["tranche"], categories=order, ordered=True)
    return data.astype({"seq": "int64", "start": "int64", "end": "int64"})


def coders_of(data: pd.DataFrame) -> list[str]:
    """Return the coder columns of units x coders data."""
    return [c for c in data.columns if c not in KEYS]


def only_coded_units(data: pd.DataFrame) -> pd.DataFrame:
    """Return the rows of units that at least one coder coded with any compared code."""
    coders = coders_of(data)
    unit_key = ["doc_id", "unit", "seq"]
    marked = data[coders].fillna(0).max(axis=1) > 0
    coded = data.loc[marked, unit_key].drop_duplicates()
    return data.merge(coded, on=unit_key, how="inner")[data.columns]


# -- agreement tables -----------------------------------------------------------------------

def _unit_label(frame: pd.DataFrame) -> str:
    kinds = sorted(set(frame["unit"]))
    return "+".join(kinds) if kinds else ""


def _figures(frame: pd.DataFrame, coders: list[str]) -> dict[str, object]:
    """Return the agreement figures of one block of units x coders data."""
    matrix = frame[coders].to_numpy(dtype=float).T
    values = (~np.isnan(matrix)).sum(axis=0)
    return {
        "unit": _unit_label(frame),
        "coders": len(coders),
        "units_compared": int((values >= 2).sum()),
        "units_coded_by_anyone": int(((np.nan_to_num(matrix) > 0).any(axis=0)
                                      & (values >= 2)).sum()),
        "percent_agreement": percent_agreement(matrix),
        "cohen_kappa": cohen_kappa(matrix[0], matrix[1]) if len(coders) == 2 else np.nan,
        "fleiss_kappa": fleiss_kappa(matrix),
        "krippendorff_alpha": krippendorff_alpha(matrix),
    }


FIGURES = ["unit", "coders", "units_compared", "units_coded_by_anyone", "percent_agreement",
           "cohen_kappa", "fleiss_kappa", "krippendorff_alpha"]


def agreement(data: pd.DataFrame, *, by: str | None = None,
              coded_only: bool = False) -> pd.DataFrame:
    """Return agreement on each code's presence, and over all codes pooled, per group.

    One row per code (and ``by`` value, e.g. ``by="tranche"``), plus a row
    ``code_id="(all codes)"`` pooling every unit-and-code decision. Columns: [by], code_id,
    unit (the kind of unit compared), coders, units_compared (units with two or more
    coders' values), units_coded_by_anyone, percent_agreement (0-100), cohen_kappa (two
    coders only), fleiss_kappa (units every coder coded), krippendorff_alpha (nominal).
    ``coded_only`` keeps only units that at least one coder coded with some code, because
    on sparse coding the agreement on empty units swamps the figures.
    """
    coders = coders_of(data)
    if coded_only:
        data = only_coded_units(data)
    groups = [(None, data)] if by is None else list(data.groupby(by, observed=True, sort=True))
    rows = []
    for key, block in groups:
        label = {} if by is None else {by: key[0] if isinstance(key, tuple) else key}
        for code, part in block.groupby("code_id", sort=False):
            rows.append({**label, "code_id": code, **_figures(part, coders)})
        if not block.empty:
            rows.append({**label, "code_id": ALL_CODES, **_figures(block, coders)})
    columns = ([by] if by else []) + ["code_id", *FIGURES]
    table = pd.DataFrame(rows, columns=columns)
    if by is not None:
        table[by] = table[by].astype(data[by].dtype)
    return table


def pairwise(data: pd.DataFrame, *, coded_only: bool = False) -> pd.DataFrame:
    """Return agreement for every pair of coders, per code and over all codes pooled.

    Columns: coder_a, coder_b, code_id, then the figures of :func:`agreement` (with
    ``coders`` = 2). ``coded_only`` is applied per pair: units either coder of the pair coded.
    """
    frames = []
    for a, b in itertools.combinations(coders_of(data), 2):
        pair = agreement(data[[*KEYS, a, b]], coded_only=coded_only)
        frames.append(pair.assign(coder_a=a, coder_b=b))
    columns = ["coder_a", "coder_b", "code_id", *FIGURES]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def side_by_side(per_code: pd.DataFrame, by_tranche: pd.DataFrame,
                 by_pair: pd.DataFrame) -> pd.DataFrame:
    """Return one row per code with alpha overall, per tranche and per coder pair.

    Takes the tables of :func:`agreement` (overall and ``by="tranche"``) and
    :func:`pairwise`. Columns: code_id, unit, units_compared, percent_agreement,
    cohen_kappa, fleiss_kappa, krippendorff_alpha (all units), then ``alpha <tranche>``
    for each tranche and ``alpha <a> vs <b>`` for each coder pair: every alpha nominal,
    on the same unit.
    """
    table = per_code[["code_id", "unit", "units_compared", "percent_agreement", "cohen_kappa",
                      "fleiss_kappa", "krippendorff_alpha"]].set_index("code_id")
    for tranche, block in by_tranche.groupby("tranche", observed=True, sort=True):
        table[f"alpha {tranche}"] = block.set_index("code_id")["krippendorff_alpha"]
    for (a, b), block in by_pair.groupby(["coder_a", "coder_b"], sort=False):
        table[f"alpha {a} vs {b}"] = block.set_index("code_id")["krippendorff_alpha"]
    return table.reset_index()


# -- validity of the auto-coder -------------------------------------------------------------

def validity(data: pd.DataFrame, *, auto: str = AUTO) -> pd.DataFrame:
    """Return precision, recall and F1 of the auto-coder against each human coder, per code.

    A human coder is the reference: precision is the share of the auto-coder's codings the
    human also made, recall the share of the human's codings the auto-coder found. Only
    units both coded count. Columns: reference, code_id, unit, units_compared,
    auto_and_reference, auto_only, reference_only, precision, recall, f1. Empty when
    ``auto`` is not one of the coders.
    """
    columns = ["reference", "code_id", "unit", "units_compared", "auto_and_reference",
               "auto_only", "reference_only", "precision", "recall", "f1"]
    coders = coders_of(data)
    if auto not in coders:
        return pd.DataFrame(columns=columns)
    rows = []
    for human in (c for c in coders if c != auto):
        both = data.dropna(subset=[auto, human])
        for code, part in [*both.groupby("code_id", sort=False), (ALL_CODES, both)]:
            if part.empty:
                continue
            machine, person = part[auto] > 0, part[human] > 0
            tp = int((machine & person).sum())
            fp = int((machine & ~person).sum())
            fn = int((~machine & person).sum())
            precision = tp / (tp + fp) if tp + fp else np.nan
            recall = tp / (tp + fn) if tp + fn else np.nan
            f1 = (2 * precision * recall / (precision + recall)
                  if precision + recall > 0 else np.nan)
            rows.append({"reference": human, "code_id": code, "unit": _unit_label(part),
                         "units_compared": len(part), "auto_and_reference": tp,
                         "auto_only": fp, "reference_only": fn, "precision": precision,
                         "recall": recall, "f1": f1})
    return pd.DataFrame(rows, columns=columns)


# -- disagreements --------------------------------------------------------------------------

NOT_CODED = "(document not coded)"
NO_CODE = "–"


def disagreements(store: Store, case_id: str, data: pd.DataFrame) -> pd.DataFrame:
    """Return the units where coders differ, with the unit's text and each coder's codes.

    One row per unit: doc_id, tranche, unit, seq, start, end, text, then one column per
    coder listing the codes they put there (``–`` for none, ``(document not coded)``
    when they did not code the document), and ``codes_in_dispute``: the codes some but
    not all of the coders put there. Units only one coder coded do not count.
    """
    coders = coders_of(data)
    unit_key = ["doc_id", "unit", "seq"]
    base = ["doc_id", "tranche", "unit", "seq", "start", "end", "text"]
    data = data[data[coders].notna().sum(axis=1) >= 2]
    differs = data[data[coders].max(axis=1) != data[coders].min(axis=1)]
    if differs.empty:
        return pd.DataFrame(columns=[*base, *coders, "codes_in_dispute"])
    units = data.merge(differs[unit_key].drop_duplicates(), on=unit_key)
    grouped = units.groupby(unit_key, sort=False)
    table = grouped[["tranche", "start", "end"]].first()

    def joined(rows: pd.DataFrame) -> pd.Series:
        return rows.groupby(unit_key, sort=False)["code_id"].agg(", ".join)

    for coder in coders:
        codes = joined(units[units[coder] > 0]).reindex(table.index).fillna(NO_CODE)
        table[coder] = codes.where(grouped[coder].count() > 0, NOT_CODED)
    table["codes_in_dispute"] = joined(differs)
    table = table.reset_index()
    texts = {doc: store.document_text(case_id, doc) for doc in table["doc_id"].unique()}
    table["text"] = [texts[d][s:e] for d, s, e in
                     zip(table["doc_id"], table["start"], table["end"], strict=True)]
    return table[[*base, *coders, "codes_in_dispute"]].sort_values(
        ["tranche", "doc_id", "start"]).reset_index(drop=True)


# -- everything for one case ----------------------------------------------------------------

@dataclass
class AgreementReport:
    """Agreement between coders on one case: the data and every table made from it."""

    case_id: str
    codebook_id: str
    coders: list[str]
    unit: str
    coded_only: bool
    data: pd.DataFrame
    per_code: pd.DataFrame = field(default_factory=pd.DataFrame)
    by_tranche: pd.DataFrame = field(default_factory=pd.DataFrame)
    by_pair: pd.DataFrame = field(default_factory=pd.DataFrame)
    side_by_side: pd.DataFrame = field(default_factory=pd.DataFrame)
    validity: pd.DataFrame = field(default_factory=pd.DataFrame)
    disagreements: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def statement(self) -> str:
        """Return one sentence saying what was compared, on which units."""
        units = _unit_label(self.data) or self.unit
        docs = self.data["doc_id"].nunique() if not self.data.empty else 0
        scope = ("only units at least one coder coded" if self.coded_only
                 else "every unit of the documents coded")
        return (f"{', '.join(self.coders)} on case {self.case_id} with {self.codebook_id}: "
                f"presence of each code per {units} ({self.unit} requested) in the {docs} "
                f"documents at least two of them coded, {scope}.")


def agreement_report(store: Store, case_id: str, coders: Sequence[str] | str, *,
                     codebook: Codebook | str | Path | None = None, unit: str = "segment",
                     coded_only: bool = False, depth: str = "top",
                     documents: Sequence[str] | None = None,
                     include_interviewer: bool = False) -> AgreementReport:
    """Return an :class:`AgreementReport` for a case: data, per code, per tranche, per pair,
    side by side, the auto-coder's validity (when ``"auto"`` is a coder) and the
    disagreements. Arguments as in :func:`reliability_data` and :func:`agreement`.
    """
    coders = _check_coders(coders)
    book = resolve_codebook(store, case_id, coders, codebook)
    data = reliability_data(store, case_id, coders, codebook=book, unit=unit, depth=depth,
                            documents=documents, include_interviewer=include_interviewer)
    per_code = agreement(data, coded_only=coded_only)
    by_tranche = agreement(data, by="tranche", coded_only=coded_only)
    by_pair = pairwise(data, coded_only=coded_only)
    return AgreementReport(
        case_id=case_id, codebook_id=book.id, coders=coders, unit=unit, coded_only=coded_only,
        data=data, per_code=per_code, by_tranche=by_tranche, by_pair=by_pair,
        side_by_side=side_by_side(per_code, by_tranche, by_pair),
        validity=validity(data), disagreements=disagreements(store, case_id, data))


# -- a figure -------------------------------------------------------------------------------

# Krippendorff's rule of thumb: rely on variables with alpha >= .800, draw tentative
# conclusions from .667 up, discard below.
THRESHOLDS = (0.667, 0.8)


def alpha_figure(report: AgreementReport) -> Figure:
    """Return a bar chart of Krippendorff's alpha per code, overall and per tranche.

    Dashed lines mark Krippendorff's thresholds (.667 tentative, .800 reliable). Codes
    whose alpha is undefined (nobody used them) have no bar.
    """
    overall = report.per_code.set_index("code_id")["krippendorff_alpha"]
    table = pd.DataFrame({"all documents": overall})
    for tranche, block in report.by_tranche.groupby("tranche", observed=True, sort=True):
        table[str(tranche)] = block.set_index("code_id")["krippendorff_alpha"]
    height = 0.8 + 0.2 * len(table) * len(table.columns)
    fig = Figure(figsize=(9, height), layout="constrained")
    ax = fig.add_subplot()
    table.iloc[::-1, ::-1].plot.barh(ax=ax, width=0.8)  # barh draws bottom-up
    for value in THRESHOLDS:
        ax.axvline(value, color="grey", linestyle="--", linewidth=1)
    ax.set_xlim(min(0.0, float(np.nanmin(table.to_numpy(), initial=0.0))) - 0.05, 1.0)
    ax.set_xlabel(f"Krippendorff's alpha (nominal), unit: {_unit_label(report.data) or '-'}")
    ax.set_ylabel("")
    ax.set_title(f"Agreement of {', '.join(report.coders)}")
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], loc="center left", bbox_to_anchor=(1.01, 0.5),
              fontsize="small", frameon=False)
    return fig
