"""The coding view, driven from Python as a coder would: set values, click, check the store."""

from __future__ import annotations

import nbformat
import pandas as pd
import papermill
import pytest

from casekit.codebook import Codebook
from casekit.ingest import ingest_case
from casekit.project import Project
from casekit.widgets import (
    CodingView,
    code_colours,
    highlight,
    paginate,
    render_segments,
    text_spans,
)
from tests.conftest import REPO, row
from tests.test_project import MINI, build_coded_store, proposal


@pytest.fixture
def coded(make_case, store):
    return build_coded_store(make_case, store)


@pytest.fixture
def view(coded):
    return CodingView(Project(coded, coder="kari", codebook=MINI))


def option_values(select) -> list:
    return [value for _, value in select.options]


# -- rendering ------------------------------------------------------------------------------

def test_code_colours_come_from_the_codebook_or_the_parent():
    colours = code_colours(Codebook.load(MINI))
    assert colours == {"NPM": "#d95f02", "NPM.goals": "#d95f02", "NPM.value": "#d95f02",
                       "NPG": "#1b9e77"}
    assert code_colours(None) == {}


def test_paginate():
    spans = [(0, 400), (402, 900), (902, 1000), (1002, 2500), (2502, 2600)]
    # 400 + 498 + 98 fit in 1000; the 1498-character span gets a page of its own.
    assert paginate(spans, 1000) == [(0, 3), (3, 4), (4, 5)]
    assert paginate(spans, 10_000) == [(0, 5)]
    assert paginate([], 1000) == []


def test_text_spans_cut_at_spaces():
    assert [(s["start"], s["end"]) for s in text_spans("aaaa bbbb cccc", 7)] == [
        (0, 5), (5, 10), (10, 14)]


def test_highlight_escapes_text_and_stripes_overlaps():
    text = "Vi <b>samarbeider</b> & stoler på hverandre."
    codings = [{"start": 3, "end": 21, "code_id": "NPG", "status": "proposed"},
               {"start": 0, "end": 44, "code_id": "NPM", "status": "accepted"},
               {"start": 24, "end": 30, "code_id": "NPM", "status": "rejected"}]
    out = highlight(text, 0, len(text), codings, {"NPG": "#1b9e77", "NPM": "#d95f02"})
    assert "<b>" not in out and "&lt;b&gt;samarbeider&lt;/b&gt;" in out
    assert "&amp; stoler" in out
    # The nested span: tinted in the shorter coding's colour, both stripes drawn.
    assert ('<span style="background:#1b9e772e;box-shadow:inset 0 -2px 0 #1b9e77, inset 0 '
            '-4px 0 #d95f02;padding-bottom:4px" title="NPG (proposed), NPM (accepted)">'
            '&lt;b&gt;samarbeider&lt;/b&gt;</span>') in out
    assert "rejected" not in out  # a rejected coding is not highlighted


def test_render_segments_names_codes_beside_the_text():
    text = "Kari: Vi samarbeider."
    codings = [{"coding_id": 4, "start": 6, "end": 21, "code_id": "NPG", "status": "rejected",
                "origin": "auto", "coder": "auto", "decided_by": "ola"}]
    out = render_segments(text, [{"seq": 1, "start": 6, "end": 21, "speaker": "Kari <K>"}],
                          codings, {"NPG": "#1b9e77"}, {"NPG": "Nettverk & tillit"})
    assert "¶1 Kari &lt;K&gt;<br>6–21" in out
    assert "<s>Nettverk &amp; tillit</s>" in out and "rejected · ola · #4" in out


# -- filters and lists ----------------------------------------------------------------------

def test_view_opens_the_first_document_with_its_proposals(view):
    assert option_values(view.document) == ["int", "plan"] and view.document.value == "int"
    assert [label for label, _ in view.segments.options][2] == (
        "¶3 Kari: Målene settes hvert år. Vi samarbeider med nabokommunene.")
    assert "Målene settes hvert år." in view.text.value
    assert "Mål <span" in view.text.value and "Nettverksstyring" in view.text.value
    assert view.page_label.value == "of 1 (224 characters)"
    assert view.next_button.disabled and view.prev_button.disabled


@pytest.mark.parametrize(("control", "value", "documents"), [
    ("tranche", "municipality", ["plan"]),
    ("actor_role", "administration", ["int"]),
    ("municipality", "Havvik", ["plan"]),
    ("code", "NPM.value", ["plan"]),
    ("code", "NPG", ["int"]),
])
def test_document_filters(view, control, value, documents):
    getattr(view, control).value = value
    assert option_values(view.document) == documents
    assert view.document.value == documents[0]


def test_code_filter_includes_subcodes_and_limits_segments(view):
    view.code.value = "NPM"  # NPM, NPM.goals and NPM.value
    assert option_values(view.document) == ["int", "plan"]
    assert option_values(view.segments) == [2, 4]  # ¶3 and ¶5 of the interview


def test_status_and_coder_filters(view, coded):
    view.status.value = "accepted"
    assert option_values(view.document) == []
    assert "No document matches" in view.text.value
    coded.decide_coding(proposal(coded, "plan", "NPM"), "accepted", coder="ola")
    view2 = CodingView(Project(coded, coder="kari", codebook=MINI))
    view2.coder.value = "ola"
    assert option_values(view2.document) == ["plan"]
    assert option_values(view2.segments) == [0]
    assert option_values(view2.coder) == ["", "auto", "kari", "ola"]


# -- actions --------------------------------------------------------------------------------

def test_accept_and_reject_by_clicking(view, coded):
    goals, npg = proposal(coded, "int", "NPM.goals"), proposal(coded, "int", "NPG")
    view.segments.value = 2
    assert (view.start.value, view.end.value) == (70, 127)
    assert option_values(view.codings) == [goals, npg]
    view.codings.value = goals
    view.accept_button.click()
    view.codings.value = npg
    view.reject_button.click()
    assert coded.coding(goals)["status"] == "accepted"
    assert (coded.coding(npg)["status"], coded.coding(npg)["decided_by"]) == ("rejected",
                                                                              "kari")
    assert f"Saved: coding #{npg} rejected" in view.message.value
    assert "<s>Nettverksstyring</s>" in view.text.value  # the page shows the decision
    assert set(coded.history("testcase")["source"]) == {"widget"}


def test_code_a_segment_and_a_found_span(view, coded):
    view.segments.value = 2
    view.code_tree.value = "NPG"
    view.code_segment_button.click()
    view.find_text.value = "SAMARBEIDER med"
    view.find_button.click()
    assert (view.start.value, view.end.value) == (97, 112)
    view.code_tree.value = "NPM.goals"
    view.start.value, view.end.value = 71, 75  # inside "Målene": snapped to the word
    view.code_span_button.click()
    manual = coded.document_codings("testcase", "int")
    manual = manual[manual["origin"] == "manual"]
    assert list(zip(manual["code_id"], manual["start"], manual["end"], manual["quote"],
                    strict=True)) == [
        ("NPM.goals", 70, 76, "Målene"),
        ("NPG", 70, 127, "Målene settes hvert år. Vi samarbeider med nabokommunene.")]
    assert "“Målene”" in view.message.value
    assert len(view.codings.options) == 4  # two proposals and two codings of kari


def test_remove_my_coding_keeps_it_in_the_history(view, coded):
    view.segments.value = 4
    view.code_tree.value = "NPM"
    view.code_segment_button.click()
    mine = int(coded.history("testcase").iloc[-1]["row_id"])
    view.codings.value = mine
    view.remove_button.click()
    assert mine not in set(coded.document_codings("testcase")["coding_id"])
    assert list(coded.history("testcase", coding_id=mine)["action"]) == ["add", "remove"]
    assert "removed (it stays in the history)" in view.message.value


def test_errors_are_shown_and_nothing_is_saved(view, coded):
    before = len(coded.history())
    view.segments.value = 2
    view.codings.value = proposal(coded, "int", "NPG")
    view.remove_button.click()
    assert "is an auto proposal: reject it instead" in view.message.value
    view.code_tree.value = "NPG"
    view.start.value, view.end.value = 500, 600
    view.code_span_button.click()
    assert "offsets 500..600 are outside the text" in view.message.value
    view.find_text.value = "ikke her"
    view.find_button.click()
    assert "not in the selected segment" in view.message.value
    view.memo_text.value = "   "
    view.memo_button.click()
    assert "a memo needs some text" in view.message.value
    assert len(coded.history()) == before


def test_nothing_selected(coded):
    view = CodingView(Project(coded, coder="kari", codebook=MINI))
    view.code_segment_button.click()
    assert "select a code in the codebook first" in view.message.value
    view.code_tree.value = "NPG"
    view.code_segment_button.click()
    assert "select a segment first" in view.message.value
    view.accept_button.click()
    assert "select a coding first" in view.message.value


@pytest.mark.parametrize(("target", "expected"), [
    ("case", ("case", None, None, None)), ("document", ("document", "int", None, None)),
    ("segment", ("document", "int", 70, 127)), ("coding", ("coding", "int", None, None)),
    ("code", ("code", None, None, None))])
def test_memos_from_the_view(view, coded, target, expected):
    view.segments.value = 2
    view.codings.value = proposal(coded, "int", "NPM.goals")
    view.code_tree.value = "NPM.value"
    view.memo_target.value = target
    view.memo_text.value = "Et notat <om> tillit."
    view.memo_button.click()
    memo = coded.memos("testcase").iloc[0]
    found = (memo["target"], memo["doc_id"], memo["start"], memo["end"])
    assert tuple(None if pd.isna(v) else v for v in found) == expected
    assert memo["text"] == "Et notat <om> tillit." and view.memo_text.value == ""


# -- long documents -------------------------------------------------------------------------

@pytest.fixture
def long_view(make_case, store):
    turns = "".join(f"Kari: Svar nummer {i} handler om samarbeid & <tillit>.\n\n"
                    for i in range(1, 201))
    folder = make_case(files={"lang.txt": "Intervju.\n\n" + turns},
                       rows=[row("lang", "lang.txt", kind="interview")])
    ingest_case(folder, store, progress=False)
    return CodingView(Project(store, coder="kari", codebook=MINI), page_chars=1000)


def test_long_documents_are_paged(long_view):
    view = long_view
    pages = view.page.max
    # 201 paragraphs of 9 and 48-50 characters, 20 to a page of at most 1,000.
    assert pages == 10 and view.page.value == 1 and view.prev_button.disabled
    assert "Svar nummer 1 " in view.text.value and "Svar nummer 60 " not in view.text.value
    assert "&lt;tillit&gt;" in view.text.value and "<tillit>" not in view.text.value
    view.next_button.click()
    assert view.page.value == 2 and "Svar nummer 1 " not in view.text.value
    view.page.value = pages
    assert view.next_button.disabled and "Svar nummer 200 " in view.text.value
    view.segments.value = 100  # ¶101 is on a middle page
    assert 1 < view.page.value < pages and "outline:2px" in view.text.value
    assert len(view.text.value) < 30_000


# -- the notebook ---------------------------------------------------------------------------

def test_coding_session_notebook_runs_under_papermill(coded, tmp_path):
    coded.decide_coding(proposal(coded, "int", "NPG"), "accepted", coder="kari")
    out = tmp_path / "session.ipynb"
    papermill.execute_notebook(
        str(REPO / "notebooks" / "coding_session.ipynb"), str(out),
        parameters={"case_id": "testcase", "coder": "kari", "store_path": str(coded.path),
                    "codebook": str(MINI)},
        cwd=str(REPO / "notebooks"), progress_bar=False, kernel_name="python3")
    executed = nbformat.read(out, as_version=4)
    outputs = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    data = [o.get("data", {}) for o in outputs]
    assert any("application/vnd.jupyter.widget-view+json" in d for d in data)
    tables = [d["text/html"] for d in data if "<table" in d.get("text/html", "")]
    assert len(tables) == 2  # progress, and the history of kari's changes
    assert "kari codes testcase with mini 1.0 (4 codes)" in "".join(
        o.get("text", "") for o in outputs)


def test_notebook_is_committed_without_outputs():
    notebook = nbformat.read(REPO / "notebooks" / "coding_session.ipynb", as_version=4)
    assert notebook.metadata.kernelspec.name == "python3"
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    assert "parameters" in code[0].metadata.tags
    for name in ("case_id", "coder", "store_path", "codebook"):
        assert f"{name} = " in code[0].source
