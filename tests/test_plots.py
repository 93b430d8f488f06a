"""Figures: what is drawn (bars, lines, cells, labels, colours), not only that they exist.

The numbers come from the hand-coded case of tests/test_analysis.py.
"""

from __future__ import annotations

import base64
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
from tests.conftest import loaded_modules
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


def inside(fig: Figure, texts) -> bool:
    """Return whether every text is drawn within the figure (none cut off at its edge)."""
    boxes = [t.get_window_extent() for t in texts]
    return all(fig.bbox.x0 <= b.x0 and b.x1 <= fig.bbox.x1 and fig.bbox.y0 <= b.y0
               and b.y1 <= fig.bbox.y1 for b in boxes)


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
    # The values take no part in the layout, which is safe only while each stays inside
    # the axes (so nothing can be cut off).
    assert not any(t.get_in_layout() for t in ax.texts)
    assert all(ax.bbox.x0 < t.get_window_extent().x0 and t.get_window_extent().x1 < ax.bbox.x1
               for t in ax.texts)
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
    # A fixed place on the circle for each of the four codes, clockwise from the top:
    # NPM on top, Mål right, NPM.value (left out: no edge) below, NPG left.
    assert np.asarray(nodes.get_offsets()) == pytest.approx(np.array([[0, 1], [1, 0], [-1, 0]]))
    # Labels point away from the middle of the circle and stay inside the figure.
    assert [(t.get_ha(), t.get_va()) for t in ax.texts] == [
        ("center", "bottom"), ("left", "center"), ("right", "center")]
    assert inside(fig, ax.texts)
    sparse = rendered(plots.plot_network(cooc, min_value=2, style=style)).axes[0]
    assert not sparse.collections  # no pair meets twice: nothing left to draw
    with pytest.raises(UsageError, match="layout must be one of circle, spring"):
        plots.plot_network(cooc, layout="grid")


@pytest.mark.parametrize("layout", ["spring", "kamada_kawai"])
def test_network_with_networkx_layouts(coded, style, layout):  # noqa: F811
    cooc = analysis.cooccurrence(coded, CASE, level="code", codebook="mini")
    fig = rendered(plots.plot_network(cooc, layout=layout, style=style))
    nodes = fig.axes[0].collections[-1]
    assert [to_hex(c) for c in nodes.get_facecolors()] == [NPM, NPM, NPG]
    assert inside(fig, fig.axes[0].texts)
    again = plots.plot_network(cooc, layout=layout, style=style).axes[0].collections[-1]
    assert again.get_offsets().tolist() == nodes.get_offsets().tolist()  # reproducible


def test_circle_network_needs_neither_networkx_nor_scipy():
    code = ("import io, pandas as pd; from casekit import plots; "
            "cooc = pd.DataFrame({'code_a': ['A', 'B'], 'code_b': ['B', 'A'], "
            "'units_a': [2, 3], 'count': [1, 1]}); "
            "plots.plot_network(cooc).savefig(io.BytesIO())")
    assert loaded_modules(code, ["networkx", "scipy"]) == []


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


def test_png_is_what_the_inline_backend_shows_in_one_drawing(coded, style):  # noqa: F811
    from IPython.core.pylabtools import print_figure

    profile = analysis.tranche_profile(coded, CASE, municipalities=True, codebook="mini")
    table = analysis.crosstab(coded, CASE, "tranche", codebook="mini")
    for make in (lambda: plots.plot_tranche_profile(profile, style=style),
                 lambda: plots.plot_crosstab(table, style=style)):  # with a colour bar
        fig, twin = make(), make()
        canvas = fig.canvas
        data = plots.png(fig)
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert data == print_figure(twin, "png", bbox_inches=None)
        assert fig.canvas is canvas  # the Agg canvas (and its pixel buffer) is let go
    assert plots.png(Figure()) is None  # nothing drawn: no image, as IPython does


def test_show_inline_sets_the_png_formatter():
    from types import SimpleNamespace

    from IPython.core.formatters import DisplayFormatter

    shell = SimpleNamespace(display_formatter=DisplayFormatter())
    plots.show_inline(shell)
    fig = Figure(figsize=(2, 1))
    fig.add_subplot().plot([0, 1], [1, 0])
    shown, _ = shell.display_formatter.format(fig)
    assert base64.b64decode(shown["image/png"]) == plots.png(fig)
    with pytest.raises(UsageError, match="IPython shell"):
        plots.show_inline()  # pytest is no IPython shell
