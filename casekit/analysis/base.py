"""What every analysis shares: the coding filter, code levels, and the coded material.

An analysis counts *units*: sentences, paragraphs, speaker turns or whole documents. A
coding counts in every unit of the chosen kind that its span overlaps (auto codings span
exactly one unit of their code's kind). Interviewer speech is left out unless the filter
asks for it: its units, its words and the codings on it.
"""

from __future__ import annotations

import dataclasses
import math
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from casekit import vocab
from casekit.errors import UsageError
from casekit.store import Store

STATUSES = ("proposed", "accepted", "rejected")
ORIGINS = ("auto", "manual")
UNITS = ("sentence", "paragraph", "turn", "document")
DATE_BUCKETS = {"year": "Y", "quarter": "Q", "month": "M"}
SEGMENT_ATTRIBUTES = ("speaker", "speaker_role")
INTERVIEWER = "interviewer"

Level = str | int
T = TypeVar("T")
CACHE_ENTRIES = 64  # reads and loaded materials kept per open store


def _tuple(value: str | Sequence[str] | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return (value,) if isinstance(value, str) else tuple(value)


@dataclass(frozen=True)
class CodingFilter:
    """Which codings count in an analysis, and whether interviewer speech counts.

    The default counts accepted codings and the auto-coder's proposals, never rejected
    codings, from every codebook, leaving out stale codings (their passage changed) and
    interviewer speech. ``status``, ``origin`` and ``coder`` take one value or several;
    None means any. ``manual_proposals`` also counts proposed codings made by people.
    """

    status: tuple[str, ...] = ("accepted", "proposed")
    origin: tuple[str, ...] | None = None
    coder: tuple[str, ...] | None = None
    codebook: str | None = None
    manual_proposals: bool = False
    include_stale: bool = False
    include_interviewer: bool = False

    def __post_init__(self) -> None:
        for name, allowed in (("status", STATUSES), ("origin", ORIGINS), ("coder", None)):
            value = _tuple(getattr(self, name))
            object.__setattr__(self, name, value)
            unknown = [v for v in value or () if allowed is not None and v not in allowed]
            if unknown:
                raise UsageError(f"CodingFilter: unknown {name} {', '.join(map(repr, unknown))}"
                                 f" (allowed: {', '.join(allowed or ())})")
        if not self.status:
            raise UsageError("CodingFilter: status must name at least one status")

    def describe(self) -> str:
        """Return the filter in words, for a methods section."""
        statuses = [s if s != "proposed" or self.manual_proposals else "proposed (auto)"
                    for s in self.status]
        parts = [" + ".join(statuses) + " codings"]
        if self.origin:
            parts.append("origin " + ", ".join(self.origin))
        if self.coder:
            parts.append("coder " + ", ".join(self.coder))
        parts.append(f"codebook {self.codebook}" if self.codebook else "all codebooks")
        if self.include_stale:
            parts.append("stale codings included")
        parts.append("interviewer speech " + ("included" if self.include_interviewer
                                              else "left out"))
        return "; ".join(parts)


DEFAULT_FILTER = CodingFilter()


def resolve_filter(filter: CodingFilter | None, codebook: str | None) -> CodingFilter:
    """Return the filter to use: ``codebook`` (when given) narrows it to one codebook."""
    chosen = filter or DEFAULT_FILTER
    if not isinstance(chosen, CodingFilter):
        raise UsageError(f"filter must be a CodingFilter, not {type(chosen).__name__}")
    if codebook is None or codebook == chosen.codebook:
        return chosen
    if chosen.codebook is not None:
        raise UsageError(f"codebook '{codebook}' contradicts the filter's codebook "
                         f"'{chosen.codebook}'")
    return dataclasses.replace(chosen, codebook=codebook)


def check_level(level: Level) -> Level:
    """Return ``level`` if it is ``"top"``, ``"code"`` or a depth >= 1; raise otherwise."""
    if level in ("top", "code") or (isinstance(level, int) and not isinstance(level, bool)
                                    and level >= 1):
        return level
    raise UsageError(f"level must be 'top', 'code' or a depth >= 1, not {level!r}")


def code_at(code_id: str, level: Level) -> str:
    """Return the code a coding counts as at ``level``: ``NPM.goals`` is ``NPM`` at top."""
    if level == "code":
        return code_id
    depth = 1 if level == "top" else int(level)
    return ".".join(code_id.split(".")[:depth])


def in_family(code_id: str, code: str) -> bool:
    """Return True when ``code_id`` is ``code`` or one of its subcodes."""
    return code_id == code or code_id.startswith(code + ".")


def check_unit(unit: str) -> str:
    """Return ``unit`` if it is a known unit kind; raise :class:`UsageError` otherwise."""
    if unit not in UNITS:
        raise UsageError(f"unit must be one of {', '.join(UNITS)}, not {unit!r}")
    return unit


def safe_div(numerator: Any, denominator: Any) -> Any:
    """Divide, giving 0 where the denominator is 0 (empty groups give zeros, not NaN)."""
    if isinstance(denominator, pd.Series | np.ndarray):
        num = np.asarray(numerator, dtype=float)
        den = np.asarray(denominator, dtype=float)
        out = np.divide(num, den, out=np.zeros(np.broadcast(num, den).shape), where=den != 0)
        return pd.Series(out, index=denominator.index) if isinstance(
            denominator, pd.Series) else out
    return float(numerator) / float(denominator) if denominator else 0.0


def entropy(counts: Sequence[float] | np.ndarray) -> float:
    """Return the Shannon entropy (bits) of a mix given as counts (0 for an empty mix)."""
    values = np.asarray([c for c in counts if c > 0], dtype=float)
    if values.size == 0:
        return 0.0
    p = values / values.sum()
    return float(-(p * np.log2(p)).sum()) + 0.0  # + 0.0 turns -0.0 into 0.0


def evenness(value: float, n_logics: int) -> float:
    """Return entropy as a share of its maximum for ``n_logics`` (0 when n_logics < 2)."""
    return value / math.log2(n_logics) if n_logics > 1 else 0.0


def code_universe(store: Store, codings: pd.DataFrame, codebook: str | None,
                  level: Level) -> list[str]:
    """Return every code at ``level``: the codebook's in file order, then others coded."""
    table = read(store, "code_table", codebook)
    codes = dict.fromkeys(code_at(c, level) for c in table["code_id"])
    extra = sorted({code_at(c, level) for c in codings["code_id"]} - set(codes))
    return [*codes, *extra]


# -- caching --------------------------------------------------------------------------------
# A report calls a dozen analysis functions on one case, and each would read the same
# segments, documents and codings again. Reads and loaded material are kept per open store
# and dropped as soon as its data change: Store.data_state changes with every write,
# through this connection or any other (in any process).


@dataclass
class _StoreCache:
    state: tuple[int, int]
    entries: OrderedDict[tuple[Any, ...], Any] = field(default_factory=OrderedDict)


_caches: weakref.WeakKeyDictionary[Store, _StoreCache] = weakref.WeakKeyDictionary()
_cache_lock = threading.Lock()
_MISSING = object()


def cached(store: Store, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """Return ``compute()``, computed once per open store and ``key`` while the store's
    data stay the same. Callers must not change what it returns (copy it first)."""
    state = store.data_state()
    with _cache_lock:
        cache = _caches.get(store)
        if cache is None or cache.state != state:
            cache = _caches[store] = _StoreCache(state)
        value = cache.entries.get(key, _MISSING)
        if value is not _MISSING:
            cache.entries.move_to_end(key)
            return value
    value = compute()
    if store.data_state() == state:  # a write in between: the result may mix old and new
        with _cache_lock:
            cache.entries[key] = value
            while len(cache.entries) > CACHE_ENTRIES:
                cache.entries.popitem(last=False)
    return value


def clear_cache(store: Store | None = None) -> None:
    """Forget the cached reads and material of one open store (or of all)."""
    with _cache_lock:
        if store is None:
            _caches.clear()
        else:
            _caches.pop(store, None)


def read(store: Store, method: str, *args: Any, **kwargs: Any) -> Any:
    """Return ``store.<method>(*args, **kwargs)``, read once while the store is unchanged.

    Frames come back as shallow copies: with pandas copy-on-write, a caller that changes
    its frame copies it then and leaves the cached one as it was.
    """
    key = ("read", method, args, tuple(sorted(kwargs.items())))
    value = cached(store, key, lambda: getattr(store, method)(*args, **kwargs))
    return _copied(value)


def _copied(value: Any) -> Any:
    if isinstance(value, pd.DataFrame | pd.Series):
        return value.copy(deep=False)
    if isinstance(value, list | dict):
        return value.copy()
    return value


@dataclass
class Material:
    """The coded material of a case for one analysis.

    ``docs``: one row per document (metadata, ``words`` counted without interviewer speech
    unless asked). ``units``: one row per unit with its document's metadata. ``codings``:
    the codings that pass the filter, with ``code`` at the chosen level. ``presence``: one
    row per unit and code present (``unit_id``, ``code``, ``codings``). ``codes``: every
    code at the level, those that never fire included.
    """

    case_id: str
    unit: str
    level: Level
    filter: CodingFilter
    docs: pd.DataFrame
    units: pd.DataFrame
    codings: pd.DataFrame
    presence: pd.DataFrame
    codes: list[str]
    tranches: list[str]
    tranche_labels: dict[str, str]
    municipalities: list[str]

    def categories(self, by: str) -> list[Any]:
        """Return the values of ``by`` in reading order (empty values are left out).

        Tranches and municipalities come in the case's order, every one of them even
        without documents; actor roles in the corpus format's order; others sorted.
        """
        if by == "tranche":
            return list(self.tranches)
        if by == "municipality":
            seen = set(self.units["municipality"]) | set(self.docs["municipality"])
            return [*self.municipalities,
                    *sorted(v for v in seen if v and v not in self.municipalities)]
        column = self.units[by] if by in self.units.columns else self.docs.get(by)
        if column is None:
            raise UsageError(f"unknown attribute '{by}' (known: {', '.join(attributes(self))})")
        present = {v for v in column.dropna() if v != ""}
        if by in DATE_BUCKETS and present:  # a timeline has no holes: every period between
            periods = pd.period_range(min(present), max(present), freq=DATE_BUCKETS[by])
            return [str(p) for p in periods]
        if by == "actor_role":
            return [r for r in vocab.ACTOR_ROLES if r in present] + sorted(
                present - set(vocab.ACTOR_ROLES))
        return sorted(present, key=str)


def attributes(material: Material) -> list[str]:
    """Return the attributes units can be grouped by."""
    skip = {"unit_id", "doc_id", "unit", "seq", "start", "end", "n_words", "title",
            "language", "n_chars"}
    return [c for c in material.units.columns if c not in skip]


def _date_buckets(frame: pd.DataFrame) -> pd.DataFrame:
    for name, freq in DATE_BUCKETS.items():
        frame[name] = [_period(d, freq) for d in frame["date"]]
    return frame


def _period(date: Any, freq: str) -> str:
    """Return the period of a manifest date (YYYY, YYYY-MM or YYYY-MM-DD), '' if none."""
    if not isinstance(date, str) or not date:
        return ""
    return str(pd.Period(date, freq=freq))


def _documents(store: Store, case_id: str, sentences: pd.DataFrame,
               include_interviewer: bool) -> pd.DataFrame:
    docs = read(store, "documents", case_id)
    keep = [c for c in docs.columns if c not in (
        "case_id", "file", "tranche_position", "reader", "encoding", "raw_sha256",
        "text_sha256", "text_version", "ingested_at", "updated_at")]
    docs = docs[keep].copy()
    if not include_interviewer:
        sentences = sentences[sentences["speaker_role"] != INTERVIEWER]
    counted = sentences.groupby("doc_id")["n_words"].sum()
    has_sentences = docs["doc_id"].isin(set(sentences["doc_id"]) | set(counted.index))
    # Word counts come from the sentences that count; a document without any keeps its own.
    docs["words"] = np.where(has_sentences, docs["doc_id"].map(counted).fillna(0),
                             docs["n_words"]).astype("int64")
    return _date_buckets(docs)


def _units(store: Store, case_id: str, unit: str, docs: pd.DataFrame,
           sentences: pd.DataFrame, include_interviewer: bool) -> pd.DataFrame:
    if unit == "document":
        units = pd.DataFrame({"doc_id": docs["doc_id"], "unit": "document", "seq": 1,
                              "start": 0, "end": docs["n_chars"], "speaker": None,
                              "speaker_role": None, "n_words": docs["words"]})
    else:
        segments = sentences if unit == "sentence" else read(
            store, "segments", case_id, kind=unit, with_text=False)
        if unit == "turn":  # a document without speaker turns is read by paragraph
            paragraphs = read(store, "segments", case_id, kind="paragraph", with_text=False)
            segments = pd.concat([segments, paragraphs[~paragraphs["doc_id"].isin(
                set(segments["doc_id"]))]], ignore_index=True)
        if not include_interviewer:
            segments = segments[segments["speaker_role"] != INTERVIEWER]
        units = segments.rename(columns={"kind": "unit"})[
            ["doc_id", "unit", "seq", "start", "end", "speaker", "speaker_role", "n_words"]]
    units = units.merge(docs.drop(columns=["n_words", "words", "n_chars"]), on="doc_id",
                        how="inner")
    order = {d: i for i, d in enumerate(docs["doc_id"])}
    units = units.assign(_doc=units["doc_id"].map(order)).sort_values(
        ["_doc", "start"], kind="stable").drop(columns="_doc").reset_index(drop=True)
    units.insert(0, "unit_id", np.arange(len(units), dtype="int64"))
    for column in ("speaker", "speaker_role"):
        units[column] = units[column].astype(object).where(units[column].notna(), None)
    return units


def _interviewer_spans(store: Store, case_id: str) -> pd.DataFrame:
    turns = read(store, "segments", case_id, kind="turn", with_text=False)
    return turns[turns["speaker_role"] == INTERVIEWER][["doc_id", "start", "end"]]


def _drop_in_spans(codings: pd.DataFrame, spans: pd.DataFrame) -> pd.DataFrame:
    """Drop codings whose start falls inside one of ``spans`` (per document)."""
    if codings.empty or spans.empty:
        return codings
    codings = codings.reset_index(drop=True)
    inside = np.zeros(len(codings), dtype=bool)
    for doc_id, group in spans.groupby("doc_id"):
        group = group.sort_values("start")
        starts, ends = group["start"].to_numpy(), group["end"].to_numpy()
        mine = codings[codings["doc_id"] == doc_id]
        idx = np.searchsorted(starts, mine["start"].to_numpy(), side="right") - 1
        hit = (idx >= 0) & (mine["start"].to_numpy() < ends[np.maximum(idx, 0)])
        inside[mine.index[hit]] = True
    return codings[~inside]


def assign(codings: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Return (coding row, unit_id) pairs: every unit each coding's span overlaps."""
    pairs: list[tuple[np.ndarray, np.ndarray]] = []
    # Row positions per document, and whole columns as arrays: slicing arrays per document
    # costs a fraction of splitting the frames into one frame per document.
    unit_rows = units.groupby("doc_id", sort=False).indices
    unit_starts, unit_ends = units["start"].to_numpy(), units["end"].to_numpy()
    unit_ids = units["unit_id"].to_numpy()
    labels = codings.index.to_numpy()
    coding_starts, coding_ends = codings["start"].to_numpy(), codings["end"].to_numpy()
    for doc_id, mine in codings.groupby("doc_id", sort=False).indices.items():
        group = unit_rows.get(doc_id)
        if group is None:
            continue
        starts, ends, ids = unit_starts[group], unit_ends[group], unit_ids[group]
        s, e = coding_starts[mine], coding_ends[mine]
        first = np.searchsorted(starts, s, side="right") - 1
        # A coding starting in a gap between units begins with the next unit.
        first = np.where((first < 0) | (ends[np.maximum(first, 0)] <= s), first + 1, first)
        last = np.searchsorted(starts, e, side="left") - 1
        counts = np.maximum(last - first + 1, 0)
        rows = np.repeat(labels[mine], counts)
        # 0, 1, ... within each coding's run of units.
        offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        unit_idx = np.repeat(first, counts) + offsets
        pairs.append((rows, ids[unit_idx]))
    if not pairs:
        return pd.DataFrame({"row": pd.Series(dtype="int64"),
                             "unit_id": pd.Series(dtype="int64")})
    return pd.DataFrame({"row": np.concatenate([p[0] for p in pairs]).astype("int64"),
                         "unit_id": np.concatenate([p[1] for p in pairs]).astype("int64")})


def load(store: Store, case_id: str, *, unit: str = "sentence", level: Level = "top",
         filter: CodingFilter | None = None, codebook: str | None = None) -> Material:
    """Read a case's documents, units and filtered codings into a :class:`Material`.

    Loaded once per open store, case, unit, level and filter while the store is unchanged;
    each call gets its own copy.
    """
    store.require_case(case_id)
    unit, level = check_unit(unit), check_level(level)
    chosen = resolve_filter(filter, codebook)
    material = cached(store, ("material", case_id, unit, level, chosen),
                      lambda: _load(store, case_id, unit, level, chosen))
    return dataclasses.replace(
        material, docs=_copied(material.docs), units=_copied(material.units),
        codings=_copied(material.codings), presence=_copied(material.presence),
        codes=list(material.codes), tranches=list(material.tranches),
        tranche_labels=dict(material.tranche_labels),
        municipalities=list(material.municipalities))


def _load(store: Store, case_id: str, unit: str, level: Level,
          chosen: CodingFilter) -> Material:
    # Each step is cached on what it depends on, so materials that differ in level, unit
    # or filter share the rest (cached values are shared: derive, never change them).
    interviewer = chosen.include_interviewer
    sentences = read(store, "segments", case_id, kind="sentence", with_text=False)
    docs = cached(store, ("docs", case_id, interviewer),
                  lambda: _documents(store, case_id, sentences, interviewer))
    units = cached(store, ("units", case_id, unit, interviewer),
                   lambda: _units(store, case_id, unit, docs, sentences, interviewer))
    codings = cached(store, ("codings", case_id, chosen),
                     lambda: _filtered_codings(store, case_id, chosen))
    pairs = cached(store, ("pairs", case_id, unit, chosen), lambda: assign(codings, units))
    codings = codings.assign(code=[code_at(c, level) for c in codings["code_id"]])
    pairs = pairs.assign(
        code=codings["code"].to_numpy()[pairs["row"].to_numpy()] if len(pairs) else [])
    presence = (pairs.groupby(["unit_id", "code"]).size().rename("codings").reset_index()
                if len(pairs) else pd.DataFrame({"unit_id": pd.Series(dtype="int64"),
                                                 "code": pd.Series(dtype=object),
                                                 "codings": pd.Series(dtype="int64")}))
    tranches = read(store, "tranches", case_id)
    return Material(
        case_id=case_id, unit=unit, level=level, filter=chosen, docs=docs, units=units,
        codings=codings, presence=presence,
        codes=code_universe(store, codings, chosen.codebook, level),
        tranches=list(tranches["tranche_id"]),
        tranche_labels=dict(zip(tranches["tranche_id"], tranches["label"], strict=True)),
        municipalities=read(store, "case_municipalities", case_id))


def _filtered_codings(store: Store, case_id: str, chosen: CodingFilter) -> pd.DataFrame:
    """Return the codings that pass the filter (interviewer speech left out unless asked)."""
    codings = read(
        store, "coded_spans", case_id, statuses=chosen.status, origins=chosen.origin,
        coders=chosen.coder, codebook_id=chosen.codebook,
        manual_proposals=chosen.manual_proposals, include_stale=chosen.include_stale)
    if not chosen.include_interviewer:
        codings = _drop_in_spans(codings, _interviewer_spans(store, case_id))
    return codings.reset_index(drop=True)


def code_info(store: Store, codebook: str | None = None, language: str = "nb") -> pd.DataFrame:
    """Return the codes of a stored codebook (or of all): names, colours and tree place.

    Columns: codebook_id, code, parent, top, depth, name (in ``language``, falling back
    to nb, en, then the id), colour (the code's own, else its nearest ancestor's, else
    None), position.
    """
    table = read(store, "code_table", codebook)
    colours = {c: k for c, k in zip(table["code_id"], table["colour"], strict=True)
               if isinstance(k, str) and k}
    parents = dict(zip(table["code_id"], table["parent_id"], strict=True))

    def colour(code: str) -> str | None:
        while code is not None:
            if colours.get(code):
                return colours[code]
            code = parents.get(code)
        return None

    def name(names: dict[str, str], code: str) -> str:
        for lang in (language, "nb", "en"):
            if names.get(lang):
                return names[lang]
        return next(iter(names.values()), code)

    return pd.DataFrame({
        "codebook_id": table["codebook_id"],
        "code": table["code_id"],
        "parent": table["parent_id"].astype(object).where(table["parent_id"].notna(), None),
        "top": [c.split(".")[0] for c in table["code_id"]],
        "depth": [c.count(".") for c in table["code_id"]],
        "name": [name(n, c) for n, c in zip(table["names"], table["code_id"], strict=True)],
        "colour": [colour(c) for c in table["code_id"]],
        "position": np.arange(1, len(table) + 1, dtype="int64"),
    })


def group_counts(material: Material, by: str | Sequence[str]
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return coded units per group and code, and the size of each group.

    ``cells``: the ``by`` columns, ``code``, ``units`` (units of the group where the code is
    present), every group with every code. ``groups``: the ``by`` columns, ``all_units``,
    ``coded_units`` (units with any code), ``words`` (in the group's units), ``documents``.
    One attribute gives every category (see :meth:`Material.categories`); several give
    the combinations that occur. Units with an empty value are left out.
    """
    by = [by] if isinstance(by, str) else list(by)
    if material.unit == "document" and set(by) & set(SEGMENT_ATTRIBUTES):
        raise UsageError(f"'{', '.join(set(by) & set(SEGMENT_ATTRIBUTES))}' belongs to "
                         "segments; use unit='turn', 'paragraph' or 'sentence'")
    orders = {b: material.categories(b) for b in by}
    units = material.units
    for b in by:
        units = units[units[b].isin(orders[b])]
    if len(by) == 1:
        keys = pd.Index(orders[by[0]], name=by[0], dtype=object)
        rank = {v: i for i, v in enumerate(orders[by[0]])}
        group = units[by[0]].map(rank).to_numpy(dtype="int64")
    else:
        seen = units[by].drop_duplicates()
        rank = [seen[b].map({v: i for i, v in enumerate(orders[b])}) for b in by]
        seen = seen.assign(**{f"_r{i}": r for i, r in enumerate(rank)}).sort_values(
            [f"_r{i}" for i in range(len(by))])
        keys = pd.MultiIndex.from_frame(seen[by])
        group = keys.get_indexer(pd.MultiIndex.from_frame(units[by]))
    # Counted with numpy on group numbers: a report calls this a dozen times, and pandas'
    # groupby, merge and reindex cost ~20 ms a call here.
    n_groups, codes = len(keys), material.codes
    unit_ids = units["unit_id"].to_numpy()
    present_units = material.presence["unit_id"].to_numpy()
    group_of = np.full(max(unit_ids.max(initial=-1), present_units.max(initial=-1)) + 1, -1)
    group_of[unit_ids] = group  # -1: a unit left out
    present_group = group_of[present_units]
    kept = present_group >= 0
    code_index = material.presence["code"].map({c: i for i, c in enumerate(codes)})
    # Distinct (group, document) pairs as one number each.
    stride = len(units) + 1
    group_docs = np.unique(group * stride + pd.factorize(units["doc_id"])[0])
    groups = pd.DataFrame({
        "all_units": np.bincount(group, minlength=n_groups),
        "coded_units": np.bincount(group_of[np.unique(present_units[kept])],
                                   minlength=n_groups),
        "words": np.bincount(group, weights=units["n_words"].to_numpy(dtype=float),
                             minlength=n_groups),
        "documents": np.bincount(group_docs // stride, minlength=n_groups),
    }, index=keys).astype("int64").reset_index()
    # Presence has one row per unit and code: its rows are the units with the code.
    cell = present_group[kept] * len(codes) + code_index.to_numpy(dtype="int64")[kept]
    full = pd.MultiIndex.from_tuples(
        [(*(k if isinstance(k, tuple) else (k,)), c) for k in keys for c in codes],
        names=[*by, "code"])
    cells = pd.Series(np.bincount(cell, minlength=n_groups * len(codes)), index=full,
                      name="units").astype("int64").reset_index()
    return cells, groups
