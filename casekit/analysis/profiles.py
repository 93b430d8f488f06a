"""Logic profiles: per tranche and municipality, per actor role, over time; shifts and themes.

A profile gives, per group and code: ``units`` (units where the code is present),
``share`` (of the group's code occurrences: the mix, summing to 1 over codes),
``unit_share`` (of the group's units) and ``per_1000_words``, with the group's
``coded_units``, ``all_units``, ``words`` and ``documents``.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from casekit.analysis.base import (
    DATE_BUCKETS,
    CodingFilter,
    Level,
    Material,
    group_counts,
    load,
    safe_div,
)
from casekit.errors import UsageError
from casekit.store import Store

PROFILE_MEASURES = ["units", "share", "unit_share", "per_1000_words", "coded_units",
                    "all_units", "words", "documents"]
TRANCHE_PROFILE_COLUMNS = ["tranche", "label", "position", "municipality", "code",
                           *PROFILE_MEASURES]
SHIFT_COLUMNS = ["from_tranche", "to_tranche", "municipality", "code", "measure", "before",
                 "after", "change", "units_before", "units_after"]
THEME_COLUMNS = ["code", "in_source", "source_units", "first_tranche", "first_date",
                 "tranches_present", "reappears_in", "municipalities", "municipality_share",
                 "municipality_names"]
TIMELINE_COLUMNS = ["period", "start", "code", *PROFILE_MEASURES]
SHIFT_MEASURES = ("share", "unit_share", "per_1000_words", "units")


def _profile(material: Material, by: str) -> pd.DataFrame:
    """Return the profile of each category of ``by``: ``by``, ``code``, measures."""
    cells, groups = group_counts(material, by)
    frame = cells.merge(groups, on=by, how="left")
    frame["share"] = safe_div(frame["units"], frame.groupby(by, sort=False)["units"]
                              .transform("sum"))
    frame["unit_share"] = safe_div(frame["units"], frame["all_units"])
    frame["per_1000_words"] = safe_div(frame["units"] * 1000, frame["words"])
    return frame[[by, "code", *PROFILE_MEASURES]]


def _subset(material: Material, keep: pd.Series) -> Material:
    """Return the material restricted to the units where ``keep`` is True."""
    units = material.units[keep.to_numpy()]
    presence = material.presence[material.presence["unit_id"].isin(set(units["unit_id"]))]
    return dataclasses.replace(material, units=units, presence=presence)


def _tranche_profile(material: Material, municipalities: bool) -> pd.DataFrame:
    frame = _profile(material, "tranche")
    frame.insert(1, "municipality", "")
    if municipalities and material.tranches:
        last = material.tranches[-1]
        local = _profile(_subset(material, material.units["tranche"] == last), "municipality")
        # A municipality with no material in the last tranche has no profile there (zeros
        # would read as a logic that vanished).
        local = local[local["all_units"] > 0]
        local.insert(0, "tranche", last)
        frame = pd.concat([frame, local[frame.columns]], ignore_index=True)
    positions = {t: i for i, t in enumerate(material.tranches, start=1)}
    frame.insert(1, "label", frame["tranche"].map(material.tranche_labels))
    frame.insert(2, "position", frame["tranche"].map(positions).astype("int64"))
    return frame[TRANCHE_PROFILE_COLUMNS]


def tranche_profile(store: Store, case_id: str, *, level: Level = "top",
                    unit: str = "sentence", municipalities: bool = False,
                    codebook: str | None = None, filter: CodingFilter | None = None
                    ) -> pd.DataFrame:
    """Return the logic profile of each tranche, in the case's order.

    One row per tranche and code, every tranche (zeros when it has no documents yet) and
    every code. ``municipalities=True`` adds one profile per municipality with material in
    the last tranche (rows with ``municipality`` set; whole-tranche rows have ``""``). Columns:
    tranche, label, position, municipality, code, then the profile measures (see the
    module docstring).
    """
    material = load(store, case_id, unit=unit, level=level, filter=filter, codebook=codebook)
    return _tranche_profile(material, municipalities)


_FLOAT_SHIFT = ("before", "after", "change")


def tranche_shift(store: Store, case_id: str, *, measure: str = "share",
                  level: Level = "top", unit: str = "sentence", codebook: str | None = None,
                  filter: CodingFilter | None = None) -> pd.DataFrame:
    """Return the change in each code's profile between consecutive tranches.

    One row per step and code: each tranche against the one before it (``municipality``
    ``""``), then each municipality of the last tranche against the tranche before it.
    ``measure``: share, unit_share, per_1000_words or units. Columns: from_tranche,
    to_tranche, municipality, code, measure, before, after, change (after − before),
    units_before, units_after. A case with one tranche, or no codes, gives an empty
    frame; a municipality with no material in the last tranche gets no step.
    """
    if measure not in SHIFT_MEASURES:
        raise UsageError(f"measure must be one of {', '.join(SHIFT_MEASURES)}, not {measure!r}")
    material = load(store, case_id, unit=unit, level=level, filter=filter, codebook=codebook)
    if not material.codes or len(material.tranches) < 2:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c in _FLOAT_SHIFT else
                                          "int64" if c in ("units_before", "units_after")
                                          else "object") for c in SHIFT_COLUMNS})
    profile = _tranche_profile(material, municipalities=True)
    # (tranche, municipality, code) -> (measure, units): dict look-ups, not .loc, in the loop.
    keys = zip(profile["tranche"], profile["municipality"], profile["code"], strict=True)
    values = zip(profile[measure], profile["units"], strict=True)
    cells = dict(zip(keys, values, strict=True))
    tranches = material.tranches
    steps = [(a, b, "") for a, b in zip(tranches, tranches[1:], strict=False)]
    if len(tranches) > 1:
        last = profile.loc[profile["tranche"] == tranches[-1], "municipality"]
        steps += [(tranches[-2], tranches[-1], m) for m in dict.fromkeys(last) if m]
    rows = []
    for before, after, municipality in steps:
        for code in material.codes:
            old, old_units = cells[(before, "", code)]
            new, new_units = cells[(after, municipality, code)]
            rows.append((before, after, municipality, code, measure, float(old), float(new),
                         float(new - old), int(old_units), int(new_units)))
    return pd.DataFrame(rows, columns=SHIFT_COLUMNS).astype(
        {"before": "float64", "after": "float64", "change": "float64",
         "units_before": "int64", "units_after": "int64"})


def trace_themes(store: Store, case_id: str, *, source: str | None = None,
                 level: Level = "code", unit: str = "sentence", codebook: str | None = None,
                 filter: CodingFilter | None = None) -> pd.DataFrame:
    """Return which codes (strategy themes) carry from the source tranche onwards.

    ``source`` is the tranche themes start in (the case's first by default). One row per
    code: ``in_source``, ``source_units``, ``first_tranche`` (first in the case's order
    where it occurs, ``""`` if never), ``first_date`` (earliest document date where it
    occurs), ``tranches_present``, ``reappears_in`` (later tranches where it occurs,
    comma-separated), ``municipalities`` (municipalities of the last tranche that take
    it up), ``municipality_share`` (of the case's municipalities) and
    ``municipality_names``.
    """
    material = load(store, case_id, unit=unit, level=level, filter=filter, codebook=codebook)
    tranches = material.tranches
    source = source or (tranches[0] if tranches else "")
    if source not in tranches:
        raise UsageError(f"unknown source tranche '{source}' (case tranches: "
                         f"{', '.join(tranches) or 'none'})")
    profile = _tranche_profile(material, municipalities=True)
    whole = profile[profile["municipality"] == ""]
    units = dict(zip(zip(whole["code"], whole["tranche"], strict=True), whole["units"],
                     strict=True))
    taken = profile[(profile["municipality"] != "") & (profile["units"] > 0)]
    places_of: dict[str, list[str]] = {}
    for code, place in zip(taken["code"], taken["municipality"], strict=True):
        places_of.setdefault(code, []).append(place)
    dated = material.presence.merge(material.units[["unit_id", "date"]], on="unit_id")
    dated = dated[dated["date"] != ""]
    first_dates = dated.groupby("code")["date"].min()
    n_municipalities = len(material.municipalities)
    later = tranches[tranches.index(source) + 1:]
    rows = []
    for code in material.codes:
        present = [t for t in tranches if units[(code, t)] > 0]
        places = places_of.get(code, [])
        rows.append((code, bool(units[(code, source)] > 0), int(units[(code, source)]),
                     present[0] if present else "", first_dates.get(code, ""), len(present),
                     ", ".join(t for t in later if t in present), len(places),
                     safe_div(len(places), n_municipalities), ", ".join(places)))
    return pd.DataFrame(rows, columns=THEME_COLUMNS).astype(
        {"in_source": "bool", "source_units": "int64", "tranches_present": "int64",
         "municipalities": "int64", "municipality_share": "float64"})


def actor_profile(store: Store, case_id: str, *, by: str = "actor_role", level: Level = "top",
                  unit: str = "sentence", codebook: str | None = None,
                  filter: CodingFilter | None = None) -> pd.DataFrame:
    """Return how each actor role speaks in logic terms: its profile, one row per code.

    ``by``: actor_role (the document's, default) or speaker_role. Roles come in the
    corpus format's order (politician, administration, citizen, partner, network, ...),
    those present only. Columns: ``by``, code, then the profile measures.
    """
    material = load(store, case_id, unit=unit, level=level, filter=filter, codebook=codebook)
    return _profile(material, by)


def timeline(store: Store, case_id: str, *, freq: str = "quarter", level: Level = "top",
             unit: str = "sentence", codebook: str | None = None,
             filter: CodingFilter | None = None) -> pd.DataFrame:
    """Return codes over document dates, one row per period and code.

    ``freq``: year, quarter or month. Every period from the first dated document to the
    last appears (zeros where none is dated); undated documents are left out. Columns:
    ``period`` (e.g. ``2025Q3``), ``start`` (its first day), code, profile measures.
    """
    if freq not in DATE_BUCKETS:
        raise UsageError(f"freq must be one of {', '.join(DATE_BUCKETS)}, not {freq!r}")
    material = load(store, case_id, unit=unit, level=level, filter=filter, codebook=codebook)
    frame = _profile(material, freq).rename(columns={freq: "period"})
    frame.insert(1, "start", pd.to_datetime(
        [pd.Period(p, freq=DATE_BUCKETS[freq]).start_time for p in frame["period"]]))
    return frame[TIMELINE_COLUMNS]
