"""Thesis figures from analysis frames, as matplotlib Figures returned to the caller.

Each function takes a frame from :mod:`casekit.analysis` and a :class:`PlotStyle` (code
names and colours from the codebook, tranche and role labels, in Norwegian or English)
and returns a :class:`matplotlib.figure.Figure`. Figures are made without pyplot, so
nothing is shown twice in a notebook and a batch run keeps no figures open. Long labels
are wrapped, legends sit outside the plot, and the layout is constrained so text does
not overlap. :func:`png` renders a figure as the notebook shows it, drawing it once, and
:func:`show_inline` makes a notebook use it.
"""

from __future__ import annotations

import base64
import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from casekit.analysis import code_info
from casekit.errors import UsageError
from casekit.store import Store

# Colours for codes whose codebook gives none (matplotlib's tab10, print-safe).
FALLBACK_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                    "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")

ROLE_LABELS = {
    "nb": {"politician": "Politikere", "administration": "Administrasjon",
           "citizen": "Innbyggere", "partner": "Partnere", "network": "Nettverket",
           "researcher": "Forsker", "other": "Andre", "interviewer": "Intervjuer",
           "informant": "Informant"},
    "en": {"politician": "Politicians", "administration": "Administration",
           "citizen": "Citizens", "partner": "Partners", "network": "Network",
           "researcher": "Researcher", "other": "Other", "interviewer": "Interviewer",
           "informant": "Informant"},
}

TEXT = {
    "nb": {"share": "Andel av kodeforekomstene", "unit_share": "Andel av enhetene",
           "per_1000_words": "Per 1 000 ord", "units": "Kodede enheter", "count": "Antall",
           "row_share": "Andel av raden", "column_share": "Andel av kolonnen",
           "expected": "Forventet", "residual": "Justert standardisert residual",
           "jaccard": "Jaccard", "conditional": "Betinget andel",
           "obs_exp": "Observert / forventet", "tranche": "Fase", "code": "Kode",
           "period": "Periode", "logic": "Logikk"},
    "en": {"share": "Share of code occurrences", "unit_share": "Share of units",
           "per_1000_words": "Per 1,000 words", "units": "Coded units", "count": "Count",
           "row_share": "Row share", "column_share": "Column share",
           "expected": "Expected", "residual": "Adjusted standardised residual",
           "jaccard": "Jaccard", "conditional": "Conditional share",
           "obs_exp": "Observed / expected", "tranche": "Tranche", "code": "Code",
           "period": "Period", "logic": "Logic"},
}
SHARES = ("share", "unit_share", "row_share", "column_share", "conditional")


@dataclass(frozen=True)
class PlotStyle:
    """Labels and colours for figures: code names and colours, category labels."""

    names: dict[str, str] = field(default_factory=dict)
    colours: dict[str, str] = field(default_factory=dict)
    categories: dict[str, str] = field(default_factory=dict)
    language: str = "nb"

    def label(self, code: str) -> str:
        """Return the display name of a code (its id when the codebook has no name)."""
        return self.names.get(code, code)

    def colour(self, code: str, index: int = 0) -> str:
        """Return the codebook colour of a code, or a fallback by its position."""
        return self.colours.get(code) or FALLBACK_COLOURS[index % len(FALLBACK_COLOURS)]

    def category(self, value: object) -> str:
        """Return the display label of a tranche, role or other category value."""
        text = str(value)
        return self.categories.get(text) or ROLE_LABELS.get(self.language, {}).get(text, text)

    def text(self, key: str) -> str:
        """Return an axis or legend text in the style's language."""
        return TEXT.get(self.language, TEXT["en"]).get(key, key)


def plot_style(store: Store, case_id: str | None = None, codebook: str | None = None,
               language: str = "nb") -> PlotStyle:
    """Return a :class:`PlotStyle` with the codebook's names and colours, in ``language``,
    and the case's tranche labels."""
    codes = code_info(store, codebook, language)
    categories = {}
    if case_id is not None:
        tranches = store.tranches(case_id)
        categories = dict(zip(tranches["tranche_id"], tranches["label"], strict=True))
    return PlotStyle(
        names=dict(zip(codes["code"], codes["name"], strict=True)),
        colours={c: k for c, k in zip(codes["code"], codes["colour"], strict=True) if k},
        categories=categories, language=language if language in TEXT else "en")


def _wrap(text: str, width: int = 16) -> str:
    return "\n".join(textwrap.wrap(text, width, break_long_words=False)) or text


def _figure(width: float, height: float) -> tuple[Figure, object]:
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.add_subplot()


def _codes(frame: pd.DataFrame, column: str = "code") -> list[str]:
    return list(dict.fromkeys(frame[column]))


def _lookup(frame: pd.DataFrame, keys: Sequence[str], measure: str) -> dict[tuple, object]:
    """Return (key values) -> measure: a dict to look cells up in a drawing loop (a
    MultiIndex look-up costs a hundred times more)."""
    return dict(zip(zip(*(frame[k] for k in keys), strict=True), frame[measure], strict=True))


def _check(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise UsageError(f"{what} needs a frame with column(s) {', '.join(missing)}; "
                         "pass the frame the matching casekit.analysis function returns")


def _value_axis(ax: object, measure: str, style: PlotStyle, axis: str = "y") -> None:
    target = ax.yaxis if axis == "y" else ax.xaxis
    if measure in SHARES:
        target.set_major_formatter(PercentFormatter(1.0, decimals=0))
    (ax.set_ylabel if axis == "y" else ax.set_xlabel)(style.text(measure))


def _legend(ax: object, fig: Figure, n: int) -> None:
    if n:
        fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center",
                   ncols=min(n, 3), frameon=False)


def _stages(profile: pd.DataFrame, style: PlotStyle) -> list[tuple[str, str, str]]:
    """Return (tranche, municipality, label) per bar group in the profile's order."""
    seen = profile[["tranche", "municipality"]].drop_duplicates()
    return [(t, m, style.category(t) + (f": {m}" if m else ""))
            for t, m in zip(seen["tranche"], seen["municipality"], strict=True)]


def plot_tranche_profile(profile: pd.DataFrame, *, measure: str = "share",
                         stacked: bool = False, style: PlotStyle | None = None,
                         title: str | None = None) -> Figure:
    """Return bars of each code per tranche (and municipality), grouped or stacked.

    ``profile`` comes from :func:`casekit.analysis.tranche_profile` (with or without
    municipalities); ``measure`` is one of its measures. One bar per tranche and code.
    """
    _check(profile, ["tranche", "municipality", "code", measure], "plot_tranche_profile")
    style = style or PlotStyle()
    stages, codes = _stages(profile, style), _codes(profile)
    values = _lookup(profile, ["tranche", "municipality", "code"], measure)
    fig, ax = _figure(max(6.0, 1.1 * len(stages) + 2), 4.8)
    x = np.arange(len(stages))
    width = 0.8 if stacked else 0.8 / max(len(codes), 1)
    bottom = np.zeros(len(stages))
    for i, code in enumerate(codes):
        heights = np.array([values.get((t, m, code), 0.0) for t, m, _ in stages], dtype=float)
        offset = x if stacked else x - 0.4 + width * (i + 0.5)
        ax.bar(offset, heights, width, bottom=bottom if stacked else None,
               color=style.colour(code, i), label=_wrap(style.label(code), 28),
               edgecolor="white", linewidth=0.5)
        if stacked:
            bottom += heights
    ax.set_xticks(x, [_wrap(label) for _, _, label in stages])
    _value_axis(ax, measure, style)
    ax.spines[["top", "right"]].set_visible(False)
    if title:
        ax.set_title(title)
    _legend(ax, fig, len(codes))
    return fig


def _spread_labels(positions: list[float], gap: float) -> list[float]:
    """Return label positions moved apart by at least ``gap``, keeping their order."""
    order = np.argsort(positions)
    placed = np.array(positions, dtype=float)[order]
    for i in range(1, len(placed)):
        placed[i] = max(placed[i], placed[i - 1] + gap)
    shift = (placed - np.sort(positions)).mean() if len(placed) else 0.0
    placed -= shift / 2  # centre the adjustment so labels stay near their lines
    for i in range(1, len(placed)):
        placed[i] = max(placed[i], placed[i - 1] + gap)
    out = np.empty_like(placed)
    out[order] = placed
    return list(out)


def plot_trajectory(profile: pd.DataFrame, *, measure: str = "share",
                    style: PlotStyle | None = None, title: str | None = None) -> Figure:
    """Return a slope chart: each code's measure across the tranches, one line per code.

    ``profile`` comes from :func:`casekit.analysis.tranche_profile`; municipality rows
    are left out. Lines are labelled at their right end, labels kept apart.
    """
    _check(profile, ["tranche", "municipality", "code", measure], "plot_trajectory")
    style = style or PlotStyle()
    whole = profile[profile["municipality"] == ""]
    tranches, codes = _codes(whole, "tranche"), _codes(whole)
    values = _lookup(whole, ["tranche", "code"], measure)
    fig, ax = _figure(max(6.0, 1.6 * len(tranches) + 3), 4.8)
    x = np.arange(len(tranches))
    ends = []
    for i, code in enumerate(codes):
        y = np.array([values.get((t, code), 0.0) for t in tranches], dtype=float)
        ax.plot(x, y, marker="o", color=style.colour(code, i), linewidth=2,
                label=style.label(code))
        ends.append(y[-1] if len(y) else 0.0)
    top = max([*ends, *values.values(), 0.0]) or 1.0
    last = x[-1] if len(x) else 0
    labels = [_wrap(style.label(code), 26) for code in codes]
    lines = max((label.count("\n") + 1 for label in labels), default=1)
    spread = _spread_labels(ends, top * 0.055 * lines)
    for i, (label, y) in enumerate(zip(labels, spread, strict=True)):
        ax.annotate(label, (last, ends[i]), xytext=(last + 0.12, y),
                    textcoords="data",
                    va="center", fontsize=9, color=style.colour(codes[i], i),
                    arrowprops={"arrowstyle": "-", "color": "0.7", "linewidth": 0.5})
    ax.set_xticks(x, [_wrap(style.category(t)) for t in tranches])
    ax.set_xlim(-0.3, max(len(tranches) - 1, 0) + 1.2)
    ax.set_ylim(bottom=0)
    _value_axis(ax, measure, style)
    ax.spines[["top", "right"]].set_visible(False)
    if title:
        ax.set_title(title)
    return fig


def _heatmap(matrix: pd.DataFrame, *, style: PlotStyle, measure: str, diverging: bool,
             title: str | None, row_labels: list[str], col_labels: list[str]) -> Figure:
    values = matrix.to_numpy(dtype=float)
    many = values.shape[1] > 8  # narrow columns: labels turn upright
    fig, ax = _figure(max(5.0, (0.55 if many else 1.0) * values.shape[1] + 4.0),
                      max(3.0, 0.45 * values.shape[0] + (3.2 if many else 1.8)))
    finite = values[np.isfinite(values)]
    if diverging:
        limit = max(float(np.abs(finite).max()) if finite.size else 0.0, 1.96)
        image = ax.imshow(values, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
    else:
        image = ax.imshow(values, cmap="Blues", vmin=0,
                          vmax=float(finite.max()) if finite.size and finite.max() > 0 else 1,
                          aspect="auto")
    # Each value sits inside its cell, so it takes no part in the layout: the constrained
    # layout need not measure every one of them (twice) to find the same place for the axes.
    for (r, c), value in np.ndenumerate(values):
        if not np.isfinite(value):
            ax.text(c, r, "–", ha="center", va="center", fontsize=9, color="0.4",
                    in_layout=False)
            continue
        rgb = np.array(to_rgb(image.cmap(image.norm(value))))
        ink = "white" if rgb @ [0.299, 0.587, 0.114] < 0.5 else "black"
        text = (f"{value:.0%}" if measure in SHARES and not many else f"{value:.0f}" if measure in (
            "count", "units") else f"{value:.2f}")
        ax.text(c, r, text, ha="center", va="center", fontsize=7 if many else 9, color=ink,
                in_layout=False)
    if many:
        ax.set_xticks(range(values.shape[1]), [_wrap(c, 34) for c in col_labels],
                      rotation=90)
    else:
        ax.set_xticks(range(values.shape[1]), [_wrap(c, 14) for c in col_labels])
    ax.set_yticks(range(values.shape[0]), [_wrap(r, 34) for r in row_labels])
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    bar = fig.colorbar(image, ax=ax, shrink=0.8)
    bar.set_label(style.text(measure))
    if title:
        ax.set_title(title)
    return fig


def plot_crosstab(table: pd.DataFrame, *, measure: str = "residual",
                  style: PlotStyle | None = None, title: str | None = None) -> Figure:
    """Return a heatmap of a :func:`casekit.analysis.crosstab` frame, values in the cells.

    Residuals use a diverging scale centred on 0 (cells beyond ±1.96 stand out); other
    measures a sequential one. Rows are codes, columns the categories.
    """
    style = style or PlotStyle()
    by = next((c for c in table.columns if c not in (
        "code", "count", "words", "row_share", "column_share", "per_1000_words", "expected",
        "residual")), None)
    if by is None:
        raise UsageError("plot_crosstab needs a crosstab frame (code, category, measures)")
    _check(table, ["code", measure], "plot_crosstab")
    codes, categories = _codes(table), _codes(table, by)
    matrix = table.pivot(index="code", columns=by, values=measure).reindex(
        index=codes, columns=categories)
    return _heatmap(matrix, style=style, measure=measure, diverging=measure == "residual",
                    title=title, row_labels=[style.label(c) for c in codes],
                    col_labels=[style.category(c) for c in categories])


def plot_cooccurrence(cooc: pd.DataFrame, *, measure: str = "jaccard",
                      style: PlotStyle | None = None, title: str | None = None) -> Figure:
    """Return a code-by-code heatmap of a :func:`casekit.analysis.cooccurrence` frame.

    Codes that never occur are left out; the diagonal (a code with itself) is blank;
    ``obs_exp`` is shown as log2 on a scale centred where codes meet as often as chance
    would have it.
    """
    _check(cooc, ["code_a", "code_b", "units_a", measure], "plot_cooccurrence")
    style = style or PlotStyle()
    codes = list(dict.fromkeys(cooc.loc[cooc["units_a"] > 0, "code_a"]))
    matrix = cooc.pivot(index="code_a", columns="code_b", values=measure).reindex(
        index=codes, columns=codes)
    if measure == "obs_exp":  # log scale: 2x and 0.5x as far from chance
        with np.errstate(divide="ignore"):
            matrix = np.log2(matrix.where(matrix > 0))
    labels = [style.label(c) for c in codes]
    fig = _heatmap(matrix, style=style, measure=measure, diverging=measure == "obs_exp",
                   title=title, row_labels=labels, col_labels=labels)
    if measure == "obs_exp":
        fig.axes[-1].set_ylabel("log2 " + style.text(measure))
    return fig


LAYOUTS = ("circle", "spring", "kamada_kawai")


def _circle(codes: list[str]) -> dict[str, np.ndarray]:
    """Return a place on the unit circle for every code: the first on top, then clockwise
    in the codes' order, so each code has the same place in every case's figure."""
    angles = np.pi / 2 - 2 * np.pi * np.arange(len(codes)) / max(len(codes), 1)
    return {c: np.array([np.cos(a), np.sin(a)]) for c, a in zip(codes, angles, strict=True)}


def _networkx_layout(edges: list[tuple[str, str, float]], layout: str,
                     seed: int) -> dict[str, np.ndarray]:
    """Return networkx's spring or Kamada-Kawai layout of the edges (imported here: networkx
    and the scipy.optimize that Kamada-Kawai needs cost a report kernel half a second)."""
    import networkx as nx

    graph = nx.Graph()
    graph.add_weighted_edges_from(edges)
    if layout == "spring":
        return nx.spring_layout(graph, seed=seed)
    return nx.kamada_kawai_layout(graph)


def plot_network(cooc: pd.DataFrame, *, measure: str = "count", min_value: float = 1,
                 layout: str = "circle", style: PlotStyle | None = None,
                 title: str | None = None, seed: int = 1) -> Figure:
    """Return a co-occurrence network: codes as nodes, units together as edges.

    Node size follows the code's units, edge width ``measure`` (count, jaccard or
    obs_exp); edges below ``min_value`` are left out, and so are codes left without an
    edge. ``layout``: ``circle`` (the default: every code of the frame has a fixed place
    on a circle, the first on top, then clockwise, so cases can be compared figure by
    figure), or networkx's ``spring`` (with a fixed ``seed``) or ``kamada_kawai``, both
    reproducible. Each label sits outside its node, away from the middle of the figure.
    """
    if layout not in LAYOUTS:
        raise UsageError(f"layout must be one of {', '.join(LAYOUTS)}, not {layout!r}")
    _check(cooc, ["code_a", "code_b", "units_a", measure], "plot_network")
    style = style or PlotStyle()
    codes = list(dict.fromkeys(cooc["code_a"]))
    units = cooc.groupby("code_a")["units_a"].first()
    pairs = cooc[(cooc["code_a"] < cooc["code_b"]) & (cooc["count"] > 0)
                 & (cooc[measure] >= min_value)]
    edges = [(a, b, float(v)) for a, b, v in
             zip(pairs["code_a"], pairs["code_b"], pairs[measure], strict=True)]
    fig, ax = _figure(7.0, 6.0)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    if not edges:
        return fig
    pos = _circle(codes) if layout == "circle" else _networkx_layout(edges, layout, seed)
    linked = {c for a, b, _ in edges for c in (a, b)}
    nodes = [c for c in codes if c in linked]
    heaviest = max(w for _, _, w in edges) or 1.0
    ax.add_collection(LineCollection(
        [(pos[a], pos[b]) for a, b, _ in edges], colors="0.6", alpha=0.7, zorder=1,
        linewidths=[0.5 + 5 * w / heaviest for _, _, w in edges]))
    biggest = max(units.get(c, 0) for c in nodes) or 1
    sizes = [200 + 1800 * units.get(c, 0) / biggest for c in nodes]
    xy = np.array([pos[c] for c in nodes])
    ax.scatter(xy[:, 0], xy[:, 1], s=sizes, c=[style.colour(c, codes.index(c)) for c in nodes],
               edgecolors="white", zorder=2)
    for code, size, point in zip(nodes, sizes, xy, strict=True):
        # Outwards from the middle (every layout centres on 0, 0), clear of the node: node
        # size is an area in points², so its radius is sqrt(size) / 2. A node in the middle
        # has its label below.
        length = np.hypot(*point)
        dx, dy = point / length if length > 1e-6 else (0.0, -1.0)
        gap = np.sqrt(size) / 2 + 3
        ax.annotate(_wrap(style.label(code), 20), point, xytext=(dx * gap, dy * gap),
                    textcoords="offset points", fontsize=8,
                    ha="left" if dx > 0.3 else "right" if dx < -0.3 else "center",
                    va="bottom" if dy > 0.3 else "top" if dy < -0.3 else "center",
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none",
                          "alpha": 0.75})
    ax.margins(0.15)
    return fig


def plot_actor_profile(profile: pd.DataFrame, *, measure: str = "share",
                       style: PlotStyle | None = None, title: str | None = None) -> Figure:
    """Return horizontal bars of each role's logic profile, from
    :func:`casekit.analysis.actor_profile`: stacked to 100 % for ``share``, grouped for
    other measures. One bar segment per role and code."""
    by = profile.columns[0] if len(profile.columns) else "actor_role"
    _check(profile, [by, "code", measure], "plot_actor_profile")
    style = style or PlotStyle()
    roles, codes = _codes(profile, by), _codes(profile)
    values = _lookup(profile, [by, "code"], measure)
    stacked = measure == "share"
    fig, ax = _figure(8.0, max(3.0, 0.7 * len(roles) * (1 if stacked else 0.5 + 0.25 * len(
        codes)) + 1.5))
    y = np.arange(len(roles))
    height = 0.7 if stacked else 0.8 / max(len(codes), 1)
    left = np.zeros(len(roles))
    for i, code in enumerate(codes):
        widths = np.array([values.get((r, code), 0.0) for r in roles], dtype=float)
        offset = y if stacked else y - 0.4 + height * (i + 0.5)
        ax.barh(offset, widths, height, left=left if stacked else None,
                color=style.colour(code, i), label=_wrap(style.label(code), 28),
                edgecolor="white", linewidth=0.5)
        if stacked:
            left += widths
    ax.set_yticks(y, [style.category(r) for r in roles])
    ax.invert_yaxis()  # the first role on top, as in a table
    _value_axis(ax, measure, style, axis="x")
    ax.spines[["top", "right"]].set_visible(False)
    if title:
        ax.set_title(title)
    _legend(ax, fig, len(codes))
    return fig


def plot_timeline(frame: pd.DataFrame, *, measure: str = "units",
                  style: PlotStyle | None = None, title: str | None = None) -> Figure:
    """Return one line per code over the periods of :func:`casekit.analysis.timeline`."""
    _check(frame, ["period", "code", measure], "plot_timeline")
    style = style or PlotStyle()
    periods, codes = _codes(frame, "period"), _codes(frame)
    if measure != "units" and "words" in frame.columns:
        # A period without material has no rate or share: a gap in the line, not a zero.
        frame = frame.assign(**{measure: frame[measure].where(frame["words"] > 0)})
    values = _lookup(frame, ["period", "code"], measure)
    fig, ax = _figure(max(6.0, 0.6 * len(periods) + 3), 4.5)
    x = np.arange(len(periods))
    for i, code in enumerate(codes):
        ax.plot(x, [values.get((p, code), np.nan) for p in periods], marker="o",
                color=style.colour(code, i), label=_wrap(style.label(code), 28))
    step = max(1, int(np.ceil(len(periods) / 12)))  # at most about 12 tick labels
    ax.set_xticks(x[::step], periods[::step])
    ax.set_xlabel(style.text("period"))
    ax.set_ylim(bottom=0)
    _value_axis(ax, measure, style)
    ax.spines[["top", "right"]].set_visible(False)
    if title:
        ax.set_title(title)
    _legend(ax, fig, len(codes))
    return fig


# -- showing figures in a notebook ----------------------------------------------------------

def png(fig: Figure) -> bytes | None:
    """Return the figure as PNG bytes, or None when it has nothing drawn on it.

    The bytes are those the notebook's inline backend makes with ``bbox_inches=None``
    (the figure's own size, dpi and colours), in one drawing instead of two: savefig
    draws a figure with a layout engine once to lay it out and once more to render it,
    while Agg's ``print_png`` lays it out at the start of its one drawing.
    """
    if not fig.axes and not fig.lines:  # as IPython does: no empty image in the page
        return None
    canvas = fig.canvas
    try:
        out = io.BytesIO()
        FigureCanvasAgg(fig).print_png(out)
        return out.getvalue()
    finally:
        fig.set_canvas(canvas)  # and the renderer's pixel buffer goes with the Agg canvas


def _png_base64(fig: Figure) -> str | None:
    data = png(fig)
    return None if data is None else base64.b64encode(data).decode("ascii")


def show_inline(shell: object | None = None) -> None:
    """Make the running IPython shell (or ``shell``) show matplotlib figures as PNG made
    by :func:`png`. Call it after ``%matplotlib inline``, which sets its own formatter."""
    if shell is None:
        from IPython import get_ipython

        shell = get_ipython()
    if shell is None:
        raise UsageError("show_inline needs a running IPython shell (a notebook kernel)")
    shell.display_formatter.formatters["image/png"].for_type(Figure, _png_base64)
