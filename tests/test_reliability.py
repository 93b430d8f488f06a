"""Intercoder agreement: published worked examples, codings -> units x coders on hand-built
stores (agreement worked out by hand below), the CSV import of manual codings, the CLI and
the notebook."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import nbformat
import numpy as np
import papermill
import pytest

from casekit import reliability as rel
from casekit.cli import main
from casekit.codebook import Codebook
from casekit.codings_io import CodingsFileError, import_codings, read_codings
from casekit.errors import InputError, UsageError
from casekit.ingest import ingest_case
from tests.conftest import INTERVIEW, REPO, loaded_modules, row

MINI = REPO / "tests" / "data" / "mini_codebook.yaml"
NaN = np.nan


# -- published worked examples --------------------------------------------------------------

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: four
# observers, twelve units, values 1-5, missing data.
KRIPPENDORFF = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, NaN, NaN, NaN],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NaN, 3],
    [NaN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NaN],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NaN],
]


@pytest.mark.parametrize(("level", "expected"), [("nominal", 0.743), ("ordinal", 0.815),
                                                 ("interval", 0.849), ("ratio", 0.797)])
def test_krippendorff_alpha_matches_krippendorffs_own_example(level, expected):
    assert round(rel.krippendorff_alpha(KRIPPENDORFF, level), 3) == expected


def test_percent_agreement_on_krippendorffs_example():
    # Unit 12 has one value only; of the 11 pairable units, units 2, 6 and 8 disagree.
    assert rel.percent_agreement(KRIPPENDORFF) == pytest.approx(100 * 8 / 11)


def test_cohen_kappa_textbook_example():
    # 50 grant proposals: both yes 20, A yes B no 5, A no B yes 10, both no 15.
    # p_o = 0.70, p_e = 0.5 * 0.6 + 0.5 * 0.4 = 0.50, kappa = 0.4.
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert rel.cohen_kappa(a, b) == pytest.approx(0.4)
    # Units either coder left out do not count; numbers and labels both work.
    assert rel.cohen_kappa([*a, None], [*b, "yes"]) == pytest.approx(0.4)
    assert rel.cohen_kappa([1, 1, 0, 0], [1, 0.0, 0, 1]) == pytest.approx(0.0)


def test_fleiss_kappa_fleiss_1971_worked_example():
    # The worked example (Wikipedia, "Fleiss' kappa"): 10 subjects, 14 raters, 5
    # categories; P-bar = 0.378, P-e = 0.213, kappa = 0.210.
    counts = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0],
              [2, 2, 8, 1, 1], [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2],
              [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]
    labels = np.array([[c for c, n in enumerate(r) for _ in range(n)] for r in counts]).T
    assert labels.shape == (14, 10)
    assert round(rel.fleiss_kappa(labels), 3) == 0.210


def test_statistics_are_nan_when_undefined():
    assert math.isnan(rel.krippendorff_alpha([[1, 1, 1], [1, 1, 1]]))
    assert math.isnan(rel.krippendorff_alpha([[1, NaN], [NaN, 2]]))  # nothing pairable
    assert math.isnan(rel.cohen_kappa([0, 0, 0], [0, 0, 0]))
    assert math.isnan(rel.cohen_kappa([], []))
    assert math.isnan(rel.fleiss_kappa([[1, NaN], [1, 2]]))  # one complete unit, one value
    assert math.isnan(rel.percent_agreement([[NaN, 1], [2, NaN]]))


def test_statistics_reject_bad_input():
    with pytest.raises(UsageError, match="unknown level"):
        rel.krippendorff_alpha(KRIPPENDORFF, "cardinal")
    with pytest.raises(UsageError, match="differ in length"):
        rel.cohen_kappa([1, 2], [1])
    with pytest.raises(UsageError, match="must be numbers"):
        rel.krippendorff_alpha([["a", "b"], ["a", "a"]])
    with pytest.raises(UsageError, match="coders x units"):
        rel.percent_agreement([1, 0, 1])


# -- the kappas against statsmodels -----------------------------------------------------------

# Two coders' labels: kappa from their contingency table as statsmodels computes it.
COHEN_CASES = [
    (["yes"] * 25 + ["no"] * 25, ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15),
    ([1, 1, 0, 0, 1, 0, 1, 1], [1, 1, 0, 0, 1, 0, 1, 1]),  # perfect agreement: 1
    ([1, 0, 1, 0], [0, 1, 0, 1]),  # the opposite throughout: -1
    ([0, 1, 2, 2, 1, 0, 2, 1, 0, 2], [0, 2, 2, 1, 1, 0, 2, 0, 0, 2]),  # three labels
    (["a", "a", "b", "c"], ["a", "b", "b", "b"]),  # a label only one coder uses
    ([1.0, 0.0, NaN, 1.0, 0.0, None, 1.0], [1.0, 1.0, 0.0, 1.0, NaN, 0.0, 0.0]),  # gaps
    ([0.0] * 9 + [1.0], [0.0] * 10),  # one coder never uses the code: 0
]


@pytest.mark.parametrize(("a", "b"), COHEN_CASES)
def test_cohen_kappa_matches_statsmodels(a, b):
    inter_rater = pytest.importorskip("statsmodels.stats.inter_rater")
    pairs = [(x, y) for x, y in zip(a, b, strict=True)
             if not (x is None or y is None or x != x or y != y)]  # x != x: NaN
    labels = sorted({v for pair in pairs for v in pair}, key=str)
    table = np.zeros((len(labels), len(labels)))
    for x, y in pairs:
        table[labels.index(x), labels.index(y)] += 1
    expected = inter_rater.cohens_kappa(table, return_results=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert rel.cohen_kappa(a, b) == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_cohen_kappa_is_nan_without_warnings_where_statsmodels_divides_by_zero():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert math.isnan(rel.cohen_kappa(["x"] * 4, ["x"] * 4))  # one label: p_e = 1
        assert math.isnan(rel.cohen_kappa([None, NaN], [1, 0]))  # no unit both coded
        assert math.isnan(rel.cohen_kappa(np.array([NaN]), np.array([NaN])))


# Coders x units labels, NaN for missing.
FLEISS_CASES = [
    [[1, 2, 3, 3, 2, 1, 4, 1, 2], [1, 2, 3, 3, 2, 2, 4, 1, 2], [1, 3, 3, 3, 2, 3, 4, 2, 2]],
    [[0, 1, 0, 1], [0, 1, 0, 1], [0, 1, 0, 1]],  # perfect agreement: 1
    [[0, 1, 0, 1], [1, 0, 1, 0]],  # two coders who always differ
    [[0, 0, 1, 1, 0], [0, 1, 1, 0, 0], [1, 1, 1, 0, NaN]],  # the last unit is left out
    [[0.5, 0.5, 2.0], [0.5, 2.0, 2.0], [0.5, 0.5, 0.5], [2.0, 0.5, 2.0]],  # any numbers
]


@pytest.mark.parametrize("labels", FLEISS_CASES)
def test_fleiss_kappa_and_counts_match_statsmodels(labels):
    inter_rater = pytest.importorskip("statsmodels.stats.inter_rater")
    matrix = np.array(labels, dtype=float)
    complete = matrix[:, ~np.isnan(matrix).any(axis=0)].T
    counts, _ = inter_rater.aggregate_raters(complete)
    assert rel._category_counts(complete).tolist() == counts.tolist()
    expected = inter_rater.fleiss_kappa(counts, method="fleiss")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert rel.fleiss_kappa(labels) == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_fleiss_kappa_is_nan_without_warnings_when_undefined():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert math.isnan(rel.fleiss_kappa([[1, 1, 1], [1, 1, 1]]))  # one label
        assert math.isnan(rel.fleiss_kappa([[0, 1, 0]]))  # one coder
        assert math.isnan(rel.fleiss_kappa([[0, NaN], [NaN, 1]]))  # no complete unit
        assert math.isnan(rel.fleiss_kappa(np.empty((0, 0))))


def test_agreement_loads_neither_statsmodels_nor_scipy_stats():
    code = ("from casekit import reliability as rel; "
            "rel.cohen_kappa([1, 0, 1], [1, 1, 1]); rel.fleiss_kappa([[1, 0], [1, 1]])")
    assert loaded_modules(code, ["statsmodels", "scipy.stats"]) == []


# -- codings -> units x coders on a hand-built store -----------------------------------------

FILES = {
    "a.txt": "Første setning her. Andre setning her. Tredje setning her. Fjerde setning her. "
             "Femte setning her.\n",
    "b.txt": "Én setning. To setninger.\n",
    "c.txt": "Sjette setning. Sjuende setning.\n",
    "intervju.txt": INTERVIEW,
}
ROWS = [row("a", "a.txt"), row("b", "b.txt", tranche="interplay"),
        row("c", "c.txt", tranche="municipality"),
        row("int1", "intervju.txt", kind="interview", tranche="municipality")]


def span(store, doc_id: str, sentence: str, last: str | None = None) -> tuple[int, int]:
    """Return the offsets of a sentence (or from one sentence to the end of another)."""
    text = store.document_text("testcase", doc_id)
    start = text.index(sentence)
    end = text.index(last) + len(last) if last else start + len(sentence)
    return start, end


def code(store, coder: str, doc_id: str, code_id: str, start: int, end: int) -> None:
    store.add_coding("testcase", doc_id, start, end, codebook_id="mini", code_id=code_id,
                     coder=coder)


@pytest.fixture
def coded(make_case, store):
    """Doc a (five sentences, one paragraph), coded by anna and bjorn:

    sentence   1          2          3     4      5
    anna       NPM.goals  NPM        NPG   -      -
    bjorn      NPM        NPG*       NPG*  NPM    -     (* one coding from mid 2 to mid 3)

    Doc b is coded by anna only, so it has nothing to compare; doc c by nobody.
    """
    ingest_case(make_case(files=FILES, rows=ROWS), store, progress=False)
    s = {n: span(store, "a", f"{n} setning her.") for n in
         ("Første", "Andre", "Tredje", "Fjerde", "Femte")}
    code(store, "anna", "a", "NPM.goals", *s["Første"])
    code(store, "anna", "a", "NPM", *s["Andre"])
    code(store, "anna", "a", "NPG", *s["Tredje"])
    code(store, "bjorn", "a", "NPM", *s["Første"])
    code(store, "bjorn", "a", "NPG", s["Andre"][0] + 6, s["Tredje"][0] + 6)
    code(store, "bjorn", "a", "NPM", *s["Fjerde"])
    code(store, "anna", "b", "NPM", *span(store, "b", "Én setning."))
    return store


BOOK = Codebook.load(MINI)


def column(data, coder: str, code_id: str, doc_id: str = "a") -> list[float]:
    rows = data[(data["code_id"] == code_id) & (data["doc_id"] == doc_id)]
    return rows.sort_values("seq")[coder].tolist()


def test_units_by_coders_data_from_codings(coded):
    data = rel.reliability_data(coded, "testcase", ["anna", "bjorn"], codebook=BOOK,
                                unit="sentence")
    assert list(data.columns) == [*rel.KEYS, "anna", "bjorn"]
    assert set(data["doc_id"]) == {"a"}  # b: one coder only; c: nobody
    assert set(data["code_id"]) == {"NPM", "NPG"}  # subcodes count for their logic
    assert column(data, "anna", "NPM") == [1, 1, 0, 0, 0]
    assert column(data, "bjorn", "NPM") == [1, 0, 0, 1, 0]
    assert column(data, "anna", "NPG") == [0, 0, 1, 0, 0]
    assert column(data, "bjorn", "NPG") == [0, 1, 1, 0, 0]  # a span marks every unit it touches
    assert set(data["unit"]) == {"sentence"}


def test_agreement_worked_out_by_hand(coded):
    data = rel.reliability_data(coded, "testcase", ["anna", "bjorn"], codebook=BOOK,
                                unit="sentence")
    table = rel.agreement(data).set_index("code_id")
    # NPM over 5 units: pairs (1,1) (1,0) (0,0) (0,1) (0,0). Coincidences o11=2, o10=o01=2,
    # o00=4; n1=4, n0=6, n=10. D_o = 4/10, D_e = 2*4*6/(10*9) = 48/90; alpha = 1 - .75.
    assert table.loc["NPM", "krippendorff_alpha"] == pytest.approx(0.25)
    assert table.loc["NPM", "percent_agreement"] == pytest.approx(60.0)
    # kappa: p_o = 3/5, p_e = 2/5*2/5 + 3/5*3/5 = 13/25 -> (15/25-13/25)/(12/25) = 1/6.
    assert table.loc["NPM", "cohen_kappa"] == pytest.approx(1 / 6)
    # NPG: o00=6, o01=o10=1, o11=2; n0=7, n1=3; D_o = 2/10, D_e = 42/90; alpha = 4/7.
    assert table.loc["NPG", "krippendorff_alpha"] == pytest.approx(4 / 7)
    assert table.loc["NPG", "units_compared"] == 5
    assert table.loc["NPG", "units_coded_by_anyone"] == 2
    assert table.loc["NPG", "unit"] == "sentence"


def test_coded_only_counts_units_someone_coded(coded):
    data = rel.reliability_data(coded, "testcase", ["anna", "bjorn"], codebook=BOOK,
                                unit="sentence")
    table = rel.agreement(data, coded_only=True).set_index("code_id")
    # Sentence 5 goes; 4 units remain. NPM: o11=2, o10=o01=2, o00=2; n1=n0=4, n=8;
    # D_o = 4/8, D_e = 2*4*4/(8*7) = 4/7; alpha = 1 - 7/8 = 1/8. kappa: p_o = p_e = 1/2.
    assert table.loc["NPM", "krippendorff_alpha"] == pytest.approx(0.125)
    assert table.loc["NPM", "cohen_kappa"] == pytest.approx(0.0)
    # NPG: o00=4, o01=o10=1, o11=2; n0=5, n1=3; D_o = 1/4, D_e = 30/56; alpha = 8/15.
    assert table.loc["NPG", "krippendorff_alpha"] == pytest.approx(8 / 15)
    # All codes pooled (8 decisions): o11=4, o10+o01=6, o00=6; n1=7, n0=9, n=16;
    # D_o = 6/16, D_e = 126/240; alpha = 2/7. p_o = 5/8, p_e = 3/8*4/8 + 5/8*4/8 = 1/2.
    pooled = table.loc[rel.ALL_CODES]
    assert pooled["krippendorff_alpha"] == pytest.approx(2 / 7)
    assert pooled["percent_agreement"] == pytest.approx(62.5)
    assert pooled["cohen_kappa"] == pytest.approx(0.25)
    assert pooled["units_compared"] == 8


def test_missing_values_where_a_coder_did_not_code_a_document(coded):
    code(coded, "cara", "b", "NPM", *span(coded, "b", "To setninger."))
    data = rel.reliability_data(coded, "testcase", ["anna", "bjorn", "cara"], codebook=BOOK,
                                unit="sentence")
    assert column(data, "anna", "NPM", "b") == [1, 0]
    assert column(data, "cara", "NPM", "b") == [0, 1]
    assert all(math.isnan(v) for v in column(data, "bjorn", "NPM", "b"))
    assert all(math.isnan(v) for v in column(data, "cara", "NPM", "a"))
    table = rel.agreement(data).set_index("code_id")
    assert math.isnan(table.loc["NPM", "cohen_kappa"])  # three coders: see the pairs
    assert table.loc["NPM", "units_compared"] == 7
    pairs = rel.pairwise(data).set_index(["coder_a", "coder_b", "code_id"])
    assert pairs.loc[("anna", "bjorn", "NPM"), "krippendorff_alpha"] == pytest.approx(0.25)
    # anna and cara on doc b: (1,0) (0,1): every pair disagrees.
    assert pairs.loc[("anna", "cara", "NPM"), "percent_agreement"] == 0.0
    assert pairs.loc[("bjorn", "cara", "NPM"), "units_compared"] == 0


def test_explicit_documents_count_as_coded_by_everyone(coded):
    data = rel.reliability_data(coded, "testcase", ["anna", "bjorn"], codebook=BOOK,
                                unit="sentence", documents=["a", "c"])
    assert sorted(set(data["doc_id"])) == ["a", "c"]
    assert column(data, "bjorn", "NPM", "c") == [0, 0]
    with pytest.raises(UsageError, match="unknown document.*nope"):
        rel.reliability_data(coded, "testcase", ["anna", "bjorn"], codebook=BOOK,
                             documents=["nope"])


def test_segment_unit_follows_the_codebook_and_depth_all_keeps_subcodes(coded):
    data = rel.reliability_data(coded, "testcase", ["anna", "bjorn"], codebook=BOOK,
                                depth="all")
    units = data.groupby("code_id")["unit"].first().to_dict()
    # NPG is coded per speaker turn; a plan has no turns, so paragraphs stand in. Nobody
    # used NPM.value, so it has nothing to agree on.
    assert units == {"NPM": "sentence", "NPM.goals": "sentence", "NPG": "paragraph"}
    assert column(data, "anna", "NPM.goals") == [1, 0, 0, 0, 0]
    assert column(data, "bjorn", "NPM.goals") == [0, 0, 0, 0, 0]
    assert column(data, "anna", "NPG") == [1] and column(data, "bjorn", "NPG") == [1]


def test_interviewer_speech_is_left_out_unless_asked(make_case, store):
    ingest_case(make_case(files=FILES, rows=ROWS), store, progress=False)
    code(store, "anna", "int1", "NPG", *span(store, "int1", "Vi har jobbet sammen i fire år."))
    code(store, "bjorn", "int1", "NPG", *span(store, "int1", "Vi har jobbet sammen i fire år."))
    code(store, "bjorn", "int1", "NPG", *span(store, "int1", "Kan du fortelle om samarbeidet?"))
    data = rel.reliability_data(store, "testcase", ["anna", "bjorn"], codebook=BOOK,
                                unit="sentence")
    assert len(data[data["code_id"] == "NPG"]) == 6  # 8 sentences, 2 the interviewer's
    assert rel.agreement(data).set_index("code_id").loc["NPG", "percent_agreement"] == 100
    data = rel.reliability_data(store, "testcase", ["anna", "bjorn"], codebook=BOOK,
                                unit="sentence", include_interviewer=True)
    assert len(data[data["code_id"] == "NPG"]) == 8
    turns = rel.reliability_data(store, "testcase", ["anna", "bjorn"], codebook=BOOK,
                                 unit="turn")
    assert column(turns, "anna", "NPG", "int1") == [1, 0]  # the informant's two turns


def test_disagreement_table(coded):
    data = rel.reliability_data(coded, "testcase", ["anna", "bjorn"], codebook=BOOK,
                                unit="sentence")
    table = rel.disagreements(coded, "testcase", data)
    assert list(table.columns) == ["doc_id", "tranche", "unit", "seq", "start", "end", "text",
                                   "anna", "bjorn", "codes_in_dispute"]
    rows = table.set_index("seq")
    assert list(rows.index) == [2, 4]
    assert rows.loc[2, "text"] == "Andre setning her."
    assert (rows.loc[2, "anna"], rows.loc[2, "bjorn"]) == ("NPM", "NPG")
    assert rows.loc[2, "codes_in_dispute"] == "NPM, NPG"
    assert (rows.loc[4, "anna"], rows.loc[4, "bjorn"]) == (rel.NO_CODE, "NPM")


def test_auto_as_a_coder_and_validity(coded):
    book_pk = coded.save_codebook(BOOK)
    document_id = {t["doc_id"]: t["document_id"] for t in coded.coding_targets("testcase")}
    proposals = [{"code_id": c, "unit": "sentence", "start": s, "end": e, "rule": "test",
                  "matched": "x", "n_hits": 1, "evidence": []}
                 for c, (s, e) in [("NPM", span(coded, "a", "Første setning her.")),
                                   ("NPM", span(coded, "a", "Andre setning her.")),
                                   ("NPM", span(coded, "a", "Femte setning her.")),
                                   ("NPG", span(coded, "a", "Tredje setning her."))]]
    coded.apply_auto_codings(document_id["a"], codebook=book_pk, codebook_id="mini",
                             text_sha256="x", coder_key="test", run_id=None,
                             proposals=proposals)
    data = rel.reliability_data(coded, "testcase", ["anna", "auto"], codebook=BOOK,
                                unit="sentence")
    assert column(data, "auto", "NPM") == [1, 1, 0, 0, 1]
    table = rel.validity(data).set_index(["reference", "code_id"])
    npm = table.loc[("anna", "NPM")]
    # anna NPM 1 1 0 0 0, auto 1 1 0 0 1: 2 found, 1 extra, none missed.
    assert (npm["auto_and_reference"], npm["auto_only"], npm["reference_only"]) == (2, 1, 0)
    assert npm["precision"] == pytest.approx(2 / 3) and npm["recall"] == 1.0
    assert npm["f1"] == pytest.approx(0.8)
    assert table.loc[("anna", "NPG"), "f1"] == 1.0
    assert rel.validity(rel.reliability_data(coded, "testcase", ["anna", "bjorn"],
                                             codebook=BOOK)).empty


def test_report_side_by_side_and_statement(coded):
    report = rel.agreement_report(coded, "testcase", "anna, bjorn", codebook=MINI,
                                  unit="sentence", coded_only=True)
    assert report.codebook_id == "mini" and report.coders == ["anna", "bjorn"]
    assert "per sentence" in report.statement and "only units" in report.statement
    table = report.side_by_side.set_index("code_id")
    assert table.loc["NPM", "krippendorff_alpha"] == pytest.approx(0.125)
    assert table.loc["NPM", "alpha network"] == pytest.approx(0.125)  # doc a is network
    assert table.loc["NPG", "alpha anna vs bjorn"] == pytest.approx(8 / 15)
    assert len(report.disagreements) == 2
    fig = rel.alpha_figure(report)
    assert "sentence" in fig.axes[0].get_xlabel()


def test_codebook_is_found_from_the_codings_when_stored(coded):
    with pytest.raises(UsageError, match="'mini' is not in the store"):
        rel.agreement_report(coded, "testcase", ["anna", "bjorn"])
    coded.save_codebook(BOOK)
    assert rel.agreement_report(coded, "testcase", ["anna", "bjorn"]).codebook_id == "mini"


@pytest.mark.parametrize(("coders", "message"), [
    (["anna"], "at least two"), (["anna", "anna"], "named twice"),
    (["anna", "nobody"], "no codings with 'mini'.*nobody"), (["anna", "unit"], "clash")])
def test_bad_coders(coded, coders, message):
    with pytest.raises(UsageError, match=message):
        rel.reliability_data(coded, "testcase", coders, codebook=BOOK)


def test_no_documents_in_common_gives_empty_tables(coded):
    code(coded, "cara", "c", "NPM", *span(coded, "c", "Sjette setning."))
    data = rel.reliability_data(coded, "testcase", ["bjorn", "cara"], codebook=BOOK)
    assert data.empty and list(data.columns) == [*rel.KEYS, "bjorn", "cara"]
    assert rel.agreement(data).empty and rel.pairwise(data).empty
    assert rel.disagreements(coded, "testcase", data).empty


# -- importing manual codings from CSV ------------------------------------------------------

HEADER = "doc_id,code_id,start,end,quote,memo\n"


@pytest.fixture
def case_store(make_case, store):
    ingest_case(make_case(files=FILES, rows=ROWS), store, progress=False)
    return store


def write(tmp_path: Path, text: str, name: str = "codings.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_quotes_and_offsets_and_replace_on_repeat(case_store, tmp_path):
    path = write(tmp_path, HEADER + "a,NPM.goals,,,Andre setning her.,mål\n"
                                    "a,NPG,0,19,,\n"
                                    "b,NPM,,,To setninger.,\n")
    result = import_codings(case_store, "testcase", path, "anna", codebook=MINI)
    assert (result.added, result.removed, result.documents) == (3, 0, 2)
    codings = case_store.codings("testcase").set_index("code_id")
    assert codings.loc["NPM.goals", "quote"] == "Andre setning her."
    assert codings.loc["NPM.goals", "memo"] == "mål"
    assert codings.loc["NPG", "quote"] == "Første setning her."
    assert set(codings["origin"]) == {"manual"} and set(codings["status"]) == {"accepted"}
    assert set(codings["coder"]) == {"anna"}
    # Repeatable: the coder's earlier manual codings of the codebook are replaced.
    path = write(tmp_path, HEADER + "a,NPM,,,Fjerde setning her.,\n")
    again = import_codings(case_store, "testcase", path, "anna")  # the codebook is stored now
    assert (again.added, again.removed) == (1, 3)
    assert case_store.codings("testcase")["quote"].tolist() == ["Fjerde setning her."]


def test_import_keeps_other_coders_codings(case_store, tmp_path):
    code(case_store, "bjorn", "a", "NPM", 0, 19)
    import_codings(case_store, "testcase", write(tmp_path, HEADER + "a,NPG,0,19,,\n"), "anna",
                   codebook=MINI)
    import_codings(case_store, "testcase", write(tmp_path, HEADER + "a,NPM,0,19,,\n"), "anna",
                   codebook=MINI)
    codings = case_store.codings("testcase")
    assert sorted(zip(codings["coder"], codings["code_id"], strict=True)) == [
        ("anna", "NPM"), ("bjorn", "NPM")]


BAD_ROWS = [
    ("nope,NPM,,,Andre setning her.,", "unknown document 'nope'"),
    ("a,XYZ,,,Andre setning her.,", "unknown code 'XYZ'"),
    ("a,NPM,,,Ingen slik setning.,", "quote not found"),
    ("a,NPM,,,setning her.,", "ambiguous: it occurs 5 times"),
    ("a,NPM,5,x,,", "whole numbers"),
    ("a,NPM,90,400,,", "outside the text"),
    ("a,NPM,0,5,Andre,", "does not match the text at 0..5"),
    ("a,NPM,,,,", "give start and end, or a quote"),
    (",NPM,,,Andre setning her.,", "'doc_id' is empty"),
]


@pytest.mark.parametrize(("line", "problem"), BAD_ROWS)
def test_import_names_the_file_row_and_problem(case_store, tmp_path, line, problem):
    path = write(tmp_path, HEADER + "a,NPG,0,19,,\n" + line + "\n")
    with pytest.raises(CodingsFileError) as info:
        import_codings(case_store, "testcase", path, "anna", codebook=MINI)
    assert str(info.value).startswith(f"{path}:3: ") and problem in str(info.value)
    assert case_store.codings("testcase").empty  # all rows or none


def test_import_reports_every_bad_row_and_duplicates(case_store, tmp_path):
    path = write(tmp_path, HEADER + "a,NPG,0,19,,\n" + "a,NPG,,,Første setning her.,\n"
                 + "a,XYZ,0,19,,\n")
    with pytest.raises(CodingsFileError) as info:
        read_codings(path, case_store, "testcase", BOOK)
    assert [p.line for p in info.value.problems] == [3, 4]
    assert "duplicate of line 2" in str(info.value)


@pytest.mark.parametrize(("content", "problem"), [
    ("", "the file is empty"),
    ("doc_id,start,end\n", "required column(s) missing: code_id"),
    ("doc_id,code_id,memo\n", "either 'start' and 'end' columns or a 'quote'"),
    (HEADER, "lists no codings"),
])
def test_import_rejects_bad_files(case_store, tmp_path, content, problem):
    with pytest.raises(InputError) as info:
        import_codings(case_store, "testcase", write(tmp_path, content), "anna", codebook=MINI)
    assert problem in str(info.value)


def test_import_rejects_non_utf8_missing_file_and_auto(case_store, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER + "a,NPM,,,Første setning her.,\n").encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8"):
        import_codings(case_store, "testcase", path, "anna", codebook=MINI)
    with pytest.raises(UsageError, match="no such file"):
        import_codings(case_store, "testcase", tmp_path / "none.csv", "anna", codebook=MINI)
    good = write(tmp_path, HEADER + "a,NPM,0,19,,\n")
    with pytest.raises(UsageError, match="auto-coder"):
        import_codings(case_store, "testcase", good, "auto", codebook=MINI)
    with pytest.raises(UsageError, match="--codebook"):  # nothing stored to find it in
        import_codings(case_store, "testcase", good, "anna")


# -- command line and notebook --------------------------------------------------------------

def test_cli_import_and_agree(coded, tmp_path, capsys):
    db = str(coded.path)
    path = write(tmp_path, HEADER + "a,NPM.goals,,,Første setning her.,\n"
                                    "a,NPM,,,Andre setning her.,\n"
                                    "a,NPG,,,Tredje setning her.,\n"
                                    "b,NPM,,,Én setning.,\n")
    argv = ["import", "codings", "testcase", str(path), "--coder", "anna", "--codebook",
            str(MINI), "--store", db]
    assert main(argv) == 0
    assert "4 codings by anna in 2 documents with mini (4 earlier manual codings replaced)" \
        in capsys.readouterr().out
    assert main(["agree", "testcase", "--coders", "anna,bjorn", "--unit", "sentence",
                 "--coded-only", "--store", db]) == 0
    out = capsys.readouterr().out
    assert "presence of each code per sentence" in out and "krippendorff_alpha" in out
    assert "0.125" in out and "0.533" in out and "Disagreements (2 of 2 units)" in out
    assert "Andre setning her." in out


def test_cli_errors_and_exit_codes(coded, tmp_path, capsys):
    db = str(coded.path)
    bad = write(tmp_path, HEADER + "a,XYZ,0,5,,\n")
    assert main(["import", "codings", "testcase", str(bad), "--coder", "anna", "--codebook",
                 str(MINI), "--store", db]) == 1
    assert f"{bad}:2: unknown code 'XYZ'" in capsys.readouterr().err
    assert main(["agree", "testcase", "--coders", "anna", "--store", db]) == 2
    assert "at least two coders" in capsys.readouterr().err
    assert main(["agree", "nocase", "--coders", "anna,bjorn", "--store", db]) == 2
    assert main(["agree", "testcase", "--coders", "anna,bjorn", "--codebook", "none.yaml",
                 "--store", db]) == 2


def test_reliability_notebook_runs_under_papermill(coded, tmp_path):
    out = tmp_path / "reliability.ipynb"
    papermill.execute_notebook(
        str(REPO / "notebooks" / "reliability.ipynb"), str(out),
        parameters={"case_id": "testcase", "coders": "anna,bjorn", "codebook": str(MINI),
                    "unit": "sentence", "store_path": str(coded.path)},
        cwd=str(REPO / "notebooks"), progress_bar=False, kernel_name="python3")
    executed = nbformat.read(out, as_version=4)
    outputs = [o for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert "krippendorff_alpha" in html and "Andre setning her." in html
    assert any("image/png" in o.get("data", {}) for o in outputs)


def test_reliability_notebook_is_committed_clean():
    notebook = nbformat.read(REPO / "notebooks" / "reliability.ipynb", as_version=4)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    code_cells = [c for c in notebook.cells if c.cell_type == "code"]
    assert "parameters" in code_cells[0].metadata.get("tags", [])
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code_cells)
