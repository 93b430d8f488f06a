"""Figures: what is drawn (bars, lines, cells, labels, colours), not only that they exist.

The numbers come from the hand-coded case of tests/test_analysis.py.
"""

from __future__ import annotations

import io
import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from casekit import analysis, plots
from casekit.errors import UsageError
from tests.test_analysis import CASE, coded  # noqa: F401 (the fixture)

NPM, NPG = "#d95f02", "#1b9e77"  # the mini codebook's colours


@pytest.fixture
def style(coded):  # noqa: F811
    return plots.plot_style(coded, CASE, "mini")


def rendered(fig: Figure) -> Figure:
    """Draw the figure with Agg (as savefig does), failing on any warning (missing glyph)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        FigureCanvasAgg(fig)
        fig.savefig(io.BytesIO(), format="png")
    return fig


def no_overlap(texts) -> bool:
    boxes = [t.get_window_extent() for t in texts if t.get_text()]
    return not any(a.overlaps(b) for a, b in itertools.combinations(boxes, 2))


def bar_colours(ax) -> list[str]:
    return [to_hex(p.get_facecolor()) for p in ax.patches]


def test_style_has_names_colours_and_labels(style):
    assert style.label("NPM") == "Ny offentlig styring" and style.label("X") == "X"
    assert style.colour("NPM.goals") == NPM  # a subcode takes its parent's colour
    assert style.category("interplay") == "Samspill"
    assert style.category("politician") == "Politikere"
    assert style.text("share") == "Andel av kodeforekomstene"
    english = plots.PlotStyle(language="en")
    assert english.category("politician") == "Politicians"
    assert english.colour("unknown", 1) == plots.FALLBACK_COLOURS[1]


def test_grouped_tranche_profile(coded, style):  # noqa: F811
    profile = analysis.tranche_profile(coded, CASE, municipalities=True, codebook="mini")
    fig = rendered(plots.plot_tranche_profile(profile, style=style, title="Logikkprofil"))
    ax = fig.axes[0]
    # Five groups (three tranches, two municipalities) of two bars: NPM first, then NPG.
    assert len(ax.patches) == 10
    assert bar_colours(ax) == [NPM] * 5 + [NPG] * 5
    assert [p.get_height() for p in ax.patches] == pytest.approx(
        [.5, 0, 1 / 3, 0, 1, .5, 0, 2 / 3, 1, 0])
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "Nettverket", "Samspill", "Kommunene", "Kommunene:\nHavvik", "Kommunene:\nBjørkeli"]
    assert ax.get_ylabel() == "Andel av kodeforekomstene" and ax.get_title() == "Logikkprofil"
    legend = fig.legends[0]
    assert [t.get_text() for t in legend.get_texts()] == ["Ny offentlig styring",
                                                          "Nettverksstyring"]
    assert no_overlap(ax.get_xticklabels())


def test_stacked_tranche_profile(coded, style):  # noqa: F811
    profile = analysis.tranche_profile(coded, CASE, codebook="mini")
    ax = rendered(plots.plot_tranche_profile(profile, stacked=True, style=style)).axes[0]
    assert len(ax.patches) == 6
    # NPG sits on NPM: its bottoms are NPM's shares 0.5, 0, 1/3.
    assert [p.get_y() for p in ax.patches[3:]] == pytest.approx([.5, 0, 1 / 3])
    assert [p.get_y() + p.get_height() for p in ax.patches[3:]] == pytest.approx([1, 0, 1])


def test_trajectory(coded, style):  # noqa: F811
    profile = analysis.tranche_profile(coded, CASE, municipalities=True, codebook="mini")
    fig = rendered(plots.plot_trajectory(profile, style=style))
    ax = fig.axes[0]
    assert len(ax.lines) == 2  # municipality rows are left out
    assert list(ax.lines[1].get_ydata()) == pytest.approx([.5, 0, 2 / 3])
    assert [to_hex(line.get_color()) for line in ax.lines] == [NPM, NPG]
    labels = [t for t in ax.texts]
    assert [t.get_text() for t in labels] == ["Ny offentlig styring", "Nettverksstyring"]
    assert no_overlap(labels)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Nettverket", "Samspill",
                                                            "Kommunene"]


def test_crosstab_heatmap(coded, style):  # noqa: F811
    table = analysis.crosstab(coded, CASE, "tranche", codebook="mini")
    fig = rendered(plots.plot_crosstab(table, style=style))
    ax = fig.axes[0]
    r = np.sqrt(7) / 6
    assert np.asarray(ax.images[0].get_array()) == pytest.approx(
        np.array([[r, 0, -r], [-r, 0, r]]))
    assert [t.get_text() for t in ax.texts] == ["0.44", "0.00", "-0.44", "-0.44", "0.00",
                                                "0.44"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Ny offentlig styring",
                                                            "Nettverksstyring"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Nettverket", "Samspill",
                                                            "Kommunene"]
    assert fig.axes[1].get_ylabel() == "Justert standardisert residual"  # the colour bar
    counts = rendered(plots.plot_crosstab(table, measure="row_share", style=style)).axes[0]
    assert [t.get_text() for t in counts.texts][:3] == ["67%", "0%", "33%"]


def test_cooccurrence_heatmap_and_network(coded, style):  # noqa: F811
    cooc = analysis.cooccurrence(coded, CASE, level="code", codebook="mini")
    ax = rendered(plots.plot_cooccurrence(cooc, style=style)).axes[0]
    # NPM.value never occurs and is left out: 3 x 3, diagonal blank.
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "Ny offentlig styring", "Mål", "Nettverksstyring"]
    # Jaccard: NPM (2 units) and Mål (2) share d1S3: 1/3; either with NPG (4 units): 1/5.
    assert [t.get_text() for t in ax.texts] == ["–", "0.33", "0.20", "0.33", "–", "0.20",
                                                "0.20", "0.20", "–"]
    fig = rendered(plots.plot_network(cooc, style=style))
    ax = fig.axes[0]
    nodes = ax.collections[-1]
    assert len(nodes.get_offsets()) == 3
    assert [to_hex(c) for c in nodes.get_facecolors()] == [NPM, NPM, NPG]
    assert [t.get_text() for t in ax.texts] == ["Ny offentlig styring", "Mål",
                                                "Nettverksstyring"]
    edges = ax.collections[0]
    assert len(edges.get_paths()) == 3  # every pair met once
    sparse = rendered(plots.plot_network(cooc, min_value=2, style=style)).axes[0]
    assert not sparse.collections  # no pair meets twice: nothing left to draw
    with pytest.raises(UsageError, match="layout must be"):
        plots.plot_network(cooc, layout="circle")


def test_actor_profile_bars(coded, style):  # noqa: F811
    profile = analysis.actor_profile(coded, CASE, codebook="mini")
    fig = rendered(plots.plot_actor_profile(profile, style=style))
    ax = fig.axes[0]
    assert len(ax.patches) == 6
    assert [p.get_width() for p in ax.patches] == pytest.approx([0, 1, .5, 1, 0, .5])
    assert bar_colours(ax) == [NPM] * 3 + [NPG] * 3
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Politikere", "Administrasjon",
                                                            "Nettverket"]
    assert ax.get_xlabel() == "Andel av kodeforekomstene"
    grouped = rendered(plots.plot_actor_profile(profile, measure="units", style=style))
    assert [p.get_width() for p in grouped.axes[0].patches] == [0, 1, 2, 2, 0, 2]


def test_timeline_lines(coded, style):  # noqa: F811
    frame = analysis.timeline(coded, CASE, codebook="mini")
    ax = rendered(plots.plot_timeline(frame, style=style)).axes[0]
    assert [list(line.get_ydata()) for line in ax.lines] == [[2, 0, 0, 0, 1], [2, 0, 0, 0, 2]]
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1"]
    rates = rendered(plots.plot_timeline(frame, measure="per_1000_words", style=style))
    # Quarters without documents have no rate: gaps, not zeros.
    values = rates.axes[0].lines[0].get_ydata()
    assert values[0] == pytest.approx(2000 / 11) and np.isnan(values[1:4]).all()


def test_empty_frames_give_empty_figures(coded, style):  # noqa: F811
    profile = analysis.tranche_profile(coded, CASE, codebook="other")
    assert not rendered(plots.plot_tranche_profile(profile, style=style)).axes[0].patches
    cooc = analysis.cooccurrence(coded, CASE, codebook="other")
    assert not rendered(plots.plot_network(cooc)).axes[0].collections
    empty_actor = analysis.actor_profile(coded, CASE, codebook="other")
    assert not rendered(plots.plot_actor_profile(empty_actor)).axes[0].patches


def test_a_wrong_frame_is_named():
    with pytest.raises(UsageError, match="plot_trajectory needs a frame with column"):
        plots.plot_trajectory(pd.DataFrame({"code": ["NPM"]}))
